// The Socket.IO Admin UI's own web page (@socket.io/admin-ui's ui/dist, served here from a
// small static server) in headless Chromium, logged in to the server under test (--url) through
// its connection form, while socket.io-clients are connected to that server's "/" and "/chat"
// (the admin_ui_check contract, interop/README.md). The page must show them: the dashboard's
// namespaces and client counts, the sockets list with their ids, the rooms, the server; and its
// "disconnect" button must disconnect a client of ours. Screenshots go to --shots.
// One JSON line on stdout; exit 1 when a check fails.
import http from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { io as connect } from 'socket.io-client';
import { inChromium } from './_chromium.mjs';
import { optionsOrExit } from './_cli.mjs';

const opts = optionsOrExit({
  url: { type: 'string' },
  user: { type: 'string', default: 'admin' },
  password: { type: 'string', default: 'changeit' },
  chromium: { type: 'string', default: process.env.DUPLEX_CHROMIUM ?? '/usr/bin/chromium' },
  shots: { type: 'string', default: 'target/admin-ui' },
  timeout: { type: 'string', default: '30' },
});
const TIMEOUT = Number(opts.timeout) * 1000;
if (!opts.url) {
  console.log(JSON.stringify({ ok: false, error: '--url is required' }));
  process.exit(2);
}

const require = createRequire(import.meta.url);
const UI = join(dirname(require.resolve('@socket.io/admin-ui/package.json')), 'ui/dist');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.map': 'application/json' };

function staticServer() {
  const server = http.createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(UI, path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const checks = [];
const check = (name, ok, detail) => checks.push(ok ? { name, ok } : { name, ok, detail });

function client(nsp) {
  const socket = connect(opts.url + nsp, { forceNew: true, reconnection: false, transports: ['websocket'] });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, checks, error: 'timeout' }));
  process.exit(1);
}, TIMEOUT * 4);

const site = await staticServer();
const clients = [];
let error;
try {
  await mkdir(opts.shots, { recursive: true });
  const [c1, c2, c3] = [await client('/'), await client('/'), await client('/chat')];
  clients.push(c1, c2, c3);
  c1.emit('join-room', 'lobby');
  const c2gone = new Promise((r) => c2.once('disconnect', r));
  const [id1, id2] = [c1.id, c2.id];

  await inChromium(opts.chromium, TIMEOUT, async (context, page) => {
    // The page links fonts and icons from CDNs this machine cannot reach: fail them at once.
    await context.route(/fonts\.googleapis|cdn\.jsdelivr/, (route) => route.abort());
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`http://127.0.0.1:${site.address().port}/`);

    // The connection form (ConnectionModal.vue), as a person fills it.
    await page.getByLabel('Server URL').fill(opts.url);
    await page.getByLabel('Username').fill(opts.user);
    await page.getByLabel('Password').fill(opts.password);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByLabel('Server URL').waitFor({ state: 'hidden' });
    check('login', true);

    // The dashboard: our namespaces with their socket counts (from server_stats).
    await page.locator('code', { hasText: '/chat' }).waitFor();
    const namespaces = await page.locator('tr', { has: page.locator('code') }).allInnerTexts();
    const row = (name) => namespaces.map((t) => t.split('\t').map((s) => s.trim())).find((c) => c[0] === name);
    await page.waitForTimeout(300);
    check('dashboard-namespaces', row('/')?.[1] === '2' && row('/chat')?.[1] === '1', namespaces);
    await page.screenshot({ path: join(opts.shots, 'dashboard.png'), fullPage: true });

    // The sockets of "/" with their ids (all_sockets), then a disconnect from the page.
    await page.goto(page.url().replace(/#.*$/, '#/sockets/'));
    await page.getByText(id1).waitFor();
    await page.getByText(id2).waitFor();
    check('sockets-listed', true);
    await page.waitForTimeout(600); // the view's fade-in, for the person looking
    await page.screenshot({ path: join(opts.shots, 'sockets.png'), fullPage: true });
    await page.locator('tr', { hasText: id2 }).getByRole('button').click();
    const reason = await Promise.race([c2gone, new Promise((r) => setTimeout(() => r('none'), TIMEOUT))]);
    check('disconnect-button', reason === 'io server disconnect', reason);
    // The click also opens the socket's page (the row's own handler): back to the list.
    await page.goto(page.url().replace(/#.*$/, '#/sockets/'));
    await page.getByText(id1).waitFor();
    await page.waitForFunction(
      (id) => ![...document.querySelectorAll('tr')].some((tr) => tr.textContent.includes(id)),
      id2,
    );
    check('disconnected-socket-removed', true);

    // The rooms of "/": the room c1 joined.
    await page.goto(page.url().replace(/#.*$/, '#/rooms/'));
    await page.getByText('lobby').waitFor();
    check('rooms-listed', true);
    await page.waitForTimeout(600); // the view's fade-in, for the person looking
    await page.screenshot({ path: join(opts.shots, 'rooms.png'), fullPage: true });

    // The servers list: this server, healthy (a server_stats within 10 s).
    await page.goto(page.url().replace(/#.*$/, '#/servers/'));
    await page.locator('tbody tr').first().waitFor();
    const servers = await page.locator('tbody tr').allInnerTexts();
    check('servers-listed', servers.length === 1, servers);
    await page.waitForTimeout(600); // the view's fade-in, for the person looking
    await page.screenshot({ path: join(opts.shots, 'servers.png'), fullPage: true });
    check('no-page-errors', pageErrors.length === 0, pageErrors);
  });
} catch (err) {
  error = String(err?.stack ?? err);
} finally {
  clearTimeout(watchdog);
  clients.forEach((c) => c.close());
  site.close();
}
const ok = !error && checks.length > 0 && checks.every((c) => c.ok);
console.log(JSON.stringify(error ? { ok, checks, error } : { ok, checks }));
process.exit(ok ? 0 : 1);
