/**
 * The Manager: one Engine.IO connection shared by the sockets of several namespaces
 * (multiplexing), the packet codec, and automatic reconnection with backoff.
 *
 * Events (as socket.io-client's Manager): `open`, `close` (reason, detail), `error` (Error),
 * `packet` (decoded, for the sockets), `ping`, `reconnect_attempt` (attempt),
 * `reconnect` (attempt), `reconnect_error` (Error), `reconnect_failed`.
 */
import { Backoff } from './backoff.js';
import { Emitter, subscribe } from './emitter.js';
import { Engine } from './engine.js';
import { Decoder, encode } from './parser.js';
import { Socket } from './socket.js';

export class Manager extends Emitter {
  /**
   * @param {{origin: string, path?: string, query?: Record<string, string>}} uri where the server
   *   is (`origin` as `http(s)://host:port`) — `io()` builds it from a URL
   * @param {object} [opts] socket.io-client's Manager options (see web/README.md)
   */
  constructor(uri, opts = {}) {
    super();
    this.opts = opts;
    let path = opts.path ?? '/socket.io/';
    if (!path.endsWith('/')) path += '/';
    this.engineOpts = {
      origin: uri.origin,
      path,
      query: { ...(uri.query ?? {}), ...(opts.query ?? {}) },
      transports: opts.transports,
      upgrade: opts.upgrade,
      withCredentials: opts.withCredentials,
    };
    /** @type {Record<string, Socket>} */
    this.nsps = {};
    this.subs = [];
    this.reconnectionEnabled = opts.reconnection !== false;
    this.attemptsMax = opts.reconnectionAttempts ?? Infinity;
    this.backoff = new Backoff({
      min: opts.reconnectionDelay ?? 1000,
      max: opts.reconnectionDelayMax ?? 5000,
      jitter: opts.randomizationFactor ?? 0.5,
    });
    /** Milliseconds to wait for the Engine.IO handshake; `false` waits forever. */
    this.connectTimeout = opts.timeout ?? 20000;
    /** `closed` | `opening` | `open` */
    this._readyState = 'closed';
    this._reconnecting = false;
    this.skipReconnect = false;
    this.engine = null;
    this.decoder = new Decoder();
    /** Encoded packets in send order; an entry waits while a Blob is read. */
    this.outgoing = [];
    if (opts.autoConnect !== false) this.open();
  }

  /** Turns reconnection on or off (no argument: whether it is on), as socket.io-client. */
  reconnection(v) {
    if (v === undefined) return this.reconnectionEnabled;
    this.reconnectionEnabled = Boolean(v);
    if (!v) this.skipReconnect = true;
    return this;
  }

  /**
   * Opens the Engine.IO connection unless it is open or opening; `fn(err?)` learns the
   * outcome. Without `fn`, a failed first connection starts the reconnection loop.
   * @param {(err?: Error) => void} [fn]
   */
  open(fn) {
    if (this._readyState.includes('open')) return this;
    const engine = new Engine(this.engineOpts);
    this.engine = engine;
    this._readyState = 'opening';
    this.skipReconnect = false;
    const onOpenError = (err) => {
      this.cleanup();
      this._readyState = 'closed';
      this.fire('error', err);
      if (fn) fn(err);
      else this.maybeReconnectOnOpen();
    };
    this.subs.push(subscribe(engine, 'open', () => {
      this.onopen();
      fn?.();
    }));
    this.subs.push(subscribe(engine, 'error', onOpenError));
    if (this.connectTimeout !== false) {
      const timer = setTimeout(() => {
        onOpenError(new Error('timeout'));
        engine.close();
      }, this.connectTimeout);
      this.subs.push(() => clearTimeout(timer));
    }
    return this;
  }

  /** socket.io-client's alias of `open`. */
  connect(fn) {
    return this.open(fn);
  }

  maybeReconnectOnOpen() {
    if (!this._reconnecting && this.reconnectionEnabled && this.backoff.attempts === 0) this.reconnect();
  }

