// The scenarios of web_client_check.mjs. This module runs INSIDE the browser page: it gets
// `io` from whichever client the page loaded (ours from web/, or the official bundle) and
// must only use the API the two share, so a pass with both proves ours behaves like the real
// one. Contract: interop/README.md ("web_client_check.mjs"); server: the Socket.IO server contract.

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
export const scenarios = {
  async connect(ctx) {
    const socket = ctx.open('', { auth: { token: 'abc' } });
    const auth = next(socket, 'auth');
    await next(socket, 'connect', 8000);
    ctx.check('connected', socket.connected === true && typeof socket.id === 'string' && socket.id.length > 0, describe(socket.id));
    ctx.check('active', socket.active === true);
    ctx.check('manager', typeof socket.io === 'object' && typeof socket.io.on === 'function');
    const [payload] = await auth;
    ctx.check('auth-event', describe(payload) === '{"token":"abc"}', describe(payload));

    const byFunction = ctx.open('', { auth: (cb) => cb({ token: 'from-function' }) });
    const [payload2] = await next(byFunction, 'auth', 8000);
    ctx.check('auth-function', describe(payload2) === '{"token":"from-function"}', describe(payload2));

    const bare = ctx.open('');
    const [payload3] = await next(bare, 'auth', 8000);
    ctx.check('auth-none', describe(payload3) === '{}', describe(payload3));

    const gone = next(socket, 'disconnect');
    socket.disconnect();
    const [reason] = await gone;
    ctx.check('disconnect-reason', reason === 'io client disconnect', reason);
    ctx.check('disconnected-state', socket.connected === false && socket.id === undefined && socket.active === false);
  },

  async echo(ctx) {
    const socket = await connected(ctx);
    const json = [1, -2.5, 9007199254740991, 'héllo 🎉 \u2028', '', null, true, { b: 1, a: [1, { c: 'd' }], ü: {} }, [[]]];
    const answer = await ack(socket, 'message-with-ack', json);
    ctx.check('ack-json', describe(answer) === describe(json), describe(answer));
    const back = next(socket, 'message-back');
    socket.emit('message', ...json);
    ctx.check('event-json', describe(await back) === describe(json), describe(await back));
    ctx.check('ack-none', (await ack(socket, 'message-with-ack', [])).length === 0);

    const raw = random(1000);
    const cases = [
      ['arraybuffer', () => raw.slice().buffer, raw],
      ['uint8array-view', () => new Uint8Array(raw.buffer, 10, 100), raw.subarray(10, 110)],
      ['blob', () => new Blob([raw]), raw],
      ['empty', () => new ArrayBuffer(0), new Uint8Array(0)],
      ['200kB', () => random(200000), null],
    ];
    for (const [name, make, expected] of cases) {
      const value = make();
      const want = expected ?? (await bytes(value));
      const [got] = await ack(socket, 'message-with-ack', [value]);
      ctx.check(`ack-binary-${name}`, got instanceof ArrayBuffer && sameBytes(await bytes(got), want),
        `${Object.prototype.toString.call(got)} ${got && got.byteLength}`);
    }
    const blob = new Blob([raw.subarray(0, 3)]);
    const nested = ['text', { file: blob, list: [raw.subarray(5, 8), 7] }, raw.slice(0, 2).buffer];
    const [t, obj, last] = await ack(socket, 'message-with-ack', nested);
    ctx.check('ack-binary-nested',
      t === 'text' && sameBytes(await bytes(obj.file), raw.subarray(0, 3)) && sameBytes(await bytes(obj.list[0]), raw.subarray(5, 8)) &&
        obj.list[1] === 7 && sameBytes(await bytes(last), raw.subarray(0, 2)),
      describe([t, obj, last]));
    const binBack = next(socket, 'message-back');
    socket.emit('message', new Blob([raw.subarray(0, 4)]), 'after-blob');
    const [b0, b1] = await binBack;
    ctx.check('event-binary-blob', sameBytes(await bytes(b0), raw.subarray(0, 4)) && b1 === 'after-blob', describe([b0, b1]));
    // A Blob is read asynchronously: what is emitted after it must still arrive after it.
    const order = [];
    socket.on('message-back', (x) => order.push(typeof x === 'string' ? x : 'binary'));
    socket.emit('message', new Blob([raw]));
    socket.emit('message', 'after');
    await sleep(50);
    for (let i = 0; i < 40 && order.length < 2; i++) await sleep(50);
    ctx.check('order-after-blob', order.join(',') === 'binary,after', order.join(','));
  },

  async 'ack-timeout'(ctx) {
    const socket = await connected(ctx);
    const started = Date.now();
    const [err, ...rest] = await new Promise((resolve) => socket.timeout(300).emit('no-ack', 1, (...a) => resolve(a)));
    const took = Date.now() - started;
    ctx.check('timeout-error', err instanceof Error && err.message === 'operation has timed out' && rest.length === 0,
      `${err && err.message} ${describe(rest)}`);
    ctx.check('timeout-elapsed', took >= 280 && took < 3000, `${took} ms`);
    const [e2, v2] = await new Promise((resolve) => socket.timeout(3000).emit('message-with-ack', 'z', (...a) => resolve(a)));
    ctx.check('timeout-answered', e2 === null && v2 === 'z', describe([String(e2), v2]));
    let rejected = null;
    try {
      await socket.timeout(200).emitWithAck('no-ack');
    } catch (e) {
      rejected = e;
    }
    ctx.check('emitWithAck-rejects', rejected instanceof Error && rejected.message === 'operation has timed out', String(rejected));
    const first = await socket.emitWithAck('message-with-ack', 'x', 'y');
    ctx.check('emitWithAck-first-arg', first === 'x', describe(first));
    const withOpt = await connected(ctx, '', { ackTimeout: 200 });
    const [e3] = await new Promise((resolve) => withOpt.emit('no-ack', (...a) => resolve(a)));
    ctx.check('ackTimeout-option', e3 instanceof Error && e3.message === 'operation has timed out', String(e3));
    const [e4, v4] = await new Promise((resolve) => withOpt.emit('message-with-ack', 'w', (...a) => resolve(a)));
    ctx.check('ackTimeout-answered', e4 === null && v4 === 'w', describe([String(e4), v4]));
  },

  async 'server-ack'(ctx) {
    const socket = await connected(ctx);
    const asked = next(socket, 'question');
    socket.on('question', (...args) => {
      const answer = args.pop();
      answer('answer', 42, new Uint8Array([7, 8, 9]));
      answer('twice');
    });
    const result = next(socket, 'emit-with-ack-result');
    socket.emit('emit-with-ack', { event: 'question', args: [1, 'two'] });
    const qargs = await asked;
    ctx.check('asked', qargs.length === 3 && qargs[0] === 1 && qargs[1] === 'two' && typeof qargs[2] === 'function', describe(qargs));
    const [res] = await result;
    const got = res && res.args;
    ctx.check('answered', Array.isArray(got) && got.length === 3 && got[0] === 'answer' && got[1] === 42 &&
      sameBytes(await bytes(got[2]), new Uint8Array([7, 8, 9])), describe(res));
    socket.on('silent', () => {});
    const result2 = next(socket, 'emit-with-ack-result');
    socket.emit('emit-with-ack', { event: 'silent', args: [], timeout: 200 });
    const [res2] = await result2;
    ctx.check('unanswered-times-out', describe(res2) === '{"error":"timeout"}', describe(res2));
  },

  async namespaces(ctx) {
    const root = await connected(ctx);
    const custom = root.io.socket('/custom', { auth: { ns: 'custom' } });
    const customAuth = next(custom, 'auth', 8000);
    await next(custom, 'connect', 8000);
    ctx.check('custom-connect', custom.connected && custom.io === root.io && custom.id !== root.id, describe([custom.id, root.id]));
    const [auth] = await customAuth;
    ctx.check('custom-auth', describe(auth) === '{"ns":"custom"}', describe(auth));
    const [echo] = await ack(custom, 'message-with-ack', ['in-custom']);
    ctx.check('custom-ack', echo === 'in-custom', describe(echo));
    let leaked = 0;
    root.on('message-back', () => leaked++);
    const back = next(custom, 'message-back');
    custom.emit('message', 'custom-only');
    await back;
    await sleep(100);
    ctx.check('events-stay-in-namespace', leaked === 0, `${leaked} on /`);

    const refused = root.io.socket('/auth');
    const [err] = await next(refused, 'connect_error', 8000);
    ctx.check('auth-refused', err instanceof Error && err.message === 'not authorized' && describe(err.data) === '{"code":401}',
      `${err && err.message} ${describe(err && err.data)}`);
    ctx.check('auth-refused-inactive', refused.active === false && refused.connected === false);

    const allowed = ctx.open('/auth', { auth: { token: 'secret' } });
    const allowedAuth = next(allowed, 'auth', 8000);
    await next(allowed, 'connect', 8000);
    ctx.check('auth-accepted', allowed.connected, '');
    ctx.check('auth-accepted-payload', describe((await allowedAuth)[0]) === '{"token":"secret"}');

    const nope = root.io.socket('/nope');
    const [err2] = await next(nope, 'connect_error', 8000);
    ctx.check('invalid-namespace', err2 instanceof Error && err2.message === 'Invalid namespace' && err2.data === undefined,
      `${err2 && err2.message} ${describe(err2 && err2.data)}`);
    const [alive] = await ack(root, 'message-with-ack', ['root-alive']);
    ctx.check('root-unaffected', alive === 'root-alive' && root.connected && custom.connected);
    const customGone = next(custom, 'disconnect');
    custom.disconnect();
    ctx.check('custom-client-disconnect', (await customGone)[0] === 'io client disconnect');
    const [still] = await ack(root, 'message-with-ack', ['root-still']);
    ctx.check('root-after-custom-left', still === 'root-still' && root.connected);
  },

  async 'server-disconnect'(ctx) {
    for (const close of [false, true]) {
      const socket = await connected(ctx, '', { reconnectionDelay: 100, reconnectionDelayMax: 200 });
      let reconnected = false;
      const gone = next(socket, 'disconnect');
      // The transport at the time of the request: right after connect an upgrade may be under way.
      const during = socket.io.engine.transport.name;
      socket.emit('server-disconnect', close);
      const [reason] = await gone.catch((e) => [`none (${e.message})`]);
      ctx.check(`reason-close-${close}`, reason === 'io server disconnect', `${reason}; asked over ${during}`);
      socket.on('connect', () => (reconnected = true));
      await sleep(600);
      ctx.check(`no-reconnect-close-${close}`, !reconnected && socket.active === false && socket.connected === false);
    }
  },

  async 'transport-polling'(ctx) {
    await transport(ctx, ['polling'], 'polling');
  },

  async 'transport-websocket'(ctx) {
    await transport(ctx, ['websocket'], 'websocket');
  },

  async 'transport-upgrade'(ctx) {
    const socket = ctx.open('', { transports: ['polling', 'websocket'] });
    const engine = socket.io.engine;
    const first = engine.transport && engine.transport.name;
    let upgraded = false;
    engine.on('upgrade', () => (upgraded = true));
    // Emits from the first moment to 20 after the upgrade: each acked exactly once, in order.
    const answers = [];
    let sent = 0;
    let afterUpgrade = 0;
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`upgrade burst stuck: sent ${sent}, answers ${answers.length}, upgraded ${upgraded}`)), 15000);
      const maybeDone = () => {
        if (answers.length === sent && afterUpgrade > 20) {
          clearTimeout(t);
          resolve();
        }
      };
      const pump = () => {
        if (upgraded && ++afterUpgrade > 20) return maybeDone();
        const i = sent++;
        socket.emit('message-with-ack', i, (v) => {
          answers.push(v);
          maybeDone();
        });
        setTimeout(pump, 5);
      };
      socket.on('connect', pump);
    });
    ctx.check('started-polling', first === 'polling', describe(first));
    ctx.check('upgraded', upgraded && engine.transport.name === 'websocket', engine.transport.name);
    ctx.check('burst-in-order-once', answers.every((v, i) => v === i) && answers.length === sent, `${answers.length}/${sent}`);
    await echoBoth(ctx, socket, 'after-upgrade');
  },

  async 'offline-buffer'(ctx) {
    const socket = await connected(ctx);
    socket.disconnect();
    const acks = [];
    const backs = [];
    socket.on('message-back', (x) => backs.push(x));
    socket.emit('message-with-ack', 'buffered', (x) => acks.push(x));
    socket.emit('message', 'buffered-event');
    socket.connect();
    await next(socket, 'connect', 8000);
    for (let i = 0; i < 40 && (acks.length < 1 || backs.length < 1); i++) await sleep(50);
    await sleep(300);
    ctx.check('buffered-ack-once', describe(acks) === '["buffered"]', describe(acks));
    ctx.check('buffered-event-once', describe(backs) === '["buffered-event"]', describe(backs));
  },

  async volatile(ctx) {
    const socket = await connected(ctx);
    socket.disconnect();
    const backs = [];
    socket.on('message-back', (x) => backs.push(x));
    socket.volatile.emit('message', 'volatile-offline');
    socket.emit('message', 'kept');
    socket.connect();
    for (let i = 0; i < 100 && backs.length < 1; i++) await sleep(50);
    await sleep(300);
    ctx.check('volatile-dropped-offline', describe(backs) === '["kept"]', describe(backs));
    // Over WebSocket the transport is always writable, so a connected volatile emit leaves.
    const ws = await connected(ctx, '', { transports: ['websocket'] });
    const back = next(ws, 'message-back');
    ws.volatile.emit('message', 'volatile-live');
    ctx.check('volatile-sent-connected', (await back)[0] === 'volatile-live');
  },

  async 'reconnect-failed'(ctx) {
    // A port nobody listens on (the harness found it): every attempt fails.
    const socket = ctx.open('', { reconnectionAttempts: 2, reconnectionDelay: 50, reconnectionDelayMax: 100, url: ctx.deadUrl });
    const seen = [];
    socket.on('connect_error', (e) => seen.push(`connect_error:${e instanceof Error}`));
    socket.io.on('reconnect_attempt', (n) => seen.push(`reconnect_attempt:${n}`));
    socket.io.on('reconnect_error', (e) => seen.push(`reconnect_error:${e instanceof Error}`));
    const failed = next(socket.io, 'reconnect_failed', 10000);
    await failed;
    seen.push('reconnect_failed');
    ctx.check('sequence', seen.join(' ') === 'connect_error:true reconnect_attempt:1 connect_error:true reconnect_error:true ' +
      'reconnect_attempt:2 connect_error:true reconnect_error:true reconnect_failed', seen.join(' '));
    ctx.check('inactive-after-failure', socket.connected === false);
  },

  async 'ping-timeout'(ctx) {
    // The harness's own silent Engine.IO endpoint: a handshake with pingInterval 300 and
    // pingTimeout 200, a CONNECT answer, then nothing. The client must give up by itself.
    const socket = ctx.open('', { url: ctx.silentUrl, path: '/silent-eio/', transports: ['polling'], reconnection: false });
    await next(socket, 'connect', 5000);
    const t0 = Date.now();
    const closed = next(socket.io, 'close', 5000);
    const [reason] = await next(socket, 'disconnect', 5000);
    const took = Date.now() - t0;
    ctx.check('disconnect-reason', reason === 'ping timeout', reason);
    ctx.check('manager-close-reason', (await closed)[0] === 'ping timeout');
    ctx.check('after-interval-plus-timeout', took >= 350 && took < 2500, `${took} ms`);
  },

  async restart(ctx) {
    // The harness (--server) kills the server and starts it again on the same port.
    if (!ctx.restart) throw new Error('restart needs the harness to own the server (--server)');
    const socket = await connected(ctx, '', { reconnectionDelay: 200, reconnectionDelayMax: 1000 });
    const firstId = socket.id;
    const events = [];
    socket.io.on('reconnect_attempt', () => events.push('reconnect_attempt'));
    socket.io.on('reconnect', () => events.push('reconnect'));
    const gone = next(socket, 'disconnect', 10000);
    const restarted = ctx.restart();
    const [reason] = await gone;
    ctx.check('disconnect-reason', reason === 'transport close' || reason === 'transport error', reason);
    const back = next(socket, 'connect', 20000);
    // Emitted while the server is down: buffered, sent after the reconnection.
    const whileDown = new Promise((resolve) => socket.emit('message-with-ack', 'while-down', resolve));
    await restarted;
    await back;
    ctx.check('reconnected', socket.connected && typeof socket.id === 'string' && socket.id !== firstId, `${firstId} -> ${socket.id}`);
    ctx.check('manager-events', events.includes('reconnect_attempt') && events[events.length - 1] === 'reconnect', events.join(','));
    ctx.check('not-recovered', !socket.recovered, String(socket.recovered));
    const answer = await Promise.race([whileDown, sleep(5000).then(() => 'no ack')]);
    ctx.check('buffered-while-down', answer === 'while-down', answer);
    await echoBoth(ctx, socket, 'after-restart');
  },

  async recovery(ctx) {
    // Needs a server with connection state recovery (--recovery): every plain emit then
    // carries its offset as an extra last argument.
    const a = await connected(ctx, '', { reconnectionDelay: 300, reconnectionDelayMax: 300 });
    const b = await connected(ctx);
    ctx.check('first-not-recovered', !a.recovered, String(a.recovered));
    const firstId = a.id;
    await ack(a, 'join', ['rec']);
    const got = [];
    a.on('missed', (...args) => got.push(args));
    const gone = next(a, 'disconnect');
    const back = next(a, 'connect', 10000);
    const authAgain = next(a, 'auth', 10000);
    // The transport drops on the client side; while A is away B emits to A's room and id.
    a.io.engine.close();
    await gone;
    await ack(b, 'emit-op', [{ from: 'nsp', to: 'rec', event: 'missed', args: ['to-room'] }]);
    await ack(b, 'emit-op', [{ from: 'nsp', to: firstId, event: 'missed', args: ['to-id'] }]);
    await back;
    ctx.check('recovered', a.recovered === true && a.id === firstId, `${a.recovered} ${firstId} -> ${a.id}`);
    const [auth] = await authAgain;
    ctx.check('pid-offset-sent', auth && typeof auth.pid === 'string' && typeof auth.offset === 'string', describe(auth));
    for (let i = 0; i < 20 && got.length < 2; i++) await sleep(50);
    const names = got.map((args) => args[0]);
    ctx.check('missed-packets', describe(names) === '["to-room","to-id"]', describe(got));
    const [rooms] = await ack(a, 'rooms', []);
    ctx.check('rooms-kept', Array.isArray(rooms) && rooms.includes('rec') && rooms.includes(firstId), describe(rooms));
  },

  async heartbeat(ctx) {
    // Needs a server with short ping settings (--ping-interval): stays up only if pongs go out.
    const socket = await connected(ctx);
    let reason = null;
    socket.on('disconnect', (r) => (reason = r));
    await sleep(ctx.pingInterval * 3 + 200);
    ctx.check('still-connected', socket.connected && reason === null, String(reason));
    const [v] = await ack(socket, 'message-with-ack', ['alive']);
    ctx.check('still-answering', v === 'alive');
  },
};

