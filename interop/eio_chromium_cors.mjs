#!/usr/bin/env node
// Cross-origin Engine.IO from a real browser: headless Debian Chromium (playwright-core) opens a
// page on another origin than the server, loads engine.io-client's browser bundle and connects
// over long-polling with a custom request header, so every request needs a CORS preflight.
// The page comes from a real HTTP server on 127.0.0.1 (another port): Playwright's page.route
// would answer preflights itself and make Chromium treat the page as non-local.
// Records the preflights and checks the echo works (or is blocked, with --expect refused).
// Contract: interop/README.md ("Engine.IO").
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inChromium } from './_chromium.mjs';
import { optionsOrExit } from './_cli.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = optionsOrExit({
  url: { type: 'string' },
  path: { type: 'string', default: '/engine.io/' },
  'page-port': { type: 'string', default: '0' },
  expect: { type: 'string', default: 'allowed' },
  header: { type: 'string', default: 'x-duplex-test: 1' },
  'with-credentials': { type: 'boolean', default: false },
  timeout: { type: 'string', default: '60' },
  executable: { type: 'string', default: process.env.DUPLEX_CHROMIUM || '/usr/bin/chromium' },
});

const result = { ok: false, peer: 'chromium+engine.io-client', url: args.url, expect: args.expect, checks: [] };
const checks = result.checks;
function check(name, ok, detail) {
  const c = { name, ok: Boolean(ok) };
  if (!ok && detail !== undefined) c.detail = detail;
  checks.push(c);
}
function usage(message) {
  result.error = message;
  console.log(JSON.stringify(result));
  process.exit(2);
}

if (!args.url) usage('--url is required');
if (!['allowed', 'refused'].includes(args.expect)) usage('--expect must be allowed or refused');
const header = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(args.header);
if (!header) usage('--header must look like "name: value"');
let server;
try {
  server = new URL(args.url);
} catch {
  usage(`--url is not a URL: ${args.url}`);
}
result.request_header = header[1].toLowerCase();
result.with_credentials = args['with-credentials'];

const bundle = readFileSync(join(here, 'node_modules/engine.io-client/dist/engine.io.min.js'));
const pageHtml = `<!doctype html><meta charset="utf-8"><title>duplex eio cors</title>
<script src="/engine.io.min.js"></script>`;

// The page's own origin: a loopback server on another port (loopback to loopback keeps
// Chromium's Local Network Access checks out of the way).
const pageServer = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/engine.io.min.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    return res.end(bundle);
  }
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(pageHtml);
  }
  res.writeHead(404);
  res.end();
});
try {
  await new Promise((resolve, reject) => {
    pageServer.once('error', reject);
    pageServer.listen(Number(args['page-port']), '127.0.0.1', resolve);
  });
} catch (err) {
  usage(`page server: ${err.message}`);
}
const pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
if (pageOrigin === server.origin) usage('the page origin must differ from the server origin');
result.origin = pageOrigin;

// Runs inside the page: connects, echoes a text and a binary message, closes.
async function conversation(opts) {
  const out = { checks: [], events: [] };
  const check = (name, ok, detail) => out.checks.push(ok ? { name, ok } : { name, ok, detail });
  const socket = eio(opts.url, {
    path: opts.path,
    transports: ['polling'],
    upgrade: false,
    withCredentials: opts.withCredentials,
    extraHeaders: { [opts.header]: opts.value },
  });
  socket.binaryType = 'arraybuffer';
  const inbox = [];
  const waiters = [];
  const deliver = (ev) => {
    out.events.push(ev.kind === 'message' ? 'message' : `${ev.kind}:${ev.reason ?? ''}`);
    const w = waiters.shift();
    if (w) w(ev);
    else inbox.push(ev);
  };
  const next = (ms) =>
    inbox.length
      ? Promise.resolve(inbox.shift())
      : new Promise((resolve) => {
          const t = setTimeout(() => resolve({ kind: 'timeout' }), ms);
          waiters.push((ev) => {
            clearTimeout(t);
            resolve(ev);
          });
        });
  const describe = (d) => (d && (d.message || d.description) ? String(d.message || d.description) : null);
  socket.on('open', () => deliver({ kind: 'open' }));
  socket.on('message', (data) => deliver({ kind: 'message', data }));
  socket.on('error', (err) => deliver({ kind: 'error', reason: describe(err) }));
  socket.on('close', (reason, desc) => deliver({ kind: 'close', reason, description: describe(desc) }));

  const first = await next(opts.timeoutMs);
  out.opened = first.kind === 'open';
  if (!out.opened) {
    out.failure = { kind: first.kind, reason: first.reason ?? null };
    return out;
  }
  out.sid = socket.id;
  const text = 'héllo cors 🎉';
  socket.send(text);
  let ev = await next(opts.timeoutMs);
  check('text-echo', ev.kind === 'message' && ev.data === text, `${ev.kind}`);
  const bytes = new Uint8Array(1000);
  crypto.getRandomValues(bytes);
  socket.send(bytes.buffer);
  ev = await next(opts.timeoutMs);
  let same = ev.kind === 'message' && ev.data instanceof ArrayBuffer && ev.data.byteLength === bytes.length;
  if (same) {
    const got = new Uint8Array(ev.data);
    for (let i = 0; i < bytes.length && same; i++) same = got[i] === bytes[i];
  }
  check('binary-echo', same, `${ev.kind}`);
  socket.close();
  ev = await next(5000);
  out.close = { reason: ev.reason ?? null };
  check('client-close', ev.kind === 'close' && ev.reason === 'forced close', `${ev.kind} ${ev.reason ?? ''}`);
  return out;
}

