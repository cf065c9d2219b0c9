// Unit tests of the browser client's pure modules (no network, no DOM): `node --test web/test/`.
// They pin the wire forms the Socket.IO v5 / Engine.IO v4 protocols fix, and check that any
// malformed input ends in an Error (never a wrong packet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, PacketType, encode } from '../socketio/parser.js';
import { deconstruct, hasBinary, reconstruct } from '../socketio/binary.js';
import { decodePacket, decodePayload, encodeFrame, encodePayload, payloadSize } from '../socketio/eio-packet.js';
import { Backoff } from '../socketio/backoff.js';

function decodeAll(messages) {
  const decoder = new Decoder();
  const out = [];
  decoder.on('decoded', (p) => out.push(p));
  for (const m of messages) decoder.add(m);
  return out;
}

test('socket.io packets have the v5 wire form', () => {
  assert.deepEqual(encode({ type: PacketType.CONNECT, nsp: '/' }), ['0']);
  assert.deepEqual(encode({ type: PacketType.CONNECT, nsp: '/admin', data: { token: 'x' } }), ['0/admin,{"token":"x"}']);
  assert.deepEqual(encode({ type: PacketType.EVENT, nsp: '/', id: 12, data: ['hi', 1] }), ['212["hi",1]']);
  assert.deepEqual(encode({ type: PacketType.ACK, nsp: '/c', id: 3, data: [] }), ['3/c,3[]']);
  const bytes = new Uint8Array([1, 2, 3]);
  const [text, attachment] = encode({ type: PacketType.EVENT, nsp: '/', data: ['up', { f: bytes }] });
  assert.equal(text, '51-["up",{"f":{"_placeholder":true,"num":0}}]');
  assert.equal(attachment, bytes);
});

test('a Blob attachment is read first, and the encoding is a Promise', async () => {
  const encoded = encode({ type: PacketType.EVENT, nsp: '/', data: ['b', new Blob([new Uint8Array([9])])] });
  assert.ok(encoded instanceof Promise);
  const [text, buf] = await encoded;
  assert.equal(text, '51-["b",{"_placeholder":true,"num":0}]');
  assert.deepEqual([...new Uint8Array(buf)], [9]);
});

test('decoding round-trips, binary packets wait for their attachments', () => {
  const buf = new Uint8Array([7, 8]).buffer;
  const [p] = decodeAll(['62-/x,5["a",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]', new ArrayBuffer(1), buf]);
  assert.equal(p.type, PacketType.BINARY_ACK);
  assert.equal(p.nsp, '/x');
  assert.equal(p.id, 5);
  assert.equal(p.data[1], buf);
  const [e] = decodeAll(['2["ev",{"k":[1,"2"]}]']);
  assert.deepEqual(e, { type: 2, nsp: '/', data: ['ev', { k: [1, '2'] }] });
  const [c] = decodeAll(['4/auth,{"message":"not authorized","data":{"code":401}}']);
  assert.equal(c.data.data.code, 401);
});

test('malformed packets are errors', () => {
  for (const bad of ['', '9', '2{}', '2[]', '2"x"', '0[1]', '1{}', '3/x,1', '5-[]', '5a-["x"]', '2["x"', '4null']) {
    assert.throws(() => decodeAll([bad]), Error, JSON.stringify(bad));
  }
  assert.throws(() => decodeAll([new ArrayBuffer(1)]), /not reconstructing/);
  assert.throws(() => decodeAll(['51-["x",{"_placeholder":true,"num":0}]', '2["y"]']), /plaintext/);
  assert.throws(() => decodeAll(['51-["x",{"_placeholder":true,"num":3}]', new ArrayBuffer(1)]), /illegal attachment/);
});

test('placeholders leave the caller\'s objects alone', () => {
  const view = new Uint8Array(4).subarray(1, 3);
  const input = { a: [1, view], b: { c: 'd' } };
  const { data, buffers } = deconstruct(input);
  assert.equal(input.a[1], view);
  assert.equal(data.b, input.b);
  assert.deepEqual(data.a[1], { _placeholder: true, num: 0 });
  assert.equal(buffers[0], view);
  assert.ok(hasBinary({ toJSON: () => [new ArrayBuffer(1)] }));
  assert.ok(!hasBinary({ x: [1, 'a', null] }));
  assert.deepEqual(reconstruct(JSON.parse(JSON.stringify(data)), ['A']).a[1], 'A');
});

test('engine.io frames and polling payloads', () => {
  assert.equal(encodeFrame({ type: 'pong' }), '3');
  assert.equal(encodeFrame({ type: 'ping', data: 'probe' }), '2probe');
  const bin = new Uint8Array([0, 255, 10]);
  assert.equal(encodeFrame({ type: 'message', data: bin }), bin);
  assert.equal(encodePayload([{ type: 'message', data: 'héllo' }, { type: 'message', data: bin.subarray(1) }]), '4héllo\x1eb/wo=');
  const packets = decodePayload('4a\x1ebAQI=\x1e6\x1e2');
  assert.equal(packets[0].data, 'a');
  assert.deepEqual([...new Uint8Array(packets[1].data)], [1, 2]);
  assert.deepEqual(packets.slice(2).map((p) => p.type), ['noop', 'ping']);
  assert.equal(decodePayload('4a\x1e9'), null);
  assert.equal(decodePacket('b!!'), null);
  assert.equal(decodePacket('4').data, '');
  assert.equal(payloadSize({ type: 'message', data: 'é€😀' }), 2 + 2 + 3 + 4);
});

test('backoff grows, jitters within bounds and stays under the cap', () => {
  const b = new Backoff({ min: 100, max: 1000, jitter: 0.5 });
  const seen = [];
  for (let i = 0; i < 60; i++) seen.push(b.duration());
  assert.ok(seen[0] >= 50 && seen[0] <= 150, String(seen[0]));
  assert.ok(seen[2] >= 200 && seen[2] <= 600, String(seen[2]));
  assert.ok(seen.every((d) => Number.isFinite(d) && d >= 0 && d <= 1000));
  b.reset();
  assert.equal(b.attempts, 0);
  const exact = new Backoff({ min: 100, max: 5000, jitter: 0 });
  assert.deepEqual([exact.duration(), exact.duration(), exact.duration()], [100, 200, 400]);
});
