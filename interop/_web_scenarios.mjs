// The scenarios of web_client_check.mjs. This module runs INSIDE the browser page: it gets
// `io` from whichever client the page loaded (ours from web/, or the official bundle) and
// must only use the API the two share, so a pass with both proves ours behaves like the real
// one. Contract: interop/README.md ("web_client_check.mjs"); server: the Socket.IO server contract.

import { sleep, next, ack, bytes, sameBytes, random, describe, connected } from './_web_helpers.mjs';
import { lifecycle } from './_web_lifecycle.mjs';

// Messaging scenarios; each: async (ctx) => void, recording checks with ctx.check(name, ok, detail).
const messaging = {
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
    // `retries`: sent again on each ack timeout, then the error after 1 + retries tries.
    const retrying = await connected(ctx, '', { ackTimeout: 150, retries: 2 });
    const sends = [];
    retrying.onAnyOutgoing((event) => sends.push(event));
    const r0 = Date.now();
    const [e5] = await new Promise((resolve) => retrying.emit('no-ack', (...a) => resolve(a)));
    const tried = Date.now() - r0;
    ctx.check('retries-exhausted', e5 instanceof Error && tried >= 420, `${e5} after ${tried} ms`);
    ctx.check('retries-sent-3-times', sends.join(',') === 'no-ack,no-ack,no-ack', sends.join(','));
    const [e6, v6] = await new Promise((resolve) => retrying.emit('message-with-ack', 'r', (...a) => resolve(a)));
    ctx.check('retries-answered', e6 === null && v6 === 'r', describe([String(e6), v6]));
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
};

export const scenarios = { ...messaging, ...lifecycle };

export async function run(io, name, opts) {
  const checks = [];
  const sockets = [];
  const ctx = {
    deadUrl: opts.deadUrl,
    silentUrl: opts.silentUrl,
    // Exposed by the harness with --server (page.exposeFunction).
    restart: typeof globalThis.restartServer === 'function' ? () => globalThis.restartServer() : null,
    pingInterval: opts.pingInterval,
    // The transports every socket is opened with (undefined: the client's default).
    transports: opts.transports,
    check(checkName, ok, detail) {
      const c = { name: checkName, ok: Boolean(ok) };
      if (!ok && detail !== undefined) c.detail = String(detail);
      checks.push(c);
    },
    // Every socket on its own connection (forceNew) unless a scenario multiplexes itself.
    open(nsp, extra = {}) {
      const { url = opts.url, ...rest } = extra;
      const socket = io(url + nsp, { forceNew: true, transports: opts.transports, ...rest });
      const n = sockets.length;
      sockets.push(socket);
      // What happened to each connection, for the verdict when something did not go as planned.
      const log = (what) => events.push(`${Date.now() - t0}ms #${n}${nsp || '/'} ${what}`);
      socket.on('connect', () => log(`connect over ${socket.io.engine && socket.io.engine.transport ? socket.io.engine.transport.name : '?'}`));
      // The detail says which request failed and how (ours: `cause`; socket.io-client: `description`).
      const detail = (d) => (d ? ` (${[d.message, d.cause && d.cause.message, typeof d.description === 'number' ? d.description : null, d.code].filter((x) => x !== undefined && x !== null).join(': ')})` : '');
      socket.on('disconnect', (reason, d) => log(`disconnect ${reason}${detail(d)}`));
      socket.on('connect_error', (err) => log(`connect_error ${err && err.message}`));
      return socket;
    },
  };
  const t0 = Date.now();
  const events = [];
  const out = { checks, events };
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
