#!/usr/bin/env node
// Autobahn|Testsuite client on Node `ws`: drives a `wstest -m fuzzingserver` the same way our
// `autobahn_client` example does, so the harness can be validated without our binary and the
// reference scores can be measured. Env: AB_URL (ws://127.0.0.1:9001), AB_AGENT (duplex).
import WebSocket from 'ws';

const base = (process.env.AB_URL || 'ws://127.0.0.1:9001').replace(/\/+$/, '');
const agent = process.env.AB_AGENT || 'duplex';

function open(path, onOpen) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base}${path}`, {
      perMessageDeflate: { threshold: 0 },
      maxPayload: 64 * 1024 * 1024,
      // ws >= 8.19 caps a message at 16384 fragments by default (close 1008); Autobahn
      // 9.3.x/9.4.x send a 4 MiB message as 65,536 fragments of 64 bytes.
      maxFragments: 1 << 20,
    });
    if (onOpen) onOpen(ws);
    ws.on('error', () => {});
    ws.on('close', () => resolve());
  });
}

async function caseCount() {
  let count = null;
  await open('/getCaseCount', (ws) => {
    ws.on('message', (data) => {
      count = Number(data.toString());
    });
  });
  if (!Number.isInteger(count)) throw new Error('no case count from the fuzzingserver');
  return count;
}

const started = Date.now();
const count = await caseCount();
for (let i = 1; i <= count; i += 1) {
  await open(`/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
}
await open(`/updateReports?agent=${encodeURIComponent(agent)}`);
console.log(JSON.stringify({ ok: true, agent, cases: count, elapsed_ms: Date.now() - started }));
