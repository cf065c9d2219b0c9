#!/usr/bin/env node
// Drives one of the crates/socketio examples (chat, axum, acks, binary, auth) with the official
// npm `socket.io-client` 4.8.4 and checks what its module doc promises. Contract: interop/README.md
// ("sio_examples.mjs"). One JSON line on stdout: {"ok","example","transports","checks","error"?};
// exit 0 when every check passed, 1 on the first mismatch (named in `error`), 2 on bad flags.
import { isDeepStrictEqual } from 'node:util';
import { writeSync } from 'node:fs';
import { io } from 'socket.io-client';
import { optionsOrExit } from './_cli.mjs';

const args = optionsOrExit({
  example: { type: 'string' },
  url: { type: 'string' },
  transports: { type: 'string', default: 'websocket' },
  timeout: { type: 'string', default: '20' },
});

const result = { ok: false, example: args.example, transports: args.transports, checks: [] };

function finish(code) {
  result.ok = code === 0;
  // Synchronous: console.log to a pipe may be cut short by process.exit.
  writeSync(1, `${JSON.stringify(result)}\n`);
  process.exit(code);
}

/// How long one expected event or ack may take.
const STEP = 3000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Mismatch extends Error {}

function show(value) {
  return JSON.stringify(value, (_k, v) => {
    if (Object.is(v, -0)) return '<-0>';
    if (v === undefined) return '<undefined>';
    return v && v.type === 'Buffer' && Array.isArray(v.data) ? `<Buffer ${Buffer.from(v.data).toString('hex')}>` : v;
  });
}

/// Records a check; a mismatch ends the run.
function check(name, actual, expected) {
  const ok = isDeepStrictEqual(actual, expected);
  result.checks.push(ok ? { name, ok } : { name, ok, expected: show(expected), actual: show(actual) });
  if (!ok) throw new Mismatch(`${name}: expected ${show(expected)}, got ${show(actual)}`);
}

function checkThat(name, ok, detail) {
  result.checks.push(ok ? { name, ok } : { name, ok, detail });
  if (!ok) throw new Mismatch(`${name}: ${detail}`);
}

function within(ms, what, promise) {
  let timer;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Mismatch(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/// A client that records every event it receives (from before it connects, so that an emit
/// written right behind the CONNECT packet is not missed).
function client(name, options = {}) {
  const socket = io(args.url, {
    transports: [args.transports],
    upgrade: false,
    forceNew: true,
    reconnection: false,
    autoConnect: false,
    timeout: STEP,
    ...options,
  });
  socket.label = name;
  socket.received = [];
  socket.waiters = [];
  socket.onAny((event, ...rest) => {
    // An ack callback the server asked for is not part of what was received.
    const values = rest.filter((v) => typeof v !== 'function');
    socket.received.push({ event, args: values });
    for (const wake of socket.waiters.splice(0)) wake();
  });
  return socket;
}

/// The arguments of the next `event` this client receives.
async function next(socket, event, ms = STEP) {
  const take = () => {
    const i = socket.received.findIndex((r) => r.event === event);
    return i < 0 ? undefined : socket.received.splice(i, 1)[0].args;
  };
  return within(ms, `${socket.label} awaiting ${event}`, (async () => {
    for (;;) {
      const found = take();
      if (found) return found;
      await new Promise((wake) => socket.waiters.push(wake));
    }
  })());
}

/// Nothing named `event` reached this client (pending deliveries get `ms` to arrive).
async function nothing(socket, event, ms = 300) {
  await sleep(ms);
  const stray = socket.received.filter((r) => r.event === event);
  check(`${socket.label} got no ${event}`, stray, []);
}

function connect(socket) {
  return within(STEP, `${socket.label} connecting`, new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (err) => reject(new Mismatch(`${socket.label} refused: ${err.message}`)));
    socket.connect();
  }));
}

function refusal(socket) {
  return within(STEP, `${socket.label} awaiting connect_error`, new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Mismatch(`${socket.label} was accepted`)));
    socket.once('connect_error', (err) => resolve({ message: err.message, data: err.data }));
    socket.connect();
  }));
}

const ask = (socket, event, ...rest) => socket.timeout(STEP).emitWithAck(event, ...rest);

