#!/usr/bin/env node
// Reference WebSocket echo server on Node `ws`: the peer our client is tested against, and the
// stand-in for `duplex echo` when validating the Autobahn harness. Contract: interop/README.md.
import { WebSocketServer } from 'ws';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    deflate: { type: 'string', default: '{"threshold":0}' },
    protocols: { type: 'string', default: '' },
    once: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '0' },
    quiet: { type: 'boolean', default: false },
  },
});

let perMessageDeflate;
try {
  perMessageDeflate = JSON.parse(args.deflate);
} catch (err) {
  console.error(`--deflate is not JSON: ${err.message}`);
  process.exit(2);
}
const supported = args.protocols ? args.protocols.split(',') : [];

const stats = { event: 'exit', ok: true, connections: 0, messages: 0, errors: [] };

const wss = new WebSocketServer({
  host: args.host,
  port: Number(args.port),
  perMessageDeflate,
  // Autobahn group 9 sends messages up to 16 MiB; leave head-room.
  maxPayload: 64 * 1024 * 1024,
  // ws >= 8.19 caps a message at 16384 fragments by default (close 1008); Autobahn 9.3.x/9.4.x
  // send a 4 MiB message as 65,536 fragments of 64 bytes.
  maxFragments: 1 << 20,
  handleProtocols: (offered) => {
    for (const p of offered) if (supported.includes(p)) return p;
    return false;
  },
});

function finish(code) {
  console.log(JSON.stringify(stats));
  process.exit(code);
}

wss.on('listening', () => {
  console.log(`LISTENING ${wss.address().port}`);
});

// Record the full accepted Sec-WebSocket-Extensions value (ws.extensions has only the names).
wss.on('headers', (headers, req) => {
  const line = headers.find((h) => h.toLowerCase().startsWith('sec-websocket-extensions:'));
  if (line) req.duplexExtensions = line.slice(line.indexOf(':') + 1).trim();
});

wss.on('connection', (ws, req) => {
  stats.connections += 1;
  const conn = {
    event: 'closed',
    path: req.url,
    extensions: req.duplexExtensions ?? '',
    protocol: ws.protocol,
    messages: 0,
    code: null,
    reason: null,
  };
  ws.on('message', (data, isBinary) => {
    conn.messages += 1;
    stats.messages += 1;
    ws.send(data, { binary: isBinary });
  });
  ws.on('ping', () => {});
  ws.on('error', (err) => {
    // A protocol error is the peer's fault and ends only this connection (Autobahn expects that).
    conn.error = err.message;
  });
  ws.on('close', (code, reason) => {
    conn.code = code;
    conn.reason = reason.toString();
    if (!args.quiet) console.log(JSON.stringify(conn));
    if (args.once) finish(0);
  });
});

wss.on('error', (err) => {
  stats.ok = false;
  stats.errors.push(err.message);
  finish(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => finish(0));
const timeout = Number(args.timeout);
if (timeout > 0) setTimeout(() => finish(0), timeout * 1000).unref();
