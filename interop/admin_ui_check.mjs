// The Socket.IO Admin UI's protocol, checked the way the UI's own client code speaks it
// (socket.io-client to the /admin namespace, auth {username, password} or {sessionId}, the
// events App.vue listens to, the commands its views send), against a server under test
// (--url) and against the reference: Node socket.io with @socket.io/admin-ui's instrument(),
// started here. Both serve the same small contract (interop/README.md, admin_ui_check):
//   namespaces "/" and "/chat"; on connection emit "welcome"; "join-room"(room) joins it;
//   "set-data"(name) sets socket.data.name; "hello"(x, ack) acks "hi " + x.
// What each admin client saw is normalised (ids to names, times and counts to their types)
// and the two servers must agree; one JSON line on stdout, exit 1 on any difference.
import http from 'node:http';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { instrument } from '@socket.io/admin-ui';
import bcrypt from 'bcryptjs';
import { optionsOrExit } from './_cli.mjs';

const opts = optionsOrExit({
  url: { type: 'string' },
  user: { type: 'string', default: 'admin' },
  password: { type: 'string', default: 'changeit' },
  'reference-only': { type: 'boolean', default: false },
  timeout: { type: 'string', default: '20' },
});
const TIMEOUT = Number(opts.timeout) * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The events App.vue registers (registerEventListeners).
const ADMIN_EVENTS = [
  'session', 'config', 'server_stats', 'all_sockets', 'socket_connected', 'socket_updated',
  'socket_disconnected', 'room_joined', 'room_left', 'event_received', 'event_sent',
];

async function referenceServer() {
  const server = http.createServer();
  const io = new Server(server, { cors: { origin: true, credentials: true } });
  const contract = (socket) => {
    socket.emit('welcome');
    socket.on('join-room', (room) => socket.join(room));
    socket.on('set-data', (name) => { socket.data.name = name; });
    socket.on('hello', (x, ack) => ack('hi ' + x));
  };
  io.of('/').on('connection', contract);
  io.of('/chat').on('connection', contract);
  instrument(io, {
    auth: { type: 'basic', username: opts.user, password: bcrypt.hashSync(opts.password, 4) },
    mode: 'development',
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => { io.close(); server.close(); } };
}

function until(predicate, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > TIMEOUT) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

// An admin client as App.vue's tryConnect makes it.
function adminClient(url, auth) {
  const socket = connect(url + '/admin', {
    forceNew: true, reconnection: false, withCredentials: true,
    transports: ['polling', 'websocket'], path: '/socket.io', auth,
  });
  const seen = [];
  for (const ev of ADMIN_EVENTS) socket.on(ev, (...args) => seen.push({ ev, args }));
  const result = new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true }));
    socket.once('connect_error', (err) => resolve({ connected: false, error: err.message }));
  });
  return { socket, seen, result };
}

function appClient(url, nsp) {
  const socket = connect(url + nsp, { forceNew: true, reconnection: false });
  const got = [];
  socket.onAny((ev, ...args) => got.push({ ev, args }));
  return { socket, got, ready: new Promise((r) => socket.once('connect', r)) };
}

// A value's shape: its JSON type, objects by key.
function shape(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape(v[k])]));
  }
  return typeof v;
}

