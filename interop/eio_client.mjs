#!/usr/bin/env node
// Reference Engine.IO client on the official npm `engine.io-client` (6.x, or 3.x with --eio3):
// runs one scenario against a server under test and checks what comes back. Contract:
// interop/README.md ("Engine.IO").
import { randomBytes } from 'node:crypto';
import {
  muteHeartbeat,
  open,
  payloadLengths,
  sameMessage,
  sessionGone,
  shape,
} from './eio_session.mjs';
import { optionsOrExit } from './_cli.mjs';
const SCENARIOS = [
  'echo',
  'at-limit',
  'over-limit',
  'heartbeat-expiry',
  'server-close',
  'client-close',
];
const MODES = ['polling', 'websocket', 'polling,websocket'];

const args = optionsOrExit({
  url: { type: 'string' },
  path: { type: 'string', default: '/engine.io/' },
  transports: { type: 'string', default: 'polling,websocket' },
  eio3: { type: 'boolean', default: false },
  scenario: { type: 'string', default: 'echo' },
  'max-payload': { type: 'string' },
  timeout: { type: 'string', default: '30' },
});

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
const timeoutMs = Number(args.timeout) * 1000;
const server = { url: args.url, path: args.path, eio: args.eio3 ? 3 : 4 };
const started = Date.now();
const timer = setTimeout(() => {
  result.error = `timed out after ${args.timeout} s`;
  done(1);
}, timeoutMs);

async function connected() {
  const conn = open({
    url: args.url,
    path: args.path,
    transports: args.transports,
    upgrade: upgradeMode,
    eio3: args.eio3,
    timeoutMs,
  });
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

async function atLimit() {
  const conn = await connected();
  await waitUpgrade(conn);
  const transport = conn.socket.transport.name;
  result.transport = transport;
  const sizes = payloadLengths(maxPayload, transport, args.eio3);
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
  const sizes = payloadLengths(maxPayload, transport, args.eio3);
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
  const gone = await sessionGone(server, conn.sid);
  check(`${kind}-over-limit-session-gone`, gone.ok, gone.last);
  if (ev.kind !== 'close') conn.socket.close();
  return close;
}

async function overLimit() {
  result.close = await overLimitOnce('text');
  result.closes = { text: result.close, binary: await overLimitOnce('binary') };
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
  muteHeartbeat(conn.socket, args.eio3);
  const budget = handshake.pingInterval + handshake.pingTimeout + 1500;
  let ev;
  do ev = await conn.next(budget + 2000);
  while (ev.kind === 'message');
  const elapsed = Date.now() - mutedAt;
  result.closed_after_ms = elapsed;
  if (ev.kind === 'close') result.close = { reason: ev.reason, description: ev.description };
  check('closed-by-heartbeat', ev.kind === 'close' && elapsed <= budget, `${ev.kind} after ${elapsed} ms (budget ${budget})`);
  check('not-client-timeout', ev.kind === 'close' && ev.reason !== 'ping timeout', `reason ${ev.reason}`);
  const gone = await sessionGone(server, conn.sid);
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
  const gone = await sessionGone(server, conn.sid);
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
  const gone = await sessionGone(server, conn.sid);
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
