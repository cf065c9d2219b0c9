#!/usr/bin/env node
// Reference Engine.IO client on the official npm `engine.io-client` (6.x, or 3.x with --eio3):
// runs one scenario against a server under test and checks what comes back. Contract:
// interop/README.md ("Engine.IO").
import { Socket } from 'engine.io-client';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const SCENARIOS = [
  'echo',
  'at-limit',
  'over-limit',
  'heartbeat-expiry',
  'server-close',
  'client-close',
];
const MODES = ['polling', 'websocket', 'polling,websocket'];

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      url: { type: 'string' },
      path: { type: 'string', default: '/engine.io/' },
      transports: { type: 'string', default: 'polling,websocket' },
      eio3: { type: 'boolean', default: false },
      scenario: { type: 'string', default: 'echo' },
      'max-payload': { type: 'string' },
      timeout: { type: 'string', default: '30' },
    },
  }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: err.message }));
  process.exit(2);
}

const result = {
  ok: false,
  peer: args.eio3 ? 'engine.io-client@3.5.4' : 'engine.io-client@6.6.8',
  url: args.url,
  scenario: args.scenario,
  transports: args.transports,
  transport: null,
  upgraded: null,
  sid: null,
  close: null,
  checks: [],
};
const checks = result.checks;

function done(code) {
  if (code === 2) {
    console.log(JSON.stringify(result));
    process.exit(2);
  }
  result.ok = code === 0 && !result.error && checks.length > 0 && checks.every((c) => c.ok);
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

function check(name, ok, detail) {
  const c = { name, ok: Boolean(ok) };
  if (!ok && detail !== undefined) c.detail = detail;
  checks.push(c);
  return Boolean(ok);
}

const maxPayload = args['max-payload'] === undefined ? null : Number(args['max-payload']);
if (!args.url) result.error = '--url is required';
else if (!SCENARIOS.includes(args.scenario)) result.error = `unknown --scenario ${args.scenario}`;
else if (!MODES.includes(args.transports)) result.error = `--transports must be one of ${MODES}`;
else if (['at-limit', 'over-limit'].includes(args.scenario) && !(maxPayload > 16))
  result.error = `--scenario ${args.scenario} needs --max-payload N (N > 16)`;
if (result.error) done(2);

const upgradeMode = args.transports === 'polling,websocket';
const EIO = args.eio3 ? 3 : 4;
const timeoutMs = Number(args.timeout) * 1000;
const started = Date.now();
const timer = setTimeout(() => {
  result.error = `timed out after ${args.timeout} s`;
  done(1);
}, timeoutMs);

// Turns whatever engine.io-client passes as a close description into plain JSON.
function describe(desc) {
  if (desc === undefined || desc === null) return null;
  if (desc instanceof Error) {
    const out = { message: desc.message };
    if (desc.description !== undefined) out.description = describe(desc.description);
    if (desc.type) out.type = desc.type;
    return out;
  }
  if (typeof desc === 'object') {
    const out = {};
    if (desc.description !== undefined) out.description = describe(desc.description);
    if (desc.message !== undefined) out.message = desc.message;
    const ctx = desc.context;
    if (ctx && typeof ctx === 'object' && 'code' in ctx) out.ws_code = ctx.code;
    if (ctx && typeof ctx === 'object' && 'status' in ctx) out.status = ctx.status;
    return out;
  }
  return desc;
}

// One connection with a single queue of incoming events, so each step can await "the next thing".
function open() {
  const opts = {
    path: args.path,
    transports: args.transports.split(','),
    upgrade: upgradeMode,
    rememberUpgrade: false,
  };
  let socket;
  if (args.eio3) {
    const eio3 = require('engine.io-client-v3');
    socket = new eio3.Socket(args.url, opts);
  } else {
    socket = new Socket(args.url, opts);
  }
  const conn = { socket, sid: null, inbox: [], waiters: [], upgraded: false, upgradeError: null };
  conn.deliver = (ev) => {
    const w = conn.waiters.shift();
    if (w) w(ev);
    else conn.inbox.push(ev);
  };
  conn.next = (ms = timeoutMs) => {
    if (conn.inbox.length) return Promise.resolve(conn.inbox.shift());
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        const i = conn.waiters.indexOf(wrapped);
        if (i >= 0) conn.waiters.splice(i, 1);
        resolve({ kind: 'timeout' });
      }, ms);
      const wrapped = (ev) => {
        clearTimeout(t);
        resolve(ev);
      };
      conn.waiters.push(wrapped);
    });
  };
  conn.upgradeDone = new Promise((resolve) => {
    socket.on('upgrade', () => {
      conn.upgraded = true;
      resolve(true);
    });
    socket.on('upgradeError', (err) => {
      conn.upgradeError = describe(err);
      resolve(false);
    });
    socket.on('close', () => resolve(false));
  });
  socket.on('message', (data) => conn.deliver({ kind: 'message', data }));
  socket.on('close', (reason, desc) => {
    conn.closedAt = Date.now();
    conn.deliver({ kind: 'close', reason, description: describe(desc) });
  });
  conn.opened = new Promise((resolve) => {
    socket.on('open', () => {
      conn.sid = socket.id;
      resolve(true);
    });
    socket.on('close', () => resolve(false));
  });
  return conn;
}

