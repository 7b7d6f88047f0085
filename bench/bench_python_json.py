#!/usr/bin/python3
"""bench_python_json — CPython building, dumping, parsing and sorting JSON.

A real interpreter under the allocator: RECORDS dict entries of five floats
each are built, json.dumps'd (its encoder grows ~800 KB buffers and joins
them), json.loads'd back beside the original (a snapshot's round trip) and
sorted.  CPython takes its objects of up to
512 B from pymalloc's own mappings, so what an allocator keeps of the
freed dump buffers cannot serve the parse: it stays in the peak RSS.
One op = one record through all four steps.  Our own code.
"""
import json
import random
import sys
import time

USAGE = """usage: bench_python_json.py [RECORDS [SEED]]
  RECORDS  dict entries, each a list of five floats (default 300000)
  SEED     random seed (default 42)
One op = one record built, dumped, parsed and sorted.  Last line:
RESULT name=python_json ... extra: json_kb=N"""


def arg(i, default, name):
    if len(sys.argv) <= i:
        return default
    try:
        v = int(sys.argv[i])
    except ValueError:
        v = -1
    if v < 1 and not (name == "SEED" and v == 0):
        print(f"error: {name} must be a positive integer, not {sys.argv[i]!r}\n{USAGE}", file=sys.stderr)
        sys.exit(2)
    return v


def peak_rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(USAGE)
        return
    records = arg(1, 300000, "RECORDS")
    seed = arg(2, 42, "SEED")
    print(f"bench_python_json: records={records} seed={seed} python={sys.version.split()[0]}")
    rng = random.Random(seed)
    t0 = time.perf_counter()
    built = {str(i): [rng.random() for _ in range(5)] for i in range(records)}
    text = json.dumps(built)
    parsed = json.loads(text)
    ordered = sorted(parsed.items(), key=lambda kv: kv[1][0])
    elapsed = time.perf_counter() - t0
    if len(ordered) != records or any(a[1][0] > b[1][0] for a, b in zip(ordered, ordered[1:])):
        print("error: the parsed records are not all there, in order", file=sys.stderr)
        sys.exit(1)
    checksum = sum(int(k) for k, _ in ordered[:1000])
    rss = peak_rss_kb()
    print(f"ops:         {records}\ntime:        {elapsed:.3f} s\nops/s:       {records / elapsed:.0f}")
    print(f"peak RSS:    {rss} KiB\nchecksum:    {checksum:016x}")
    print(f"RESULT name=python_json ops_per_sec={records / elapsed:.1f} peak_rss_kb={rss} json_kb={len(text) // 1024}")


main()
