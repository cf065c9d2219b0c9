/**
 * The Engine.IO WebSocket transport: one Engine.IO packet per frame, binary messages as binary
 * frames (received as ArrayBuffer, the type socket.io-client delivers in browsers).
 *
 * Events: `open`, `packet`, `drain`, `close` (reason, detail).
 */
import { Emitter } from './emitter.js';
import { decodePacket, encodeFrame } from './eio-packet.js';
import { transportUrl } from './transport-url.js';

export class WebSocketTransport extends Emitter {
  /**
   * @param {{origin: string, path: string, query?: Record<string, string>}} base
   * @param {string} [sid] set when probing an upgrade of an existing session
   */
  constructor(base, sid) {
    super();
    this.name = 'websocket';
    this.sid = sid;
    this.base = base;
    this.writable = false;
    this.closed = false;
    this.errored = false;
    this.ws = null;
  }

  open() {
    const ws = new WebSocket(transportUrl(this.base, 'websocket', this.sid));
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (this.closed) return;
      this.writable = true;
      this.fire('open');
    };
    ws.onmessage = (event) => {
      if (this.closed) return;
      const packet = decodePacket(event.data);
      if (packet === null) return this.fail('parse error', new Error('malformed packet'));
      this.fire('packet', packet);
    };
    // The browser fires `error` (no detail, by design) and then `close`: the close decides.
    ws.onerror = () => {
      this.errored = true;
    };
    ws.onclose = (event) => {
      if (this.closed) return;
      this.closed = true;
      this.writable = false;
      const detail = { code: event.code, reason: event.reason, message: 'websocket error' };
      this.fire('close', this.errored ? 'transport error' : 'transport close', detail);
    };
    this.ws = ws;
  }

  /** @param {import('./eio-packet.js').Packet[]} packets */
  send(packets) {
    for (const packet of packets) this.ws.send(encodeFrame(packet));
    // The browser queues frames itself; `drain` lets the engine flush what arrived meanwhile.
    setTimeout(() => !this.closed && this.fire('drain'), 0);
  }

  /** Closes the socket without a `1` packet: Node's server ignores `1` over WebSocket. */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.writable = false;
    this.ws?.close();
  }

  fail(reason, detail) {
    if (this.closed) return;
    this.close();
    this.fire('close', reason, detail);
  }
}
