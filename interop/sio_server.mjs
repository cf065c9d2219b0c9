#!/usr/bin/env node
// Reference Socket.IO server on the official npm `socket.io` 4.8.4: the behaviour contract that
// sio_client.mjs / py_sio_client.py check and that sio_compare.mjs holds our Rust server to.
// Every event and its answer is specified in interop/README.md ("Socket.IO server contract").
import http from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const require = createRequire(import.meta.url);

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'ping-interval': { type: 'string', default: '25000' },
      'ping-timeout': { type: 'string', default: '20000' },
      'max-payload': { type: 'string', default: '1000000' },
      'connect-timeout': { type: 'string', default: '45000' },
      parser: { type: 'string', default: 'default' },
      recovery: { type: 'boolean', default: false },
      'max-disconnection-duration': { type: 'string', default: '2000' },
      cors: { type: 'string', default: '' },
      transports: { type: 'string', default: 'polling,websocket' },
      quiet: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.log(JSON.stringify({ event: 'exit', ok: false, error: err.message }));
  process.exit(2);
}
if (!['default', 'msgpack'].includes(args.parser)) {
  console.log(JSON.stringify({ event: 'exit', ok: false, error: '--parser must be default or msgpack' }));
  process.exit(2);
}

const opts = {
  pingInterval: Number(args['ping-interval']),
  pingTimeout: Number(args['ping-timeout']),
  maxHttpBufferSize: Number(args['max-payload']),
  connectTimeout: Number(args['connect-timeout']),
  transports: args.transports.split(','),
  // No compression: the Rust side runs without it too.
  perMessageDeflate: false,
  httpCompression: false,
  // Engine.IO alone at /engine.io/ is not part of this program (eio_echo_server.mjs is).
  serveClient: false,
};
if (args.parser === 'msgpack') opts.parser = require('socket.io-msgpack-parser');
if (args.recovery) {
  opts.connectionStateRecovery = {
    maxDisconnectionDuration: Number(args['max-disconnection-duration']),
    skipMiddlewares: false,
  };
}
if (args.cors) opts.cors = { origin: args.cors === '*' ? '*' : args.cors.split(','), credentials: false };

const httpServer = http.createServer();
const io = new Server(httpServer, opts);
// The parent of the dynamic namespaces `/dyn-<digits>`.
const dynParent = io.of(/^\/dyn-\d+$/);
const stats = { event: 'exit', ok: true, connections: 0, events: 0 };

// A socket's rooms in a stable order: the Rust server keeps them in a set of its own.
const sortedRooms = (socket) => [...socket.rooms].sort();
const list = (x) => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);

// The namespace (or, for `from: "io"`, the main namespace; for "parent", the parent namespace of
// a dynamic one) an operation targets, with its `to` / `except` rooms applied.
function target(socket, spec) {
  let op;
  switch (spec.from) {
    case 'io':
      op = io;
      break;
    case 'parent':
      // A child namespace does not know its parent in Node: look it up.
      op = dynParent.children.has(socket.nsp) ? dynParent : socket.nsp;
      break;
    case 'socket':
      op = socket;
      if (spec.broadcast) op = op.broadcast;
      break;
    default:
      op = socket.nsp;
  }
  if (spec.to !== undefined) op = op.to(list(spec.to));
  if (spec.except !== undefined) op = op.except(list(spec.except));
  return op;
}

