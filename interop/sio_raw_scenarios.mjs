// Scenarios on a raw Engine.IO connection (engine.io-client) writing Socket.IO packets by hand:
// exact wire text, malformed packets, connect and ping timeouts. Default parser only.

// An official client that joined room `observers` in `/`: it sees `peer-disconnect` for every
// socket of `/` that goes away, with the server-side reason.
async function observer(t) {
  const O = t.client('O');
  await t.connectAll(O);
  await O.ack('join', 'observers');
  return O;
}

// Lines the raw connection receives until `n` arrived or `ms` passed without one.
async function recvN(e, n, ms = 2000) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await e.recv(ms));
  return out;
}

async function rawSession(t, name) {
  const e = t.engine(name);
  if (!t.check(`${name}-open`, await e.opened())) throw new Error(`${name}: Engine.IO did not open`);
  if (t.upgradeMode) await waitUpgrade(t, e);
  return e;
}

async function waitUpgrade(t, e) {
  for (let i = 0; i < 100 && e.socket.transport?.name !== 'websocket'; i++) await t.sleep(30);
  t.check(`${e.name}-upgraded`, e.socket.transport?.name === 'websocket', e.socket.transport?.name);
}

// Sends one bad packet on a fresh connection that joined `/`; records whether the server closed
// the connection and the reason it gave the socket.
async function badPacket(t, O, i, packet, { attachments = [], join = true } = {}) {
  const name = `bad${i}`;
  const e = await rawSession(t, name);
  if (join) {
    t.record(`${packet}:join`, await e.join());
    await e.recv();
  }
  e.send(packet);
  for (const a of attachments) e.send(a);
  const v = await e.next(2000);
  const closed = v.kind === 'close';
  t.record(`${packet}:closed`, closed ? 'closed' : v.kind === 'timeout' ? 'open' : `received ${v.data}`);
  if (join) t.record(`${packet}:server-reason`, closed ? await O.peerGone(e.sid) : null);
  if (!closed) e.socket.close();
}

