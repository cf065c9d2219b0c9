#!/usr/bin/env node
// Official npm `socket.io-client` 4.8.4 (and, for the raw scenarios, `engine.io-client` 6.6.8 with
// hand-written Socket.IO packets) against a server that follows the contract of sio_server.mjs.
// One JSON line: per-check results and a normalized transcript, so two servers can be compared
// (sio_compare.mjs). Contract: interop/README.md ("Socket.IO").
import { writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { Manager } from 'socket.io-client';
import { Socket as EioSocket } from 'engine.io-client';
import { scenarios as official } from './sio_scenarios.mjs';
import { scenarios as raw } from './sio_raw_scenarios.mjs';
import { optionsOrExit } from './_cli.mjs';

const require = createRequire(import.meta.url);
const SCENARIOS = { ...official, ...raw };
const MODES = ['polling', 'websocket', 'polling,websocket'];

const args = optionsOrExit({
  url: { type: 'string' },
  transports: { type: 'string', default: 'polling,websocket' },
  parser: { type: 'string', default: 'default' },
  scenario: { type: 'string', default: 'echo' },
  'connect-timeout': { type: 'string', default: '1000' },
  'ping-interval': { type: 'string', default: '1000' },
  'ping-timeout': { type: 'string', default: '2000' },
  timeout: { type: 'string', default: '30' },
  list: { type: 'boolean', default: false },
});
if (args.list) {
  console.log(JSON.stringify({ scenarios: Object.keys(SCENARIOS) }));
  process.exit(0);
}

const result = {
  ok: false,
  peer: 'socket.io-client@4.8.4',
  url: args.url,
  scenario: args.scenario,
  transports: args.transports,
  parser: args.parser,
  checks: [],
  transcript: [],
};

function done(code) {
  if (code !== 2) {
    result.ok = code === 0 && !result.error && result.checks.length > 0 && result.checks.every((c) => c.ok);
  }
  result.elapsed_ms = Date.now() - started;
  // Synchronous: console.log to a pipe may be cut short by process.exit.
  writeSync(1, `${JSON.stringify(result)}\n`);
  process.exit(code === 2 ? 2 : result.ok ? 0 : 1);
}

const started = Date.now();
if (!args.url) result.error = '--url is required';
else if (!SCENARIOS[args.scenario]) result.error = `unknown --scenario ${args.scenario}`;
else if (!MODES.includes(args.transports)) result.error = `--transports must be one of ${MODES}`;
else if (!['default', 'msgpack'].includes(args.parser)) result.error = '--parser must be default or msgpack';
if (result.error) done(2);

const timeoutMs = Number(args.timeout) * 1000;
setTimeout(() => {
  result.error = `timed out after ${args.timeout} s`;
  done(1);
}, timeoutMs).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- normalization -------------------------------------------------------------------------
// Ids differ between runs and servers: every id a scenario learns is registered under a label
// and replaced by `<label>` wherever it appears in the transcript.
const labels = new Map();
const used = new Set();
function label(id, name) {
  if (typeof id !== 'string' || !id || labels.has(id)) return;
  let n = name;
  for (let i = 2; used.has(n); i++) n = `${name}#${i}`;
  used.add(n);
  labels.set(id, n);
}
function normString(s) {
  if (labels.has(s)) return `<${labels.get(s)}>`;
  let out = s;
  for (const [id, name] of labels) if (id.length >= 8 && out.includes(id)) out = out.split(id).join(`<${name}>`);
  return out;
}
function norm(v) {
  if (v === undefined) return '<undefined>';
  if (typeof v === 'function') return '<function>';
  if (typeof v === 'string') return normString(v);
  if (typeof v === 'number' && Object.is(v, -0)) return '<-0>';
  if (v === null || typeof v !== 'object') return v;
  const bytes = bytesOf(v);
  if (bytes) return { '<binary>': hexOrDigest(bytes), type: v.constructor.name };
  if (v instanceof Error) return { '<error>': v.message, data: norm(v.data) };
  if (Array.isArray(v)) return v.map(norm);
  const o = {};
  for (const k of Object.keys(v)) o[normString(k)] = norm(v[k]);
  return o;
}
// Binary as hex; past 256 bytes as length + SHA-256 (keeps the result line small).
function hexOrDigest(b) {
  if (b.length <= 256) return b.toString('hex');
  return `${b.length} bytes, sha256 ${createHash('sha256').update(b).digest('hex')}`;
}
// Compares as received data: a Buffer equals any binary with the same bytes.
function bytesOf(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return null;
}
function same(a, b) {
  const ba = bytesOf(a);
  const bb = bytesOf(b);
  if (ba || bb) return Boolean(ba && bb && ba.equals(bb));
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    // Key order counts: a server must keep the order of an object it echoes.
    return isDeepStrictEqual(ka, kb) && ka.every((k) => same(a[k], b[k]));
  }
  return Object.is(a, b) || (a === 0 && b === 0);
}

