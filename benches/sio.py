#!/usr/bin/env python3
"""Socket.IO loopback benchmarks: our server, Node socket.io and socketioxide, same run.

Each server runs pinned to core 0, the load generator (`duplex bench sio-*`)
pinned to core 1, a fresh server process for every measurement, the servers
interleaved run by run. Every server has the bench contract of
crates/socketio/examples/bench_server.rs. Figures:

- echo: server CPU-µs per acked event (utime + stime of the server's process
  tree, sampled between the load generator's READY and DONE marks, so the
  connection setup is left out), and acks/s;
- fanout: server CPU-µs per delivered broadcast message, deliveries/s, and the
  emit-to-receipt latency p50 / p99 seen by the clients;
- idle: server memory per idle connected socket, (VmRSS while N sockets are
  held - VmRSS before) / N, after a warm-up connection.

Medians over --runs; ratio ours / the best peer. Prints a markdown table (and
writes it to --out if given). Run from the repository root after

    cargo build --release -p duplex -p duplex-bench-peers
    cargo build --release -p duplex-socketio --example bench_server
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from echo import tree_cpu_split  # noqa: E402  (same CPU accounting as echo.py)
from eio import (DUPLEX, REL, Server, hold, load, median, pick_servers,  # noqa: E402
                 raise_open_files, run_matrix)  # noqa: E402

SERVERS = {
    "duplex": f"{REL}/examples/bench_server --port 0",
    "node": "node interop/sio_bench_server.mjs --port 0",
    "socketioxide": f"{REL}/socketioxide_bench --port 0",
}
OURS = "duplex"
LABELS = {"duplex": "duplex", "node": "Node socket.io", "socketioxide": "socketioxide"}


def scenarios(args):
    """name -> (kind, label, load arguments, warm-up arguments)."""
    echo = ["sio-echo", "--clients", str(args.clients), "--in-flight", str(args.in_flight),
            "--size", str(args.size)]
    fanout = ["sio-fanout", "--clients", str(args.fanout_clients), "--window", str(args.window),
              "--size", str(args.size)]
    return {
        "echo": ("rate", f"event + ack round trip, {args.clients} clients x {args.in_flight} in flight",
                 echo + ["--duration", str(args.duration)], echo + ["--duration", "1"]),
        "fanout": ("rate", f"broadcast to {args.fanout_clients:,} clients in one room, "
                           f"{args.window} broadcasts in flight",
                   fanout + ["--duration", str(args.duration)], fanout + ["--duration", "1"]),
        "idle": ("idle", "idle connected sockets (WebSocket)",
                 ["sio-idle", "--concurrency", str(args.idle_concurrency)], None),
    }


def measure_rate(command, argv, warmup):
    """Warms the server up, then runs the load with --sync and samples the
    server's CPU time at READY and DONE."""
    server = Server(command)
    try:
        url = ["--url", f"http://127.0.0.1:{server.port}/socket.io/"]
        # Node compiles its hot paths at first use: warm every server alike.
        load(warmup + url, timeout=120)
        err = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen(["taskset", "-c", "1", DUPLEX, "bench", *argv, *url, "--sync", "--json"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
        before = after = None
        rest = ""
        try:
            for line in proc.stdout:
                if line.strip() == "READY":
                    before = tree_cpu_split(server.proc.pid)
                    proc.stdin.write("go\n")
                    proc.stdin.flush()
                elif line.strip() == "DONE":
                    after = tree_cpu_split(server.proc.pid)
                else:
                    rest += line
            proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        if proc.returncode != 0 or before is None or after is None:
            raise RuntimeError(f"{argv[0]}: exit {proc.returncode}: {err.read().strip()[-800:]}")
        result = json.loads(rest.strip().splitlines()[-1])
    finally:
        server.stop()
    ops = result.get("acks", result.get("deliveries"))
    user, system = after[0] - before[0], after[1] - before[1]
    r = {"ops": ops, "rate": ops / result["seconds"], "cpu_s": user + system,
         "value": (user + system) * 1e6 / ops if ops else float("inf"),
         "kernel": system * 1e6 / ops if ops else float("inf")}
    for key in ("latency_us_p50", "latency_us_p99", "broadcasts", "reordered"):
        if key in result:
            r[key] = result[key]
    return r


def measure_idle(command, argv, sockets, settle):
    server = Server(command)
    try:
        url = ["--url", f"http://127.0.0.1:{server.port}/socket.io/"]
        load(argv + ["--sessions", "1", "--hold", "0"] + url, timeout=60)
        time.sleep(0.5)
        base = server.rss_kib()
        held, rss, result = hold(server, argv + ["--sessions", str(sockets)] + url, settle)
    finally:
        server.stop()
    return {"ops": held, "base_kib": base, "held_kib": rss, "open_s": result.get("open_seconds"),
            "value": (rss - base) * 1024 / held if held else float("inf")}


def report(results, table, names, args):
    peers = [n for n in names if n != OURS]
    head = " | ".join(LABELS.get(n, n) for n in names)
    lines = [
        f"Runs: {args.runs} per figure (median; the individual runs in brackets), servers interleaved.",
        "",
        f"| scenario | {head} | duplex / best peer |",
        "|---|" + "---:|" * (len(names) + 1),
    ]

    def cell(rows, fmt):
        if not rows:
            return "—"
        each = ", ".join(fmt.format(r["value"]) for r in rows)
        return f"**{fmt.format(median(rows, 'value'))}** ({each})"

    def best_ratio(name):
        ours = results.get((name, OURS))
        theirs = [median(results[(name, p)], "value") for p in peers if results.get((name, p))]
        if not ours or not theirs:
            return "—"
        return f"{median(ours, 'value') / min(theirs):.2f}×"

    for name, (kind, label, _, _) in table.items():
        if not any(results.get((name, n)) for n in names):
            continue
        if kind == "rate":
            unit = "CPU-µs / ack" if name == "echo" else "CPU-µs / delivery"
            cells = " | ".join(cell(results.get((name, n)), "{:.2f}") for n in names)
            lines.append(f"| {label} ({unit}) | {cells} | {best_ratio(name)} |")
            kernel = " | ".join(f"{median(results[(name, n)], 'kernel'):.2f}" if results.get((name, n))
                                else "—" for n in names)
            lines.append(f"| {label} (of which kernel, CPU-µs) | {kernel} | |")
            per = "acks/s" if name == "echo" else "deliveries/s"
            rates = " | ".join(f"{median(results[(name, n)], 'rate'):,.0f}" if results.get((name, n))
                               else "—" for n in names)
            lines.append(f"| {label} ({per}) | {rates} | |")
            if name == "fanout":
                for q in ("p50", "p99"):
                    key = f"latency_us_{q}"
                    lat = " | ".join(f"{median(results[(name, n)], key) / 1000:.1f}"
                                     if results.get((name, n)) else "—" for n in names)
                    lines.append(f"| {label} (latency {q}, ms) | {lat} | |")
        else:
            cells = " | ".join(cell(results.get((name, n)), "{:,.0f}") for n in names)
            lines.append(f"| {label}, {args.sockets:,} (bytes / socket) | {cells} | {best_ratio(name)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="echo,fanout,idle")
    ap.add_argument("--servers", default="duplex,node,socketioxide")
    ap.add_argument("--server", action="append", default=[], metavar="NAME=CMD",
                    help="add or replace a server (must print `LISTENING <port>` first)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=64, help="echo clients")
    ap.add_argument("--in-flight", type=int, default=16, help="echo events in flight per client")
    ap.add_argument("--fanout-clients", type=int, default=1000)
    ap.add_argument("--window", type=int, default=4, help="fan-out broadcasts in flight")
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--duration", type=float, default=8.0, help="seconds of load per run")
    ap.add_argument("--sockets", type=int, default=10000, help="idle sockets")
    ap.add_argument("--idle-concurrency", type=int, default=100)
    ap.add_argument("--settle", type=float, default=2.0,
                    help="seconds between HOLDING and reading the server's RSS")
    ap.add_argument("--out", help="also write the markdown table here")
    ap.add_argument("--raw", help="append every run as a JSON line to this file")
    args = ap.parse_args()

    servers, names = pick_servers(SERVERS, args.server, args.servers)
    table = scenarios(args)
    wanted = [s for s in args.scenarios.split(",") if s in table]
    if "idle" in wanted:
        raise_open_files(args.sockets)

    def measure(scenario, name):
        kind, _, argv, warmup = table[scenario]
        if kind == "rate":
            return measure_rate(servers[name], argv, warmup)
        return measure_idle(servers[name], argv, args.sockets, args.settle)

    results = run_matrix(args.runs, wanted, names, measure, args.raw)
    text = report(results, table, names, args)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
