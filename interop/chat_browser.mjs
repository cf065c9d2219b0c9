#!/usr/bin/env node
// The demo chat served by `duplex serve`, in headless Debian Chromium: two pages (alice and
// bob) log in, chat in the lobby, join a room, see each other's presence and typing, send an
// image; then the server is killed and started again on the same port by whoever runs this
// script (the control lines below), and both pages must reconnect and keep chatting. A
// screenshot of both pages after each step. Contract: interop/README.md ("chat_browser.mjs").
//
// Variants: `default` (the page as served: polling, then the WebSocket upgrade), `polling`
// (every WebSocket the page opens is closed at once by the browser, so the page must chat over
// long-polling), `official` (socket.io-client's own ESM bundle served in place of ours).
import { createInterface } from 'node:readline';
import { readFile, mkdir } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inChromium, closeAll } from './_chromium.mjs';
import { optionsOrExit } from './_cli.mjs';
import { ChatPage, gradientPng } from './_chat_pages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VARIANTS = ['default', 'polling', 'official'];
const args = optionsOrExit({
  url: { type: 'string' },
  variant: { type: 'string', default: 'default' },
  screenshots: { type: 'string' },
  timeout: { type: 'string', default: '15' },
  executable: { type: 'string', default: process.env.DUPLEX_CHROMIUM || '/usr/bin/chromium' },
});

function line(obj) {
  // Synchronous: console.log to a pipe may be cut short by process.exit.
  writeSync(1, `${JSON.stringify(obj)}\n`);
}
if (!args.url || !args.screenshots || !VARIANTS.includes(args.variant)) {
  line({ ok: false, error: `usage: --url URL --screenshots DIR [--variant ${VARIANTS.join('|')}]` });
  process.exit(2);
}
const url = args.url.replace(/\/+$/, '');
const timeoutMs = Number(args.timeout) * 1000;
// Reconnection runs on the client's backoff (socket.io's default: up to 5 s between tries).
const reconnectMs = Math.max(timeoutMs, 30_000);

// The control channel: a request on stdout, its answer as one line on stdin.
const answers = [];
const waiting = [];
createInterface({ input: process.stdin }).on('line', (answer) => (waiting.length ? waiting.shift()(answer) : answers.push(answer)));
async function ask(request, expected) {
  line({ control: request });
  const answer = await Promise.race([
    answers.length ? answers.shift() : new Promise((resolve) => waiting.push(resolve)),
    new Promise((resolve) => setTimeout(() => resolve(`(no answer within ${reconnectMs / 1000} s)`), reconnectMs)),
  ]);
  if (answer !== expected) throw new Error(`control ${request}: expected "${expected}", got "${answer}"`);
}

// Asked to stop (a test's time limit): the browser must not outlive us.
process.once('SIGTERM', () => {
  line({ ok: false, variant: args.variant, url, checks, error: 'stopped by SIGTERM' });
  closeAll().finally(() => process.exit(1));
  // Whatever still hangs then, Playwright's exit handler still kills the browser.
  setTimeout(() => process.exit(1), 8000).unref();
});

const checks = [];
const pageErrors = [];
let stepNo = 0;
let pages = [];
const started = Date.now();

async function shoot(name) {
  await Promise.all(pages.map((p) => p.page.screenshot({ path: join(args.screenshots, `${name}-${p.nick}.png`), fullPage: true }).catch(() => {})));
}

// One step: its check, then a screenshot of both pages (also when it failed, named so).
async function step(name, body) {
  const n = String(++stepNo).padStart(2, '0');
  const t0 = Date.now();
  try {
    await body();
  } catch (err) {
    checks.push({ name, ok: false, detail: err.message.split('\n')[0] });
    await shoot(`${n}-${name}-FAILED`);
    throw err;
  }
  const ms = Date.now() - t0;
  checks.push({ name, ok: true, ms });
  line({ step: name, ms });
  await shoot(`${n}-${name}`);
}