// ---- the test context handed to scenarios ---------------------------------------------------
const ctx = {
  args,
  sleep,
  norm,
  check(name, ok, detail) {
    const c = { name, ok: Boolean(ok) };
    if (!ok && detail !== undefined) c.detail = JSON.stringify(norm(detail)).slice(0, 2000);
    result.checks.push(c);
    return Boolean(ok);
  },
  // One transcript entry: the observable behaviour that two servers must share.
  record(key, value) {
    result.transcript.push([key, norm(value)]);
  },
  // Records and checks against an expectation in one go.
  expect(key, value, want) {
    ctx.record(key, value);
    return ctx.check(key, same(value, want), { got: value, want });
  },
  parser: args.parser === 'msgpack' ? require('socket.io-msgpack-parser') : undefined,
  transports: args.transports.split(','),
  upgradeMode: args.transports === 'polling,websocket',
  connectTimeout: Number(args['connect-timeout']),
  pingInterval: Number(args['ping-interval']),
  pingTimeout: Number(args['ping-timeout']),
  managers: [],
  engines: [],
};

// A Manager (one Engine.IO connection) with the run's transports and parser.
ctx.manager = function manager(extra = {}) {
  const m = new Manager(args.url, {
    transports: ctx.transports,
    upgrade: ctx.upgradeMode,
    rememberUpgrade: false,
    reconnection: false,
    timeout: 5000,
    parser: ctx.parser,
    ...extra,
  });
  ctx.managers.push(m);
  return m;
};