async function connected() {
  const conn = open();
  if (!(await conn.opened)) {
    const ev = await conn.next(1000);
    result.close = ev.kind === 'close' ? { reason: ev.reason, description: ev.description } : null;
    throw new Error('connection failed');
  }
  result.sid = conn.sid;
  return conn;
}

async function waitUpgrade(conn) {
  if (!upgradeMode) return true;
  const ok = await Promise.race([
    conn.upgradeDone,
    new Promise((r) => setTimeout(() => r(false), timeoutMs / 2)),
  ]);
  check(
    'upgraded',
    ok && conn.socket.transport.name === 'websocket',
    `upgraded=${ok} transport=${conn.socket.transport.name} upgradeError=${JSON.stringify(conn.upgradeError)}`,
  );
  return ok;
}

function sameMessage(got, expected) {
  // engine.io-client decodes the packet "4" (empty text) as `undefined`, whoever sent it.
  if (expected === '' && got === undefined) return true;
  if (typeof expected === 'string') return typeof got === 'string' && got === expected;
  const bytes = Buffer.isBuffer(got)
    ? got
    : got instanceof ArrayBuffer
      ? Buffer.from(got)
      : ArrayBuffer.isView(got)
        ? Buffer.from(got.buffer, got.byteOffset, got.byteLength)
        : null;
  return bytes !== null && Buffer.compare(bytes, expected) === 0;
}

function shape(data) {
  if (typeof data === 'string') return `text(${Buffer.byteLength(data)} bytes)`;
  if (data && data.byteLength !== undefined) return `binary(${data.byteLength} bytes)`;
  return `${typeof data}`;
}

async function expectEcho(conn, name, payload) {
  conn.socket.send(payload);
  const ev = await conn.next();
  if (ev.kind !== 'message') {
    check(name, false, `expected the echo, got ${ev.kind} ${ev.reason ?? ''}`);
    if (ev.kind === 'close') result.close = { reason: ev.reason, description: ev.description };
    throw new Error(`${name}: no echo (${ev.kind})`);
  }
  return check(name, sameMessage(ev.data, payload), `got ${shape(ev.data)}, sent ${shape(payload)}`);
}

// Polling GET with the old sid: Engine.IO answers 400 {"code":1} once the server forgot the session.
async function sessionGone(sid) {
  const url = new URL(args.url);
  url.pathname = args.path;
  url.search = `?EIO=${EIO}&transport=polling&sid=${encodeURIComponent(sid)}`;
  let last = '';
  for (let i = 0; i < 40; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      last = `${res.status} ${body}`;
      if (res.status === 400) {
        try {
          if (JSON.parse(body).code === 1) return { ok: true, last };
        } catch {
          /* not JSON: keep polling */
        }
      }
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: false, last };
}