/// All the arguments of an ack (emitWithAck gives the first one only).
function askAll(socket, event, ...rest) {
  return within(STEP, `${socket.label} awaiting the ack of ${event}`, new Promise((resolve) => {
    socket.emit(event, ...rest, (...answer) => resolve(answer));
  }));
}

const opened = [];
function clients(...names) {
  const made = names.map((n) => client(n));
  opened.push(...made);
  return made;
}

// ---- chat ------------------------------------------------------------------------------------

async function chat() {
  const [alice, bob, carol] = clients('alice', 'bob', 'carol');
  await Promise.all([alice, bob, carol].map(connect));
  check('join before a nickname', await ask(alice, 'join', 'lobby'), { ok: false, error: 'set a nickname first' });
  check('empty nickname', await ask(alice, 'set nickname', '  '), { ok: false, error: 'a nickname has 1 to 32 characters' });
  check('long nickname', (await ask(alice, 'set nickname', 'x'.repeat(33))).ok, false);
  check('nickname alice', await ask(alice, 'set nickname', ' alice '), { ok: true, nickname: 'alice' });
  check('nickname bob', await ask(bob, 'set nickname', 'bob'), { ok: true, nickname: 'bob' });
  check('nickname carol', await ask(carol, 'set nickname', 'carol'), { ok: true, nickname: 'carol' });

  check('alice joins lobby', await ask(alice, 'join', 'lobby'), { ok: true, room: 'lobby', members: 1 });
  check('bob joins lobby', await ask(bob, 'join', 'lobby'), { ok: true, room: 'lobby', members: 2 });
  check('alice sees bob join', await next(alice, 'user joined'), [{ room: 'lobby', nickname: 'bob' }]);
  check('carol joins garden', await ask(carol, 'join', 'garden'), { ok: true, room: 'garden', members: 1 });
  check("a socket's own room is private", await ask(carol, 'join', alice.id), { ok: false, error: 'no such room' });

  check('alice writes to lobby', await ask(alice, 'message', { room: 'lobby', text: 'hi bob' }), { ok: true });
  check('bob reads it', await next(bob, 'message'), [{ room: 'lobby', nickname: 'alice', text: 'hi bob' }]);
  bob.emit('message', { room: 'lobby', text: 'hi alice' }); // no ack asked: none needed
  check('alice reads bob', await next(alice, 'message'), [{ room: 'lobby', nickname: 'bob', text: 'hi alice' }]);
  check('carol cannot write to lobby', await ask(carol, 'message', { room: 'lobby', text: 'psst' }), {
    ok: false,
    error: 'join the room first',
  });
  check('rename alice', await ask(alice, 'set nickname', 'alicia'), { ok: true, nickname: 'alicia' });
  await ask(alice, 'message', { room: 'lobby', text: 'new name' });
  check('the new nickname is used', await next(bob, 'message'), [{ room: 'lobby', nickname: 'alicia', text: 'new name' }]);
  await nothing(carol, 'message');
  await nothing(carol, 'user joined', 0);
  await nothing(alice, 'message', 0);

  check('bob leaves', await ask(bob, 'leave', 'lobby'), { ok: true, room: 'lobby' });
  check('alice sees bob leave', await next(alice, 'user left'), [{ room: 'lobby', nickname: 'bob' }]);
  check('leave twice', await ask(bob, 'leave', 'lobby'), { ok: false, error: 'not in that room' });
  await ask(alice, 'message', { room: 'lobby', text: 'anyone?' });
  await nothing(bob, 'message');

  check('bob rejoins', await ask(bob, 'join', 'lobby'), { ok: true, room: 'lobby', members: 2 });
  await next(alice, 'user joined');
  bob.disconnect();
  check('a disconnect leaves the room', await next(alice, 'user left'), [{ room: 'lobby', nickname: 'bob' }]);
  await nothing(carol, 'user left', 0);
}

// ---- axum ------------------------------------------------------------------------------------

