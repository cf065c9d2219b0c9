#!/usr/bin/env python3
"""Socket.IO client benchmark: our client against rust_socketio, same server, same run.

Both clients take `--url URL --count N --in-flight K --transport T --payload-bytes B`,
emit `echo` with one string of B characters N times asking for an ack, at most K acks
outstanding (1: strictly sequential round trips), check every ack carries the string
back, exit non-zero on any mismatch or missing ack, and print one JSON line with at
least `acks` and `seconds` (first emit to last ack).

For every measurement a fresh server (crates/socketio/examples/bench_server.rs) runs
pinned to core 0 and one client process pinned to core 1; the clients alternate run
by run. Figures:

- client CPU-µs per round trip: user + system time of the client process, from
  getrusage(RUSAGE_CHILDREN) before and after it ran (µs resolution). The fixed cost
  (process start, HTTP/TLS client setup, connection) is taken out: against the same
  server a run with --count 1 goes first, and the figure is (CPU of the N run - CPU
  of the 1 run) / (N - 1); the fixed cost is reported on its own row
  (--no-baseline: CPU of the N run / N);
- round trips per second, from the client's own clock (first emit to last ack);
- server CPU-µs per round trip (from /proc, 10 ms ticks), since the way a client
  writes (one packet per write, per POST) shows up on the server side too.

Medians over --runs; ratio ours / rust_socketio. Prints a markdown table; --write
puts it into benches/RESULTS.md as the section "Socket.IO client". Run from the
repository root after

    cargo build --release -p duplex-bench-peers --bin rust_socketio_echo
    cargo build --release -p duplex-socketio --example bench_server
    cargo build --release -p duplex-socketio --features client --example client_echo
"""

import argparse
import datetime
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from echo import tree_cpu_seconds  # noqa: E402  (same server CPU accounting as echo.py)
from eio import REL, Server  # noqa: E402  (server pinned to core 0, `LISTENING <port>`)

CLIENTS = {
    "duplex": f"{REL}/examples/client_echo",
    "rust_socketio": f"{REL}/rust_socketio_echo",
}
OURS, PEER = "duplex", "rust_socketio"
LABELS = {"duplex": "duplex", "rust_socketio": "rust_socketio"}
SERVER = f"{REL}/examples/bench_server --port 0"
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
SECTION = "## Socket.IO client"
# A panic's message, not its backtrace, is what a failed run reports.
CLIENT_ENV = dict(os.environ, RUST_BACKTRACE="0")


def scenarios(args):
    """name -> (label, transport, in flight, count)."""
    table = {}
    for transport in args.transports.split(","):
        count = args.count if transport == "websocket" else args.polling_count
        for mode in args.modes.split(","):
            k = 1 if mode == "sequential" else args.in_flight
            what = "sequential round trips" if k == 1 else f"{k} acks in flight"
            table[f"{transport}-{mode}"] = (f"{transport}, {what}", transport, k, count)
    return table


