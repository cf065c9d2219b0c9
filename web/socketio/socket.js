/**
 * A Socket: one namespace over the Manager's connection. Same names and semantics as
 * socket.io-client's Socket (see web/README.md for the subset).
 *
 * Local events: `connect`, `connect_error` (Error with `data`), `disconnect` (reason, detail).
 */
import { Emitter, subscribe } from './emitter.js';
import { PacketType } from './parser.js';

/** Names the server can never receive: they are this object's own events. */
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

export class Socket extends Emitter {
  /**
   * @param {import('./manager.js').Manager} io
   * @param {string} nsp
   * @param {{auth?: object | ((cb: (data: object) => void) => void), ackTimeout?: number, retries?: number}} [opts]
   */
  constructor(io, nsp, opts = {}) {
    super();
    /** The Manager (socket.io-client exposes it under the same name). */
    this.io = io;
    this.nsp = nsp;
    this.auth = opts.auth;
    this.opts = { ...io.opts, ...opts };
    /** Whether the namespace is joined. */
    this.connected = false;
    /** Whether the server restored this session (connection state recovery). */
    this.recovered = false;
    /** @type {string | undefined} */
    this.id = undefined;
    this.receiveBuffer = [];
    this.sendBuffer = [];
    this.queue = [];
    this.queueSeq = 0;
    this.ids = 0;
    /** @type {Record<number, Function>} */
    this.acks = {};
    this.flags = {};
    this.anyListeners = [];
    this.anyOutgoingListeners = [];
    this.subs = undefined;
    this.pid = undefined;
    this.lastOffset = undefined;
    if (this.io.opts.autoConnect !== false) this.open();
  }

  /** Whether the socket is connected or trying to be (it will reconnect by itself). */
  get active() {
    return Boolean(this.subs);
  }

  /** Whether the connection is gone. */
  get disconnected() {
    return !this.connected;
  }

  subEvents() {
    if (this.subs) return;
    const io = this.io;
    this.subs = [
      subscribe(io, 'open', () => this.onopen()),
      subscribe(io, 'packet', (packet) => this.onpacket(packet)),
      subscribe(io, 'error', (err) => !this.connected && this.fire('connect_error', err)),
      subscribe(io, 'close', (reason, detail) => this.onclose(reason, detail)),
    ];
  }

  /** Joins the namespace, opening the Manager's connection if needed. */
  connect() {
    if (this.connected) return this;
    this.subEvents();
    if (!this.io._reconnecting) this.io.open();
    if (this.io._readyState === 'open') this.onopen();
    return this;
  }

  /** Alias of `connect`. */
  open() {
    return this.connect();
  }

  /** Sends the CONNECT packet; its data is the `auth` payload, plus pid/offset to recover. */
  onopen() {
    const send = (data) => {
      const auth = this.pid ? { pid: this.pid, offset: this.lastOffset, ...data } : data;
      this.packet({ type: PacketType.CONNECT, data: auth });
    };
    if (typeof this.auth === 'function') this.auth(send);
    else send(this.auth);
  }

  /**
   * Sends an event; a function as last argument receives the server's answer.
   * `timeout(ms)` (or the `ackTimeout` option) makes that function's first argument an error.
   * @param {string} event
   * @param {...unknown} args
   */
  emit(event, ...args) {
    if (RESERVED.has(event)) throw new Error(`"${event}" is a reserved event name`);
    if (this.opts.retries && !this.flags.fromQueue && !this.flags.volatile) {
      this.addToQueue([event, ...args]);
      return this;
    }
    const packet = { type: PacketType.EVENT, nsp: this.nsp, data: [event, ...args] };
    if (typeof args[args.length - 1] === 'function') {
      const id = this.ids++;
      const ack = packet.data.pop();
      this.registerAck(id, ack);
      packet.id = id;
    }
    const flags = this.flags;
    this.flags = {};
    const writable = this.io.engine?.writable;
    if (flags.volatile && !(writable && this.connected)) {
      // Volatile: dropped rather than queued when it cannot leave now.
      return this;
    }
    if (this.connected) {
      this.notifyOutgoing(packet.data);
      this.packet(packet);
    } else {
      this.sendBuffer.push(packet);
    }
    return this;
  }

