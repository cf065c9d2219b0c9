// Scenarios run with the official socket.io-client (see sio_client.mjs for the context `t`).
// Each step records what it observed (t.record / t.expect): the transcript two servers must share.

const bin = (...bytes) => Buffer.from(bytes);
const ab = (n) => {
  const a = new ArrayBuffer(n);
  const v = new Uint8Array(a);
  for (let i = 0; i < n; i++) v[i] = i % 256;
  return a;
};
const big = (n) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) % 256;
  return b;
};

// Argument lists echoed through `message` and `message-with-ack`.
const SHAPES = [
  ['no-args', []],
  ['null', [null]],
  ['numbers', [0, 1, -1, 42.5, -0.125, 1e-7, 2 ** 53 - 1, -(2 ** 53 - 1), 1.7976931348623157e308, 5e-324, 1e21]],
  ['strings', ['', 'ascii', 'é ß', '€ 中文', '😀 𝄞', '\u0000\u001f\n\t"\\/', '\u2028\u2029', '<script>&amp;']],
  ['booleans', [true, false]],
  ['nested', [{ z: 1, a: { y: [1, { x: null }], b: 'c' }, m: [[], [[]], {}] }]],
  ['key-order', [{ b: 1, a: 2, c: { z: 0, y: 1, x: [{ k2: 1, k1: 2 }] } }]],
  ['unicode-keys', [{ 'ключ': 'значение', '😀': '😀', '': 'empty key' }]],
  ['many-args', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
  ['mixed', ['s', 1, null, true, { a: [1] }, [2, [3]]]],
  ['large-string', ['x'.repeat(100_000)]],
];

// Binary argument lists (every one must come back byte-exact; the transcript records the type).
const BINARIES = [
  ['buffer', [bin(1, 2, 3)]],
  ['empty-buffer', [Buffer.alloc(0)]],
  ['arraybuffer', [ab(256)]],
  ['uint8array-view', [new Uint8Array(ab(64), 8, 16)]],
  ['nested', [{ a: bin(1), b: [bin(2, 2), { c: bin(3, 3, 3) }], d: 'text' }]],
  ['several', [bin(10), 'between', bin(11, 11), 42, [bin(12)], { deep: { deeper: [bin(13)] } }]],
  ['mixed-with-json', [{ n: 1, s: 'x', bytes: bin(0, 255), list: [null, true] }]],
  ['large', [big(200_000)]],
];

// Shapes the msgpack parser's encoder (notepack.io 3) already mangles on the client side: numbers
// past 2^63 and ±1.8e308 as integers, a Uint8Array view as its whole underlying buffer. With
// --parser msgpack they are recorded (both servers must agree) but not checked.
const MSGPACK_LOSSY = new Set(['numbers', 'uint8array-view']);

async function echoAll(t, c, list) {
  for (const [name, a] of list) {
    const lossy = t.args.parser === 'msgpack' && MSGPACK_LOSSY.has(name);
    const judge = lossy ? (key, got) => t.record(key, got) : (key, got) => t.expect(key, got, a);
    c.socket.emit('message', ...a);
    judge(`echo:${name}`, await c.event('message-back'));
    judge(`ack:${name}`, await c.ack('message-with-ack', ...a));
  }
}

// Rooms sorted after the ids became labels (the server sorts raw ids).
const sortedNorm = (t, rooms) => (Array.isArray(rooms) ? t.norm(rooms).sort() : t.norm(rooms));
// Socket lists from fetch-sockets, sorted by their normalized id.
const sockets = (t, list) =>
  Array.isArray(list)
    ? t
        .norm(list)
        .map((s) => ({ ...s, rooms: Array.isArray(s.rooms) ? s.rooms.sort() : s.rooms }))
        .sort((a, b) => String(a.id).localeCompare(String(b.id)))
    : t.norm(list);

// Checks that exactly the `want` clients got exactly one `news` event from a collect().
function recipients(t, name, got, want) {
  const ok = Object.entries(got).every(([k, evs]) =>
    want.includes(k) ? evs.length === 1 && evs[0][0] === 'news' : evs.length === 0,
  );
  t.check(`${name}:recipients`, ok, { got, want });
}

export const scenarios = {
  // Every JSON shape, through `message` and `message-with-ack`, and the auth payload.
  async echo(t) {
    const auth = { token: 'abc', nested: { list: [1, 'two', null], 'ключ': 'значение' } };
    const A = t.client('A', '/', { auth });
    t.expect('connect', await A.connect(), { connected: true, recovered: false });
    t.expect('auth', await A.event('auth'), [auth]);
    if (t.upgradeMode) await t.upgraded(A.manager);
    await echoAll(t, A, SHAPES);
  },

  // Buffers, ArrayBuffers, views, binary nested anywhere, several attachments, binary in acks.
  async binary(t) {
    const A = t.client('A');
    await t.connectAll(A);
    await echoAll(t, A, BINARIES);
    // Server asks, client answers with binary.
    A.socket.on('ask', (...a) => a.pop()(bin(9, 8, 7), { inner: bin(6) }, ...a));
    A.socket.emit('emit-with-ack', { event: 'ask', args: [bin(1, 2)] });
    t.expect('server-ack-binary', await A.event('emit-with-ack-result'), [
      { args: [bin(9, 8, 7), { inner: bin(6) }, bin(1, 2)] },
    ]);
  },

  // Acks both ways, with and without timeouts.
  async acks(t) {
    const A = t.client('A');
    await t.connectAll(A);
    t.expect('client-ack', await A.ack('message-with-ack', 1, { a: 'b' }), [1, { a: 'b' }]);
    t.expect('client-ack-empty', await A.ack('message-with-ack'), []);
    const timedOut = await new Promise((resolve) =>
      A.socket.timeout(300).emit('no-ack', 1, (err) => resolve(err ? err.message : 'answered')),
    );
    t.expect('client-ack-timeout', timedOut, 'operation has timed out');
    t.expect('emitWithAck', await A.socket.timeout(2000).emitWithAck('message-with-ack', 'x', 'y'), 'x');
    t.expect('message-ack-unanswered', await A.ackWithin(300, 'message', 'no ack for message'), {
      timeout: 'operation has timed out',
    });
    await A.event('message-back');
    t.expect('double-ack', await A.ack('double-ack'), ['first']);
    t.expect('double-ack-nothing-more', await A.barrier(), []);

    // Server-to-client acks.
    A.socket.on('ask', (...a) => a.pop()('answer', ...a));
    A.socket.on('ask-empty', (cb) => cb());
    let late;
    A.socket.on('ask-silent', (cb) => {
      late = cb;
    });
    A.socket.emit('emit-with-ack', { event: 'ask', args: [1, { k: 'v' }] });
    t.expect('server-ack', await A.event('emit-with-ack-result'), [{ args: ['answer', 1, { k: 'v' }] }]);
    A.socket.emit('emit-with-ack', { event: 'ask-empty', args: [] });
    t.expect('server-ack-empty', await A.event('emit-with-ack-result'), [{ args: [] }]);
    A.socket.emit('emit-with-ack', { event: 'ask', args: ['t'], timeout: 2000 });
    t.expect('server-ack-within-timeout', await A.event('emit-with-ack-result'), [{ args: ['answer', 't'] }]);
    A.socket.emit('emit-with-ack', { event: 'ask-silent', args: [], timeout: 300 });
    t.expect('server-ack-timeout', await A.event('emit-with-ack-result'), [{ error: 'timeout' }]);
    await A.barrier();
    // A late answer after the timeout is ignored, and the connection keeps working.
    late?.('too late');
    t.expect('late-ack-ignored', await A.barrier(), []);
    t.expect('still-connected', A.socket.connected, true);
  },

  // Static, dynamic and unknown namespaces multiplexed on one connection.
  async namespaces(t) {
    const m = t.manager();
    const root = t.client('root', '/', { manager: m, auth: { n: 'root' } });
    const custom = t.client('custom', '/custom', { manager: m, auth: { n: 'custom' } });
    const d42 = t.client('dyn42', '/dyn-42', { manager: m, auth: { n: 42 } });
    const d7 = t.client('dyn7', '/dyn-7', { manager: m });
    for (const c of [root, custom, d42, d7]) {
      t.expect(`connect:${c.nsp}`, await c.connect(), { connected: true, recovered: false });
      t.record(`auth:${c.nsp}`, await c.event('auth'));
    }
    if (t.upgradeMode) await t.upgraded(m);
    for (const nsp of ['/nope', '/dyn-x', '/dyn-', '/custom/sub']) {
      const bad = t.client(`bad${nsp}`, nsp, { manager: m });
      t.expect(`connect:${nsp}`, await bad.connect(), { error: { message: 'Invalid namespace', data: undefined } });
    }
    const all = [root, custom, d42, d7];
    custom.socket.emit('message', 'only custom');
    t.expect('scoped-echo', await t.collect(all), {
      root: [],
      custom: [['message-back', 'only custom']],
      dyn42: [],
      dyn7: [],
    });
    const ops = [
      ['parent-from-dyn42', d42, { from: 'parent', event: 'news', args: ['parent'] }, ['dyn42', 'dyn7']],
      ['nsp-from-dyn42', d42, { from: 'nsp', event: 'news', args: ['dyn42 only'] }, ['dyn42']],
      ['nsp-from-custom', custom, { from: 'nsp', event: 'news', args: ['custom only'] }, ['custom']],
      ['io-from-custom', custom, { from: 'io', event: 'news', args: ['main namespace'] }, ['root']],
    ];
    for (const [name, c, spec, want] of ops) {
      t.record(`${name}:ack`, await c.ack('emit-op', spec));
      const got = await t.collect(all);
      t.record(name, got);
      recipients(t, name, got, want);
    }
    custom.socket.disconnect();
    t.expect('custom-disconnect-reason', await custom.event('<disconnect>'), ['io client disconnect']);
    for (const c of [root, d42]) {
      t.expect(`${c.nsp}-after-custom-left`, await c.ack('message-with-ack', 'still here'), ['still here']);
    }
    t.expect('engine-still-open', m.engine.readyState, 'open');
    // Joining again on the same connection (the manager hands out the same socket, same auth).
    custom.socket.connect();
    t.expect('reconnect-namespace', await custom.connect(), { connected: true, recovered: false });
    t.expect('reconnect-namespace-auth', await custom.event('auth'), [{ n: 'custom' }]);
    t.expect('reconnect-namespace-echo', await custom.ack('message-with-ack', 'back'), ['back']);
  },

  // Namespace middleware with connect_error message and data.
  async auth(t) {
    const m = t.manager();
    const root = t.client('root', '/', { manager: m });
    t.expect('root-no-auth', await root.connect(), { connected: true, recovered: false });
    t.expect('root-auth-empty', await root.event('auth'), [{}]);
    const refused = { error: { message: 'not authorized', data: { code: 401 } } };
    // Multiplexed with `/` on one connection (a manager keeps one socket per namespace).
    t.expect('no-token', await t.client('none', '/auth', { manager: m }).connect(), refused);
    t.expect('wrong-token', await t.client('wrong', '/auth', { auth: { token: 'nope' } }).connect(), refused);
    t.expect('token-not-string', await t.client('num', '/auth', { auth: { token: 1 } }).connect(), refused);
    const ok = t.client('ok', '/auth', { auth: { token: 'secret', user: 'ann' } });
    t.expect('good-token', await ok.connect(), { connected: true, recovered: false });
    t.expect('good-token-auth', await ok.event('auth'), [{ token: 'secret', user: 'ann' }]);
    t.expect('auth-nsp-echo', await ok.ack('message-with-ack', 'in'), ['in']);
    t.expect('root-unaffected', await root.ack('message-with-ack', 'root'), ['root']);
    // A refused namespace on its own connection leaves that connection usable.
    const lone = t.client('lone', '/auth', { auth: { token: 'bad' } });
    t.expect('lone-refused', await lone.connect(), refused);
  },

  // socket.use refusing an event; the incoming and outgoing catch-alls.
  async middleware(t) {
    const A = t.client('A');
    const B = t.client('B');
    await t.connectAll(A, B);
    t.expect('last-outgoing-auth', await A.ack('last-outgoing'), ['auth']);
    t.expect('allowed', await A.ack('message-with-ack', 'x'), ['x']);
    const refused = await new Promise((resolve) =>
      A.socket.timeout(300).emit('forbidden', 'payload', (err, ...r) => resolve(err ? err.message : r)),
    );
    t.expect('forbidden-ack-never-answered', refused, 'operation has timed out');
    t.expect('middleware-error', await A.event('middleware-error'), ['forbidden event']);
    // Node runs onAny before the socket.use middlewares: it sees the refused event too.
    t.expect('on-any-sees-refused', await A.ack('last-event'), ['forbidden']);
    t.expect('on-any-sees-handled', await A.ack('last-event'), ['last-event']);
    t.expect('last-outgoing-after-refusal', await A.ack('last-outgoing'), ['middleware-error']);
    A.socket.emit('message', 'm');
    await A.event('message-back');
    t.expect('last-outgoing-emit', await A.ack('last-outgoing'), ['message-back']);
    await B.ack('emit-op', { from: 'nsp', event: 'news', args: [] });
    await A.barrier();
    // The barrier's own message-back is the last emit to A.
    t.expect('last-outgoing-after-barrier', await A.ack('last-outgoing'), ['message-back']);
    await B.ack('emit-op', { from: 'nsp', event: 'news', args: [] });
    await B.barrier();
    t.expect('last-outgoing-broadcast', await A.ack('last-outgoing'), ['news']);
    t.expect('last-outgoing-not-acks', await A.ack('last-outgoing'), ['news']);
    t.expect('still-connected', A.socket.connected, true);
  },

  // Rooms and every broadcast operator, four clients (three in `/`, one in `/custom`).
  async rooms(t) {
    const A = t.client('A');
    const B = t.client('B');
    const C = t.client('C');
    const D = t.client('D', '/custom');
    await t.connectAll(A, B, C, D);
    const all = [A, B, C, D];
    t.record('join-A', sortedNorm(t, (await A.ack('join', 'r1'))[0]));
    t.record('join-B', sortedNorm(t, (await B.ack('join', ['r1', 'r2']))[0]));
    t.record('join-C', sortedNorm(t, (await C.ack('join', 'r2'))[0]));
    t.record('join-D', sortedNorm(t, (await D.ack('join', 'r1'))[0]));
    t.record('join-again-A', sortedNorm(t, (await A.ack('join', 'r1'))[0]));
    t.record('rooms-A', sortedNorm(t, (await A.ack('rooms'))[0]));
    const ops = [
      ['socket.to(r1)', A, { from: 'socket', to: 'r1' }, ['B']],
      ['socket.to([r1,r2])', A, { from: 'socket', to: ['r1', 'r2'] }, ['B', 'C']],
      ['socket.broadcast', A, { from: 'socket', broadcast: true }, ['B', 'C']],
      ['socket.broadcast.except(r1)', A, { from: 'socket', broadcast: true, except: 'r1' }, ['C']],
      ['socket.except(r2)', A, { from: 'socket', except: 'r2' }, []],
      ['socket.to(r2).except(r1)', C, { from: 'socket', to: 'r2', except: 'r1' }, []],
      ['nsp.to(r1)', A, { from: 'nsp', to: 'r1' }, ['A', 'B']],
      ['nsp.emit', A, { from: 'nsp' }, ['A', 'B', 'C']],
      ['nsp.except(r1)', A, { from: 'nsp', except: 'r1' }, ['C']],
      ['nsp.except([r1,r2])', A, { from: 'nsp', except: ['r1', 'r2'] }, []],
      ['nsp.to(r2).except(r1)', A, { from: 'nsp', to: 'r2', except: 'r1' }, ['C']],
      ['nsp.to(id-of-B)', A, { from: 'nsp', to: () => B.socket.id }, ['B']],
      ['socket.to(own-id)', A, { from: 'socket', to: () => A.socket.id }, []],
      ['nsp.to(unknown-room)', A, { from: 'nsp', to: 'nobody' }, []],
      ['nsp.local', A, { from: 'nsp', local: true }, ['A', 'B', 'C']],
      ['socket.broadcast.compress(false)', A, { from: 'socket', broadcast: true, compress: false }, ['B', 'C']],
      ['io.emit-from-/', A, { from: 'io' }, ['A', 'B', 'C']],
      ['io.emit-from-/custom', D, { from: 'io' }, ['A', 'B', 'C']],
      ['io.to(r1)-from-/custom', D, { from: 'io', to: 'r1' }, ['A', 'B']],
      ['nsp.emit-from-/custom', D, { from: 'nsp' }, ['D']],
      ['nsp.to(r1)-binary', A, { from: 'nsp', to: 'r1', args: [Buffer.from([1, 2, 3]), { b: Buffer.from([4]) }] }, ['A', 'B']],
      ['nsp.to(r1)-no-args', A, { from: 'nsp', to: 'r1', args: [] }, ['A', 'B']],
    ];
    const run = async (name, c, op, want) => {
      const spec = { event: 'news', args: [name], ...op };
      if (typeof spec.to === 'function') spec.to = spec.to();
      await c.ack('emit-op', spec);
      const got = await t.collect(all);
      t.record(name, got);
      recipients(t, name, got, want);
    };
    for (const [name, c, op, want] of ops) await run(name, c, op, want);
    t.record('leave-B-r1', sortedNorm(t, (await B.ack('leave', 'r1'))[0]));
    t.record('leave-B-unknown', sortedNorm(t, (await B.ack('leave', 'never-joined'))[0]));
    await run('nsp.to(r1)-after-leave', A, { from: 'nsp', to: 'r1' }, ['A']);
    C.socket.disconnect();
    await C.event('<disconnect>');
    const rest = [A, B, D];
    await A.ack('emit-op', { from: 'nsp', to: 'r2', event: 'news', args: ['after C left'] });
    const afterC = await t.collect(rest);
    t.record('nsp.to(r2)-after-C-disconnected', afterC);
    recipients(t, 'nsp.to(r2)-after-C-disconnected', afterC, ['B']);
    t.record('fetch-r2-after-C-disconnected', sockets(t, (await A.ack('fetch-sockets', { to: 'r2' }))[0]));
  },

  // Broadcast with acks from many clients, with and without a timeout hit.
  async 'broadcast-acks'(t) {
    const A = t.client('A');
    const B = t.client('B');
    const C = t.client('C');
    await t.connectAll(A, B, C);
    for (const c of [A, B, C]) {
      await c.ack('join', 'acks');
      c.socket.on('ask', (...a) => a.pop()(`${c.name}-answer`));
      c.socket.on('ask-partial', (...a) => {
        if (c.name !== 'C') a.pop()({ from: c.name, got: a });
      });
      c.socket.on('ask-binary', (...a) => a.pop()(Buffer.from(c.name)));
    }
    const result = async (name, spec, timedOut, responses) => {
      await A.ack('emit-op', { args: [], ...spec });
      const r = await A.event('emit-op-result');
      const v = r?.[0];
      if (v && Array.isArray(v.responses)) v.responses = t.norm(v.responses).map((x) => JSON.stringify(x)).sort();
      t.record(name, v ?? '<no result>');
      const want = { timed_out: timedOut, responses: responses.map((x) => JSON.stringify(t.norm(x))) };
      t.check(name, JSON.stringify(v) === JSON.stringify(want), { got: v, want });
      await t.collect([A, B, C]);
    };
    const answers = (...names) => names.map((n) => `${n}-answer`);
    await result('nsp-all-answer', { from: 'nsp', to: 'acks', event: 'ask', args: [1], timeout: 2000 }, false, answers('A', 'B', 'C'));
    await result('nsp-one-silent', { from: 'nsp', to: 'acks', event: 'ask-partial', args: ['p'], timeout: 400 }, true, [
      { from: 'A', got: ['p'] },
      { from: 'B', got: ['p'] },
    ]);
    await result('broadcast-excludes-sender', { from: 'socket', broadcast: true, event: 'ask', timeout: 2000 }, false, answers('B', 'C'));
    await result('no-recipient', { from: 'nsp', to: 'nobody', event: 'ask', timeout: 2000 }, false, []);
    await result('binary-answers', { from: 'nsp', to: 'acks', event: 'ask-binary', timeout: 2000 }, false, [
      Buffer.from('A'),
      Buffer.from('B'),
      Buffer.from('C'),
    ]);
    await result('io-timeout', { from: 'io', to: 'acks', event: 'ask', timeout: 2000 }, false, answers('A', 'B', 'C'));
  },

  // Volatile packets: some may be dropped, the delivered ones keep their order.
  async volatile(t) {
    const A = t.client('A');
    const B = t.client('B');
    await t.connectAll(A, B);
    const n = 50;
    // Over polling a burst is dropped whole when no GET happens to be pending as it starts
    // (in both servers), so a burst that delivered nothing is tried again a few times.
    let got = [];
    for (let attempt = 0; attempt < 10 && got.length === 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50));
      await A.ack('volatile-burst', n);
      got = (await A.barrier()).filter((e) => e.event === 'volatile').map((e) => e.args[0]);
    }
    const inOrder = got.every((v, i) => Number.isInteger(v) && v >= 0 && v < n && (i === 0 || v > got[i - 1]));
    t.expect('volatile-burst-ordered-subset', inOrder, true);
    t.check('volatile-burst-delivered-some', got.length > 0, got);
    await B.ack('join', 'v');
    for (let i = 0; i < n; i++) A.socket.emit('emit-op', { from: 'nsp', to: 'v', volatile: true, event: 'vb', args: [i] });
    await A.barrier();
    const gotB = (await B.barrier()).filter((e) => e.event === 'vb').map((e) => e.args[0]);
    const inOrderB = gotB.every((v, i) => i === 0 || v > gotB[i - 1]);
    t.expect('volatile-broadcast-ordered-subset', inOrderB && gotB.length <= n, true);
    t.expect('non-volatile-after', await A.ack('message-with-ack', 'after'), ['after']);
  },

  // fetchSockets, socketsJoin, socketsLeave, disconnectSockets, socket.data.
  async 'fetch-sockets'(t) {
    const A = t.client('A');
    const B = t.client('B');
    const C = t.client('C');
    const D = t.client('D', '/custom');
    const O = t.client('O');
    await t.connectAll(A, B, C, D, O);
    await O.ack('join', 'observers');
    await A.ack('set-data', { name: 'ann' });
    await B.ack('set-data', { name: 'bob', n: [1, 2] });
    await A.ack('join', 'fs1');
    await B.ack('join', ['fs1', 'fs2']);
    await C.ack('join', 'fs2');
    await D.ack('join', 'fs1');
    // Records the sockets found and checks their labels.
    const fetch = async (name, c, spec, want) => {
      const found = sockets(t, (await c.ack('fetch-sockets', spec))[0]);
      t.record(name, found);
      const ids = Array.isArray(found) ? found.map((s) => s.id) : found;
      t.check(name, JSON.stringify(ids) === JSON.stringify(want.map((n) => `<${n}>`)), { got: ids, want });
    };
    await fetch('fetch-fs1', A, { to: 'fs1' }, ['A', 'B']);
    await fetch('fetch-fs1-except-fs2', A, { to: 'fs1', except: 'fs2' }, ['A']);
    await fetch('fetch-fs1-fs2', A, { to: ['fs1', 'fs2'] }, ['A', 'B', 'C']);
    await fetch('fetch-local-fs2', A, { to: 'fs2', local: true }, ['B', 'C']);
    await fetch('fetch-io-fs1-from-custom', D, { from: 'io', to: 'fs1' }, ['A', 'B']);
    await fetch('fetch-custom-fs1', D, { to: 'fs1' }, ['D']);
    await fetch('fetch-by-id', A, { to: C.socket.id }, ['C']);
    await fetch('fetch-nobody', A, { to: 'nobody' }, []);
    await A.ack('sockets-join', { to: 'fs2', rooms: 'fs3' });
    await fetch('after-sockets-join', A, { to: 'fs3' }, ['B', 'C']);
    await A.ack('sockets-join', { to: 'fs1', except: 'fs2', rooms: ['fs4', 'fs5'] });
    await fetch('after-sockets-join-except', A, { to: ['fs4', 'fs5'] }, ['A']);
    await A.ack('sockets-leave', { to: 'fs3', except: 'fs1', rooms: ['fs2', 'fs3'] });
    await fetch('after-sockets-leave-fs2', A, { to: 'fs2' }, ['B']);
    await fetch('after-sockets-leave-fs3', A, { to: 'fs3' }, ['B']);
    t.record('rooms-C', sortedNorm(t, (await C.ack('rooms'))[0]));
    const bId = B.socket.id;
    const cId = C.socket.id;
    t.record('disconnect-sockets-ack', await A.ack('disconnect-sockets', { to: 'fs2', close: false }));
    t.record('disconnect-sockets-B-reason', await B.event('<disconnect>'));
    t.record('disconnect-sockets-observed', await O.peerGone(bId));
    t.record('disconnect-sockets-B-engine', B.manager.engine?.readyState);
    await A.ack('disconnect-sockets', { to: C.socket.id, close: true });
    t.record('disconnect-sockets-close-C-reason', await C.event('<disconnect>'));
    t.record('disconnect-sockets-close-observed', await O.peerGone(cId));
    await fetch('after-disconnect-sockets', A, { to: ['fs1', 'fs2', 'fs3'] }, ['A']);
    t.record('A-still-connected', await A.ack('message-with-ack', 'A'));
  },

  // Disconnect reasons on both sides; a client that joined `observers` sees the server's reasons.
  async disconnect(t) {
    const O = t.client('O');
    await t.connectAll(O);
    await O.ack('join', 'observers');
    const step = async (name, c, act) => {
      await t.connectAll(c);
      await c.ack('join', 'd1');
      const id = c.socket.id;
      await act(c);
      t.record(`${name}:client-reason`, await c.event('<disconnect>'));
      t.record(`${name}:server-reason`, await O.peerGone(id));
    };
    await step('client-disconnect', t.client('A'), async (c) => c.socket.disconnect());
    await step('server-disconnect', t.client('B'), async (c) => c.socket.emit('server-disconnect', false));
    await step('server-disconnect-close', t.client('C'), async (c) => c.socket.emit('server-disconnect', true));
    await step('client-engine-close', t.client('D'), async (c) => c.manager.engine.close());
    // Multiplexed: a server disconnect in /custom leaves `/` on the same connection alone.
    const m = t.manager();
    const E = t.client('E', '/', { manager: m });
    const F = t.client('F', '/custom', { manager: m });
    await t.connectAll(E, F);
    F.socket.emit('server-disconnect', false);
    t.record('custom-server-disconnect:client-reason', await F.event('<disconnect>'));
    t.expect('root-still-works', await E.ack('message-with-ack', 'E'), ['E']);
    F.socket.connect();
    t.expect('custom-rejoin', await F.connect(), { connected: true, recovered: false });
    t.record('custom-rejoin-auth', await F.event('auth'));
    // A whole-connection close from /custom takes `/` down too.
    const eId = E.socket.id;
    F.socket.emit('server-disconnect', true);
    t.record('custom-server-close:custom-reason', await F.event('<disconnect>'));
    t.record('custom-server-close:root-reason', await E.event('<disconnect>'));
    t.record('observer-saw-root', await O.peerGone(eId));
  },

  // Connection state recovery (server started with --recovery --max-disconnection-duration 1000).
  async recovery(t) {
    const reconnect = { reconnection: true, reconnectionDelay: 400, reconnectionDelayMax: 400, randomizationFactor: 0 };
    const A = t.client('A', '/', { manager: t.manager(reconnect), recovery: true, auth: { user: 'a' } });
    const B = t.client('B', '/', { recovery: true });
    t.expect('first-connect', await A.connect(), { connected: true, recovered: false });
    t.record('auth', await A.event('auth'));
    await t.connectAll(B);
    if (t.upgradeMode) await t.upgraded(A.manager);
    const firstId = A.socket.id;
    await A.ack('join', 'rec');
    await A.barrier();
    // The transport drops (client side), A reconnects after 400 ms; meanwhile B emits to A's rooms.
    A.manager.engine.close();
    t.record('client-reason', await A.event('<disconnect>'));
    await B.ack('emit-op', { from: 'nsp', to: 'rec', event: 'missed', args: [1] });
    await B.ack('emit-op', { from: 'nsp', to: firstId, event: 'missed', args: [2, { x: 'y' }] });
    await B.ack('emit-op', { from: 'nsp', to: 'other', event: 'missed', args: ['not for A'] });
    await B.ack('emit-op', { from: 'nsp', event: 'missed', args: [3] });
    t.expect('reconnect', await A.connect(), { connected: true, recovered: true });
    t.expect('same-id', A.socket.id === firstId, true);
    const after = await A.barrier();
    t.record('missed-packets', after.filter((e) => e.event !== 'auth').map((e) => [e.event, ...e.args]));
    t.record('auth-after-recovery', after.filter((e) => e.event === 'auth').map((e) => e.args));
    t.record('rooms-after-recovery', sortedNorm(t, (await A.ack('rooms'))[0]));
    // Past maxDisconnectionDuration: a new session.
    A.manager.reconnectionDelay(1800);
    A.manager.reconnectionDelayMax(1800);
    A.manager.engine.close();
    await A.event('<disconnect>');
    t.expect('late-reconnect', await A.connect(), { connected: true, recovered: false });
    t.expect('late-new-id', A.socket.id !== firstId, true);
    t.record('late-rooms', sortedNorm(t, (await A.ack('rooms'))[0]));
    // A client-side namespace disconnect is not recoverable.
    const id2 = A.socket.id;
    A.socket.disconnect();
    await A.event('<disconnect>');
    A.socket.connect();
    t.expect('after-client-disconnect', await A.connect(), { connected: true, recovered: false });
    t.expect('after-client-disconnect-new-id', A.socket.id !== id2, true);
  },
};
