#!/usr/bin/env node
// Reference WebSocket client on Node `ws`: runs a fixed echo conversation against a server under
// test and checks every echo. Contract: interop/README.md.
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    deflate: { type: 'string', default: '{"threshold":0}' },
    protocol: { type: 'string' },
    timeout: { type: 'string', default: '30' },
  },
});

const result = { ok: false, peer: 'node-ws', url: args.url, extensions: null, protocol: null };
const checks = [];
result.checks = checks;

function done(code) {
  result.ok = code === 0 && checks.length > 0 && checks.every((c) => c.ok);
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

if (!args.url) {
  result.error = '--url is required';
  done(2);
}
let perMessageDeflate;
try {
  perMessageDeflate = JSON.parse(args.deflate);
} catch (err) {
  result.error = `--deflate is not JSON: ${err.message}`;
  done(2);
}

const timer = setTimeout(() => {
  result.error = `timed out after ${args.timeout} s`;
  done(1);
}, Number(args.timeout) * 1000);

const started = Date.now();
const ws = new WebSocket(args.url, args.protocol ? [args.protocol] : [], {
  perMessageDeflate,
  maxPayload: 64 * 1024 * 1024,
});

// One queue of incoming events so each step can await "the next thing the server sent".
const inbox = [];
const waiters = [];
function deliver(ev) {
  const w = waiters.shift();
  if (w) w(ev);
  else inbox.push(ev);
}
function next() {
  const ev = inbox.shift();
  if (ev) return Promise.resolve(ev);
  return new Promise((resolve) => waiters.push(resolve));
}

ws.on('upgrade', (res) => {
  result.extensions = res.headers['sec-websocket-extensions'] ?? '';
});
ws.on('message', (data, isBinary) => deliver({ kind: 'message', data, isBinary }));
ws.on('pong', (data) => deliver({ kind: 'pong', data }));
ws.on('close', (code, reason) => deliver({ kind: 'close', code, reason: reason.toString() }));
ws.on('error', (err) => {
  result.error = err.message;
  deliver({ kind: 'error', err });
});

function check(name, ok, detail) {
  const c = { name, ok };
  if (!ok && detail !== undefined) c.detail = detail;
  checks.push(c);
}

async function expectMessage(name, expected, isBinary) {
  const ev = await next();
  if (ev.kind !== 'message') {
    check(name, false, `expected a message, got ${ev.kind}`);
    throw new Error(`${name}: connection ended (${ev.kind} ${ev.code ?? ''})`);
  }
  const same = ev.isBinary === isBinary && Buffer.compare(ev.data, expected) === 0;
  check(name, same, same ? undefined : `binary=${ev.isBinary} len=${ev.data.length}`);
  return same;
}

async function conversation() {
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  result.protocol = ws.protocol;
  result.extension_names = ws.extensions;

  const texts = [
    ['text-ascii', 'Hello, duplex!'],
    ['text-utf8', 'héllo wörld — 日本語 𝄞 🎉'],
    ['text-empty', ''],
    ['text-100k', 'duplex compresses repetitive text. '.repeat(2926)],
  ];
  for (const [name, text] of texts) {
    ws.send(text);
    await expectMessage(name, Buffer.from(text, 'utf8'), false);
  }

  for (const size of [0, 1, 125, 126, 65535, 65536, 1 << 20]) {
    const payload = randomBytes(size);
    ws.send(payload, { binary: true });
    await expectMessage(`binary-${size}`, payload, true);
  }

  // A text message in three fragments, with a 3-byte UTF-8 sequence ("€") split across the
  // first two, so the peer must validate UTF-8 across frame boundaries.
  const fragmented = Buffer.from('frag-one € frag-two · frag-three', 'utf8');
  const euro = fragmented.indexOf(Buffer.from('€', 'utf8'));
  const cuts = [euro + 1, euro + 10];
  ws.send(fragmented.subarray(0, cuts[0]), { binary: false, fin: false });
  ws.send(fragmented.subarray(cuts[0], cuts[1]), { binary: false, fin: false });
  ws.send(fragmented.subarray(cuts[1]), { binary: false, fin: true });
  await expectMessage('text-fragmented', fragmented, false);

  const pingPayload = Buffer.from('duplex-ping-42');
  ws.ping(pingPayload);
  const pong = await next();
  check(
    'ping-pong',
    pong.kind === 'pong' && Buffer.compare(pong.data, pingPayload) === 0,
    pong.kind === 'pong' ? `pong payload ${pong.data.toString('hex')}` : `got ${pong.kind}`,
  );

  ws.close(4000, 'duplex bye');
  const closed = await next();
  result.close = { code: closed.code ?? null, reason: closed.reason ?? null };
  check(
    'close-echo',
    closed.kind === 'close' && closed.code === 4000 && closed.reason === 'duplex bye',
    closed.kind === 'close' ? `code=${closed.code} reason=${closed.reason}` : `got ${closed.kind}`,
  );
}

conversation()
  .then(() => {
    clearTimeout(timer);
    result.elapsed_ms = Date.now() - started;
    done(0);
  })
  .catch((err) => {
    result.error = err.message;
    done(1);
  });
