/**
 * An Engine.IO v4 client session: handshake, heartbeat, write buffering, and the upgrade from
 * long-polling to WebSocket.
 *
 * Upgrade, without losing or duplicating a packet:
 *
 *   polling open ──> probe WebSocket (sid) ──"2probe"──> server
 *                                         <──"3probe"──
 *   pause polling (wait for the pending GET, answered with a noop, and any POST)
 *   ──"5"──> over WebSocket; switch; flush what was buffered meanwhile.
 *
 * Events: `open`, `data` (a message: string or ArrayBuffer), `ping`, `upgrading`, `upgrade`,
 * `upgradeError`, `error` (an Error, before `close` when a transport failed), `close` (reason,
 * detail) with socket.io-client's reasons: `transport close`, `transport error`,
 * `ping timeout`, `parse error`, `forced close`.
 */
import { Emitter } from './emitter.js';
import { payloadSize } from './eio-packet.js';
import { Polling } from './polling.js';
import { WebSocketTransport } from './websocket.js';

/** @typedef {import('./eio-packet.js').Packet} Packet */

export class Engine extends Emitter {
  /**
   * @param {{origin: string, path: string, query?: Record<string, string>,
   *   withCredentials?: boolean, transports?: string[], upgrade?: boolean}} opts
   */
  constructor(opts) {
    super();
    this.opts = opts;
    this.transports = (opts.transports ?? ['polling', 'websocket']).filter((t) => t === 'polling' || t === 'websocket');
    /** `opening` | `open` | `closing` | `closed` */
    this.readyState = 'opening';
    this.id = undefined;
    this.transport = null;
    this.upgrading = false;
    this.upgrades = [];
    this.pingInterval = 0;
    this.pingTimeout = 0;
    this.maxPayload = 0;
    /** @type {Packet[]} */
    this.writeBuffer = [];
    this.heartbeat = null;
    this.probe = null;
    this.unbind = null;
    if (this.transports.length === 0) {
      // Deferred so the caller has subscribed to `error` by then.
      setTimeout(() => this.onClose('transport error', new Error('no usable transport')), 0);
      return;
    }
    this.setTransport(this.create(this.transports[0]));
    this.transport.open();
  }

  /** @param {string} name */
  create(name) {
    return name === 'websocket' ? new WebSocketTransport(this.opts, this.id) : new Polling(this.opts);
  }

  /** Routes a transport's events here (and only that transport's: the old one is unbound). */
  setTransport(transport) {
    this.unbind?.();
    this.transport = transport;
    const onPacket = (p) => this.onPacket(p);
    const onDrain = () => this.flush();
    const onClose = (reason, detail) => this.onClose(reason, detail);
    transport.on('packet', onPacket).on('drain', onDrain).on('close', onClose);
    this.unbind = () => transport.off('packet', onPacket).off('drain', onDrain).off('close', onClose);
  }

  /** @param {Packet} packet */
  onPacket(packet) {
    if (this.readyState === 'closed') return;
    // Any packet proves the server alive; v4 servers ping, so silence past
    // pingInterval + pingTimeout means the connection is gone.
    this.resetHeartbeat();
    switch (packet.type) {
      case 'open':
        return this.onHandshake(packet.data);
      case 'ping':
        this.sendPacket({ type: 'pong' });
        return this.fire('ping');
      case 'message':
        return this.fire('data', packet.data);
      case 'close':
        return this.onClose('transport close', new Error('closed by the server'));
      default:
        // noop (the end of a poll during an upgrade); a stray pong or upgrade is ignored too.
        return undefined;
    }
  }

  /** @param {string} data the open packet's JSON */
  onHandshake(data) {
    let info;
    try {
      info = JSON.parse(data);
    } catch {
      return this.onClose('parse error', new Error('malformed open packet'));
    }
    if (this.readyState !== 'opening' || typeof info?.sid !== 'string') {
      return this.onClose('parse error', new Error('unexpected open packet'));
    }
    this.id = info.sid;
    this.upgrades = Array.isArray(info.upgrades) ? info.upgrades : [];
    this.pingInterval = info.pingInterval;
    this.pingTimeout = info.pingTimeout;
    this.maxPayload = info.maxPayload;
    this.readyState = 'open';
    this.resetHeartbeat();
    this.fire('open');
    this.flush();
    if (this.readyState === 'open' && this.transport.name === 'polling' && this.opts.upgrade !== false &&
        this.upgrades.includes('websocket') && this.transports.includes('websocket')) {
      this.startProbe();
    }
  }

