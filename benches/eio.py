#!/usr/bin/env python3
"""Engine.IO loopback benchmarks: our server against Node's engine.io, same run.

Each server runs pinned to core 0, the load generator (`duplex bench eio-*`)
pinned to core 1, a fresh server process for every measurement, the servers
interleaved run by run. Figures:

- handshakes: server CPU-µs per session opened (utime + stime of the server
  process tree from /proc, before and after the load), and sessions/s;
- echo: server CPU-µs per echoed packet, and packets/s;
- idle: server memory per idle session, (VmRSS while N sessions are held -
  VmRSS before) / N, after a warm-up session.

Medians over --runs, ratio ours / Node. Prints a markdown table (and writes it to
--out if given). Run from the repository root after

    cargo build --release -p duplex
    cargo build --release -p duplex-engineio --example engineio_echo
"""

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from echo import tree_cpu_seconds  # noqa: E402  (same CPU accounting as echo.py)

REL = "target/release"
DUPLEX = f"{REL}/duplex"
FLAGS = "--port 0 --ping-interval 25000 --ping-timeout 20000 --max-payload 1000000"
SERVERS = {
    "duplex": f"{REL}/examples/engineio_echo {FLAGS}",
    "node": f"node interop/eio_echo_server.mjs {FLAGS} --quiet",
}
OURS, PEER = "duplex", "node"
# Our plain WebSocket echo server: the WebSocket layer's own cost per idle
# connection, measured in the same run, is what the Engine.IO figure is compared with.
WS_LAYER = f"{DUPLEX} echo --addr 127.0.0.1:0"


def scenarios(args):
    """name -> (kind, label, load arguments, warm-up arguments)."""
    hs = ["--concurrency", str(args.hs_concurrency)]
    echo = ["--connections", str(args.connections), "--size", str(args.size),
            "--in-flight", str(args.in_flight), "--messages", "100000000"]
    # Below the listen backlog of 128 (tokio's default, ours): more connects at once
    # would wait for SYN retransmits and measure the backlog, not the server.
    idle = ["--concurrency", str(args.idle_concurrency)]
    return {
        "handshake-ws": ("rate", "handshake, WebSocket only",
                         ["eio-handshake", "--mode", "websocket", *hs, "--count", str(args.hs_count)],
                         ["eio-handshake", "--mode", "websocket", *hs, "--count", "200"]),
        "handshake-upgrade": ("rate", "handshake, polling + upgrade",
                              ["eio-handshake", "--mode", "polling-upgrade", *hs,
                               "--count", str(args.upgrade_count)],
                              ["eio-handshake", "--mode", "polling-upgrade", *hs, "--count", "100"]),
        "echo-ws": ("rate", f"echo over WebSocket, {args.connections} sessions x {args.size} B, "
                            f"{args.in_flight} in flight",
                    ["eio-echo", "--mode", "websocket", *echo, "--duration", str(args.duration)],
                    ["eio-echo", "--mode", "websocket", *echo, "--duration", "1"]),
        "echo-polling": ("rate", f"echo over polling, {args.connections} sessions x {args.size} B, "
                                 f"{args.in_flight} per POST",
                         ["eio-echo", "--mode", "polling", *echo, "--duration", str(args.duration)],
                         ["eio-echo", "--mode", "polling", *echo, "--duration", "1"]),
        "idle-ws": ("idle", "idle sessions, WebSocket",
                    ["eio-idle", "--mode", "websocket", *idle], None),
        "idle-polling": ("idle", "idle sessions, polling (GET pending)",
                         ["eio-idle", "--mode", "polling", *idle], None),
    }