async function openPage(context, nick, routed) {
  const page = pages.length === 0 ? context.pages()[0] ?? (await context.newPage()) : await context.newPage();
  page.setDefaultTimeout(timeoutMs);
  await page.setViewportSize({ width: 900, height: 640 });
  page.on('pageerror', (err) => pageErrors.push(`${nick}: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && process.stderr.write(`${nick} console: ${msg.text()}\n`));
  if (args.variant === 'polling') {
    // The browser never reaches the server over WebSocket: each one is closed as it opens.
    await page.routeWebSocket(/.*/, (ws) => {
      routed.websockets++;
      ws.close({ code: 1008, reason: 'blocked by the test' });
    });
  }
  if (args.variant === 'official') {
    const bundle = await readFile(join(here, 'node_modules/socket.io-client/dist/socket.io.esm.min.js'));
    await page.route('**/socket.io/client/index.js', (route) => {
      routed.bundle++;
      return route.fulfill({ status: 200, contentType: 'text/javascript', body: bundle });
    });
  }
  const chat = new ChatPage(page, nick, timeoutMs);
  pages.push(chat);
  await page.goto(`${url}/`);
  return chat;
}

// The transport the variant must end on, once upgraded where it can be.
const finalTransport = args.variant === 'polling' ? 'polling' : 'websocket';

async function scenario(context) {
  const routed = { websockets: 0, bundle: 0 };
  let alice;
  let bob;
  await step('pages-loaded', async () => {
    alice = await openPage(context, 'alice', routed);
    bob = await openPage(context, 'bob', routed);
    await alice.until('window.chatReady', () => window.chatReady === true);
    await bob.until('window.chatReady', () => window.chatReady === true);
    if (args.variant === 'official' && routed.bundle < 2) throw new Error(`the official bundle was served ${routed.bundle} times, not once per page`);
  });
  await step('logged-in', async () => {
    await alice.login();
    await bob.login();
    for (const p of [alice, bob]) {
      await p.badge('connected');
      await p.current('lobby');
      await p.members(['alice', 'bob']);
      await p.transport(finalTransport);
    }
  });
  await step('lobby-chat', async () => {
    await alice.say('hello bob, from the lobby');
    await bob.heard('alice', 'hello bob, from the lobby');
    await bob.say('hi alice, ça va ?');
    await alice.heard('bob', 'hi alice, ça va ?');
  });
  await step('joined-room', async () => {
    await alice.join('rust');
    await alice.members(['alice']);
    await bob.join('rust');
    await bob.members(['alice', 'bob']);
    await alice.members(['alice', 'bob']);
    await alice.until('rooms lobby and rust', () => ['lobby', 'rust'].every((r) => document.querySelector(`#rooms li[data-room="${r}"]`)));
  });
  await step('typing-shown', async () => {
    await bob.typeSlowly('are you there?');
    await alice.typing('bob');
    // Only others' typing is shown.
    await bob.typing('');
  });
  await step('typing-cleared', async () => {
    await bob.page.click('#send-btn');
    await alice.heard('bob', 'are you there?');
    await alice.typing('');
  });
  await step('image', async () => {
    const png = gradientPng(48);
    await alice.sendImage(png);
    const seen = await bob.image('alice');
    if (seen.base64 !== png.toString('base64') || seen.width !== 48 || seen.height !== 48) {
      throw new Error(`bob's image differs: ${seen.width}x${seen.height}, ${Buffer.from(seen.base64, 'base64').length} bytes, want 48x48 ${png.length} bytes`);
    }
  });
  await step('server-killed', async () => {
    await ask('kill-server', 'killed');
    await alice.badge('reconnecting');
    await bob.badge('reconnecting');
  });
  await step('server-restarted', async () => {
    await ask('start-server', 'started');
    await alice.badge('connected', reconnectMs);
    await bob.badge('connected', reconnectMs);
    for (const p of [alice, bob]) {
      await p.current('rust');
      await p.members(['alice', 'bob']);
      await p.transport(finalTransport);
    }
  });
  await step('chat-after-restart', async () => {
    await alice.say('still here after the restart');
    await bob.heard('alice', 'still here after the restart');
    await bob.say('me too');
    await alice.heard('bob', 'me too');
  });
  // No screenshot for these: the checks of the whole run.
  if (args.variant === 'polling') {
    checks.push({ name: 'websocket-blocked', ok: routed.websockets > 0, detail: `${routed.websockets} WebSocket(s) tried and closed` });
  }
  checks.push({ name: 'no-page-errors', ok: pageErrors.length === 0, detail: pageErrors.join(' | ') });
}

let error;
try {
  await mkdir(args.screenshots, { recursive: true });
  await inChromium(args.executable, timeoutMs, async (context) => {
    try {
      await scenario(context);
    } finally {
      pages = [];
    }
  });
} catch (err) {
  error = err.message.split('\n')[0];
}
const ok = !error && checks.length > 0 && checks.every((c) => c.ok);
line({ ok, variant: args.variant, url, checks, ...(error ? { error } : {}), elapsed_ms: Date.now() - started });
process.exit(ok ? 0 : 1);
