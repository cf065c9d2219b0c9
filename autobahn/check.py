#!/usr/bin/env python3
"""Gate on Autobahn|Testsuite results.

Reads one or more wstest report directories (each holding the `index.json` that wstest writes;
shards are merged), compares every case with the committed expectation file, prints a summary and
exits non-zero on any regression: a case missing from the reports, or whose `behavior` or
`behaviorClose` is worse than expected.

Expectation file: a JSON object mapping case id -> the worst acceptable outcome, either a string
applied to both fields ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED") or an object
{"behavior": ..., "behaviorClose": ...}.

    check.py --expected autobahn/expected-server.json autobahn/reports/server-*
    check.py --generate autobahn/expected-server.json autobahn/reports/server-*
"""

import argparse
import glob
import json
import os
import sys
from collections import Counter, defaultdict

# Lower is better. INFORMATIONAL means the suite does not judge the case (RFC leaves it open), so
# it ranks with OK; anything at rank 3 or above is a failure whatever the expectation says.
RANK = {
    "OK": 0,
    "INFORMATIONAL": 0,
    "NON-STRICT": 1,
    "UNIMPLEMENTED": 2,
    "WRONG CODE": 3,
    "UNCLEAN": 3,
    "FAILED BY CLIENT": 3,
    "FAILED": 3,
    "MISSING": 4,
}
FAIL_RANK = 3
FIELDS = ("behavior", "behaviorClose")


def case_key(case_id):
    return tuple(int(part) for part in case_id.split("."))


def load_reports(paths, agent):
    """Merge the case results of every report directory (or index.json) given."""
    merged = {}
    for path in paths:
        index = os.path.join(path, "index.json") if os.path.isdir(path) else path
        if not os.path.exists(index):
            sys.exit(f"check.py: no report at {index}")
        with open(index) as f:
            data = json.load(f)
        agents = [agent] if agent else sorted(data)
        for name in agents:
            if name not in data:
                sys.exit(f"check.py: agent {name!r} not in {index} (has {sorted(data)})")
            for case_id, result in data[name].items():
                if case_id in merged:
                    print(f"warning: case {case_id} reported twice; keeping the worse", file=sys.stderr)
                    if worst(result) < worst(merged[case_id]):
                        continue
                merged[case_id] = result
    return merged


def worst(result):
    return max(RANK.get(result.get(field), FAIL_RANK) for field in FIELDS)


def allowed(expectation, field):
    if isinstance(expectation, dict):
        return expectation.get(field, "OK")
    return expectation


def compare(expected, actual):
    regressions, improvements = [], []
    for case_id in sorted(expected, key=case_key):
        want = expected[case_id]
        got = actual.get(case_id) or {}
        for field in FIELDS:
            have = got.get(field, "MISSING")
            rank = RANK.get(have, FAIL_RANK)
            if rank > RANK[allowed(want, field)] or rank >= FAIL_RANK:
                regressions.append((case_id, field, allowed(want, field), have))
        limit = max(RANK[allowed(want, field)] for field in FIELDS)
        if got and worst(got) < limit:
            improvements.append((case_id, want, {f: got.get(f) for f in FIELDS}))
    unexpected = sorted(set(actual) - set(expected), key=case_key)
    return regressions, improvements, unexpected


def summary(actual, title):
    print(f"== Autobahn {title}: {len(actual)} cases")
    for field in FIELDS:
        counts = Counter(r.get(field, "MISSING") for r in actual.values())
        print(f"  {field:<14} " + "  ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    groups = defaultdict(list)
    for case_id, r in actual.items():
        groups[case_id.split(".")[0]].append(r)
    print(f"  {'group':<6}{'cases':>6}{'OK':>6}{'other':>7}{'total s':>10}{'max s':>8}")
    for g in sorted(groups, key=int):
        rs = groups[g]
        ok = sum(1 for r in rs if r.get("behavior") == "OK")
        durations = [r.get("duration", 0) / 1000 for r in rs]
        print(f"  {g:<6}{len(rs):>6}{ok:>6}{len(rs) - ok:>7}{sum(durations):>10.1f}{max(durations):>8.1f}")
    slow = sorted(actual.items(), key=lambda kv: -kv[1].get("duration", 0))[:5]
    print("  slowest: " + ", ".join(f"{k} {v.get('duration', 0) / 1000:.1f}s" for k, v in slow))


def generate(actual, path):
    # Policy for a fresh expectation: every case OK except those the suite itself only reports
    # as INFORMATIONAL; loosen case by case afterwards, with a reason in the commit.
    expected = {}
    for case_id in sorted(actual, key=case_key):
        r = actual[case_id]
        informational = "INFORMATIONAL" in (r.get("behavior"), r.get("behaviorClose"))
        expected[case_id] = "INFORMATIONAL" if informational else "OK"
    with open(path, "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(expected)} cases, {Counter(expected.values())}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reports", nargs="+", help="report directories (or index.json files); globs ok")
    p.add_argument("--expected", help="expectation file to gate on")
    p.add_argument("--generate", help="write a fresh expectation file from the reports and exit")
    p.add_argument("--agent", help="agent name in index.json (default: every agent found)")
    p.add_argument("--title", default="", help="name printed in the summary (e.g. server)")
    p.add_argument("--allow-missing", action="store_true", help="ignore cases absent from the reports")
    args = p.parse_args()

    paths = [m for pattern in args.reports for m in (sorted(glob.glob(pattern)) or [pattern])]
    actual = load_reports(paths, args.agent)
    title = args.title or os.path.basename(args.expected or args.generate or "results")
    summary(actual, title)
    if args.generate:
        generate(actual, args.generate)
        return 0
    if not args.expected:
        p.error("--expected or --generate is required")
    with open(args.expected) as f:
        expected = json.load(f)
    for case_id, want in expected.items():
        for field in FIELDS:
            if allowed(want, field) not in RANK or RANK[allowed(want, field)] >= FAIL_RANK:
                sys.exit(f"check.py: bad expectation for {case_id}: {want!r}")
    if args.allow_missing:
        expected = {k: v for k, v in expected.items() if k in actual}

    regressions, improvements, unexpected = compare(expected, actual)
    for case_id, field, want, have in regressions:
        print(f"REGRESSION {case_id} {field}: {have} (allowed {want})")
    for case_id, want, have in improvements:
        print(f"improved   {case_id}: {have} (expected {want}; tighten {args.expected})")
    if unexpected:
        # Not gated: a case the expectation file does not know yet (e.g. a new suite version).
        shown = ", ".join(unexpected[:10]) + (" ..." if len(unexpected) > 10 else "")
        print(f"note: {len(unexpected)} cases not in {args.expected}, not gated: {shown}")
    failed_cases = len({r[0] for r in regressions})
    print(f"{title}: {len(expected) - failed_cases} passed, {failed_cases} failed")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
