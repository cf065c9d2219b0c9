#!/usr/bin/env python3
"""Loopback echo benchmark: server CPU time per message, ours against peers.

Each server runs pinned to core 0, the load generator pinned to core 1. The figure
that matters is the SERVER's CPU time (user + system, all threads and child
processes, from /proc) divided by the echoes the load generator counted: on a
shared 2-core machine it is stable to about 15 %, where messages/s swings 2x.

The load generator is any command that takes
    --url URL --connections C --size BYTES --in-flight K --duration SECS [--deflate] --json
and prints one JSON object with at least "messages" (echoes received in the window)
and "seconds". Default: `duplex bench ws-echo`; set ECHO_LOAD to replace it.

Run from the repository root after `cargo build --release --workspace`.
"""

import argparse
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
REL = "target/release"

# name -> command template; {port} is filled in. Scenarios with deflate use the
# second table: a server there must negotiate permessage-deflate when offered.
PLAIN_SERVERS = {
    "duplex": f"{REL}/duplex echo --addr 127.0.0.1:{{port}}",
    "tungstenite": f"{REL}/tungstenite_echo --addr 127.0.0.1:{{port}}",
    "fastwebsockets": f"{REL}/fastwebsockets_echo --addr 127.0.0.1:{{port}}",
    "node-ws": "node interop/ws_echo_server.mjs --port {port} --deflate false --quiet",
}
DEFLATE_SERVERS = {
    "duplex": f"{REL}/duplex echo --addr 127.0.0.1:{{port}}",
    "node-ws": "node interop/ws_echo_server.mjs --port {port} --quiet",
}

# name -> (connections, size, in-flight, deflate)
SCENARIOS = {
    "a": (64, 16, 16, False),
    "b": (16, 64 * 1024, 1, False),
    "c-a": (64, 16, 16, True),
    "c-b": (16, 64 * 1024, 1, True),
}

OURS = "duplex"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s")


def tree_cpu_seconds(pid):
    """utime + stime of `pid` and all its descendants (threads are included in a
    process's own figures; exited, reaped children in its cutime/cstime)."""
    return sum(tree_cpu_split(pid))


def tree_cpu_split(pid):
    """(user, system) CPU seconds of `pid` and all its descendants."""
    children = {}
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                # The command name may hold spaces; fields restart after its ')'.
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(entry)
        ppid = int(fields[1])
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        stats[p] = (utime + cutime, stime + cstime)
        children.setdefault(ppid, []).append(p)
    user, system, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        u, s = stats.get(p, (0, 0))
        user, system = user + u, system + s
        todo.extend(children.get(p, []))
    return user / CLK_TCK, system / CLK_TCK


def run_once(name, template, scenario, load_cmd, duration):
    conns, size, in_flight, deflate = SCENARIOS[scenario]
    port = free_port()
    server_cmd = ["taskset", "-c", "0"] + shlex.split(template.format(port=port))
    server = subprocess.Popen(server_cmd, stdout=subprocess.DEVNULL)
    try:
        wait_listening(port, server)
        load = ["taskset", "-c", "1"] + shlex.split(load_cmd) + [
            "--url", f"ws://127.0.0.1:{port}/",
            "--connections", str(conns), "--size", str(size),
            "--in-flight", str(in_flight), "--duration", str(duration), "--json",
        ] + (["--deflate"] if deflate else [])
        before = tree_cpu_seconds(server.pid)
        out = subprocess.run(load, capture_output=True, text=True, timeout=duration + 120)
        after = tree_cpu_seconds(server.pid)
        if out.returncode != 0:
            raise RuntimeError(f"load generator failed: {out.stderr.strip()}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=10)
    messages = result["messages"]
    cpu = after - before
    return {
        "server": name, "scenario": scenario, "messages": messages,
        "msgs_per_s": messages / result["seconds"],
        "cpu_s": cpu, "cpu_us_per_msg": cpu * 1e6 / messages if messages else float("inf"),
    }


def table(scenario, rows):
    by_server = {}
    for r in rows:
        by_server.setdefault(r["server"], []).append(r)
    med = {
        s: (statistics.median(r["cpu_us_per_msg"] for r in rs),
            statistics.median(r["msgs_per_s"] for r in rs), len(rs))
        for s, rs in by_server.items()
    }
    peers = [m[0] for s, m in med.items() if s != OURS] or [m[0] for m in med.values()]
    best = min(peers)
    conns, size, in_flight, deflate = SCENARIOS[scenario]
    lines = [
        f"### Scenario {scenario}: {conns} connections x {size} B, {in_flight} in flight"
        + (", permessage-deflate" if deflate else ""),
        "",
        "| server | runs | server CPU-µs / msg (median) | vs best peer | msg/s (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for s, (cpu, rate, n) in sorted(med.items(), key=lambda kv: kv[1][0]):
        lines.append(f"| {s} | {n} | {cpu:.3f} | {cpu / best:.2f}x | {rate:,.0f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="a,b,c-a,c-b")
    ap.add_argument("--servers", default=",".join(PLAIN_SERVERS),
                    help="names from the built-in tables; ones a scenario lacks are skipped")
    ap.add_argument("--server", action="append", default=[], metavar="NAME=CMD",
                    help="add or replace a server for plain scenarios ({port} is filled in)")
    ap.add_argument("--deflate-server", action="append", default=[], metavar="NAME=CMD",
                    help="the same for the permessage-deflate scenarios")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--raw", help="also append every run as a JSON line to this file")
    args = ap.parse_args()

    load_cmd = os.environ.get("ECHO_LOAD", f"{REL}/duplex bench ws-echo")
    plain, deflate = dict(PLAIN_SERVERS), dict(DEFLATE_SERVERS)
    for into, specs in ((plain, args.server), (deflate, args.deflate_server)):
        for spec in specs:
            name, _, cmd = spec.partition("=")
            into[name] = cmd
    extra = [s.partition("=")[0] for s in args.server + args.deflate_server]
    wanted = args.servers.split(",") + extra

    for scenario in args.scenarios.split(","):
        servers = deflate if SCENARIOS[scenario][3] else plain
        names = [n for n in dict.fromkeys(wanted) if n in servers]
        rows = []
        # Round-robin, not server after server: load from other tenants of the
        # machine then drifts over all servers alike.
        for run in range(args.runs):
            for name in names:
                try:
                    r = run_once(name, servers[name], scenario, load_cmd, args.duration)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
                    print(f"# {scenario} {name} run {run}: {e}", file=sys.stderr)
                    continue
                print(f"# {scenario} {name} run {run}: {r['cpu_us_per_msg']:.3f} µs/msg, "
                      f"{r['msgs_per_s']:,.0f} msg/s", file=sys.stderr)
                rows.append(r)
                if args.raw:
                    with open(args.raw, "a") as f:
                        f.write(json.dumps(r) + "\n")
        if rows:
            print(table(scenario, rows) + "\n")


if __name__ == "__main__":
    main()
