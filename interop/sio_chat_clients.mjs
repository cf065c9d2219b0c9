#!/usr/bin/env node
// Official npm `socket.io-client` 4.8.4 as N chat users of `duplex serve`, steered line by line
// from stdin so a test can look at the server (its /metrics) between steps. Each step answers
// with one JSON line on stdout: {"step":..,"ok":true} or {"ok":false,"error":..}.
//   (start)  N clients connect (one Manager each), say hello and join --room: "joined"
//   message  client 0 sends a message to the room; every other client receives it: "delivered"
//   leave    client 0 leaves the namespace (socket.disconnect()): "left"
//   close    the others close their Engine.IO connections (no namespace goodbye): "closed"
//   (EOF)    exit
import { createInterface } from 'node:readline';
import { io } from 'socket.io-client';
import { optionsOrExit } from './_cli.mjs';

const args = optionsOrExit({
  url: { type: 'string' },
  transports: { type: 'string', default: 'polling,websocket' },
  clients: { type: 'string', default: '3' },
  room: { type: 'string', default: 'metrics' },
  timeout: { type: 'string', default: '20' },
});
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const fail = (error) => {
  say({ ok: false, error: String(error) });
  process.exit(1);
};
if (!args.url) fail('--url is required');
setTimeout(() => fail('timed out'), Number(args.timeout) * 1000).unref();

const transports = args.transports.split(',');
const ask = (socket, event, data) => socket.timeout(5000).emitWithAck(event, data);

const sockets = [];
try {
  for (let i = 0; i < Number(args.clients); i++) {
    const socket = io(args.url, { transports, forceNew: true, reconnection: false });
    sockets.push(socket);
    const hello = await ask(socket, 'hello', `user${i}`);
    if (!hello.ok) throw new Error(`hello: ${JSON.stringify(hello)}`);
    const joined = await ask(socket, 'join', args.room);
    if (!joined.ok) throw new Error(`join: ${JSON.stringify(joined)}`);
  }
  say({ step: 'joined', ok: true });
} catch (err) {
  fail(err);
}

for await (const line of createInterface({ input: process.stdin })) {
  try {
    if (line === 'message') {
      const received = sockets.slice(1).map(
        (s) => new Promise((resolve) => s.once('message', resolve)),
      );
      const sent = await ask(sockets[0], 'message', { room: args.room, text: 'hi' });
      if (!sent.ok) throw new Error(`message: ${JSON.stringify(sent)}`);
      await Promise.all(received);
      say({ step: 'delivered', ok: true });
    } else if (line === 'leave') {
      sockets[0].disconnect();
      say({ step: 'left', ok: true });
    } else if (line === 'close') {
      const closed = sockets.slice(1).map((s) => new Promise((resolve) => s.io.engine.once('close', resolve)));
      for (const s of sockets.slice(1)) s.io.engine.close();
      await Promise.all(closed);
      say({ step: 'closed', ok: true });
    } else {
      throw new Error(`unknown step ${line}`);
    }
  } catch (err) {
    fail(err);
  }
}
process.exit(0);
