#!/usr/bin/env python3
"""Latency percentile plots and their table for RESULTS.md: duplex against Node, same run.

For each scenario every server is started pinned to core 0 (eio.py's `Server`), warmed up
with a short untimed load (Node compiles its hot paths at first use), then loaded by
`duplex bench <scenario> --json FILE --label NAME` pinned to core 1. The JSON results are
merged by `duplex bench plot` into benches/plots/<scenario>.svg (one curve per server; and
<scenario>-log.svg with a logarithmic latency axis), and
a markdown table of the same figures is printed and written to benches/plots/table.md.

| plot | servers | load |
|---|---|---|
| ws-echo.svg | `duplex echo`, Node `ws` (interop/ws_echo_server.mjs) | 64 connections x 16 in flight, 16 B |
| sio-echo.svg | `bench_server` example, Node `socket.io` (interop/sio_bench_server.mjs) | 64 clients x 16 acks in flight |
| sio-fanout.svg | the same | 1,000 clients in one room, 4 broadcasts in flight |

Run from the repository root, after

    cargo build --release -p duplex
    cargo build --release -p duplex-socketio --example bench_server
    benches/plots.py                        # about a minute
    benches/plots.py --write                # ... and put the table and plots into RESULTS.md
    benches/plots.py --quick --bin-dir target/debug --out /tmp/p   # small loads: checks the pipeline
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eio import Server, raise_open_files  # noqa: E402  (same server handling as eio.py)
from sio_client import RESULTS, git_head, write_section  # noqa: E402

SECTION = "## Latency percentiles: duplex against Node, same run"


def servers(bin_dir):
    """protocol -> [(label, command printing its port)]."""
    return {
        "ws": [("duplex", f"{bin_dir}/duplex echo --addr 127.0.0.1:0"),
               ("Node ws", "node interop/ws_echo_server.mjs --port 0 --deflate false --quiet")],
        "sio": [("duplex", f"{bin_dir}/examples/bench_server --port 0"),
                ("Node socket.io", "node interop/sio_bench_server.mjs --port 0 --quiet")],
    }


def scenarios(args):
    """name -> (protocol, title, load arguments)."""
    if args.quick:
        return {
            "ws-echo": ("ws", "ws-echo (quick)", ["--connections", "4"]),
            "sio-echo": ("sio", "sio-echo (quick)",
                         ["--clients", "4", "--in-flight", "4"]),
            "sio-fanout": ("sio", "sio-fanout (quick)",
                           ["--clients", "20", "--window", "4"]),
        }
    return {
        "ws-echo": ("ws", "ws-echo: 64 connections x 16 messages of 16 B in flight",
                    ["--connections", "64", "--in-flight", "16", "--size", "16"]),
        "sio-echo": ("sio", "sio-echo: event + ack, 64 clients x 16 in flight",
                     ["--clients", "64", "--in-flight", "16", "--size", "16"]),
        "sio-fanout": ("sio", "sio-fanout: emit to receipt, 1,000 clients in one room",
                       ["--clients", "1000", "--window", "4", "--size", "16"]),
    }


def url(protocol, port):
    return f"ws://127.0.0.1:{port}/" if protocol == "ws" else f"http://127.0.0.1:{port}/socket.io/"


def bench(duplex, argv, timeout):
    """Runs `duplex bench` pinned to core 1; raises with its stderr when it fails."""
    out = subprocess.run(["taskset", "-c", "1", duplex, "bench", *argv],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"duplex bench {' '.join(argv)}: exit {out.returncode}: "
                           f"{out.stderr.strip()[-800:]}")
    return out


def run_one(args, name, protocol, extra, label, command, json_path):
    server = Server(command)
    try:
        target = ["--url", url(protocol, server.port)]
        bench(args.duplex, [name, *extra, *target, "--duration", str(args.warmup)], 120)
        bench(args.duplex, [name, *extra, *target, "--duration", str(args.duration),
                            "--label", label, "--json", json_path], 600)
    finally:
        server.stop()
    with open(json_path) as f:
        return json.load(f)


def row(name, result):
    l = result.get("latency_us") or {}
    ms = lambda key: f"{l[key] / 1000:.3f}" if key in l else "-"  # noqa: E731
    t = result["throughput"]
    return (f"| {name} | {result['label']} | {t['per_sec']:,.0f} {t['unit']}/s | {ms('p50')} | "
            f"{ms('p90')} | {ms('p99')} | {ms('p999')} | {ms('max')} | {result['errors']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="benches/plots", help="directory of the SVGs and table.md")
    ap.add_argument("--bin-dir", default="target/release",
                    help="where duplex and examples/bench_server are (target/debug for a quick check)")
    ap.add_argument("--scenarios", default="ws-echo,sio-echo,sio-fanout")
    ap.add_argument("--duration", type=float, default=None, help="seconds of load (default 8, quick 1)")
    ap.add_argument("--quick", action="store_true", help="small loads of 1 s: checks the pipeline")
    ap.add_argument("--write", action="store_true",
                    help=f"put the table and the plots into {os.path.relpath(RESULTS)} as '{SECTION}'")
    args = ap.parse_args()
    if args.duration is None:
        args.duration = 1.0 if args.quick else 8.0
    args.warmup = 0.3 if args.quick else 1.0
    args.duplex = f"{args.bin_dir}/duplex"
    raise_open_files(1000)
    os.makedirs(args.out, exist_ok=True)
    table = ["| scenario | server | rate | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    chosen = scenarios(args)
    by_protocol = servers(args.bin_dir)
    for name in args.scenarios.split(","):
        protocol, title, extra = chosen[name]
        files = []
        for label, command in by_protocol[protocol]:
            slug = label.lower().replace(" ", "-").replace(".", "")
            json_path = os.path.join(args.out, f"{name}-{slug}.json")
            print(f"# {name} against {label}", file=sys.stderr)
            result = run_one(args, name, protocol, extra, label, command, json_path)
            table.append(row(name, result))
            files.append(json_path)
        for suffix, scale in (("", []), ("-log", ["--log-y"])):
            svg = os.path.join(args.out, f"{name}{suffix}.svg")
            subprocess.run([args.duplex, "bench", "plot", *scale, "--title", title, "--out", svg,
                            *files], check=True)
            print(f"# wrote {svg}", file=sys.stderr)
    text = "\n".join(table) + "\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(text)
    print(text, end="")
    if args.write:
        write_section(RESULTS, section(args, chosen, text), SECTION)
        print(f"# wrote '{SECTION}' into {RESULTS}", file=sys.stderr)


def section(args, chosen, table):
    """The RESULTS.md section: how it was made, the table, the plots."""
    where = os.path.relpath(os.path.abspath(args.out), os.path.dirname(RESULTS))
    command = " ".join(["benches/plots.py", *sys.argv[1:]])
    lines = [
        f"`{command}`",
        f"(commit {git_head()}, {args.duration:g} s per run): every server fresh and pinned to core 0,",
        "warmed up, then loaded by `duplex bench` pinned to core 1. Latencies under full pipelined",
        "load are mostly queueing: compare the curves of one run, not figures across runs.",
        "",
        table.rstrip("\n"),
        "",
    ]
    for name in args.scenarios.split(","):
        lines += [f"![{chosen[name][1]}]({where}/{name}.svg)",
                  f"([logarithmic latency axis]({where}/{name}-log.svg))", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
