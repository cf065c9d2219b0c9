#!/usr/bin/env node
// Node `socket.io` 4.8.4 twin of crates/socketio/examples/bench_server.rs, the peer our Socket.IO
// server is benchmarked against: `echo` is acked with its arguments, `join` puts the socket in
// room `r` and acks with none, `broadcast X` emits `msg X` to room `r` (sender included).
// Default server options, as a user gets them: `/socket.io/`, 25 s / 20 s heartbeat, polling and
// WebSocket. Prints `LISTENING <port>`; unless `--quiet`, one exit line on SIGTERM/SIGINT.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      quiet: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

const httpServer = http.createServer();
const io = new Server(httpServer);
let connections = 0;

io.on('connection', (socket) => {
  connections += 1;
  socket.on('echo', (...eventArgs) => {
    // The ack callback, when the client asked for one, comes last.
    const ack = eventArgs.at(-1);
    if (typeof ack === 'function') ack(...eventArgs.slice(0, -1));
  });
  socket.on('join', (ack) => {
    socket.join('r');
    if (typeof ack === 'function') ack();
  });
  socket.on('broadcast', (...payload) => {
    // No ack is part of the contract: a callback the client sent anyway is not broadcast.
    if (typeof payload.at(-1) === 'function') payload.pop();
    // `io.to` reaches the sender too; `socket.to` would leave it out.
    io.to('r').emit('msg', ...payload);
  });
});

httpServer.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`LISTENING ${httpServer.address().port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    if (!args.quiet) console.log(JSON.stringify({ event: 'exit', ok: true, connections }));
    process.exit(0);
  });
}
