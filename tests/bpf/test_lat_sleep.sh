#!/usr/bin/env bash
# hakmem-lat times known intervals right.  tests/bpf/workloads/lat_sleep.c,
# linked with lib/libhakmem.a (so hakmem-lat must find the probes in the
# executable itself), fires cold/refill/drain/grow probe pairs around 1.1 ms
# and 10 ms sleeps as tier 2, N times each, and prints the duration it
# measured around each pair.  hakmem-lat's duration d of a sample lies in
# [sleep, measured], so for every bucket bound b:
#   #(measured <= b)  <=  #(d <= b)  <=  #(sleep <= b)
# which pins each sample to the bucket holding its duration whenever the
# sleep and the measured time share a bucket (they do unless the machine
# stalls the sleeper for ~1 ms).  Also: count == N, and the exact max_ns lies
# in [longest sleep, longest measured].
# Twice: with the done probes' ns (hakmem-lat attaches no start probe, and
# reports the ns), and built as an older hakmem's, without them (hakmem-lat
# times the intervals between the hits).
set -u
. "$(dirname "$0")/workloads/lat_common.sh"
. "$(dirname "$0")/workloads/lat_sleep.sh"
lat_setup test_lat_sleep

N=12

# check_build NAME CFLAGS HOW: lat_sleep built with CFLAGS, traced and
# checked; hakmem-lat -v must say it times the intervals HOW.
check_build() {
	echo "lat_sleep $1:"
	build_lat_sleep "$tmp/lat_sleep" "$2" || fail "cannot build lat_sleep ($1)"
	"$LAT" -v -C --json -o "$tmp/lat.json" -- "$tmp/lat_sleep" "$N" >"$tmp/samples" 2>"$tmp/err" ||
		fail "hakmem-lat or lat_sleep ($1) failed: $(grep -v '^libbpf' "$tmp/err")"
	grep -q "^hakmem-lat: $3" "$tmp/err" || fail "hakmem-lat -v did not say \"$3\" for lat_sleep ($1)"
	[ "$(json_get "$tmp/lat.json" 'd["library_source"]')" = static ] ||
		fail "probes not found in the static executable: $(json_get "$tmp/lat.json" 'd["library_source"]')"
	check_samples || fail "hakmem-lat's histograms of lat_sleep ($1) are wrong"
}

check_samples() {
	python3 - "$tmp/lat.json" "$tmp/samples" "$N" <<'PY'
import json, sys

lat = json.load(open(sys.argv[1]))
n = int(sys.argv[3])
samples = {}  # (event, class or None) -> [(sleep, measured)]
for line in open(sys.argv[2]):
    kind, cls, sleep, meas = line.split()
    # a drain pair is also a refill; grow has no class
    keys = [(kind, int(cls))] + ([("refill", int(cls))] if kind == "drain" else [])
    for k in keys:
        k = (k[0], None) if k[0] == "grow" else k
        samples.setdefault(k, []).append((int(sleep), int(meas)))

def row(event, cls):
    for r in lat["events"][event].get("by", []):
        if r["tier"] == "large" and r.get("class") == cls:
            return r
    return None

def slot(v):  # hk_log2_slot: 2^(k-1) < v <= 2^k
    return 0 if v <= 1 else (v - 1).bit_length()

bad = 0
for (event, cls), s in sorted(samples.items(), key=str):
    r = row(event, cls)
    name = f"{event} class {cls}" if cls is not None else event
    if r is None:
        print(f"FAIL: {name}: no tier-large row in hakmem-lat's output"); bad += 1; continue
    got = {slot(b["le_ns"]): b["count"] for b in r["buckets"]}
    ok = r["count"] == n == len(s)
    for k in range(64):
        le = 1 << k
        lo = sum(1 for _, m in s if m <= le)
        hi = sum(1 for sl, _ in s if sl <= le)
        cum = sum(c for j, c in got.items() if j <= k)
        ok &= lo <= cum <= hi
    mx_lo, mx_hi = max(sl for sl, _ in s), max(m for _, m in s)
    # The scheduling slack is what the program itself measured around each
    # sleep (on a loaded 2-core VM it can reach tens of ms), so the exact max
    # must lie between the longest sleep and the longest own timing.
    ok &= mx_lo <= r["max_ns"] <= mx_hi
    exp = sorted({slot(m) for _, m in s})
    print(f"  {name:16} count {r['count']:3} (want {n})  buckets "
          f"{ {1 << k: c for k, c in sorted(got.items()) if c} }  from own timing {[1 << k for k in exp]}  "
          f"max_ns {r['max_ns']} in [{mx_lo}, {mx_hi}]: {'ok' if ok else 'FAIL'}")
    bad += not ok
sys.exit(1 if bad else 0)
PY
}

check_build "with ns" "" "done probes carry their ns: start probes and drain not attached"
check_build "without ns (an older hakmem)" -DLAT_SLEEP_OLD "done probes without ns: intervals timed between the hits"
echo "PASS"
