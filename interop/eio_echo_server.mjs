#!/usr/bin/env node
// Reference Engine.IO echo server on the official npm `engine.io`: the side-by-side peer of
// `cargo run --example engineio_echo` in benchmarks, and the stand-in our test clients are checked
// against. Same flags as the Rust example. Contract: interop/README.md.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import { Server } from 'engine.io';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'ping-interval': { type: 'string', default: '25000' },
    'ping-timeout': { type: 'string', default: '20000' },
    'max-payload': { type: 'string', default: '1000000' },
    cors: { type: 'string', default: '' },
    transports: { type: 'string', default: 'polling,websocket' },
    'allow-eio3': { type: 'boolean', default: false },
    'cors-credentials': { type: 'boolean', default: false },
    forbid: { type: 'boolean', default: false },
    // PEM files: with both, the server speaks https:// (and wss://) only.
    cert: { type: 'string', default: '' },
    key: { type: 'string', default: '' },
    quiet: { type: 'boolean', default: false },
  },
});

const opts = {
  pingInterval: Number(args['ping-interval']),
  pingTimeout: Number(args['ping-timeout']),
  maxHttpBufferSize: Number(args['max-payload']),
  transports: args.transports.split(','),
  allowEIO3: args['allow-eio3'],
  // No compression: the Rust side is measured without it too.
  perMessageDeflate: false,
  httpCompression: false,
};
if (args.cors) {
  opts.cors = {
    origin: args.cors === '*' ? '*' : args.cors.split(','),
    credentials: args['cors-credentials'],
  };
}
// --forbid: allowRequest refuses every handshake that carries an `x-forbid` header (error code 4).
if (args.forbid) opts.allowRequest = (req, callback) => callback(null, !('x-forbid' in req.headers));

const engine = new Server(opts);
if (Boolean(args.cert) !== Boolean(args.key)) {
  console.log(JSON.stringify({ ok: false, error: '--cert and --key go together' }));
  process.exit(2);
}
const httpServer = args.cert
  ? https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) })
  : http.createServer();
engine.attach(httpServer, { path: '/engine.io/' });

const stats = { event: 'exit', ok: true, sessions: 0, messages: 0 };
engine.on('connection', (socket) => {
  stats.sessions++;
  socket.on('message', (data) => {
    stats.messages++;
    // The text `close-me` asks the server to close the session (the server-close scenario).
    if (data === 'close-me') socket.close();
    else socket.send(data);
  });
  socket.on('close', (reason) => {
    if (!args.quiet) console.log(JSON.stringify({ event: 'closed', sid: socket.id, reason }));
  });
});

httpServer.listen(Number(args.port), args.host, () => {
  console.log(`LISTENING ${httpServer.address().port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    console.log(JSON.stringify(stats));
    engine.close();
    httpServer.close();
    process.exit(0);
  });
}