async function scenario(url) {
  const names = new Map();
  const name = (id) => names.get(id) ?? (typeof id === 'string' ? id : JSON.stringify(id));
  const out = {};

  const bad = adminClient(url, { username: opts.user, password: 'wrong' });
  out.badPassword = await bad.result;
  bad.socket.close();

  const admin = adminClient(url, { username: opts.user, password: opts.password });
  out.login = await admin.result;
  if (!out.login.connected) throw new Error('admin login failed: ' + out.login.error);
  names.set(admin.socket.id, 'ADMIN');
  await until(() => admin.seen.some((e) => e.ev === 'config'), 'config');
  await until(() => admin.seen.some((e) => e.ev === 'all_sockets'), 'all_sockets');

  const c1 = appClient(url, '/');
  await c1.ready;
  names.set(c1.socket.id, 'C1');
  const c2 = appClient(url, '/chat');
  await c2.ready;
  names.set(c2.socket.id, 'C2');
  c1.socket.emit('join-room', 'r1');
  c1.socket.emit('set-data', 'alice');
  out.ack = await c1.socket.timeout(TIMEOUT).emitWithAck('hello', 'there');
  // Let polling clients upgrade: Node reports it at once, ours at the next stats.
  await sleep(2600);

  // The commands the UI's views send (v4 forms: the filter is a room or a socket id).
  admin.socket.emit('join', '/', 'r2', c1.socket.id);
  await until(() => admin.seen.some((e) => e.ev === 'room_joined' && e.args[1] === 'r2'), 'room_joined r2');
  admin.socket.emit('emit', '/', 'r1', 'notice', { x: 1 }, 'two');
  await until(() => c1.got.some((e) => e.ev === 'notice'), 'notice at C1');
  admin.socket.emit('leave', '/', 'r2', c1.socket.id);
  await until(() => admin.seen.some((e) => e.ev === 'room_left' && e.args[1] === 'r2'), 'room_left r2');
  const c2gone = new Promise((r) => c2.socket.once('disconnect', r));
  admin.socket.emit('_disconnect', '/chat', false, c2.socket.id);
  out.c2Reason = await c2gone;
  const c1id = c1.socket.id;
  c1.socket.disconnect();
  await until(() => admin.seen.some((e) => e.ev === 'socket_disconnected' && e.args[1] === c1id), 'C1 disconnected');
  await until(() => admin.seen.filter((e) => e.ev === 'room_left' && e.args[2] === c1id).length >= 3, 'C1 rooms left');
  await until(() => admin.seen.some((e) => e.ev === 'server_stats'), 'server_stats');

  // A second visit with the session id alone, as the UI reconnects after a reload.
  const session = admin.seen.find((e) => e.ev === 'session')?.args[0];
  out.sessionIsString = typeof session === 'string' && session.length > 0;
  const again = adminClient(url, { sessionId: session });
  out.sessionLogin = await again.result;
  again.socket.close();
  await sleep(200);
  out.c1Got = c1.got.map((e) => ({ ev: e.ev, args: e.args }));
  admin.socket.close();

  // What the admin saw, normalised.
  const timeline = [];
  for (const { ev, args } of admin.seen) {
    switch (ev) {
      case 'session': break;
      case 'config': out.config = args[0]; break;
      case 'server_stats':
        out.statsShape = shape({ ...args[0], aggregatedEvents: undefined });
        out.statsNamespaces = args[0].namespaces.map((n) => n.name).sort();
        out.aggregatedShape = args[0].aggregatedEvents.length ? shape(args[0].aggregatedEvents.find((e) => e.subType === undefined) ?? args[0].aggregatedEvents[0]) : out.aggregatedShape;
        break;
      case 'all_sockets':
        out.allSockets = args[0].map((s) => `${s.nsp} ${name(s.id)}`).sort();
        break;
      case 'socket_connected': {
        const s = args[0];
        if (!names.has(s.id)) break; // the session visit
        // The transport at connection time is a race with the client's upgrade (the admin's
        // login takes a while); which one it is does not matter, that it is one does.
        const transport = ['polling', 'websocket'].includes(s.transport);
        timeline.push(`connected ${s.nsp} ${name(s.id)} transport=${transport} rooms=${s.rooms.map(name)} data=${JSON.stringify(s.data)} date=${typeof args[1]}`);
        out.socketShape ??= shape({ ...s, handshake: { ...s.handshake, headers: {}, query: {} } });
        out.handshakeQueryKeys = Object.keys(s.handshake.query).sort();
        out.clientIdLength = s.clientId.length;
        break;
      }
      case 'socket_updated': {
        const { id, nsp, ...rest } = args[0];
        // The admin's own upgrade may come before its connection (see above), then only one
        // of the two servers reports it.
        if (!names.has(id) || (name(id) === 'ADMIN' && rest.transport)) break;
        timeline.push(`updated ${nsp} ${name(id)} ${JSON.stringify(rest)}`);
        break;
      }
      case 'socket_disconnected':
        if (!names.has(args[1])) break;
        timeline.push(`disconnected ${args[0]} ${name(args[1])} ${args[2]} date=${typeof args[3]}`);
        break;
      case 'room_joined': case 'room_left':
        if (!names.has(args[2])) break;
        timeline.push(`${ev} ${args[0]} ${name(args[1])} ${name(args[2])} date=${typeof args[3]}`);
        break;
      default:
        timeline.push(`${ev} ${args[0]} ${name(args[1])} ${JSON.stringify(args[2])} date=${typeof args[3]}`);
    }
  }
  // Order differs where the two servers' internals do (room_left after or before the
  // disconnection): the comparison is of what was seen, sorted.
  out.timeline = timeline.sort();
  return out;
}

function differences(a, b, path = '') {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences(a[k], b[k], `${path}.${k}`));
  }
  return [{ path, reference: a, ours: b }];
}

const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, error: 'timeout' }));
  process.exit(1);
}, TIMEOUT * 4);
let ref;
try {
  ref = await referenceServer();
  const reference = await scenario(ref.url);
  if (opts['reference-only'] || !opts.url) {
    console.log(JSON.stringify({ ok: true, reference }));
  } else {
    const ours = await scenario(opts.url);
    const diffs = differences(reference, ours);
    console.log(JSON.stringify({ ok: diffs.length === 0, differences: diffs, ours }));
    if (diffs.length) process.exitCode = 1;
  }
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err?.stack ?? err) }));
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  ref?.close();
}
process.exit(process.exitCode ?? 0);
