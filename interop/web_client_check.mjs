#!/usr/bin/env node
// Our browser client (web/socketio/, plain ES modules) in headless Debian Chromium against a
// server that follows the Socket.IO server contract. `--client official` loads socket.io-client's
// own ESM bundle instead, through the same scenarios: what passes with both proves our client
// keeps the real client's behaviour. The page comes from a loopback HTTP server on another port
// than the Socket.IO server, so polling is cross-origin: the server must allow it (`--cors '*'`).
// One JSON line per scenario, then a summary line. Contract: interop/README.md
// ("web_client_check.mjs").
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inChromium, closeAll } from './_chromium.mjs';
import { optionsOrExit } from './_cli.mjs';
import { scenarios } from './_web_scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = join(here, '..', 'web');
const CLIENTS = {
  ours: { peer: 'chromium+duplex-web', module: '/web/socketio/index.js' },
  official: { peer: 'chromium+socket.io-client@4.8.4', module: '/official/socket.io.esm.min.js' },
};
const MODES = ['polling', 'websocket', 'polling,websocket'];
// Not run by default: `heartbeat` waits three ping intervals (needs --ping-interval, a server
// on short ping settings); `restart` needs the server in our hands (--server); `recovery` needs
// a server with recovery on (--recovery), where every plain emit gains an offset argument, so
// with --recovery it is the only default.
const OPTIONAL = ['heartbeat', 'restart', 'recovery'];
const DEFAULT = Object.keys(scenarios).filter((s) => !OPTIONAL.includes(s));

const args = optionsOrExit({
  url: { type: 'string' },
  server: { type: 'string' },
  client: { type: 'string', default: 'ours' },
  scenario: { type: 'string' },
  transports: { type: 'string' },
  'ping-interval': { type: 'string' },
  recovery: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '30' },
  executable: { type: 'string', default: process.env.DUPLEX_CHROMIUM || '/usr/bin/chromium' },
  list: { type: 'boolean', default: false },
});

function line(obj) {
  // Synchronous: console.log to a pipe may be cut short by process.exit.
  writeSync(1, `${JSON.stringify(obj)}\n`);
}
function usage(error) {
  line({ ok: false, error });
  process.exit(2);
}

if (args.list) {
  line({ scenarios: Object.keys(scenarios), default: DEFAULT });
  process.exit(0);
}
const client = CLIENTS[args.client];
if (!client) usage('--client must be ours or official');
if (!args.url === !args.server) usage('give exactly one of --url and --server');
if (args.transports && !MODES.includes(args.transports)) usage(`--transports must be one of ${MODES.join(' | ')}`);
let names = args.scenario ? args.scenario.split(',') : args.recovery ? ['recovery'] : [...DEFAULT];
if (!args.scenario && args['ping-interval'] && !args.recovery) names.push('heartbeat');
if (!args.scenario && args.server) names.push('restart');
const unknown = names.filter((n) => !scenarios[n]);
if (unknown.length) usage(`unknown scenario ${unknown.join(',')}`);
if (names.includes('heartbeat') && !args['ping-interval']) usage('heartbeat needs --ping-interval (the server\'s, in ms)');
if (names.includes('restart') && !args.server) usage('restart needs --server');
const timeoutMs = Number(args.timeout) * 1000;

