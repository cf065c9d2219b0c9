/**
 * The Engine.IO long-polling transport over `fetch`: one GET always pending to receive, one
 * POST at a time to send.
 *
 * Why fetch and not XMLHttpRequest: it is the modern API, gives an AbortController to cut a
 * pending GET on close, and a text/plain POST stays a "simple" cross-origin request (no CORS
 * preflight), like socket.io-client's XHR.
 *
 * Events: `packet` (each received packet), `drain` (writable again), `close` (reason, detail).
 */
import { Emitter } from './emitter.js';
import { decodePayload, encodePayload } from './eio-packet.js';
import { transportUrl } from './transport-url.js';

export class Polling extends Emitter {
  /**
   * @param {{origin: string, path: string, query?: Record<string, string>, withCredentials?: boolean}} base
   */
  constructor(base) {
    super();
    this.name = 'polling';
    /** Set once the open packet named the session. */
    this.sid = undefined;
    /** False while a POST is in flight (or before the handshake): the engine then buffers. */
    this.writable = false;
    this.base = base;
    this.closed = false;
    this.paused = false;
    this.polling = false;
    this.onPaused = null;
    this.abort = new AbortController();
    this.stamp = 0;
  }

  /** Starts the receive loop; its first GET is the handshake. */
  open() {
    this.poll();
  }

  url() {
    // A unique parameter per request, so no cache between us and the server can answer a GET.
    const t = `${Date.now().toString(36)}.${(this.stamp++).toString(36)}`;
    return transportUrl(this.base, 'polling', this.sid, { t });
  }

  /**
   * @param {RequestInit} [extra]
   * @returns {RequestInit}
   */
  init(extra) {
    return {
      ...extra,
      cache: 'no-store',
      credentials: this.base.withCredentials ? 'include' : 'same-origin',
      signal: this.abort.signal,
    };
  }

  async poll() {
    if (this.closed || this.paused) return;
    this.polling = true;
    let body;
    try {
      const res = await fetch(this.url(), this.init({ method: 'GET' }));
      if (!res.ok) throw new Error(`GET answered ${res.status}`);
      body = await res.text();
    } catch (err) {
      this.polling = false;
      return this.fail('xhr poll error', err);
    }
    this.polling = false;
    if (this.closed) return;
    const packets = decodePayload(body);
    if (packets === null) return this.fail('parse error', new Error('malformed polling payload'));
    for (const packet of packets) {
      if (this.closed) return;
      if (packet.type === 'open') this.handshake(packet.data);
      this.fire('packet', packet);
    }
    if (this.paused) this.checkPaused();
    else this.poll();
  }

  /** The open packet names the session: POSTs may start. */
  handshake(data) {
    try {
      this.sid = JSON.parse(data).sid;
      this.writable = true;
    } catch {
      // The engine reports the malformed open packet; nothing can be sent without a sid.
    }
  }

  /**
   * Sends packets in one POST. The engine calls this only while `writable`.
   * @param {import('./eio-packet.js').Packet[]} packets
   */
  send(packets) {
    this.writable = false;
    fetch(this.url(), this.init({ method: 'POST', body: encodePayload(packets) }))
      .then(async (res) => {
        await res.text();
        if (!res.ok) throw new Error(`POST answered ${res.status}`);
        if (this.closed) return;
        this.writable = true;
        this.fire('drain');
        this.checkPaused();
      })
      .catch((err) => this.fail('xhr post error', err));
  }

  /**
   * Stops receiving and sending so the upgrade can switch transports without losing or
   * duplicating a packet: `cb` runs once the pending GET returned (the server answers it with
   * a noop after the probe) and no POST is in flight.
   * @param {() => void} cb
   */
  pause(cb) {
    this.paused = true;
    this.onPaused = cb;
    this.checkPaused();
  }

  checkPaused() {
    if (!this.paused || this.polling || !this.writable || !this.onPaused) return;
    const cb = this.onPaused;
    this.onPaused = null;
    cb();
  }

  /**
   * Ends the transport. With `sendClose` the server is told (a `1` packet) so it ends the
   * session now instead of at the next heartbeat.
   * @param {boolean} [sendClose]
   */
  close(sendClose = false) {
    if (this.closed) return;
    this.closed = true;
    if (sendClose && this.sid) {
      // Not tied to `abort`: it must outlive the pending GET we cut below.
      fetch(this.url(), { method: 'POST', body: '1', keepalive: true, credentials: this.init().credentials }).catch(() => {});
    }
    this.abort.abort();
  }

  /**
   * @param {string} message what socket.io-client calls the same failure
   * @param {unknown} cause
   */
  fail(message, cause) {
    if (this.closed) return;
    this.close();
    const reason = message === 'parse error' ? 'parse error' : 'transport error';
    this.fire('close', reason, new Error(message, { cause }));
  }
}