def run_client(argv, count, timeout):
    """Runs one client process pinned to core 1; returns (its JSON line, user s, system s)."""
    argv = ["taskset", "-c", "1", *argv, "--count", str(count)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL, env=CLIENT_ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        # The first lines name the failure (a panic's message spans two); the JSON line, if
        # any, has the counts.
        why = " ".join(out.stderr.strip().splitlines()[:2])[:400]
        last = (out.stdout.strip().splitlines() or [""])[-1]
        raise RuntimeError(f"exit {out.returncode}: {why} {last}".strip())
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["acks"] != count or result.get("mismatches", 0):
        raise RuntimeError(f"{result['acks']} of {count} acks, {result.get('mismatches')} mismatches")
    return result, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def measure(client_cmd, server_cmd, transport, in_flight, count, args):
    """One fresh server; a one-round-trip client run (the fixed cost: process start, TLS and
    HTTP client setup, connection), then the measured run; returns the figures."""
    server = Server(server_cmd)
    try:
        url = f"http://127.0.0.1:{server.port}{args.path}"
        argv = [*shlex.split(client_cmd), "--url", url, "--in-flight", str(in_flight),
                "--transport", transport, "--payload-bytes", str(args.payload_bytes)]
        base_user = base_system = 0.0
        if not args.no_baseline:
            _, base_user, base_system = run_client(argv, 1, args.timeout)
        server_before = tree_cpu_seconds(server.proc.pid)
        result, user, system = run_client(argv, count, args.timeout)
        server_after = tree_cpu_seconds(server.proc.pid)
    finally:
        server.stop()
    # The one-round-trip run paid the fixed cost once and one round trip: what is left of the
    # measured run is N - 1 round trips.
    marginal = count - (0 if args.no_baseline else 1)
    user, system = user - base_user, system - base_system
    return {"acks": count, "seconds": result["seconds"], "rate": count / result["seconds"],
            "cpu_s": user + system, "value": (user + system) * 1e6 / marginal,
            "kernel": system * 1e6 / marginal, "fixed_ms": (base_user + base_system) * 1e3,
            "server": (server_after - server_before) * 1e6 / count}


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def report(results, failures, table, names, args):
    head = " | ".join(LABELS.get(n, n) for n in names)
    both = OURS in names and PEER in names
    lines = [
        f"Runs: {args.runs} per figure (median; the individual runs in brackets), clients interleaved, "
        f"{args.payload_bytes}-character strings.",
        "",
        f"| scenario | {head} |" + (" duplex / rust_socketio |" if both else ""),
        "|---|" + "---:|" * (len(names) + (1 if both else 0)),
    ]

    def cell(rows, key, fmt, bold=False, each=False):
        if not rows:
            return "—"
        text = fmt.format(median(rows, key))
        text = f"**{text}**" if bold else text
        if each:
            text += " (" + ", ".join(fmt.format(r[key]) for r in rows) + ")"
        return text

    def ratio(name, key):
        ours, theirs = results.get((name, OURS)), results.get((name, PEER))
        if not both:
            return ""
        if not ours or not theirs:
            return " — |"
        return f" {median(ours, key) / median(theirs, key):.2f}× |"

    for name, (label, _, _, count) in table.items():
        rows = {n: results.get((name, n)) for n in names}
        if not any(rows.values()) and not any(failures.get((name, n)) for n in names):
            continue
        label = f"{label}, {count:,} per run"
        cells = " | ".join(cell(rows[n], "value", "{:.2f}", True, True) for n in names)
        lines.append(f"| {label} (client CPU-µs / round trip) | {cells} |{ratio(name, 'value')}")
        cells = " | ".join(cell(rows[n], "kernel", "{:.2f}") for n in names)
        lines.append(f"| {label} (of which kernel, CPU-µs) | {cells} |" + (" |" if both else ""))
        cells = " | ".join(cell(rows[n], "rate", "{:,.0f}") for n in names)
        lines.append(f"| {label} (round trips / s) | {cells} |{ratio(name, 'rate')}")
        cells = " | ".join(cell(rows[n], "server", "{:.2f}") for n in names)
        lines.append(f"| {label} (server CPU-µs / round trip) | {cells} |{ratio(name, 'server')}")
        if not args.no_baseline:
            cells = " | ".join(cell(rows[n], "fixed_ms", "{:.1f}") for n in names)
            lines.append(f"| {label} (left out: start + connect + 1 round trip, client CPU-ms) "
                         f"| {cells} |" + (" |" if both else ""))
        if any(failures.get((name, n)) for n in names):
            lines.append(f"| {label}: runs failed | " + " | ".join(
                str(len(failures.get((name, n), []))) for n in names) + " |" + (" |" if both else ""))
    notes = sorted({(name, n, e) for (name, n), errs in failures.items() for e in errs})
    if notes:
        lines += ["", "Failed runs:", ""]
        lines += [f"- {name}, {LABELS.get(n, n)}: {e}" for name, n, e in notes]
    return "\n".join(lines)


def write_section(path, body, heading=SECTION):
    """Replaces the section `heading` of RESULTS.md (up to the next `## ` heading), or
    appends it."""
    with open(path) as f:
        text = f.read()
    section = f"{heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def git_head():
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clients", default="duplex,rust_socketio")
    ap.add_argument("--only", help="run only this client (e.g. rust_socketio while ours is missing)")
    ap.add_argument("--client", action="append", default=[], metavar="NAME=CMD",
                    help="add or replace a client command")
    ap.add_argument("--server", default=SERVER, help="server command (prints `LISTENING <port>`)")
    ap.add_argument("--path", default="/socket.io/", help="Socket.IO path on the server")
    ap.add_argument("--modes", default="sequential,pipelined")
    ap.add_argument("--transports", default="websocket,polling")
    ap.add_argument("--in-flight", type=int, default=16, help="acks outstanding when pipelined")
    ap.add_argument("--count", type=int, default=50000, help="round trips per WebSocket run")
    ap.add_argument("--polling-count", type=int, default=10000, help="round trips per polling run")
    ap.add_argument("--payload-bytes", type=int, default=32)
    ap.add_argument("--no-baseline", action="store_true",
                    help="do not subtract a one-round-trip run's CPU (the fixed cost)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one client run may take")
    ap.add_argument("--write", action="store_true",
                    help=f"put the table into {os.path.relpath(RESULTS)} as '{SECTION}'")
    ap.add_argument("--raw", help="append every run as a JSON line to this file")
    args = ap.parse_args()

    clients = dict(CLIENTS)
    for spec in args.client:
        name, _, cmd = spec.partition("=")
        clients[name] = cmd
    names = [args.only] if args.only else [n for n in args.clients.split(",") if n in clients]
    for n in names:
        binary = shlex.split(clients.get(n, n))[0]
        if n not in clients or not os.path.exists(binary):
            sys.exit(f"sio_client.py: client {n}: {binary} is missing (see the build commands in "
                     f"this script's docstring, or leave it out with --only / --clients)")
    table = scenarios(args)
    started = datetime.datetime.now(datetime.timezone.utc)
    load = os.getloadavg()[0]

    results, failures = {}, {}
    for run in range(args.runs):
        for name, (_, transport, k, count) in table.items():
            for n in names:
                try:
                    r = measure(clients[n], args.server, transport, k, count, args)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
                    msg = str(e).replace("\n", " ")
                    print(f"# {name} {n} run {run}: FAILED {msg}", file=sys.stderr)
                    failures.setdefault((name, n), []).append(msg[:300])
                    continue
                r.update(client=n, scenario=name, run=run)
                print(f"# {name} {n} run {run}: {json.dumps(r)}", file=sys.stderr)
                results.setdefault((name, n), []).append(r)
                if args.raw:
                    with open(args.raw, "a") as f:
                        f.write(json.dumps(r) + "\n")

    text = report(results, failures, table, names, args)
    print(text)
    if args.write:
        ended = datetime.datetime.now(datetime.timezone.utc)
        argv = " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--write")
        body = "\n".join([
            f"{started:%Y-%m-%d, %H:%M}–{ended:%H:%M} UTC, at {git_head()}; machine as above "
            f"(load average {load:.1f} at the start).",
            "How it is measured: [README.md](README.md#socketio-client-round-trips-against-rust_socketio-sio_clientpy).",
            "",
            "```sh",
            "cargo build --release -p duplex-bench-peers --bin rust_socketio_echo",
            "cargo build --release -p duplex-socketio --example bench_server",
            "cargo build --release -p duplex-socketio --features client --example client_echo",
            f"benches/sio_client.py {argv}".rstrip(),
            "```",
            "",
            text,
        ])
        write_section(RESULTS, body)
        print(f"# wrote '{SECTION}' into {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