  /** Alias: `send(...args)` emits `message`. */
  send(...args) {
    return this.emit('message', ...args);
  }

  /**
   * Like `emit` with an ack, as a Promise of the answer's first argument (rejected on timeout
   * when `timeout()`/`ackTimeout` applies).
   */
  emitWithAck(event, ...args) {
    const withError = this.flags.timeout !== undefined || this.opts.ackTimeout !== undefined;
    return new Promise((resolve, reject) => {
      args.push((first, second) => {
        if (!withError) return resolve(first);
        return first ? reject(first) : resolve(second);
      });
      this.emit(event, ...args);
    });
  }

  registerAck(id, ack) {
    const timeout = this.flags.timeout ?? this.opts.ackTimeout;
    if (timeout === undefined) {
      this.acks[id] = ack;
      return;
    }
    const timer = setTimeout(() => {
      delete this.acks[id];
      // An emit still waiting in the offline buffer must not leave once it has timed out.
      this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
      ack.call(this, new Error('operation has timed out'));
    }, timeout);
    // Callers of `fn` put the error first: null from `onack`, an Error from `clearAcks`.
    const fn = (...args) => {
      clearTimeout(timer);
      ack.apply(this, args);
    };
    fn.withError = true;
    this.acks[id] = fn;
  }

  /**
   * With the `retries` option, emits go one at a time through a queue and are sent again
   * when their ack times out, up to `retries` more times.
   */
  addToQueue(args) {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    const entry = { id: this.queueSeq++, tries: 0, pending: false, args, flags: { ...this.flags, fromQueue: true } };
    this.flags = {};
    args.push((err, ...response) => {
      if (entry !== this.queue[0]) return;
      if (err !== null) {
        if (entry.tries > this.opts.retries) {
          this.queue.shift();
          ack?.(err);
        }
      } else {
        this.queue.shift();
        ack?.(null, ...response);
      }
      entry.pending = false;
      this.drainQueue();
    });
    this.queue.push(entry);
    this.drainQueue();
  }

  drainQueue(force = false) {
    if (!this.connected || this.queue.length === 0) return;
    const entry = this.queue[0];
    if (entry.pending && !force) return;
    entry.pending = true;
    entry.tries++;
    this.flags = entry.flags;
    this.emit(...entry.args);
  }

  /** @param {import('./parser.js').Packet} packet */
  packet(packet) {
    packet.nsp = this.nsp;
    this.io._packet(packet);
  }