async function transport(ctx, transports, expected) {
  const socket = await connected(ctx, '', { transports });
  ctx.check('transport', socket.io.engine.transport.name === expected, socket.io.engine.transport.name);
  await echoBoth(ctx, socket, expected);
  await sleep(300);
  ctx.check('transport-kept', socket.io.engine.transport.name === expected, socket.io.engine.transport.name);
}

async function echoBoth(ctx, socket, tag) {
  const payload = [`${tag} ✓`, { n: 1 }, random(3000)];
  const [s, o, b] = await ack(socket, 'message-with-ack', payload);
  ctx.check(`echo-${tag}`, s === payload[0] && describe(o) === '{"n":1}' && sameBytes(await bytes(b), payload[2]), describe([s, o]));
}

// Runs one scenario; `io` comes from the client under test.
export async function run(io, name, opts) {
  const checks = [];
  const sockets = [];
  const ctx = {
    deadUrl: opts.deadUrl,
    silentUrl: opts.silentUrl,
    // Exposed by the harness with --server (page.exposeFunction).
    restart: typeof globalThis.restartServer === 'function' ? () => globalThis.restartServer() : null,
    pingInterval: opts.pingInterval,
    check(checkName, ok, detail) {
      const c = { name: checkName, ok: Boolean(ok) };
      if (!ok && detail !== undefined) c.detail = String(detail);
      checks.push(c);
    },
    // Every socket on its own connection (forceNew) unless a scenario multiplexes itself.
    open(nsp, extra = {}) {
      const { url = opts.url, ...rest } = extra;
      const socket = io(url + nsp, { forceNew: true, transports: opts.transports, ...rest });
      sockets.push(socket);
      return socket;
    },
  };
  const out = { checks };
  try {
    await scenarios[name](ctx);
  } catch (err) {
    out.error = String(err && err.stack ? err.message : err);
  } finally {
    for (const s of sockets) {
      try {
        s.io.reconnection(false);
        s.disconnect();
      } catch {
        // A socket that failed mid-scenario must not hide the scenario's own result.
      }
    }
  }
  return out;
}
