// What chat_browser.mjs does with one page of the demo chat: waits on its DOM (the contract in
// interop/README.md, "chat_browser.mjs"), types, sends, and reads what the page shows. Every wait
// is bounded and its error names the page, what it waited for, and what the page showed then.
import { deflateSync, crc32 } from 'node:zlib';

// The DOM state a failed wait reports.
function snapshot() {
  const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? null;
  const all = (sel, attr) => [...document.querySelectorAll(sel)].map((e) => e.getAttribute(attr));
  const entries = [...document.querySelectorAll('#messages li.entry')];
  return {
    badge: document.querySelector('#badge')?.dataset.state ?? null,
    transport: text('#transport'),
    error: text('#error'),
    rooms: all('#rooms li[data-room]', 'data-room'),
    current: document.querySelector('#rooms li.current')?.dataset.room ?? null,
    members: all('#members li[data-nick]', 'data-nick'),
    typing: text('#typing'),
    messages: entries.slice(-4).map((e) => `${e.dataset.nick}:${e.dataset.kind}:${e.dataset.state ?? '-'}:${e.querySelector('.text')?.textContent ?? ''}`),
  };
}

export class ChatPage {
  constructor(page, nick, timeoutMs) {
    this.page = page;
    this.nick = nick;
    this.timeoutMs = timeoutMs;
  }

  // Resolves once `fn(arg)` is truthy in the page (checked every 50 ms), else fails with `what`.
  async until(what, fn, arg, ms = this.timeoutMs) {
    try {
      const handle = await this.page.waitForFunction(fn, arg, { polling: 50, timeout: ms });
      return await handle.jsonValue();
    } catch (err) {
      const shown = await this.page.evaluate(snapshot).catch((e) => `(page unreadable: ${e.message.split('\n')[0]})`);
      const why = err.name === 'TimeoutError' ? `not within ${ms / 1000} s` : err.message.split('\n')[0];
      throw new Error(`${this.nick}: ${what}: ${why}; page shows ${JSON.stringify(shown)}`);
    }
  }

  state() {
    return this.page.evaluate(snapshot);
  }

  badge(state, ms) {
    return this.until(`badge ${state}`, (s) => document.querySelector('#badge')?.dataset.state === s, state, ms);
  }

  transport(name, ms) {
    return this.until(`transport ${name}`, (t) => document.querySelector('#transport')?.textContent.trim() === t, name, ms);
  }

  async login() {
    await this.until('window.chatReady', () => window.chatReady === true);
    await this.page.fill('#nick', this.nick);
    await this.page.click('#login-btn');
    await this.until('#login hidden', () => document.querySelector('#login')?.hidden === true);
  }

  async join(room) {
    await this.page.fill('#room-name', room);
    await this.page.click('#join-btn');
    await this.current(room);
  }

  current(room, ms) {
    return this.until(`current room ${room}`, (r) => document.querySelector(`#rooms li.current`)?.dataset.room === r, room, ms);
  }

  // Exactly these members (any order) in the current room.
  members(nicks, ms) {
    const want = [...nicks].sort().join(',');
    return this.until(`members ${want}`, (w) => [...document.querySelectorAll('#members li[data-nick]')].map((e) => e.dataset.nick).sort().join(',') === w, want, ms);
  }

  // Sends `text` and waits until the page shows it acked by the server.
  async say(text) {
    await this.page.fill('#text', text);
    await this.page.click('#send-btn');
    await this.until(`own message "${text}" delivered`, ([nick, t]) => [...document.querySelectorAll('#messages li.entry[data-kind="message"]')]
      .some((e) => e.dataset.nick === nick && e.querySelector('.text')?.textContent === t && e.dataset.state === 'delivered'), [this.nick, text]);
  }

  heard(from, text, ms) {
    return this.until(`message "${text}" from ${from}`, ([nick, t]) => [...document.querySelectorAll('#messages li.entry[data-kind="message"]')]
      .some((e) => e.dataset.nick === nick && e.querySelector('.text')?.textContent === t && e.dataset.id), [from, text], ms);
  }

  // Types `text` key by key into the composer (what fires the page's typing events).
  typeSlowly(text) {
    return this.page.locator('#text').pressSequentially(text, { delay: 40 });
  }

  typing(expected, ms) {
    return this.until(expected ? `typing shows "${expected}"` : 'typing empty', (e) => {
      const shown = document.querySelector('#typing')?.textContent.trim() ?? '';
      return e ? shown.includes(e) : shown === '';
    }, expected, ms);
  }

  async sendImage(png) {
    await this.page.setInputFiles('#image', { name: 'square.png', mimeType: 'image/png', buffer: png });
    await this.until('own image delivered', (nick) => [...document.querySelectorAll('#messages li.entry[data-kind="image"]')]
      .some((e) => e.dataset.nick === nick && e.dataset.state === 'delivered'), this.nick);
  }

  // The bytes (base64) and rendered size of the last image `from` sent, once it is decoded.
  async image(from) {
    await this.until(`image from ${from} rendered`, (nick) => [...document.querySelectorAll('#messages li.entry[data-kind="image"]')]
      .some((e) => e.dataset.nick === nick && e.querySelector('img')?.complete && e.querySelector('img').naturalWidth > 0), from);
    return this.page.evaluate(async (nick) => {
      const entries = [...document.querySelectorAll('#messages li.entry[data-kind="image"]')].filter((e) => e.dataset.nick === nick);
      const img = entries[entries.length - 1].querySelector('img');
      const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
      let binary = '';
      for (const b of bytes) binary += String.fromCharCode(b);
      return { base64: btoa(binary), width: img.naturalWidth, height: img.naturalHeight };
    }, from);
  }
}

// A `size`×`size` RGB PNG (a colour gradient, so a wrong byte shows), made here so the test
// needs no image file: signature, IHDR, one zlib IDAT, IEND (PNG spec §5).
export function gradientPng(size) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) row.set([(x * 255) / size, (y * 255) / size, 128], 1 + x * 3);
    rows.push(row);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit depth, colour type 2 (RGB), deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