const timeoutMs = Number(args.timeout) * 1000;
const started = Date.now();
let code = 1;

// Drives the page in `context` and judges what the browser did.
async function crossOrigin(context, page) {
  // Every request to the Engine.IO server, preflights included, as the browser saw it.
  const exchanges = [];
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const byId = new Map();
  const entry = (id) => {
    if (!byId.has(id)) {
      const e = { id };
      byId.set(id, e);
      exchanges.push(e);
    }
    return byId.get(id);
  };
  cdp.on('Network.requestWillBeSent', (ev) => {
    if (!ev.request.url.startsWith(server.origin)) return;
    const e = entry(ev.requestId);
    e.method = ev.request.method;
    e.url = ev.request.url;
    e.type = ev.type;
    e.request_headers = { ...ev.request.headers, ...(e.request_headers ?? {}) };
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (ev) => {
    const e = entry(ev.requestId);
    e.request_headers = { ...(e.request_headers ?? {}), ...ev.headers };
  });
  cdp.on('Network.responseReceivedExtraInfo', (ev) => {
    const e = entry(ev.requestId);
    e.status = ev.statusCode;
    e.response_headers = ev.headers;
  });
  cdp.on('Network.responseReceived', (ev) => {
    const e = entry(ev.requestId);
    e.status ??= ev.response.status;
    e.response_headers ??= ev.response.headers;
  });
  cdp.on('Network.loadingFailed', (ev) => {
    const e = entry(ev.requestId);
    e.failed = ev.errorText;
    if (ev.corsErrorStatus) e.cors_error = ev.corsErrorStatus.corsError;
  });

  await page.goto(`${pageOrigin}/`);
  const out = await page.evaluate(conversation, {
    url: args.url,
    path: args.path,
    header: header[1],
    value: header[2],
    withCredentials: args['with-credentials'],
    timeoutMs: Math.min(timeoutMs / 3, args.expect === 'refused' ? 5000 : 15000),
  });
  result.page_checks = out.checks.length;
  checks.push(...out.checks);
  result.opened = out.opened;
  result.failure = out.failure ?? null;
  result.close = out.close ?? null;
  result.events = out.events;
  result.browser = await page.evaluate(() => navigator.userAgent);

  const ours = exchanges.filter((e) => e.url && e.url.startsWith(server.origin));
  const lower = (h) => Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  // Headers that say something about CORS; the rest (user agent, dates, keep-alive) is noise.
  const pick = (h, keep) => Object.fromEntries(Object.entries(h).filter(([k]) => keep(k)));
  const preflights = ours
    .filter((e) => e.method === 'OPTIONS')
    .map((e) => ({
      url: e.url,
      status: e.status ?? null,
      request_headers: pick(lower(e.request_headers), (k) => k === 'origin' || k.startsWith('access-control-')),
      response_headers: pick(lower(e.response_headers), (k) => !['date', 'connection', 'keep-alive'].includes(k)),
      ...(e.failed ? { failed: e.failed } : {}),
      ...(e.cors_error ? { cors_error: e.cors_error } : {}),
    }));
  result.preflights = preflights;
  result.requests = ours.map((e) => ({
    method: e.method,
    status: e.status ?? null,
    acao: lower(e.response_headers)['access-control-allow-origin'] ?? null,
    ...(e.failed ? { failed: e.failed } : {}),
    ...(e.cors_error ? { cors_error: e.cors_error } : {}),
  }));
  const pf = preflights[0];
  check(
    'preflight-sent',
    pf &&
      pf.request_headers.origin === pageOrigin &&
      (pf.request_headers['access-control-request-headers'] ?? '').includes(header[1].toLowerCase()),
    JSON.stringify(pf ?? null),
  );
  if (args.expect === 'allowed') {
    const h = pf ? pf.response_headers : {};
    const allowOrigin = h['access-control-allow-origin'];
    check(
      'preflight-allows',
      pf && pf.status >= 200 && pf.status < 300 && (allowOrigin === '*' || allowOrigin === pageOrigin),
      JSON.stringify({ status: pf?.status, headers: h }),
    );
    check('opened', out.opened, JSON.stringify(out.failure));
    if (!out.opened) check('text-echo', false, 'never opened');
  } else {
    check('refused', !out.opened, 'the connection opened although the server names another origin');
    check(
      'blocked-by-cors',
      result.requests.some((r) => r.cors_error || r.failed),
      JSON.stringify(result.requests),
    );
  }
  result.ok = !result.error && checks.length > 0 && checks.every((c) => c.ok);
  code = result.ok ? 0 : 1;
}

try {
  await inChromium(args.executable, timeoutMs, crossOrigin);
} catch (err) {
  result.error = err.message.split('\n')[0];
} finally {
  pageServer.close();
}
result.elapsed_ms = Date.now() - started;
console.log(JSON.stringify(result));
process.exit(code);
