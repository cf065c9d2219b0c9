// The session plumbing of eio_client.mjs: one engine.io-client connection with an event queue,
// comparing echoes, probing whether the server forgot a session, packet sizes at the payload
// limit, and muting the heartbeat. Contract: interop/README.md ("Engine.IO").
import { Socket } from 'engine.io-client';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// Turns whatever engine.io-client passes as a close description into plain JSON.
export function describe(desc) {
  if (desc === undefined || desc === null) return null;
  if (desc instanceof Error) {
    const out = { message: desc.message };
    if (desc.description !== undefined) out.description = describe(desc.description);
    if (desc.type) out.type = desc.type;
    return out;
  }
  if (typeof desc === 'object') {
    const out = {};
    if (desc.description !== undefined) out.description = describe(desc.description);
    if (desc.message !== undefined) out.message = desc.message;
    const ctx = desc.context;
    if (ctx && typeof ctx === 'object' && 'code' in ctx) out.ws_code = ctx.code;
    if (ctx && typeof ctx === 'object' && 'status' in ctx) out.status = ctx.status;
    return out;
  }
  return desc;
}

// One connection with a single queue of incoming events, so each step can await "the next thing".
export function open({ url, path, transports, upgrade, eio3, timeoutMs }) {
  const opts = { path, transports: transports.split(','), upgrade, rememberUpgrade: false };
  const socket = eio3 ? new (require('engine.io-client-v3').Socket)(url, opts) : new Socket(url, opts);
  const conn = { socket, sid: null, inbox: [], waiters: [], upgraded: false, upgradeError: null };
  conn.deliver = (ev) => {
    const w = conn.waiters.shift();
    if (w) w(ev);
    else conn.inbox.push(ev);
  };
  conn.next = (ms = timeoutMs) => {
    if (conn.inbox.length) return Promise.resolve(conn.inbox.shift());
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        const i = conn.waiters.indexOf(wrapped);
        if (i >= 0) conn.waiters.splice(i, 1);
        resolve({ kind: 'timeout' });
      }, ms);
      const wrapped = (ev) => {
        clearTimeout(t);
        resolve(ev);
      };
      conn.waiters.push(wrapped);
    });
  };
  conn.upgradeDone = new Promise((resolve) => {
    socket.on('upgrade', () => {
      conn.upgraded = true;
      resolve(true);
    });
    socket.on('upgradeError', (err) => {
      conn.upgradeError = describe(err);
      resolve(false);
    });
    socket.on('close', () => resolve(false));
  });
  socket.on('message', (data) => conn.deliver({ kind: 'message', data }));
  socket.on('close', (reason, desc) => {
    conn.closedAt = Date.now();
    conn.deliver({ kind: 'close', reason, description: describe(desc) });
  });
  conn.opened = new Promise((resolve) => {
    socket.on('open', () => {
      conn.sid = socket.id;
      resolve(true);
    });
    socket.on('close', () => resolve(false));
  });
  return conn;
}

export function sameMessage(got, expected) {
  // engine.io-client decodes the packet "4" (empty text) as `undefined`, whoever sent it.
  if (expected === '' && got === undefined) return true;
  if (typeof expected === 'string') return typeof got === 'string' && got === expected;
  const bytes = Buffer.isBuffer(got)
    ? got
    : got instanceof ArrayBuffer
      ? Buffer.from(got)
      : ArrayBuffer.isView(got)
        ? Buffer.from(got.buffer, got.byteOffset, got.byteLength)
        : null;
  return bytes !== null && Buffer.compare(bytes, expected) === 0;
}

export function shape(data) {
  if (typeof data === 'string') return `text(${Buffer.byteLength(data)} bytes)`;
  if (data && data.byteLength !== undefined) return `binary(${data.byteLength} bytes)`;
  return `${typeof data}`;
}

// Polling GET with the old sid: Engine.IO answers 400 {"code":1} once the server forgot the session.
export async function sessionGone({ url: base, path, eio }, sid) {
  const url = new URL(base);
  url.pathname = path;
  url.search = `?EIO=${eio}&transport=polling&sid=${encodeURIComponent(sid)}`;
  let last = '';
  for (let i = 0; i < 40; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      last = `${res.status} ${body}`;
      if (res.status === 400) {
        try {
          if (JSON.parse(body).code === 1) return { ok: true, last };
        } catch {
          /* not JSON: keep polling */
        }
      }
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: false, last };
}

// Length L of a v3 polling packet such that `digits(L) + extra + L` is exactly `total` bytes: v3
// frames each packet in a payload as `<len>:<packet>`.
function v3PacketLen(total, extra) {
  for (let d = 1; d < 16; d++) {
    const len = total - extra - d;
    if (String(len).length === d) return len;
  }
  throw new Error(`no v3 packet length fits ${total}`);
}

// Payload sizes whose encoded form is `limit` bytes (or the largest below it, for base64): text
// is "4" + UTF-8 on every transport; v4 binary is raw on WebSocket and "b" + base64 in a polling
// payload; v3 binary is 0x04 + bytes on WebSocket and "b4" + base64 in a polling payload (Node's
// engine.io-client 3 posts binary as base64).
export function payloadLengths(limit, transport, eio3) {
  if (transport === 'websocket') return { text: limit - 1, binary: eio3 ? limit - 1 : limit };
  if (eio3) {
    return { text: v3PacketLen(limit, 1) - 1, binary: Math.floor((v3PacketLen(limit, 1) - 2) / 4) * 3 };
  }
  return { text: limit - 1, binary: Math.floor((limit - 1) / 4) * 3 };
}

// Stops answering the server's heartbeat without touching anything else: v4 drops the outgoing
// pong packet; v3 (where the client pings) stops pinging and disables the client's own timer so
// only the server can end the session.
export function muteHeartbeat(socket, eio3) {
  if (eio3) {
    socket.ping = () => {};
    socket.setPing = () => {};
    socket.onHeartbeat = () => {};
    clearTimeout(socket.pingIntervalTimer);
    clearTimeout(socket.pingTimeoutTimer);
    return;
  }
  const send = socket._sendPacket.bind(socket);
  socket._sendPacket = (type, ...rest) => {
    if (type === 'pong') return;
    send(type, ...rest);
  };
}