// `--server "COMMAND"`: started as `sh -c "exec COMMAND --port 0 --cors '*'"` (plus
// `--recovery` with --recovery) in its own process group, stopped with SIGTERM at the end, and
// for `restart` stopped and started again with `--port` the port it had.
let serverChild = null;
let serverPort = 0;
async function startServer(command, port = 0) {
  const extra = args.recovery ? ' --recovery' : '';
  const child = spawn('sh', ['-c', `exec ${command} --port ${port} --cors '*'${extra}`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  serverChild = child;
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('server: no LISTENING line within 60 s')), 60_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /^LISTENING (\d+)$/m.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before LISTENING`)));
  });
}
function stopServer() {
  const child = serverChild;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // SIGKILL if SIGTERM has not ended it in 5 s: a restart must not hang on a slow shutdown.
    const hard = setTimeout(() => signal(child, 'SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    signal(child, 'SIGTERM');
  });
}
function signal(child, name) {
  try {
    process.kill(-child.pid, name);
  } catch {
    // Already gone.
  }
}
// Asked to stop (a test's time limit ran out): neither the server nor the browser we started
// may outlive us.
process.once('SIGTERM', () => {
  process.stderr.write('web_client_check: SIGTERM, stopping the server and the browser\n');
  Promise.allSettled([stopServer(), closeAll()]).finally(() => process.exit(1));
  // Whatever still hangs then, the exit handlers of Playwright (kill the browser) still run.
  setTimeout(() => process.exit(1), 8000).unref();
});
async function restartServer() {
  await stopServer();
  // The same port, so the clients' reconnection finds it; a few tries in case it is not free yet.
  for (let i = 0; ; i++) {
    try {
      await startServer(args.server, serverPort);
      return;
    } catch (err) {
      if (i >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// The `ping-timeout` scenario's server: an Engine.IO endpoint under /silent-eio/ on the page's
// own origin that completes the handshake (short ping settings) and the Socket.IO CONNECT and
// then never says anything again, so a client must close with "ping timeout" by itself.
const silent = { sessions: new Set(), held: new Set(), next: 0 };
function serveSilent(req, res, query) {
  const sid = query.get('sid');
  if (req.method === 'POST') {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('ok');
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
  if (!sid) {
    const id = `silent-${silent.next++}`;
    return res.end(`0${JSON.stringify({ sid: id, upgrades: [], pingInterval: 300, pingTimeout: 200, maxPayload: 1000000 })}`);
  }
  if (!silent.sessions.has(sid)) {
    silent.sessions.add(sid);
    return res.end('40{"sid":"silent-socket"}');
  }
  // Held until the client gives up (or the page server closes).
  silent.held.add(res);
  res.on('close', () => silent.held.delete(res));
}

// A loopback port nobody listens on, for `reconnect-failed`.
async function deadPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>duplex web client check</title><body></body>';
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html; charset=utf-8', '.map': 'application/json' };

async function serve(req, res) {
  const parsed = new URL(req.url, 'http://x');
  const path = decodeURIComponent(parsed.pathname);
  let file = null;
  if (path === '/silent-eio/') return serveSilent(req, res, parsed.searchParams);
  if (path === '/') {
    res.writeHead(200, { 'content-type': TYPES['.html'] });
    return res.end(PAGE);
  }
  if (path === '/favicon.ico') {
    res.writeHead(204);
    return res.end();
  }
  // The in-page scenario modules: interop/_web_*.mjs.
  if (/^\/interop\/_web_[a-z]+\.mjs$/.test(path)) file = join(here, path.slice('/interop/'.length));
  if (path === '/official/socket.io.esm.min.js') file = join(here, 'node_modules/socket.io-client/dist/socket.io.esm.min.js');
  if (path.startsWith('/web/')) {
    const candidate = normalize(join(webRoot, path.slice('/web/'.length)));
    if (candidate.startsWith(webRoot + sep)) file = candidate;
  }
  const body = file && (await readFile(file).catch(() => null));
  if (!body) {
    res.writeHead(404);
    return res.end();
  }
  const ext = file.slice(file.lastIndexOf('.'));
  res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  res.end(body);
}

const started = Date.now();
let url = args.url;
const pageServer = http.createServer((req, res) => serve(req, res).catch(() => res.end()));
const failed = [];
try {
  if (args.server) {
    serverPort = await startServer(args.server);
    url = `http://127.0.0.1:${serverPort}`;
  }
  url = url.replace(/\/+$/, '');
  await new Promise((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  const pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
  const opts = {
    url,
    transports: args.transports ? args.transports.split(',') : undefined,
    deadUrl: `http://127.0.0.1:${await deadPort()}`,
    silentUrl: pageOrigin,
    pingInterval: Number(args['ping-interval'] ?? 0),
  };
  await inChromium(args.executable, timeoutMs, async (context, page) => {
    if (args.server) await page.exposeFunction('restartServer', restartServer);
    page.on('pageerror', (err) => process.stderr.write(`page error: ${err.message}\n`));
    page.on('console', (msg) => msg.type() === 'error' && process.stderr.write(`page console: ${msg.text()}\n`));
    page.on('response', (r) => r.status() >= 400 && process.stderr.write(`page got ${r.status()} for ${r.request().method()} ${r.url()}\n`));
    for (const name of names) {
      const t0 = Date.now();
      const verdict = { ok: false, peer: client.peer, client: args.client, url, scenario: name, transports: args.transports ?? 'default', checks: [] };
      try {
        // A fresh document per scenario: no Manager cache or timer survives into the next one.
        await page.goto(`${pageOrigin}/`);
        const out = await Promise.race([
          page.evaluate(
            async ({ module, name, opts }) => {
              const { io } = await import(module);
              const { run } = await import('/interop/_web_scenarios.mjs');
              return run(io, name, opts);
            },
            { module: client.module, name, opts },
          ),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${args.timeout} s`)), timeoutMs)),
        ]);
        verdict.checks = out.checks;
        verdict.events = out.events;
        if (out.error) verdict.error = out.error;
      } catch (err) {
        verdict.error = err.message.split('\n')[0];
      }
      verdict.ok = !verdict.error && verdict.checks.length > 0 && verdict.checks.every((c) => c.ok);
      verdict.elapsed_ms = Date.now() - t0;
      if (!verdict.ok) failed.push(name);
      line(verdict);
    }
  });
  line({ ok: failed.length === 0, summary: true, peer: client.peer, client: args.client, url, scenarios: names.length, failed, elapsed_ms: Date.now() - started });
} catch (err) {
  line({ ok: false, summary: true, peer: client.peer, client: args.client, url, error: err.message.split('\n')[0], failed, elapsed_ms: Date.now() - started });
  failed.push('setup');
} finally {
  for (const res of silent.held) res.destroy();
  pageServer.close();
  await stopServer();
}
process.exit(failed.length ? 1 : 0);
