#!/usr/bin/env node
// Runs every sio_client.mjs scenario in every transport mode against the reference Node
// `socket.io` server (sio_server.mjs) and, with --ours, against another server started by a
// command, and compares the normalized transcripts. Contract: interop/README.md ("Socket.IO").
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionsOrExit } from './_cli.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MODES = ['polling', 'websocket', 'polling,websocket'];
// pingTimeout 2000: at 500 ms a polling client on this loaded machine sometimes pongs too late.
const BASE_FLAGS = ['--port', '0', '--ping-interval', '1000', '--ping-timeout', '2000', '--connect-timeout', '1000'];
const OFFICIAL = ['echo', 'binary', 'acks', 'namespaces', 'auth', 'middleware', 'rooms', 'broadcast-acks', 'volatile', 'fetch-sockets', 'disconnect'];
const RAW = ['raw-wire', 'raw-edge', 'malformed', 'transport-errors', 'connect-timeout', 'ping-timeout'];
// Server configurations: the flags both servers get, and the scenarios run against them.
const CONFIGS = {
  default: { flags: [], parser: 'default', scenarios: [...OFFICIAL, ...RAW, 'python'] },
  msgpack: { flags: ['--parser', 'msgpack'], parser: 'msgpack', scenarios: OFFICIAL },
  recovery: { flags: ['--recovery', '--max-disconnection-duration', '1000'], parser: 'default', scenarios: ['recovery'] },
};

const args = optionsOrExit({
  ours: { type: 'string' },
  ref: { type: 'string', default: `node ${join(here, 'sio_server.mjs')}` },
  configs: { type: 'string', default: Object.keys(CONFIGS).join(',') },
  only: { type: 'string' },
  transports: { type: 'string', default: MODES.join(';') },
  repeat: { type: 'string', default: '1' },
  timeout: { type: 'string', default: '60' },
  python: { type: 'string', default: join(here, '.venv', 'bin', 'python') },
  'no-python': { type: 'boolean', default: false },
});
const configs = args.configs.split(',');
const only = args.only ? new Set(args.only.split(',')) : null;
const modes = args.transports.split(';');
const bad = configs.find((c) => !CONFIGS[c]) ?? modes.find((m) => !MODES.includes(m));
if (bad) {
  console.log(JSON.stringify({ ok: false, error: `unknown config or transports: ${bad}` }));
  process.exit(2);
}

const children = new Set();
// Starts `command flags...` in a shell (its own process group) and waits for `LISTENING <port>`.
function startServer(name, command, flags) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `exec ${command} ${flags.join(' ')}`], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name}: no LISTENING line within 120 s`)), 120_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /^LISTENING (\d+)$/m.exec(buf);
      if (m && timer) {
        clearTimeout(timer);
        resolve({ name, child, port: Number(m[1]) });
      }
    });
    child.stderr.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
    child.on('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before LISTENING`));
    });
  });
}
function stopServer(s) {
  if (!s || !children.has(s.child)) return;
  try {
    process.kill(-s.child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  children.delete(s.child);
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) {
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    process.exit(1);
  });
}

// Runs one client program; resolves its JSON result (or a failed stand-in).
function runClient(port, scenario, transports, parser) {
  const url = `http://127.0.0.1:${port}`;
  const [exe, argv] =
    scenario === 'python'
      ? [args.python, [join(here, 'py_sio_client.py'), '--url', url, '--transports', transports, '--timeout', args.timeout]]
      : [
          process.execPath,
          [
            join(here, 'sio_client.mjs'),
            '--url', url,
            '--scenario', scenario,
            '--transports', transports,
            '--parser', parser,
            '--connect-timeout', '1000',
            '--ping-interval', '1000',
            '--ping-timeout', '2000',
            '--timeout', args.timeout,
          ],
        ];
  return new Promise((resolve) => {
    const child = spawn(exe, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      let result;
      try {
        result = JSON.parse(out.trim().split('\n').pop());
      } catch {
        result = { ok: false, error: `no JSON result (exit ${code}): ${err.slice(0, 500)}`, checks: [], transcript: [] };
      }
      resolve(result);
    });
  });
}

// The entries where two transcripts disagree (by position; a missing entry shows as null).
function diff(a, b) {
  const out = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = JSON.stringify(a[i] ?? null);
    const y = JSON.stringify(b[i] ?? null);
    if (x !== y) out.push({ index: i, ref: a[i] ?? null, ours: b[i] ?? null });
  }
  return out;
}
const failed = (r) => r.checks.filter((c) => !c.ok).map((c) => c.name).concat(r.error ? [`error: ${r.error.slice(0, 300)}`] : []);

const summary = { ok: true, ours: args.ours ?? null, runs: 0, same: 0, different: 0, failed: 0, problems: [] };
const started = Date.now();
try {
  for (let rep = 0; rep < Number(args.repeat); rep++) {
    for (const cname of configs) {
      const cfg = CONFIGS[cname];
      const flags = [...BASE_FLAGS, ...cfg.flags];
      const ref = await startServer(`ref:${cname}`, args.ref, flags);
      const ours = args.ours ? await startServer(`ours:${cname}`, args.ours, flags) : null;
      for (const scenario of cfg.scenarios) {
        if (only && !only.has(scenario)) continue;
        if (scenario === 'python' && args['no-python']) continue;
        for (const mode of modes) {
          const [r, o] = await Promise.all([
            runClient(ref.port, scenario, mode, cfg.parser),
            ours ? runClient(ours.port, scenario, mode, cfg.parser) : null,
          ]);
          summary.runs++;
          const problem = { config: cname, scenario, transports: mode };
          const refFailed = failed(r);
          const oursFailed = o ? failed(o) : [];
          const differences = o ? diff(r.transcript, o.transcript) : [];
          let status = 'same';
          if (refFailed.length || oursFailed.length) {
            status = 'FAILED';
            summary.failed++;
            Object.assign(problem, { ref_failed: refFailed, ours_failed: oursFailed });
          }
          if (differences.length) {
            status = status === 'FAILED' ? 'FAILED+DIFFERENT' : 'DIFFERENT';
            summary.different++;
            problem.differences = differences.slice(0, 20);
            problem.difference_count = differences.length;
          }
          if (status === 'same') summary.same++;
          else summary.problems.push(problem);
          const ms = `${r.elapsed_ms ?? '?'}${o ? `/${o.elapsed_ms ?? '?'}` : ''} ms`;
          process.stderr.write(`${status.padEnd(16)} ${cname.padEnd(8)} ${scenario.padEnd(16)} ${mode.padEnd(18)} ${ms}\n`);
          if (status !== 'same') process.stderr.write(`  ${JSON.stringify(problem).slice(0, 2000)}\n`);
        }
      }
      stopServer(ref);
      stopServer(ours);
    }
  }
} catch (err) {
  summary.error = err.message;
}
summary.ok = !summary.error && summary.failed === 0 && summary.different === 0 && summary.runs > 0;
summary.elapsed_ms = Date.now() - started;
process.stderr.write(`sio compare: ${summary.runs} runs, ${summary.same} same, ${summary.different} different, ${summary.failed} failed\n`);
console.log(JSON.stringify(summary));
for (const c of children) {
  try {
    process.kill(-c.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
process.exit(summary.ok ? 0 : 1);
