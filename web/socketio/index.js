/**
 * duplex's browser client for Socket.IO v5 (Engine.IO v4): `io(url, opts)` as in
 * socket.io-client, so a page can switch between the two by changing one import.
 *
 *   import { io } from '/socket.io/client/index.js';
 *   const socket = io('/chat', { auth: { token } });
 *   socket.emit('hello', 'world', (answer) => console.log(answer));
 */
import { Manager } from './manager.js';
import { Socket } from './socket.js';

/** Managers shared by `io()` calls to the same server, so namespaces multiplex one connection. */
const cache = {};

/**
 * A Socket for the namespace named by `uri`'s path (default `/`) on the server at `uri`'s
 * origin (default: the page's). A second namespace on a cached Manager shares its connection;
 * the same namespace twice, `forceNew` or `multiplex: false` open a new one.
 * @param {string | object} [uri]
 * @param {object} [opts]
 * @returns {Socket}
 */
export function io(uri, opts) {
  if (typeof uri === 'object') {
    opts = uri;
    uri = undefined;
  }
  opts = opts ?? {};
  const base = typeof location !== 'undefined' ? location.href : undefined;
  const url = new URL(uri ?? base, base);
  const nsp = url.pathname || '/';
  const query = Object.fromEntries(url.searchParams);
  const id = `${url.origin}${opts.path ?? '/socket.io/'}`;
  const same = cache[id] && nsp in cache[id].nsps;
  let manager;
  if (opts.forceNew || opts['force new connection'] || opts.multiplex === false || same) {
    manager = new Manager({ origin: url.origin, query }, opts);
  } else {
    cache[id] ??= new Manager({ origin: url.origin, query }, opts);
    manager = cache[id];
  }
  return manager.socket(nsp, opts);
}

/** The protocol revision this client speaks (socket.io-client exports the same number). */
export const protocol = 5;

export { io as connect, io as default, Manager, Socket };