  onopen() {
    this.cleanup();
    this._readyState = 'open';
    this.fire('open');
    const engine = this.engine;
    this.subs.push(
      subscribe(engine, 'ping', () => this.fire('ping')),
      subscribe(engine, 'data', (data) => this.ondata(data)),
      subscribe(engine, 'error', (err) => this.fire('error', err)),
      subscribe(engine, 'close', (reason, detail) => this.onclose(reason, detail)),
      subscribe(this.decoder, 'decoded', (packet) => this.fire('packet', packet)),
    );
  }

  ondata(data) {
    try {
      this.decoder.add(data);
    } catch (err) {
      this.onclose('parse error', err);
    }
  }

  /**
   * The socket of namespace `nsp`, created on first use and shared after that.
   * @param {string} nsp
   * @param {object} [opts]
   */
  socket(nsp, opts) {
    let socket = this.nsps[nsp];
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.nsps[nsp] = socket;
    } else if (this.opts.autoConnect !== false && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  /** A socket disconnected by its user: close the connection when no socket is left active. */
  _destroy(socket) {
    for (const nsp of Object.keys(this.nsps)) {
      if (this.nsps[nsp].active) return;
    }
    this._close();
  }

  /**
   * Sends a packet. Packets leave in the order they were given, even when an earlier one
   * waits for a Blob to be read.
   * @param {import('./parser.js').Packet} packet
   */
  _packet(packet) {
    const entry = { parts: null };
    const encoded = encode(packet);
    this.outgoing.push(entry);
    if (Array.isArray(encoded)) {
      entry.parts = encoded;
      this.drainOutgoing();
    } else {
      encoded.then(
        (parts) => {
          entry.parts = parts;
          this.drainOutgoing();
        },
        (err) => {
          this.outgoing.splice(this.outgoing.indexOf(entry), 1);
          this.fire('error', err);
          this.drainOutgoing();
        },
      );
    }
  }

  drainOutgoing() {
    while (this.outgoing.length && this.outgoing[0].parts) {
      const { parts } = this.outgoing.shift();
      for (const part of parts) this.engine?.write(part);
    }
  }

  cleanup() {
    for (const unsubscribe of this.subs) unsubscribe();
    this.subs = [];
    this.decoder.destroy();
  }

  /** Closes the connection for good (no reconnection): every socket was disconnected. */
  _close() {
    this.skipReconnect = true;
    this._reconnecting = false;
    this.onclose('forced close');
  }

  /** socket.io-client's name for `_close`. */
  disconnect() {
    return this._close();
  }

  onclose(reason, detail) {
    this.cleanup();
    this.engine?.close();
    this.outgoing = [];
    this.backoff.reset();
    this._readyState = 'closed';
    this.fire('close', reason, detail);
    if (this.reconnectionEnabled && !this.skipReconnect) this.reconnect();
  }

  /** Schedules the next attempt with backoff, or gives up after `reconnectionAttempts`. */
  reconnect() {
    if (this._reconnecting || this.skipReconnect) return this;
    if (this.backoff.attempts >= this.attemptsMax) {
      this.backoff.reset();
      this._reconnecting = false;
      this.fire('reconnect_failed');
      return this;
    }
    this._reconnecting = true;
    const timer = setTimeout(() => {
      if (this.skipReconnect) return;
      this.fire('reconnect_attempt', this.backoff.attempts);
      if (this.skipReconnect) return;
      this.open((err) => {
        if (err) {
          this._reconnecting = false;
          this.reconnect();
          this.fire('reconnect_error', err);
        } else {
          this.onreconnect();
        }
      });
    }, this.backoff.duration());
    this.subs.push(() => clearTimeout(timer));
    return this;
  }

  onreconnect() {
    const attempt = this.backoff.attempts;
    this._reconnecting = false;
    this.backoff.reset();
    this.fire('reconnect', attempt);
  }
}