async function http(path, init) {
  const response = await within(STEP, `${path}`, fetch(new URL(path, args.url), init));
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

async function health() {
  const { status, type, body } = await http('/health');
  check('GET /health status', [status, type], [200, 'application/json']);
  return JSON.parse(body);
}

async function sockets(expected) {
  let last;
  for (let i = 0; i < 30; i++) {
    last = await health();
    if (last.sockets === expected) break;
    await sleep(100);
  }
  check(`/health counts ${expected} sockets`, last, { status: 'ok', sockets: expected });
}

async function axum() {
  const index = await http('/');
  check('GET / is axum text', [index.status, index.body.startsWith('duplex-socketio inside axum')], [200, true]);
  check('an unknown route is 404', (await http('/nowhere')).status, 404);
  check('the layer answers its path', (await http('/socket.io/?EIO=4&transport=nonsense')).status, 400);
  await sockets(0);
  const [ada, bo] = clients('ada', 'bo');
  await Promise.all([ada, bo].map(connect));
  await sockets(2);
  check('hello', await ask(ada, 'hello', 'ada'), 'hello ada, from axum');
  const announced = await http('/announce', { method: 'POST', body: 'lunch!' });
  check('POST /announce', [announced.status, announced.body], [202, 'announced\n']);
  check('ada hears it', await next(ada, 'announcement'), ['lunch!']);
  check('bo hears it', await next(bo, 'announcement'), ['lunch!']);
  bo.disconnect();
  await sockets(1);
}

// ---- acks ------------------------------------------------------------------------------------

async function acks() {
  const [asker, yes, no, silent] = clients('asker', 'yes', 'no', 'silent');
  let answering = true;
  asker.on('question', (text, answer) => {
    asker.question = text;
    if (answering) answer(42);
  });
  yes.on('vote', (_q, answer) => answer('yes'));
  no.on('vote', (_q, answer) => answer('no'));
  silent.on('vote', () => {});
  await Promise.all([asker, yes, no, silent].map(connect));

  check('sum of an array', await ask(asker, 'sum', [1, 2, 3.5]), 6.5);
  check('sum of arguments', await askAll(asker, 'sum', 1, 2, 3), [6]);
  check('sum of one number', await ask(asker, 'sum', 5), 5);
  check('sum of nothing', await ask(asker, 'sum', []), 0);
  const bad = await ask(asker, 'sum', ['a']);
  checkThat('sum of strings is an error', typeof bad?.error === 'string' && bad.error.startsWith('numbers only'), show(bad));

  asker.emit('quiz', 2000);
  check('the answer reaches the server', await next(asker, 'quiz answer'), [42]);
  check('the question', asker.question, 'What is 6 x 7?');
  answering = false;
  const started = Date.now();
  asker.emit('quiz', 300);
  check('no answer times out', await next(asker, 'quiz timeout'), [300]);
  const waited = Date.now() - started;
  checkThat('the server waited its timeout', waited >= 250 && waited < 2500, `${waited} ms`);
  await nothing(asker, 'quiz answer', 0);

  const polled = Date.now();
  const tally = await ask(asker, 'poll', { question: 'Tabs?', timeout_ms: 500 });
  const took = Date.now() - polled;
  check('poll tally', tally, { votes: { no: 1, yes: 1 }, unanswered: 1 });
  checkThat('the poll waited for the silent one', took >= 450 && took < 2500, `${took} ms`);
  check('voters got the question', await next(silent, 'vote'), ['Tabs?']);
  await nothing(asker, 'vote', 0);
  // Whether the server learns of the departure before or during the poll, a voter that left
  // must not hold the poll until its timeout.
  silent.disconnect();
  const again = Date.now();
  const second = await ask(asker, 'poll', { question: 'Spaces?', timeout_ms: 5000 });
  const quick = Date.now() - again;
  check('poll after the silent one left', [second.votes, second.unanswered <= 1], [{ no: 1, yes: 1 }, true]);
  checkThat('a voter that left does not hold the poll', quick < 2500, `${quick} ms`);
}

// ---- binary ----------------------------------------------------------------------------------

const buf = (...bytes) => Buffer.from(bytes);

async function binary() {
  const [c] = clients('c');
  await connect(c);
  check('welcome', await next(c, 'welcome'), ['binary ready', buf(0xde, 0xad, 0xbe, 0xef)]);
  check('reverse a Buffer', await askAll(c, 'reverse', buf(1, 2, 3)), [buf(3, 2, 1), 3]);
  check('reverse an ArrayBuffer', await askAll(c, 'reverse', new Uint8Array([9, 8, 7, 6]).buffer), [buf(6, 7, 8, 9), 4]);
  check('reverse nothing', await askAll(c, 'reverse', Buffer.alloc(0)), [Buffer.alloc(0), 0]);
  const big = Buffer.alloc(100_000, 0);
  big[0] = 1;
  big[big.length - 1] = 2;
  const [back, length] = await askAll(c, 'reverse', big);
  check('reverse 100 kB', [length, back.length, back[0], back[back.length - 1]], [100_000, 100_000, 2, 1]);

  const nested = { name: 'n', parts: [buf(1, 2), { deep: buf(3, 4, 5) }], empty: [], flag: true, n: 1.5 };
  check('transform nested binary', await askAll(c, 'transform', nested), [
    { name: 'n', parts: [buf(2, 1), { deep: buf(5, 4, 3) }], empty: [], flag: true, n: 1.5 },
  ]);
  check('transform plain JSON', await askAll(c, 'transform', { a: [1, 'x', null] }), [{ a: [1, 'x', null] }]);
  check('sizes of every attachment', await askAll(c, 'sizes', buf(1, 2, 3), { x: [Buffer.alloc(5)] }, 'no', buf(7)), [
    [3, 5, 1],
  ]);
  check('sizes without binary', await askAll(c, 'sizes', { x: 1 }), [[]]);

  c.emit('upload', { name: 'a.bin', chunks: [buf(0x61, 0x62), new Uint8Array([0x63]).buffer, buf()] });
  check('upload comes back joined', await next(c, 'file'), [{ name: 'a.bin', size: 3, data: buf(0x61, 0x62, 0x63) }]);
}

// ---- auth ------------------------------------------------------------------------------------

async function auth() {
  const refusals = [
    ['no auth', {}, { message: 'missing token', data: { code: 'NO_TOKEN' } }],
    ['no token', { auth: { user: 'alice' } }, { message: 'missing token', data: { code: 'NO_TOKEN' } }],
    ['wrong token', { auth: { token: 'mallory-token' } }, { message: 'invalid token', data: { code: 'BAD_TOKEN' } }],
  ];
  for (const [name, options, expected] of refusals) {
    const socket = client(name, options);
    opened.push(socket);
    check(`refused: ${name}`, await refusal(socket), expected);
    await nothing(socket, 'welcome', 0);
  }
  const malformed = client('numeric token', { auth: { token: 7 } });
  opened.push(malformed);
  const refused = await refusal(malformed);
  check('refused: numeric token', [refused.message, refused.data?.code, typeof refused.data?.detail], [
    'malformed auth payload',
    'BAD_AUTH',
    'string',
  ]);

  const alice = client('alice', { auth: { token: 'alice-token' } });
  const bob = client('bob', { auth: { token: 'bob-token' } });
  opened.push(alice, bob);
  await Promise.all([alice, bob].map(connect));
  check('alice welcomed', await next(alice, 'welcome'), [{ user: 'alice' }]);
  check('bob welcomed', await next(bob, 'welcome'), [{ user: 'bob' }]);
  check('alice is alice', await ask(alice, 'whoami'), 'alice');
  check('bob is bob', await ask(bob, 'whoami'), 'bob');
}

const EXAMPLES = { chat, axum, acks, binary, auth };

if (!args.url || !EXAMPLES[args.example] || !['websocket', 'polling'].includes(args.transports)) {
  result.error = `usage: --example ${Object.keys(EXAMPLES).join('|')} --url http://HOST:PORT [--transports websocket|polling]`;
  finish(2);
}
setTimeout(() => {
  result.error = `timed out after ${args.timeout} s`;
  finish(1);
}, Number(args.timeout) * 1000).unref();

try {
  await EXAMPLES[args.example]();
  // Leave cleanly: exiting at once could drop the DISCONNECT packets, leaving the server with
  // sockets until its ping timeout.
  for (const socket of opened) socket.disconnect();
  await sleep(200);
  finish(0);
} catch (err) {
  result.error = err instanceof Mismatch ? err.message : String(err?.stack ?? err);
  finish(1);
}
