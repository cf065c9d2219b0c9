// Shared by the Chromium peers (chromium_client.mjs, eio_chromium_cors.mjs): headless Debian
// Chromium driven by playwright-core, with a fresh profile that is removed afterwards.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Runs `body(context, page)` in a fresh headless Chromium (`executable`) whose page waits at
// most `timeoutMs`; the browser is closed and its profile removed however `body` ends.
export async function inChromium(executable, timeoutMs, body) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'duplex-chromium-'));
  let context;
  try {
    // A persistent context is how Playwright takes our own fresh --user-data-dir.
    context = await chromium.launchPersistentContext(userDataDir, {
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
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(timeoutMs);
    return await body(context, page);
  } finally {
    if (context) await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
