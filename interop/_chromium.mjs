// Shared by the Chromium peers (chromium_client.mjs, eio_chromium_cors.mjs, web_client_check.mjs,
// chat_browser.mjs): headless Debian Chromium driven by playwright-core, with a fresh profile
// that is removed afterwards.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The browsers running now, for `closeAll`.
const running = new Set();

function removeProfile(userDataDir) {
  try {
    // Retried: Chromium may still be writing to it for a moment after it was told to close.
    rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  } catch {
    // Left in the temp directory rather than an error on the way out.
  }
}

// Runs `body(context, page)` in a fresh headless Chromium (`executable`) whose page waits at
// most `timeoutMs`; the browser is closed and its profile removed however `body` ends.
export async function inChromium(executable, timeoutMs, body) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'duplex-chromium-'));
  const browser = { userDataDir, launching: null, context: null, closing: null };
  running.add(browser);
  try {
    // A persistent context is how Playwright takes our own fresh --user-data-dir.
    browser.launching = chromium.launchPersistentContext(userDataDir, {
      executablePath: executable,
      headless: true,
      timeout: timeoutMs,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    browser.context = await browser.launching;
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(timeoutMs);
    return await body(browser.context, page);
  } finally {
    await close(browser);
  }
}

// One closing per browser, which every caller awaits: `inChromium` must not return (and its
// program exit) while `closeAll` is still removing the profile.
function close(browser) {
  browser.closing ??= (async () => {
    running.delete(browser);
    // Asked while Chromium is starting: it is closed once started.
    const context = browser.context ?? (await browser.launching?.catch(() => null));
    // Bounded: when Playwright's own SIGTERM handler is closing the browser too, this close
    // has been seen never to settle.
    if (context) await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
    removeProfile(browser.userDataDir);
  })();
  return browser.closing;
}

// Closes every browser `inChromium` is running and removes its profile, for a program that
// must exit before its `body` has ended (asked to stop by a signal).
export async function closeAll() {
  await Promise.all([...running].map(close));
}