class Server:
    """A server started pinned to core 0 that announced its port."""

    def __init__(self, command):
        self.out = tempfile.NamedTemporaryFile(prefix="eio-bench-", suffix=".out")
        self.err = tempfile.NamedTemporaryFile(prefix="eio-bench-", suffix=".err")
        self.proc = subprocess.Popen(["taskset", "-c", "0"] + shlex.split(command),
                                     stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        self.port = self._wait_port()

    def _wait_port(self, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.out.name) as f:
                line = f.readline().strip()
            if line.startswith("LISTENING "):
                return int(line.split()[1])
            if line.startswith("listening on ws://"):
                return int(line.rsplit(":", 1)[1].strip("/"))
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        with open(self.err.name) as f:
            raise RuntimeError(f"server did not announce its port: {f.read()[-500:]}")

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def load(argv, timeout):
    """Runs a load generator pinned to core 1; returns its last JSON line."""
    out = subprocess.run(["taskset", "-c", "1", DUPLEX, "bench", *argv, "--json"],
                         capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}: {out.stderr.strip()[-800:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_rate(command, argv, warmup):
    server = Server(command)
    try:
        url = ["--url", f"http://127.0.0.1:{server.port}/engine.io/"]
        # Node compiles its hot paths at first use: warm both servers alike.
        load(warmup + url, timeout=120)
        before = tree_cpu_seconds(server.proc.pid)
        result = load(argv + url, timeout=600)
        after = tree_cpu_seconds(server.proc.pid)
    finally:
        server.stop()
    ops = result.get("handshakes", result.get("messages"))
    return {"ops": ops, "rate": ops / result["seconds"], "cpu_s": after - before,
            "value": (after - before) * 1e6 / ops if ops else float("inf")}


def hold(server, argv, settle):
    """Holds sessions (or connections) with the load generator; returns
    (held, RSS KiB while held, load JSON)."""
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(["taskset", "-c", "1", DUPLEX, "bench", *argv, "--json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    held, rss, rest = 0, None, ""
    try:
        for line in proc.stdout:
            if line.startswith("HOLDING "):
                held = int(line.split()[1])
                # Let the server finish the last handshakes' bookkeeping.
                time.sleep(settle)
                rss = server.rss_kib()
                # Closing stdin releases the sessions (eio-idle; ws-idle holds a fixed time).
                proc.stdin.close()
            else:
                rest += line
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err.seek(0)
    if proc.returncode != 0 or rss is None:
        raise RuntimeError(f"{argv[0]}: exit {proc.returncode}: {err.read().strip()[-800:]}")
    return held, rss, json.loads(rest.strip().splitlines()[-1])


def measure_idle(command, argv, sessions, settle, ws_layer=False):
    server = Server(command)
    try:
        if ws_layer:
            url = ["--url", f"ws://127.0.0.1:{server.port}/"]
            warm = ["ws-idle", "--connections", "1", "--hold", "0"]
            held_argv = ["ws-idle", "--connections", str(sessions), "--hold", str(settle + 2),
                         "--concurrency", "100"]
        else:
            url = ["--url", f"http://127.0.0.1:{server.port}/engine.io/"]
            warm = argv + ["--sessions", "1", "--hold", "0"]
            held_argv = argv + ["--sessions", str(sessions)]
        load(warm + url, timeout=60)
        time.sleep(0.5)
        base = server.rss_kib()
        held, rss, result = hold(server, held_argv + url, settle)
    finally:
        server.stop()
    return {"ops": held, "base_kib": base, "held_kib": rss,
            "open_s": result.get("open_seconds"),
            "value": (rss - base) * 1024 / held if held else float("inf")}


def raise_open_files(sessions):
    """Each side holds one socket per idle session: raise the soft limit of this
    process (inherited by the servers and the load generator) up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = sessions + 200
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit(f"eio.py: {sessions} idle sessions need {need} open files, the hard limit is {hard}")
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def report(results, table, args):
    lines = [
        f"Runs: {args.runs} per figure (median; the individual runs in brackets), servers interleaved.",
        "",
        "| scenario | duplex | Node engine.io | duplex / Node | duplex rate | Node rate |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (kind, label, _, _) in table.items():
        ours, peer = results.get((name, OURS)), results.get((name, PEER))
        if not ours and not peer:
            continue

        def cell(rows, fmt):
            if not rows:
                return "—"
            each = ", ".join(fmt.format(r["value"]) for r in rows)
            return f"**{fmt.format(median(rows, 'value'))}** ({each})"

        if kind == "rate":
            unit, fmt = ("CPU-µs / handshake", "{:.1f}") if name.startswith("handshake") \
                else ("CPU-µs / packet", "{:.2f}")
            rate = lambda rows, u: f"{median(rows, 'rate'):,.0f} {u}" if rows else "—"  # noqa: E731
            per = "handshakes/s" if name.startswith("handshake") else "packets/s"
            ratio = (f"{median(ours, 'value') / median(peer, 'value'):.2f}×"
                     if ours and peer else "—")
            lines.append(f"| {label} ({unit}) | {cell(ours, fmt)} | {cell(peer, fmt)} | {ratio} "
                         f"| {rate(ours, per)} | {rate(peer, per)} |")
        else:
            ratio = (f"{median(ours, 'value') / median(peer, 'value'):.2f}×"
                     if ours and peer else "—")
            opened = lambda rows: (f"{median(rows, 'ops'):,.0f} held, opened in "  # noqa: E731
                                   f"{median(rows, 'open_s'):.1f} s") if rows else "—"
            lines.append(f"| {label}, {args.sessions:,} (bytes / session) | {cell(ours, '{:,.0f}')} "
                         f"| {cell(peer, '{:,.0f}')} | {ratio} | {opened(ours)} | {opened(peer)} |")
    ws = results.get(("ws-layer", OURS))
    if ws:
        each = ", ".join(f"{r['value']:,.0f}" for r in ws)
        lines += ["", f"WebSocket layer alone (`duplex echo` + `duplex bench ws-idle`, same run): "
                      f"**{median(ws, 'value'):,.0f}** bytes / connection ({each})."]
        for name in ("idle-ws", "idle-polling"):
            ours = results.get((name, OURS))
            if ours:
                beyond = median(ours, "value") - median(ws, "value")
                lines.append(f"Engine.IO {name[5:]} session beyond it: **{beyond:,.0f}** bytes "
                             f"({beyond / 1024:.1f} KiB; target ≤ 6 KiB).")
    return "\n".join(lines)


def pick_servers(defaults, specs, selected):
    """The server commands (defaults, then `NAME=CMD` overrides) and the names to run."""
    servers = dict(defaults)
    for spec in specs:
        name, _, cmd = spec.partition("=")
        servers[name] = cmd
    return servers, [n for n in selected.split(",") if n in servers]


def run_matrix(runs, wanted, names, measure, raw=None, after_scenario=None):
    """Runs measure(scenario, server) for every run, scenario and server, servers
    interleaved; returns {(scenario, server): [result, ...]}. A failed measurement
    is reported and left out."""
    results = {}
    for run in range(runs):
        for scenario in wanted:
            for name in names:
                try:
                    r = measure(scenario, name)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
                    print(f"# {scenario} {name} run {run}: FAILED {e}", file=sys.stderr)
                    continue
                r.update(server=name, scenario=scenario, run=run)
                print(f"# {scenario} {name} run {run}: {json.dumps(r)}", file=sys.stderr)
                results.setdefault((scenario, name), []).append(r)
                if raw:
                    with open(raw, "a") as f:
                        f.write(json.dumps(r) + "\n")
            if after_scenario:
                after_scenario(run, scenario, results)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="handshake-ws,handshake-upgrade,echo-ws,echo-polling,"
                                           "idle-ws,idle-polling")
    ap.add_argument("--servers", default="duplex,node")
    ap.add_argument("--server", action="append", default=[], metavar="NAME=CMD",
                    help="add or replace a server (must print `LISTENING <port>` first)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hs-count", type=int, default=5000, help="WebSocket-only handshakes per run")
    ap.add_argument("--upgrade-count", type=int, default=2000, help="polling + upgrade handshakes per run")
    ap.add_argument("--hs-concurrency", type=int, default=64)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--in-flight", type=int, default=16)
    ap.add_argument("--duration", type=float, default=8.0, help="seconds of echo load per run")
    ap.add_argument("--sessions", type=int, default=10000, help="idle sessions")
    ap.add_argument("--idle-concurrency", type=int, default=100,
                    help="session opens in flight while opening the idle sessions")
    ap.add_argument("--settle", type=float, default=2.0,
                    help="seconds between HOLDING and reading the server's RSS")
    ap.add_argument("--no-ws-layer", action="store_true",
                    help="skip the WebSocket-layer idle baseline (duplex echo)")
    ap.add_argument("--out", help="also write the markdown table here")
    ap.add_argument("--raw", help="append every run as a JSON line to this file")
    args = ap.parse_args()

    servers, names = pick_servers(SERVERS, args.server, args.servers)
    table = scenarios(args)
    wanted = [s for s in args.scenarios.split(",") if s in table]
    if any(table[s][0] == "idle" for s in wanted):
        raise_open_files(args.sessions)

    def measure(scenario, name):
        kind, _, argv, warmup = table[scenario]
        if kind == "rate":
            return measure_rate(servers[name], argv, warmup)
        return measure_idle(servers[name], argv, args.sessions, args.settle)

    def ws_layer(run, scenario, results):
        if scenario != "idle-ws" or args.no_ws_layer:
            return
        try:
            r = measure_idle(WS_LAYER, None, args.sessions, args.settle, ws_layer=True)
            r.update(server=OURS, scenario="ws-layer", run=run)
            print(f"# ws-layer run {run}: {json.dumps(r)}", file=sys.stderr)
            results.setdefault(("ws-layer", OURS), []).append(r)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            print(f"# ws-layer run {run}: FAILED {e}", file=sys.stderr)

    results = run_matrix(args.runs, wanted, names, measure, args.raw, after_scenario=ws_layer)
    text = report(results, table, args)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
