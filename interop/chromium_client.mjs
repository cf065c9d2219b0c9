#!/usr/bin/env node
// Real browser client: Debian Chromium driven by playwright-core runs an echo conversation with
// the browser's own WebSocket (and its own permessage-deflate offer). Contract: interop/README.md.
import { parseArgs } from 'node:util';
import { inChromium } from './_chromium.mjs';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    timeout: { type: 'string', default: '60' },
    executable: { type: 'string', default: process.env.DUPLEX_CHROMIUM || '/usr/bin/chromium' },
  },
});

const result = { ok: false, peer: 'chromium', url: args.url, extensions: null, protocol: null };
if (!args.url) {
  result.error = '--url is required';
  console.log(JSON.stringify(result));
  process.exit(2);
}

// Runs inside the page: everything it needs must be in its own body.
async function conversation(url) {
  const out = { checks: [] };
  const check = (name, ok, detail) => out.checks.push(ok ? { name, ok } : { name, ok, detail });
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const inbox = [];
  const waiters = [];
  const deliver = (ev) => {
    const w = waiters.shift();
    if (w) w(ev);
    else inbox.push(ev);
  };
  const next = () =>
    inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r));
  ws.onmessage = (e) => deliver({ kind: 'message', data: e.data });
  ws.onclose = (e) => deliver({ kind: 'close', code: e.code, reason: e.reason, clean: e.wasClean });
  ws.onerror = () => deliver({ kind: 'error' });
  const opened = await new Promise((resolve) => {
    ws.onopen = () => resolve(true);
    ws.onclose = () => resolve(false);
  });
  ws.onclose = (e) => deliver({ kind: 'close', code: e.code, reason: e.reason, clean: e.wasClean });
  if (!opened) {
    out.error = 'connection failed';
    return out;
  }
  out.extensions = ws.extensions;
  out.protocol = ws.protocol;

  const texts = [
    ['text-ascii', 'Hello, duplex!'],
    ['text-utf8', 'héllo wörld — 日本語 𝄞 🎉'],
    ['text-100k', 'duplex compresses repetitive text. '.repeat(2926)],
  ];
  for (const [name, text] of texts) {
    ws.send(text);
    const ev = await next();
    check(name, ev.kind === 'message' && ev.data === text, `${ev.kind} ${String(ev.data).length}`);
    if (ev.kind !== 'message') return out;
  }
  for (const size of [0, 125, 65536, 1 << 20]) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
    ws.send(bytes.buffer);
    const ev = await next();
    let same = ev.kind === 'message' && ev.data instanceof ArrayBuffer && ev.data.byteLength === size;
    if (same) {
      const got = new Uint8Array(ev.data);
      for (let i = 0; i < size && same; i += 1) same = got[i] === bytes[i];
    }
    check(`binary-${size}`, same, `${ev.kind}`);
    if (ev.kind !== 'message') return out;
  }
  ws.close(1000, 'duplex bye');
  const ev = await next();
  out.close = { code: ev.code ?? null, reason: ev.reason ?? null, clean: ev.clean ?? null };
  check('close-1000', ev.kind === 'close' && ev.code === 1000 && ev.clean === true, ev.kind);
  return out;
}

const started = Date.now();
let code = 1;
try {
  await inChromium(args.executable, Number(args.timeout) * 1000, async (_context, page) => {
    const out = await page.evaluate(conversation, args.url);
    Object.assign(result, out);
    result.browser = await page.evaluate(() => navigator.userAgent);
    result.ok = !out.error && out.checks.length > 0 && out.checks.every((c) => c.ok);
    code = result.ok ? 0 : 1;
  });
} catch (err) {
  result.error = err.message.split('\n')[0];
}
result.elapsed_ms = Date.now() - started;
console.log(JSON.stringify(result));
process.exit(code);