// A Socket.IO client socket with an inbox of every event it receives (in order), so a step can
// wait for the next event of a given name or take everything that came before a barrier.
ctx.client = function client(name, nsp = '/', { auth, manager, recovery } = {}) {
  const m = manager ?? ctx.manager();
  const socket = m.socket(nsp, auth === undefined ? {} : { auth });
  const c = { name, nsp, socket, manager: m, inbox: [], waiters: [], barriers: 0 };
  const deliver = (ev) => {
    c.inbox.push(ev);
    for (const w of [...c.waiters]) w();
  };
  socket.onAny((event, ...a) => {
    // With connection state recovery every event carries the server's offset as its last argument.
    if (recovery && socket._pid && a.length && typeof a[a.length - 1] === 'string') {
      a = [...a.slice(0, -1), '<offset>'];
    }
    // A reconnecting client sends its pid and last offset in the auth payload, which `auth` echoes.
    if (recovery && event === 'auth' && a[0] && typeof a[0].offset === 'string') {
      a = [{ ...a[0], offset: '<offset>' }, ...a.slice(1)];
    }
    deliver({ event, args: a });
  });
  socket.on('disconnect', (reason) => {
    deliver({ event: '<disconnect>', args: [reason] });
  });
  socket.on('connect', () => {
    label(socket.id, name);
    label(socket._pid, `${name}-pid`);
  });
  // Resolves with the first unconsumed event matching `pred` (removing it), or null on timeout.
  c.take = (pred, ms = 5000) =>
    new Promise((resolve) => {
      const look = () => {
        const i = c.inbox.findIndex(pred);
        if (i < 0) return false;
        const [ev] = c.inbox.splice(i, 1);
        finish(ev);
        return true;
      };
      let timer;
      const waiter = () => look();
      const finish = (v) => {
        clearTimeout(timer);
        const j = c.waiters.indexOf(waiter);
        if (j >= 0) c.waiters.splice(j, 1);
        resolve(v);
      };
      if (look()) return;
      timer = setTimeout(() => finish(null), ms);
      c.waiters.push(waiter);
    });
  c.event = async (event, ms) => (await c.take((e) => e.event === event, ms))?.args ?? null;
  // The `peer-disconnect` (see observers in README.md) of one socket id; others are left alone.
  c.peerGone = async (id, ms = 3000) => {
    const ev = await c.take((e) => e.event === 'peer-disconnect' && e.args[0]?.id === id, ms);
    if (!ev) return null;
    const [info, ...rest] = ev.args;
    // The server sorted raw ids; sort again once they are labels.
    return [{ ...info, rooms: Array.isArray(info.rooms) ? norm(info.rooms).sort() : info.rooms }, ...rest];
  };
  // Connects; resolves { connected: true } or { error } (connect_error), never rejects.
  c.connect = () =>
    new Promise((resolve) => {
      if (socket.connected) return resolve({ connected: true, recovered: Boolean(socket.recovered) });
      const ok = () => {
        socket.off('connect_error', bad);
        resolve({ connected: true, recovered: Boolean(socket.recovered) });
      };
      const bad = (err) => {
        socket.off('connect', ok);
        resolve({ error: { message: err.message, data: err.data } });
      };
      socket.once('connect', ok);
      socket.once('connect_error', bad);
    });
  // Emits with an ack; resolves the ack's arguments, or { timeout } after `ms`.
  c.ackWithin = (ms, event, ...a) =>
    new Promise((resolve) => {
      socket.timeout(ms).emit(event, ...a, (err, ...resp) => resolve(err ? { timeout: err.message } : resp));
    });
  c.ack = (event, ...a) => c.ackWithin(5000, event, ...a);
  // Round trip through the server: every event it sent before the answer has been received.
  // Returns (and removes) the events received before the barrier, in order.
  c.barrier = async () => {
    const n = ++c.barriers;
    socket.emit('message', '__barrier', n);
    const ev = await c.take((e) => e.event === 'message-back' && e.args[0] === '__barrier' && e.args[1] === n);
    if (!ev) return null;
    const idx = c.inbox.length;
    return c.inbox.splice(0, idx).filter((e) => e.event !== 'message-back' || e.args[0] !== '__barrier');
  };
  return c;
};

// Connects several clients and waits for their `auth` event (the first thing the server sends).
ctx.connectAll = async (...clients) => {
  const res = await Promise.all(clients.map((c) => c.connect()));
  for (let i = 0; i < clients.length; i++) {
    if (!ctx.check(`connect-${clients[i].name}`, res[i].connected, res[i])) throw new Error(`${clients[i].name} did not connect`);
  }
  await Promise.all(clients.map((c) => c.event('auth')));
  if (ctx.upgradeMode) {
    await Promise.all(clients.map((c) => ctx.upgraded(c.manager)));
  }
};

// In upgrade mode: waits until the manager's engine runs on WebSocket (checked once per engine).
const upgradedEngines = new WeakSet();
ctx.upgraded = async (m) => {
  const engine = m.engine;
  if (!engine || upgradedEngines.has(engine)) return;
  upgradedEngines.add(engine);
  for (let i = 0; i < 100 && engine.transport?.name !== 'websocket'; i++) await sleep(30);
  ctx.check('upgraded', engine.transport?.name === 'websocket', engine.transport?.name);
};

// Events of every client after one operation: a barrier on each, labelled by client.
ctx.collect = async (clients) => {
  const got = await Promise.all(clients.map((c) => c.barrier()));
  const out = {};
  clients.forEach((c, i) => {
    out[c.name] = (got[i] ?? [{ event: '<barrier timed out>' }]).map((e) => [e.event, ...e.args]);
  });
  return out;
};

