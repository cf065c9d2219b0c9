#!/usr/bin/env python3
"""Write the wstest spec of one shard of an Autobahn run.

The suite's runner (wstest, Python 2) is the bottleneck of the permessage-deflate groups 12.x and
13.x, so a run is split into shards that run as parallel wstest processes. The case list comes
from the committed template (fuzzingclient.json or fuzzingserver.json, all cases); the shards
split it along the groups below, balanced by the measured cost of each group.

    specs.py server --shards 2 --index 0 --url ws://127.0.0.1:9001 --outdir DIR > spec.json
    specs.py client --shards 2 --index 1 --url ws://127.0.0.1:9101 --outdir DIR > spec.json
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Units of work and their cost: the sum of the suite's case durations (seconds) per unit, measured
# with the Node `ws` stand-ins on a loaded 2-core machine, averaged over both modes (2026-11-28,
# autobahn/README.md). Only the ratios matter. 12.2/12.3 (no context takeover, 1000 messages of up
# to 128 KiB) dominate; groups 1-10 together are cheap.
COSTS = {
    "1-10": 45,
    "12.1": 125,
    "12.2": 475,
    "12.3": 470,
    "12.4": 165,
    "12.5": 315,
    "13.1": 120,
    "13.2": 100,
    "13.3": 115,
    "13.4": 90,
    "13.5": 125,
    "13.6": 55,
    "13.7": 110,
}
UNITS = [("1-10", [f"{g}.*" for g in range(1, 11)], COSTS["1-10"])]
UNITS += [(u, [f"{u}.*"], COSTS[u]) for u in COSTS if u != "1-10"]


def split(shards):
    """Greedy longest-first assignment of units to the least loaded shard."""
    bins = [[] for _ in range(shards)]
    load = [0.0] * shards
    for _name, patterns, cost in sorted(UNITS, key=lambda u: -u[2]):
        i = load.index(min(load))
        bins[i].extend(patterns)
        load[i] += cost
    return bins


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["server", "client"], help="server: fuzzingclient tests our server")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--url", required=True)
    p.add_argument("--outdir", required=True)
    p.add_argument("--agent", default="duplex")
    p.add_argument("--cases", help="comma-separated case patterns instead of all (one shard only)")
    args = p.parse_args()
    if not 1 <= args.shards or not 0 <= args.index < args.shards:
        p.error("need 0 <= --index < --shards")

    template = "fuzzingclient.json" if args.mode == "server" else "fuzzingserver.json"
    with open(os.path.join(HERE, template)) as f:
        spec = json.load(f)
    if args.cases:
        if args.shards != 1:
            p.error("--cases runs as a single shard")
        spec["cases"] = [c.strip() for c in args.cases.split(",") if c.strip()]
    elif args.shards > 1:
        if spec["cases"] != ["*"]:
            sys.exit(f"specs.py: sharding needs the template's cases to be ['*'], not {spec['cases']}")
        spec["cases"] = split(args.shards)[args.index]
    spec["outdir"] = os.path.abspath(args.outdir)
    if args.mode == "server":
        for server in spec["servers"]:
            server["agent"] = args.agent
            server["url"] = args.url
    else:
        spec["url"] = args.url
    json.dump(spec, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
