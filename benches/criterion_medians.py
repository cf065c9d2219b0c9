#!/usr/bin/env python3
"""Prints the medians of the last criterion run as a markdown table.

Reads target/criterion/<group>/<bench>/new/{estimates,benchmark}.json, which
`cargo bench` leaves behind; throughput is derived from the median and the
bench's declared bytes per iteration.
"""

import glob
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
print("| bench | median | throughput |")
print("|---|---:|---:|")
for est_path in sorted(glob.glob(f"{root}/*/*/new/estimates.json")):
    new = os.path.dirname(est_path)
    with open(est_path) as f:
        median_ns = json.load(f)["median"]["point_estimate"]
    with open(os.path.join(new, "benchmark.json")) as f:
        meta = json.load(f)
    per_iter = (meta.get("throughput") or {}).get("Bytes")
    rate = f"{per_iter / median_ns:.2f} GB/s" if per_iter else ""
    time = f"{median_ns / 1000:.2f} µs" if median_ns >= 1000 else f"{median_ns:.2f} ns"
    print(f"| {meta['full_id']} | {time} | {rate} |")