export const scenarios = {
  // Exact packets as strings: handshake, auth, key order, acks, namespaces, errors, binary.
  async 'raw-wire'(t) {
    const e = await rawSession(t, 'R');
    t.record('connect', await e.join());
    t.record('auth-event', await e.recv());
    const exchange = async (name, send, n = 1, attachments = []) => {
      e.send(send);
      for (const a of attachments) e.send(a);
      t.record(name, await recvN(e, n));
    };
    await exchange('echo-key-order', '42["message",{"z":1,"a":{"c":[1,2.5,-3,"é😀\\n"],"b":null},"m":{}}]');
    await exchange('echo-compact', '42[ "message" , { "a" : [ 1 , 2 ] } ]');
    await exchange('echo-no-args', '42["message"]');
    // No handler for a numeric event name: the echo that follows is the next thing back.
    e.send('42[7,"numeric event name"]');
    await exchange('numeric-event-unanswered', '42["message","after numeric"]');
    await exchange('ack', '421["message-with-ack",{"b":1,"a":2}]');
    await exchange('ack-big-id', '424294967295["message-with-ack",1]');
    await exchange('ack-empty', '4212["message-with-ack"]');
    await exchange('join-custom', '40/custom,{"token":"t"}', 2);
    await exchange('custom-echo', '42/custom,["message",1]');
    await exchange('custom-ack', '42/custom,5["message-with-ack","x"]');
    await exchange('unknown-namespace', '40/random,');
    await exchange('unknown-namespace-with-auth', '40/random,{"a":1}');
    await exchange('auth-refused', '40/auth,{"token":"no"}');
    await exchange('auth-accepted', '40/auth,{"token":"secret"}', 2);
    await exchange('dynamic', '40/dyn-123,', 2);
    await exchange('binary-echo', '451-["message",{"_placeholder":true,"num":0}]', 2, [Buffer.from([1, 2, 3])]);
    await exchange(
      'binary-two-attachments',
      '452-["message",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]]',
      3,
      [Buffer.from([0xaa]), Buffer.from([0xbb, 0xcc])],
    );
    await exchange('binary-ack', '451-7["message-with-ack",{"_placeholder":true,"num":0}]', 2, [Buffer.from([9])]);
    await exchange('binary-custom', '451-/custom,["message",{"_placeholder":true,"num":0}]', 2, [Buffer.alloc(0)]);
    // Server-to-client ack: the server's packet carries an ack id; we answer it as text.
    e.send('42["emit-with-ack",{"event":"ask","args":[1]}]');
    // The ack id is the server's to choose (Node counts per namespace, across sockets): recorded
    // as <ack-id>.
    const ackId = (packet) => (typeof packet === 'string' ? /^42(\d+)\[/.exec(packet)?.[1] : undefined);
    const ask = await e.recv();
    const id = ackId(ask);
    t.record('server-ask', id ? ask.replace(`42${id}[`, '42<ack-id>[') : ask);
    e.send(`43${id ?? 0}["ok",{"b":1,"a":2}]`);
    t.record('server-ask-result', await e.recv());
    e.send('42["emit-with-ack",{"event":"ask","args":[2]}]');
    const ask2 = await e.recv();
    const id2 = ackId(ask2);
    t.record('server-ask-binary', id2 ? ask2.replace(`42${id2}[`, '42<ack-id>[') : ask2);
    e.send(`461-${id2 ?? 0}[{"_placeholder":true,"num":0}]`);
    e.send(Buffer.from([7, 7]));
    t.record('server-ask-binary-result', await recvN(e, 2));
    await exchange('rooms', '422["rooms"]');
    e.send('41/custom,');
    await exchange('after-leave-custom', '42["message","root still open"]');
    e.send('41');
    t.record('after-41-silence', await e.recv(500));
    await exchange('rejoin-after-41', '40', 2);
  },

  // Number and string forms a JSON parser may rewrite, and JS engine quirks (integer-like keys
  // come first, duplicate keys keep the last). Node's answers are the reference; expect our
  // server to differ here only where README.md says so.
  async 'raw-edge'(t) {
    const e = await rawSession(t, 'R');
    await e.join();
    await e.recv();
    const cases = [
      ['number-forms', '42["message",1.0,1e2,-0,1E-7,0.1,100000000000000000000000,1.5e300,-0.0]'],
      ['big-integer', '42["message",12345678901234567890,-9223372036854775809]'],
      ['escaped-unicode', '42["message","\\ud83d\\ude00","\\u00e9","\\/"]'],
      ['lone-surrogate', '42["message","\\ud800"]'],
      ['integer-like-keys', '42["message",{"b":1,"1":2,"a":3,"0":4}]'],
      ['duplicate-keys', '42["message",{"a":1,"a":2}]'],
      ['deep-nesting-200', `42["message",${'['.repeat(200)}${']'.repeat(200)}]`],
      ['whitespace', '42 ["message"]'],
      ['trailing-garbage', '42["message"]x'],
    ];
    for (const [name, packet] of cases) {
      e.send(packet);
      const got = await e.recv(1000);
      t.record(name, got);
      if (typeof got === 'string' && got.startsWith('<close')) return;
    }
  },

  // Malformed packets close the connection (reason `parse error` on the server); `41` does not.
  async malformed(t) {
    const O = await observer(t);
    const bad = [
      '4abc',
      '42{}',
      '42abc["message"]',
      '42["message"',
      '42[]',
      '42"message"',
      '42[{}]',
      '42["disconnect"]',
      '43["x"]',
      '44["x"]',
      '47',
      '4',
      '40{"sid"',
      '40',
      '42/unjoined,["message"]',
      '45-["message"]',
      '451["message",{"_placeholder":true,"num":0}]',
    ];
    for (let i = 0; i < bad.length; i++) await badPacket(t, O, i, bad[i]);
    await badPacket(t, O, 'bin-as-text', '451-["message",{"_placeholder":true,"num":0}]', {
      attachments: ['4not a binary attachment'],
    });
    await badPacket(t, O, 'placeholder-out-of-range', '451-["message",{"_placeholder":true,"num":5}]', {
      attachments: [Buffer.from([1])],
    });
    await badPacket(t, O, 'before-connect', '42["message",1]', { join: false });
    // `41` leaves `/` only: the Engine.IO connection stays and other namespaces still work.
    const e = await rawSession(t, 'L');
    await e.join();
    await e.recv();
    e.send('41');
    t.record('41:server-reason', await O.peerGone(e.sid));
    t.record('41:connection', await e.recv(500));
    t.record('41:custom-join', await e.join('/custom,'));
    t.record('41:custom-auth', await e.recv());
    e.send('42/custom,["message","after 41"]');
    t.record('41:custom-echo', await e.recv());
  },

  // A connection that never joins a namespace is closed after connectTimeout.
  async 'connect-timeout'(t) {
    const ct = t.connectTimeout;
    const e = await rawSession(t, 'idle');
    const joined = await rawSession(t, 'joined');
    await joined.join();
    await joined.recv();
    const v = await e.next(ct + 3000);
    t.record('idle-closed', v.kind === 'close');
    const after = e.closed ? e.closed.at - e.openedAt : null;
    t.check('idle-closed-after-connect-timeout', after !== null && after >= ct * 0.5 && after <= ct + 2000, { after, ct });
    t.record('joined-still-open', (await joined.next(Math.max(0, ct + 500 - (Date.now() - joined.openedAt)))).kind);
  },

  // Engine.IO- and WebSocket-level faults under a joined socket: the server-side reasons
  // (`parse error` for an Engine.IO packet it cannot decode, `transport error` for a broken
  // WebSocket frame, `transport close` for a vanished TCP connection).
  async 'transport-errors'(t) {
    const O = await observer(t);
    const overWs = t.transports.includes('websocket');
    const cases = [['engine-garbage', null]];
    if (overWs) cases.push(['unmasked-ws-frame'], ['tcp-destroyed']);
    for (const [name] of cases) {
      const e = await rawSession(t, name);
      await e.join();
      await e.recv();
      const ws = e.socket.transport?.ws;
      if (name === 'engine-garbage' && e.socket.transport?.name === 'websocket') ws.send('zzz');
      else if (name === 'engine-garbage') {
        const res = await fetch(`${t.args.url}/socket.io/?EIO=4&transport=polling&sid=${e.socket.id}`, {
          method: 'POST',
          body: 'zzz',
        });
        t.record(`${name}:post`, { status: res.status, body: await res.text() });
      } else if (name === 'unmasked-ws-frame') ws._socket.write(Buffer.from([0x81, 0x02, 0x34, 0x32]));
      else ws._socket.destroy();
      t.record(`${name}:server-reason`, await O.peerGone(e.sid));
      const v = await e.next(2000);
      t.check(`${name}:client-closed`, v.kind === 'close', v);
    }
  },

  // A client that stops answering pings is dropped with `ping timeout`.
  async 'ping-timeout'(t) {
    const O = await observer(t);
    const e = t.engine('P', { dropPongs: true });
    t.check('open', await e.opened());
    if (t.upgradeMode) await waitUpgrade(t, e);
    await e.join();
    await e.recv();
    const limit = t.pingInterval + t.pingTimeout + 2000;
    const start = Date.now();
    for (;;) {
      const v = await e.next(limit);
      if (v.kind !== 'message') break;
    }
    t.check('closed-in-time', e.closed !== null && Date.now() - start <= limit + 500, { closed: e.closed });
    t.record('server-reason', await O.peerGone(e.sid));
  },
};