  resetHeartbeat() {
    if (this.readyState !== 'open') return;
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(
      () => this.onClose('ping timeout', new Error('no packet from the server in time')),
      this.pingInterval + this.pingTimeout,
    );
  }

  /** Opens a WebSocket on the same session and switches to it if the probe succeeds. */
  startProbe() {
    const ws = this.create('websocket');
    this.probe = ws;
    const fail = (detail) => {
      if (this.probe !== ws) return;
      this.probe = null;
      this.upgrading = false;
      ws.off();
      ws.close();
      this.fire('upgradeError', detail);
      this.flush();
    };
    ws.on('open', () => ws.send([{ type: 'ping', data: 'probe' }]));
    ws.on('close', (reason, detail) => fail(detail ?? new Error(reason)));
    ws.on('packet', (packet) => {
      if (packet.type !== 'pong' || packet.data !== 'probe') return fail(new Error('probe error'));
      this.upgrading = true;
      this.fire('upgrading', ws.name);
      this.transport.pause(() => {
        if (this.probe !== ws || this.readyState !== 'open') return;
        this.probe = null;
        ws.off();
        ws.send([{ type: 'upgrade' }]);
        const old = this.transport;
        this.setTransport(ws);
        old.close();
        this.upgrading = false;
        this.fire('upgrade', ws.name);
        this.flush();
      });
    });
    ws.open();
  }

  /**
   * Queues a message (string or binary) for the server.
   * @param {string | ArrayBuffer | ArrayBufferView} data
   */
  write(data) {
    this.sendPacket({ type: 'message', data });
  }

  /** @param {Packet} packet */
  sendPacket(packet) {
    if (this.readyState !== 'opening' && this.readyState !== 'open') return;
    this.writeBuffer.push(packet);
    this.flush();
  }

  /** Hands buffered packets to the transport when it can take them (not mid-upgrade). */
  flush() {
    if (this.readyState !== 'open' && this.readyState !== 'closing') return;
    if (this.upgrading || !this.transport.writable || this.writeBuffer.length === 0) return;
    const batch = this.takeBatch();
    this.transport.send(batch);
    if (this.writeBuffer.length === 0) this.fire('drain');
  }

  /** Over polling, a POST must stay within the server's `maxPayload` (it answers 413 past it). */
  takeBatch() {
    if (this.transport.name !== 'polling' || !this.maxPayload) return this.writeBuffer.splice(0);
    let size = 0;
    let count = 0;
    while (count < this.writeBuffer.length) {
      size += payloadSize(this.writeBuffer[count]);
      if (count > 0 && size > this.maxPayload) break;
      count++;
    }
    return this.writeBuffer.splice(0, count);
  }

  /** Whether a packet written now would go out at once (socket.io-client's volatile rule). */
  get writable() {
    return this.readyState === 'open' && !this.upgrading && Boolean(this.transport?.writable);
  }

  /** Ends the session after what is buffered has been handed to the transport. */
  close() {
    if (this.readyState === 'opening' || this.readyState === 'open') {
      this.readyState = 'closing';
      const finish = () => this.onClose('forced close');
      if (this.writeBuffer.length && !this.upgrading) this.once('drain', finish);
      else finish();
    }
  }

  /**
   * @param {string} reason
   * @param {unknown} [detail]
   */
  onClose(reason, detail) {
    if (this.readyState === 'closed') return;
    const wasOpening = this.readyState === 'opening';
    this.readyState = 'closed';
    clearTimeout(this.heartbeat);
    if (this.probe) {
      this.probe.off();
      this.probe.close();
      this.probe = null;
    }
    this.unbind?.();
    this.transport?.close(reason === 'forced close');
    this.writeBuffer = [];
    if (reason === 'transport error' || reason === 'parse error' || wasOpening) {
      const message = detail instanceof Error ? detail.message : detail?.message ?? reason;
      const err = new Error(message);
      err.description = detail;
      this.fire('error', err);
    }
    this.fire('close', reason, detail);
  }
}