  /** @param {import('./parser.js').Packet} packet */
  onpacket(packet) {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case PacketType.CONNECT:
        if (packet.data && typeof packet.data.sid === 'string') this.onconnect(packet.data.sid, packet.data.pid);
        else this.fire('connect_error', new Error('the server answered CONNECT without a sid (not a Socket.IO v5 server?)'));
        break;
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        this.onevent(packet);
        break;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        this.onack(packet);
        break;
      case PacketType.DISCONNECT:
        this.destroy();
        this.onclose('io server disconnect');
        break;
      case PacketType.CONNECT_ERROR: {
        this.destroy();
        const data = packet.data;
        const err = new Error(typeof data === 'string' ? data : data.message);
        err.data = typeof data === 'object' ? data.data : undefined;
        this.fire('connect_error', err);
        break;
      }
      default:
        break;
    }
  }

  onevent(packet) {
    const args = packet.data;
    if (packet.id !== undefined) args.push(this.ackFor(packet.id));
    if (this.connected) this.dispatch(args);
    else this.receiveBuffer.push(args);
  }

  dispatch(args) {
    for (const fn of [...this.anyListeners]) fn.apply(this, args);
    this.fire(...args);
    // With recovery on, the server appends each packet's offset as the last argument.
    if (this.pid && args.length && typeof args[args.length - 1] === 'string') this.lastOffset = args[args.length - 1];
  }

  /** The function handed to an event handler to answer the server's ack request, once. */
  ackFor(id) {
    let sent = false;
    return (...args) => {
      if (sent) return;
      sent = true;
      this.packet({ type: PacketType.ACK, id, data: args });
    };
  }

  onack(packet) {
    const ack = this.acks[packet.id];
    if (typeof ack !== 'function') return;
    delete this.acks[packet.id];
    ack.apply(this, ack.withError ? [null, ...packet.data] : packet.data);
  }

  onconnect(id, pid) {
    this.id = id;
    this.recovered = Boolean(pid) && this.pid === pid;
    this.pid = pid;
    this.connected = true;
    for (const args of this.receiveBuffer) this.dispatch(args);
    this.receiveBuffer = [];
    for (const packet of this.sendBuffer) {
      this.notifyOutgoing(packet.data);
      this.packet(packet);
    }
    this.sendBuffer = [];
    this.fire('connect');
    this.drainQueue(true);
  }

  /**
   * Called when the connection or the namespace is gone; the Manager reconnects unless the
   * reason says the user or the server ended it.
   */
  onclose(reason, detail) {
    this.connected = false;
    this.id = undefined;
    this.fire('disconnect', reason, detail);
    this.clearAcks();
  }

  /** Acks that expect an error learn that the socket went away; the others can never run. */
  clearAcks() {
    for (const id of Object.keys(this.acks)) {
      const ack = this.acks[id];
      if (this.sendBuffer.some((p) => String(p.id) === id)) continue;
      delete this.acks[id];
      if (ack.withError) ack.call(this, new Error('socket has been disconnected'));
    }
  }

  /** Stops listening to the Manager; closes it if no other socket uses it. */
  destroy() {
    if (this.subs) {
      for (const unsubscribe of this.subs) unsubscribe();
      this.subs = undefined;
    }
    this.io._destroy(this);
  }

  /** Leaves the namespace; no reconnection follows. */
  disconnect() {
    if (this.connected) this.packet({ type: PacketType.DISCONNECT });
    this.destroy();
    if (this.connected) this.onclose('io client disconnect');
    return this;
  }

  /** Alias of `disconnect`. */
  close() {
    return this.disconnect();
  }

  /** Sets the compress flag (kept for API compatibility: this client never compresses). */
  compress(compress) {
    this.flags.compress = compress;
    return this;
  }

  /** The next emit is dropped instead of buffered when it cannot be sent at once. */
  get volatile() {
    this.flags.volatile = true;
    return this;
  }

  /**
   * The next emit's ack gets an Error first argument if the server has not answered in `ms`.
   * @param {number} ms
   */
  timeout(ms) {
    this.flags.timeout = ms;
    return this;
  }

  /** `fn(event, ...args)` for every incoming event. */
  onAny(fn) {
    this.anyListeners.push(fn);
    return this;
  }

  prependAny(fn) {
    this.anyListeners.unshift(fn);
    return this;
  }

  /** Removes `fn`, or every catch-all listener without an argument. */
  offAny(fn) {
    this.anyListeners = fn ? this.anyListeners.filter((l) => l !== fn) : [];
    return this;
  }

  listenersAny() {
    return [...this.anyListeners];
  }

  /** `fn(event, ...args)` for every event sent. */
  onAnyOutgoing(fn) {
    this.anyOutgoingListeners.push(fn);
    return this;
  }

  prependAnyOutgoing(fn) {
    this.anyOutgoingListeners.unshift(fn);
    return this;
  }

  offAnyOutgoing(fn) {
    this.anyOutgoingListeners = fn ? this.anyOutgoingListeners.filter((l) => l !== fn) : [];
    return this;
  }

  listenersAnyOutgoing() {
    return [...this.anyOutgoingListeners];
  }

  notifyOutgoing(data) {
    for (const fn of [...this.anyOutgoingListeners]) fn.apply(this, data);
  }
}