// Messages sent while the client upgrades (or just pipelined, without upgrade): every echo must
// arrive exactly once and in order. Every 7th message is binary so both kinds cross the switch.
async function burst(conn) {
  const sent = [];
  const phase = { before: 0, during: 0, after: 0 };
  let upgrading = false;
  let upgradedSince = null;
  const sendOne = () => {
    const i = sent.length;
    const msg = i % 7 === 3 ? Buffer.from(`burst-bin-${i}`) : `burst-${i}`;
    sent.push(msg);
    conn.socket.send(msg);
    if (upgradedSince !== null) phase.after++;
    else if (upgrading) phase.during++;
    else phase.before++;
  };
  conn.socket.on('upgrading', () => {
    upgrading = true;
    sendOne();
  });
  conn.socket.on('upgrade', () => {
    upgradedSince = sent.length;
    sendOne();
  });
  sendOne();
  sendOne();
  const limit = 3000;
  await new Promise((resolve) => {
    const tick = () => {
      const enough = upgradeMode
        ? (upgradedSince !== null && sent.length - upgradedSince >= 20) || conn.upgradeError
        : sent.length >= 200;
      if (enough || sent.length >= limit || conn.closedAt) return resolve();
      for (let k = 0; k < 3; k++) sendOne();
      setTimeout(tick, 1);
    };
    setTimeout(tick, 0);
  });
  const got = [];
  while (got.length < sent.length) {
    const ev = await conn.next(5000);
    if (ev.kind !== 'message') {
      if (ev.kind === 'close') result.close = { reason: ev.reason, description: ev.description };
      break;
    }
    got.push(ev.data);
  }
  let firstBad = -1;
  for (let i = 0; i < sent.length && firstBad < 0; i++) {
    if (i >= got.length || !sameMessage(got[i], sent[i])) firstBad = i;
  }
  result.burst = { sent: sent.length, echoed: got.length, ...phase };
  const name = upgradeMode ? 'burst-across-upgrade' : 'burst';
  check(
    name,
    firstBad < 0 && got.length === sent.length,
    firstBad < 0
      ? `echoed ${got.length} of ${sent.length}`
      : `message ${firstBad}: sent ${shape(sent[firstBad])}, got ${got[firstBad] === undefined ? 'nothing' : shape(got[firstBad])}`,
  );
  if (upgradeMode) check('burst-spans-upgrade', phase.before > 0 && phase.after > 0, JSON.stringify(phase));
  // Nothing may arrive twice: a short quiet period after the last echo.
  const extra = await conn.next(300);
  check(`${name}-no-duplicates`, extra.kind === 'timeout', `then got ${extra.kind} ${shape(extra.data)}`);
}

async function echo() {
  const conn = await connected();
  await burst(conn);
  await waitUpgrade(conn);
  result.transport = conn.socket.transport.name;
  const texts = [
    ['text-ascii', 'Hello, duplex!'],
    ['text-utf8', 'héllo wörld — 日本語 𝄞 🎉'],
    ['text-empty', ''],
    ['text-b-prefix', 'bSGVsbG8='],
    ['text-100k', 'duplex compresses repetitive text. '.repeat(2926)],
  ];
  for (const [name, text] of texts) await expectEcho(conn, name, text);
  for (const size of [0, 1, 125, 126, 65535, 65536, 500000]) {
    await expectEcho(conn, `binary-${size}`, randomBytes(size));
  }
  conn.socket.close();
  await conn.next(2000);
}

// Length L of a v3 polling packet such that `digits(L) + extra + L` is exactly `total` bytes: v3
// frames each packet in a payload as `<len>:<packet>`.
function v3PacketLen(total, extra) {
  for (let d = 1; d < 16; d++) {
    const len = total - extra - d;
    if (String(len).length === d) return len;
  }
  throw new Error(`no v3 packet length fits ${total}`);
}

// Payload sizes whose encoded form is `limit` bytes (or the largest below it, for base64): text
// is "4" + UTF-8 on every transport; v4 binary is raw on WebSocket and "b" + base64 in a polling
// payload; v3 binary is 0x04 + bytes on WebSocket and "b4" + base64 in a polling payload (Node's
// engine.io-client 3 posts binary as base64).
function payloadLengths(limit, transport) {
  if (transport === 'websocket') return { text: limit - 1, binary: args.eio3 ? limit - 1 : limit };
  if (args.eio3) {
    return { text: v3PacketLen(limit, 1) - 1, binary: Math.floor((v3PacketLen(limit, 1) - 2) / 4) * 3 };
  }
  return { text: limit - 1, binary: Math.floor((limit - 1) / 4) * 3 };
}

async function atLimit() {
  const conn = await connected();
  await waitUpgrade(conn);
  const transport = conn.socket.transport.name;
  result.transport = transport;
  const sizes = payloadLengths(maxPayload, transport);
  const text = 'x'.repeat(sizes.text);
  const binary = randomBytes(sizes.binary);
  result.sizes = sizes;
  // engine.io-client 3 packs whatever is queued into one POST and its heartbeat ping could
  // join an at-limit message, pushing it over: send each just after a ping has gone out.
  const quiet = () =>
    args.eio3 && transport === 'polling'
      ? new Promise((resolve) => conn.socket.once('ping', resolve))
      : Promise.resolve();
  await quiet();
  await expectEcho(conn, 'text-at-limit', text);
  await quiet();
  await expectEcho(conn, 'binary-at-limit', binary);
  conn.socket.close();
  await conn.next(2000);
}