function setup(socket) {
  stats.connections++;
  let disconnectingRooms = [];
  let lastEvent = null;
  let previousEvent = null;

  // Per-event middleware: refuses the event `forbidden` (no handler runs, its ack is never
  // answered; onAny, which Node runs before the middlewares, still sees it) and tells the client.
  // Emitted here rather than from the socket's `error` event, which Node also fires for parse
  // errors.
  socket.use(([event], next) => {
    if (event !== 'forbidden') return next();
    socket.emit('middleware-error', 'forbidden event');
    next(new Error('forbidden event'));
  });
  socket.onAny((event) => {
    stats.events++;
    previousEvent = lastEvent;
    lastEvent = event;
  });
  // Outgoing catch-all: sees this socket's emits and the broadcasts that reach it (not acks).
  let lastOutgoing = null;
  socket.onAnyOutgoing((event) => {
    lastOutgoing = event;
  });

  socket.emit('auth', socket.handshake.auth);

  // An ack the client asks for on `message` is never answered.
  socket.on('message', (...a) => socket.emit('message-back', ...a.filter((x) => typeof x !== 'function')));
  socket.on('message-with-ack', (...a) => {
    const ack = a.pop();
    if (typeof ack === 'function') ack(...a);
  });
  socket.on('no-ack', () => {});
  socket.on('double-ack', (...a) => {
    const ack = a.pop();
    if (typeof ack !== 'function') return;
    ack('first');
    ack('second');
  });
  socket.on('last-event', (ack) => ack(previousEvent));
  socket.on('last-outgoing', (ack) => ack(lastOutgoing));
  socket.on('join', (rooms, ack) => {
    socket.join(list(rooms));
    ack?.(sortedRooms(socket));
  });
  socket.on('leave', (rooms, ack) => {
    for (const r of list(rooms)) socket.leave(r);
    ack?.(sortedRooms(socket));
  });
  socket.on('rooms', (ack) => ack(sortedRooms(socket)));
  socket.on('set-data', (value, ack) => {
    socket.data = value;
    ack?.();
  });
  socket.on('emit-op', (spec, ack) => {
    let op = target(socket, spec);
    if (spec.volatile) op = op.volatile;
    if (spec.local) op = op.local;
    if (typeof spec.compress === 'boolean') op = op.compress(spec.compress);
    const emitArgs = [...(spec.args ?? [])];
    if (typeof spec.timeout === 'number') {
      op = op.timeout(spec.timeout);
      emitArgs.push((err, responses) =>
        socket.emit('emit-op-result', { timed_out: Boolean(err), responses: responses ?? [] }),
      );
    }
    op.emit(spec.event, ...emitArgs);
    ack?.();
  });
  socket.on('emit-with-ack', (spec) => {
    const report = (err, ...resp) =>
      socket.emit('emit-with-ack-result', err ? { error: 'timeout' } : { args: resp });
    if (typeof spec.timeout === 'number') {
      socket.timeout(spec.timeout).emit(spec.event, ...(spec.args ?? []), report);
    } else {
      socket.emit(spec.event, ...(spec.args ?? []), (...resp) => report(null, ...resp));
    }
  });
  socket.on('volatile-burst', (n, ack) => {
    for (let i = 0; i < n; i++) socket.volatile.emit('volatile', i);
    ack?.();
  });
  socket.on('fetch-sockets', async (spec, ack) => {
    let op = target(socket, { ...spec, from: spec.from === 'io' ? 'io' : 'nsp' });
    if (spec.local) op = op.local;
    const found = await op.fetchSockets();
    ack(found.map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data ?? null })));
  });
  socket.on('sockets-join', (spec, ack) => {
    target(socket, { ...spec, from: 'nsp' }).socketsJoin(list(spec.rooms));
    ack?.();
  });
  socket.on('sockets-leave', (spec, ack) => {
    target(socket, { ...spec, from: 'nsp' }).socketsLeave(list(spec.rooms));
    ack?.();
  });
  socket.on('disconnect-sockets', (spec, ack) => {
    ack?.();
    target(socket, { ...spec, from: 'nsp' }).disconnectSockets(Boolean(spec.close));
  });
  socket.on('server-disconnect', (close) => socket.disconnect(Boolean(close)));

  socket.on('disconnecting', () => {
    disconnectingRooms = sortedRooms(socket);
  });
  socket.on('disconnect', (reason) => {
    socket.nsp.to('observers').emit('peer-disconnect', { id: socket.id, reason, rooms: disconnectingRooms });
    if (!args.quiet) console.log(JSON.stringify({ event: 'closed', nsp: socket.nsp.name, id: socket.id, reason }));
  });
}

io.on('connection', setup);
io.of('/custom').on('connection', setup);
dynParent.on('connection', setup);
const authNsp = io.of('/auth');
authNsp.use((socket, next) => {
  if (socket.handshake.auth?.token === 'secret') return next();
  const err = new Error('not authorized');
  err.data = { code: 401 };
  next(err);
});
authNsp.on('connection', setup);

httpServer.listen(Number(args.port), args.host, () => {
  console.log(`LISTENING ${httpServer.address().port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    console.log(JSON.stringify(stats));
    io.close();
    process.exit(0);
  });
}
