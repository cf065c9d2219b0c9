#!/usr/bin/env node
// Checks one Socket.IO benchmark server (ours: crates/socketio/examples/bench_server.rs, Node:
// sio_bench_server.mjs, socketioxide: benches/peers socketioxide_bench) against the contract they
// share, over WebSocket with the official `socket.io-client` 4.8.4, plus the raw wire of the acks
// through a bare `ws` client. One JSON line; exit 0 when every check passed, 1 otherwise, 2 on
// bad arguments. Bounded: the whole run gives up after --timeout ms (default 8000).
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      timeout: { type: 'string', default: '8000' },
    },
  }));
  if (!/^\d+$/.test(args.port ?? '')) throw new Error('--port P is required');
} catch (err) {
  writeSync(1, `${JSON.stringify({ ok: false, error: err.message })}\n`);
  process.exit(2);
}

const url = `http://${args.host}:${args.port}`;
const started = Date.now();
const result = { ok: false, peer: 'sio-bench-check', url, checks: [], wire: {} };
const sockets = [];

function finish(code) {
  for (const s of sockets) s.close();
  result.ok = code === 0 && !result.error && result.checks.length > 0 && result.checks.every((c) => c.ok);
  result.elapsed_ms = Date.now() - started;
  // Synchronous: console.log to a pipe may be cut short by process.exit.
  writeSync(1, `${JSON.stringify(result)}\n`);
  for (const c of result.checks.filter((c) => !c.ok)) console.error(`FAIL ${c.name}: ${c.detail}`);
  if (result.error) console.error(`ERROR ${result.error}`);
  process.exit(result.ok ? 0 : 1);
}

function check(name, ok, detail) {
  result.checks.push(ok ? { name, ok } : { name, ok, detail });
}

// Order-sensitive (object keys included): the servers must send back what they were sent.
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function connect(name) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 3000 });
    sockets.push(socket);
    socket.on('connect', () => resolve(socket));
    socket.on('connect_error', (err) => reject(new Error(`${name}: connect_error ${err.message}`)));
  });
}

// Emits `event` with `payload` asking for an ack; resolves with every argument of the ack.
function call(socket, event, payload) {
  return new Promise((resolve, reject) => {
    socket.timeout(2000).emit(event, ...payload, (err, ...answer) => {
      if (err) reject(new Error(`no ack to ${event} within 2 s`));
      else resolve(answer);
    });
  });
}

async function echoChecks(socket) {
  const cases = [
    ['echo-0-args', []],
    ['echo-1-string', ['héllo, wörld 🦀']],
    ['echo-1-number', [-12.5]],
    ['echo-1-object', [{ b: 1, a: [true, null, 'x'], nested: { z: 'last', y: 2 } }]],
    ['echo-3-mixed', ['one', 2, { three: [3, { deep: 'yes' }] }]],
  ];
  for (const [name, payload] of cases) {
    const answer = await call(socket, 'echo', payload);
    check(name, same(answer, payload), `sent ${JSON.stringify(payload)}, acked with ${JSON.stringify(answer)}`);
  }
}

// Collects the `msg` events a socket receives.
function inbox(socket) {
  const got = [];
  socket.on('msg', (...msgArgs) => got.push(msgArgs));
  return got;
}

async function until(predicate, ms) {
  const end = Date.now() + ms;
  while (!predicate() && Date.now() < end) await sleep(10);
  return predicate();
}

async function broadcastChecks(a, b, c) {
  const inboxes = { a: inbox(a), b: inbox(b), c: inbox(c) };
  for (const [name, socket] of [['a', a], ['b', b]]) {
    const answer = await call(socket, 'join', []);
    check(`join-acked-${name}`, answer.length === 0, `join acked with ${JSON.stringify(answer)}, want no arguments`);
  }
  // A joined sender first, then one outside the room: the room gets both, the outsider neither.
  const rounds = [
    ['from-member', a, { seq: 1, text: 'to room r', list: [1, 2, 3] }],
    ['from-outsider', c, 'second broadcast'],
  ];
  for (const [round, sender, payload] of rounds) {
    const before = { a: inboxes.a.length, b: inboxes.b.length, c: inboxes.c.length };
    sender.emit('broadcast', payload);
    const arrived = await until(() => inboxes.a.length > before.a && inboxes.b.length > before.b, 2000);
    // Barrier: the outsider's own round trip comes after anything the broadcast queued for it.
    await call(c, 'echo', ['barrier']);
    await sleep(100);
    for (const name of ['a', 'b']) {
      const fresh = inboxes[name].slice(before[name]);
      check(
        `broadcast-${round}-reaches-${name}`,
        arrived && fresh.length === 1 && same(fresh[0], [payload]),
        `want one msg ${JSON.stringify([payload])}, got ${JSON.stringify(fresh)}`,
      );
    }
    const leaked = inboxes.c.slice(before.c);
    check(`broadcast-${round}-skips-c`, leaked.length === 0, `the socket outside room r got ${JSON.stringify(leaked)}`);
  }
}

// The acks as text frames, through a bare WebSocket: `43<id>[...]`.
function wireAcks() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${args.host}:${args.port}/socket.io/?EIO=4&transport=websocket`);
    const frames = [];
    const acks = {};
    ws.on('message', (data) => {
      const text = data.toString();
      frames.push(text);
      if (text.startsWith('0')) ws.send('40');
      else if (text.startsWith('40')) {
        ws.send('427["echo"]');
        ws.send('428["echo","x",1,{"k":"v"}]');
        ws.send('429["join"]');
      } else if (text === '2') ws.send('3');
      else if (/^43\d/.test(text)) {
        acks[text.match(/^43(\d+)/)[1]] = text;
        if (Object.keys(acks).length === 3) {
          ws.close();
          resolve(acks);
        }
      }
    });
    ws.on('error', (err) => reject(new Error(`raw WebSocket: ${err.message}`)));
    ws.on('close', () => reject(new Error(`raw WebSocket closed early; frames ${JSON.stringify(frames)}`)));
  });
}

async function main() {
  const [a, b, c] = await Promise.all([connect('a'), connect('b'), connect('c')]);
  check('connected-over-websocket', [a, b, c].every((s) => s.io.engine.transport.name === 'websocket'), 'not on websocket');
  await echoChecks(a);
  await broadcastChecks(a, b, c);
  const acks = await wireAcks();
  result.wire = { echo_0_args: acks['7'], echo_3_args: acks['8'], join: acks['9'] };
  check('wire-echo-0-args', acks['7'] === '437[]', `want 437[], got ${acks['7']}`);
  check('wire-echo-3-args', acks['8'] === '438["x",1,{"k":"v"}]', `want 438["x",1,{"k":"v"}], got ${acks['8']}`);
  check('wire-join-ack', acks['9'] === '439[]', `want 439[], got ${acks['9']}`);
}

setTimeout(() => {
  result.error = `gave up after ${args.timeout} ms`;
  finish(1);
}, Number(args.timeout)).unref();

main().then(
  () => finish(0),
  (err) => {
    result.error = err.message;
    finish(1);
  },
);