// A raw Engine.IO connection that speaks Socket.IO packets as strings.
ctx.engine = function engine(name, { dropPongs = false } = {}) {
  const socket = new EioSocket(args.url, {
    path: '/socket.io/',
    transports: ctx.transports,
    upgrade: ctx.upgradeMode,
    rememberUpgrade: false,
  });
  if (dropPongs) {
    const send = socket._sendPacket.bind(socket);
    socket._sendPacket = (type, ...rest) => (type === 'pong' ? undefined : send(type, ...rest));
  }
  ctx.engines.push(socket);
  const e = { name, socket, inbox: [], waiters: [], closed: null, openedAt: null };
  const deliver = (v) => {
    e.inbox.push(v);
    for (const w of [...e.waiters]) w();
  };
  socket.on('open', () => {
    e.openedAt = Date.now();
    deliver({ kind: 'open' });
  });
  socket.on('message', (data) => deliver({ kind: 'message', data }));
  socket.on('close', (reason) => {
    e.closed = { reason, at: Date.now() };
    deliver({ kind: 'close', reason });
  });
  e.next = (ms = 3000) =>
    new Promise((resolve) => {
      const look = () => {
        if (!e.inbox.length) return false;
        finish(e.inbox.shift());
        return true;
      };
      let timer;
      const waiter = () => look();
      const finish = (v) => {
        clearTimeout(timer);
        const j = e.waiters.indexOf(waiter);
        if (j >= 0) e.waiters.splice(j, 1);
        resolve(v);
      };
      if (look()) return;
      timer = setTimeout(() => finish({ kind: 'timeout' }), ms);
      e.waiters.push(waiter);
    });
  // The next message (text or binary) as a transcript value; closes and timeouts become markers.
  e.recv = async (ms) => {
    const v = await e.next(ms);
    if (v.kind === 'message' && typeof v.data === 'string') {
      // A CONNECT answer names the socket id: label it `<name><nsp>`.
      const m = /^0(\/[^,]*,)?\{"sid":"([^"]+)"/.exec(v.data);
      if (m) {
        label(m[2], `${name}${m[1] ? m[1].slice(0, -1) : ''}`);
        if (!m[1]) e.sid = m[2];
      }
      return `4${v.data}`;
    }
    if (v.kind === 'message') return { '<binary>': hexOrDigest(Buffer.from(v.data)) };
    if (v.kind === 'close') return `<close: ${v.reason}>`;
    return `<${v.kind}>`;
  };
  e.opened = async () => {
    const v = await e.next(5000);
    return v.kind === 'open';
  };
  // Text is written as on the wire, Engine.IO message type `4` first (`42[...]`); the `4` is the
  // Engine.IO packet type that socket.send() adds itself. Binary goes out as an attachment frame.
  e.send = (data) => {
    if (typeof data !== 'string') return socket.send(data);
    if (!data.startsWith('4')) throw new Error(`raw text packet must start with 4: ${data}`);
    return socket.send(data.slice(1));
  };
  // Joins a namespace: `40<nsp,><auth>`; registers the sid announced in the answer.
  e.join = async (nsp = '', auth = '') => {
    e.send(`40${nsp}${auth}`);
    return e.recv();
  };
  return e;
};

// Closes everything and gives the close packets time to leave: a connection that vanishes with
// the process would end by ping timeout on the server, seen by the next run's observers.
async function cleanup() {
  for (const m of ctx.managers) {
    for (const s of Object.values(m.nsps ?? {})) s.disconnect();
    m.engine?.close();
  }
  for (const e of ctx.engines) e.close();
  await sleep(150);
}

try {
  await SCENARIOS[args.scenario](ctx);
  await cleanup();
  done(0);
} catch (err) {
  result.error = err.stack ?? String(err);
  await cleanup().catch(() => {});
  done(1);
}