async function overLimitOnce(kind) {
  const conn = await connected();
  await waitUpgrade(conn);
  const transport = conn.socket.transport.name;
  result.transport = transport;
  // One byte more than the at-limit payload (for base64: the next 3-byte group, 4 more bytes).
  const sizes = payloadLengths(maxPayload, transport);
  const payload =
    kind === 'text' ? 'x'.repeat(sizes.text + 1) : randomBytes(sizes.binary + (transport === 'polling' ? 3 : 1));
  result.sizes = sizes;
  conn.socket.send(payload);
  const ev = await conn.next(Math.min(timeoutMs / 3, 10000));
  const close = ev.kind === 'close' ? { reason: ev.reason, description: ev.description } : null;
  check(
    `${kind}-over-limit-closes`,
    ev.kind === 'close',
    ev.kind === 'message' ? `echoed ${shape(ev.data)}` : `got ${ev.kind}`,
  );
  const gone = await sessionGone(conn.sid);
  check(`${kind}-over-limit-session-gone`, gone.ok, gone.last);
  if (ev.kind !== 'close') conn.socket.close();
  return close;
}

async function overLimit() {
  result.close = await overLimitOnce('text');
  result.closes = { text: result.close, binary: await overLimitOnce('binary') };
}

// Stops answering the server's heartbeat without touching anything else: v4 drops the outgoing
// pong packet; v3 (where the client pings) stops pinging and disables the client's own timer so
// only the server can end the session.
function muteHeartbeat(socket) {
  if (args.eio3) {
    socket.ping = () => {};
    socket.setPing = () => {};
    socket.onHeartbeat = () => {};
    clearTimeout(socket.pingIntervalTimer);
    clearTimeout(socket.pingTimeoutTimer);
    return;
  }
  const send = socket._sendPacket.bind(socket);
  socket._sendPacket = (type, ...rest) => {
    if (type === 'pong') return;
    send(type, ...rest);
  };
}

async function heartbeatExpiry() {
  let handshake = null;
  const conn = await connected();
  handshake = {
    pingInterval: conn.socket.pingInterval ?? conn.socket._pingInterval,
    pingTimeout: conn.socket.pingTimeout ?? conn.socket._pingTimeout,
  };
  await waitUpgrade(conn);
  result.transport = conn.socket.transport.name;
  result.heartbeat = handshake;
  await expectEcho(conn, 'echo-before-mute', 'still alive');
  const mutedAt = Date.now();
  muteHeartbeat(conn.socket);
  const budget = handshake.pingInterval + handshake.pingTimeout + 1500;
  let ev;
  do ev = await conn.next(budget + 2000);
  while (ev.kind === 'message');
  const elapsed = Date.now() - mutedAt;
  result.closed_after_ms = elapsed;
  if (ev.kind === 'close') result.close = { reason: ev.reason, description: ev.description };
  check('closed-by-heartbeat', ev.kind === 'close' && elapsed <= budget, `${ev.kind} after ${elapsed} ms (budget ${budget})`);
  check('not-client-timeout', ev.kind === 'close' && ev.reason !== 'ping timeout', `reason ${ev.reason}`);
  const gone = await sessionGone(conn.sid);
  check('session-gone', gone.ok, gone.last);
}

async function serverClose() {
  const conn = await connected();
  await waitUpgrade(conn);
  result.transport = conn.socket.transport.name;
  await expectEcho(conn, 'echo-before-close', 'still alive');
  conn.socket.send('close-me');
  const ev = await conn.next(10000);
  if (ev.kind === 'close') result.close = { reason: ev.reason, description: ev.description };
  check('closed-by-server', ev.kind === 'close', `got ${ev.kind}`);
  const gone = await sessionGone(conn.sid);
  check('session-gone', gone.ok, gone.last);
}

async function clientClose() {
  const conn = await connected();
  await waitUpgrade(conn);
  result.transport = conn.socket.transport.name;
  await expectEcho(conn, 'echo-before-close', 'still alive');
  conn.socket.close();
  const ev = await conn.next(5000);
  if (ev.kind === 'close') result.close = { reason: ev.reason, description: ev.description };
  check('close-event', ev.kind === 'close' && ev.reason === 'forced close', `got ${ev.kind} ${ev.reason ?? ''}`);
  // The close event fires before the close packet has reached the server: a probe GET sent
  // now could overtake it and count as a second concurrent GET (closing the session as a
  // transport error). Give the close packet time to land first.
  await new Promise((r) => setTimeout(r, 500));
  const gone = await sessionGone(conn.sid);
  check('session-gone', gone.ok, gone.last);
}

const run = {
  echo,
  'at-limit': atLimit,
  'over-limit': overLimit,
  'heartbeat-expiry': heartbeatExpiry,
  'server-close': serverClose,
  'client-close': clientClose,
}[args.scenario];

run()
  .catch((err) => {
    result.error = err.message;
  })
  .finally(() => {
    clearTimeout(timer);
    result.upgraded = upgradeMode ? checks.some((c) => c.name === 'upgraded' && c.ok) : null;
    result.elapsed_ms = Date.now() - started;
    done(0);
  });
