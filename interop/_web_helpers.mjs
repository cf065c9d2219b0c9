// Helpers of the in-page scenarios (_web_scenarios.mjs, _web_lifecycle.mjs) of
// web_client_check.mjs. They run INSIDE the browser page, with either client's `io`.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves with the arguments of the next `event` on `emitter`, or rejects after `ms`.
function next(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const on = (...args) => {
      clearTimeout(t);
      emitter.off(event, on);
      resolve(args);
    };
    emitter.on(event, on);
  });
}

// The ack's arguments as a Promise (plain ack, no timeout), failing after `ms`.
function ack(socket, event, args, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ack for "${event}" within ${ms} ms`)), ms);
    socket.emit(event, ...args, (...answer) => {
      clearTimeout(t);
      resolve(answer);
    });
  });
}

async function bytes(value) {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return new Uint8Array(await value.arrayBuffer());
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function random(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

const describe = (v) => {
  try {
    return JSON.stringify(v, (k, x) => (x instanceof ArrayBuffer ? `<ArrayBuffer ${x.byteLength}>` : x));
  } catch {
    return String(v);
  }
};

// A connected socket, or an error naming why not.
async function connected(ctx, nsp = '', opts = {}) {
  const socket = ctx.open(nsp, opts);
  const [result] = await Promise.race([
    next(socket, 'connect', 8000).then(() => ['connect']),
    next(socket, 'connect_error', 8000).then(([err]) => {
      throw new Error(`connect_error: ${err && err.message}`);
    }),
  ]);
  return result && socket;
}

// Each scenario: async (ctx) => void, recording checks with ctx.check(name, ok, detail).

async function echoBoth(ctx, socket, tag) {
  const payload = [`${tag} ✓`, { n: 1 }, random(3000)];
  const [s, o, b] = await ack(socket, 'message-with-ack', payload);
  ctx.check(`echo-${tag}`, s === payload[0] && describe(o) === '{"n":1}' && sameBytes(await bytes(b), payload[2]), describe([s, o]));
}

// Runs one scenario; `io` comes from the client under test.

export { sleep, next, ack, bytes, sameBytes, random, describe, connected, echoBoth };
