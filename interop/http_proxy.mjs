#!/usr/bin/env node
// A real HTTP proxy (npm `proxy`, CONNECT tunnels included) for the clients' proxy tests: it
// reports every tunnel it is asked for, so a test sees which connections went through it.
// Contract: interop/README.md.
import http from 'node:http';
import { createProxy } from 'proxy';
import { optionsOrExit } from './_cli.mjs';

const args = optionsOrExit({
  port: { type: 'string', default: '0' },
  host: { type: 'string', default: '127.0.0.1' },
  // user:password; when given, every request without these basic credentials gets a 407.
  auth: { type: 'string', default: '' },
});

// The user name of a basic Proxy-Authorization header, null without one.
function credentials(req) {
  const header = req.headers['proxy-authorization'] ?? '';
  const [scheme, encoded] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !encoded) return null;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

const stats = { event: 'exit', ok: true, connects: 0, requests: 0, refused: 0 };
const server = http.createServer();
// Before createProxy's own listener, so each line is out before the tunnel opens.
server.on('connect', (req) => {
  stats.connects++;
  const given = credentials(req);
  const authorized = !args.auth || given === args.auth;
  if (!authorized) stats.refused++;
  const user = given === null ? null : given.split(':')[0];
  console.log(JSON.stringify({ event: 'connect', target: req.url, user, authorized }));
});
server.on('request', (req) => {
  stats.requests++;
  console.log(JSON.stringify({ event: 'request', url: req.url }));
});
const proxy = createProxy(server);
if (args.auth) proxy.authenticate = (req) => credentials(req) === args.auth;

server.listen(Number(args.port), args.host, () => {
  console.log(`LISTENING ${server.address().port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    console.log(JSON.stringify(stats));
    process.exit(0);
  });
}
