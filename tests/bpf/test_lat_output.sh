#!/usr/bin/env bash
# hakmem-lat's outputs: the runqlat-style text (count, p50/p90/p99/max per
# event, rows "low -> high : count |***|" whose counts add up to the count),
# the units, -o FILE, JSON Lines in periodic mode (one valid object per
# interval; their counts add up to the one-shot totals of the same events),
# and --svg: a valid picture (rsvg-convert renders it to PNG) with one panel
# per event.
set -u
. "$(dirname "$0")/workloads/lat_common.sh"
lat_setup test_lat_output
command -v rsvg-convert >/dev/null || fail "rsvg-convert missing (librsvg2-bin, scripts/install-deps)"

status=0
preload=(env LD_PRELOAD="$PWD/lib/libhakmem.so")
work=(bench/bench_mid_large_mt 2 20000 256 3)

# Text: every event has a header line with the statistics, rows add up.
"$LAT" -u us -o "$tmp/report.txt" --svg "$tmp/lat.svg" -- "${preload[@]}" "${work[@]}" >/dev/null ||
	fail "hakmem-lat failed"
python3 - "$tmp/report.txt" <<'PY' || status=1
import re, sys
text = open(sys.argv[1]).read()
heads = re.findall(r"^(\S.*?) \(.*\): count (\d+)  p50 [\d.]+ us  p90 [\d.]+ us  p99 [\d.]+ us  max [\d.]+ us$",
                   text, re.M)
names = [h[0] for h in heads] + re.findall(r"^(\S.*?) \(.*\): no samples$", text, re.M)
want = ["cold start", "refill", "remote drain", "arena grow", "reclaim walk", "mmap(2)", "munmap(2)", "madvise(2)"]
ok = sorted(names) == sorted(want)
for block in text.split("\n\n"):
    m = re.search(r": count (\d+) ", block)
    rows = re.findall(r"^\s+[\d.]+ -> [\d.]+\s+: (\d+)\s+\|[* ]{40}\|$", block, re.M)
    if m:
        ok &= sum(map(int, rows)) == int(m.group(1)) and len(rows) > 0
print("text report:", "ok" if ok else "FAIL", names)
sys.exit(0 if ok else 1)
PY

# SVG: renders, one panel per event with its statistics line.
rsvg-convert -o "$tmp/lat.png" "$tmp/lat.svg" || { echo "FAIL: rsvg-convert rejected the SVG" >&2; status=1; }
[ -s "$tmp/lat.png" ] || { echo "FAIL: empty PNG" >&2; status=1; }
panels=$(grep -c "class='title'" "$tmp/lat.svg")
stats=$(grep -c "class='stats'>n=" "$tmp/lat.svg")
echo "svg: $panels panels, $stats with samples, PNG $(stat -c %s "$tmp/lat.png") bytes"
[ "$panels" = 8 ] && [ "$stats" -ge 4 ] || { echo "FAIL: svg panels $panels/$stats" >&2; status=1; }

# The title holds the command's words, which may be any bytes: what XML
# cannot hold (a control character, a byte of no UTF-8 character) is U+FFFD,
# a multi-byte character cut at the 60th stays whole, the file parses.
long=$(printf 'e%.0s' $(seq 45))$'\xc3\xa9\xc3\xa9'
"$LAT" -e map --svg "$tmp/odd.svg" -- /bin/true $'x\xffy\x01<' "$long" >/dev/null || fail "odd-bytes run failed"
python3 - "$tmp/odd.svg" <<'PY' || status=1
import sys, xml.etree.ElementTree as ET
title = "".join(ET.parse(sys.argv[1]).getroot().find("{http://www.w3.org/2000/svg}text").itertext())
ok = "x\ufffdy\ufffd<" in title and ("e" * 45 + "\u00e9 ...") in title
print("svg title:", "ok" if ok else "FAIL", repr(title))
sys.exit(0 if ok else 1)
PY

# interval_s is how long each interval lasted: the last one, cut by the
# command's exit half-way, is about half as long (wide bounds: a busy box).
"$LAT" -e cold --json -o "$tmp/half.json" 1 -- sleep 1.5 || fail "interval_s run failed"
python3 - "$tmp/half.json" <<'PY' || status=1
import json, sys
s = [json.loads(l)["interval_s"] for l in open(sys.argv[1])]
ok = len(s) == 2 and 0.9 <= s[0] <= 1.4 and 0.2 <= s[1] <= 0.9
print("interval_s:", "ok" if ok else "FAIL", s)
sys.exit(0 if ok else 1)
PY

# Periodic JSON Lines vs one-shot: same deterministic events, same totals.
# (20M cycles: long enough for several 50 ms intervals even at ~100M ops/s.)
"$LAT" -e cold,refill,grow --json -o "$tmp/lines.json" 0.05 -- "${preload[@]}" \
	bench/bench_mid_large_mt 2 20000000 256 3 >/dev/null || fail "periodic run failed"
"$LAT" -e cold,refill,grow --json -o "$tmp/one_long.json" -- "${preload[@]}" \
	bench/bench_mid_large_mt 2 20000000 256 3 >/dev/null || fail "one-shot run failed"
python3 - "$tmp/lines.json" "$tmp/one_long.json" <<'PY' || status=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
one = json.load(open(sys.argv[2]))
ok = len(lines) >= 2 and [l["interval"] for l in lines] == list(range(1, len(lines) + 1))
for e in ("cold", "grow"):  # deterministic for a fixed seed
    total = sum(l["events"][e]["count"] for l in lines)
    ok &= total == one["events"][e]["count"] > 0
    print(f"{e}: {total} over {len(lines)} intervals, one-shot {one['events'][e]['count']}")
for l in lines:
    for e, v in l["events"].items():
        ok &= sum(b["count"] for b in v["buckets"]) == v["count"]
        ok &= v["count"] == 0 or v["p50_ns"] <= v["p90_ns"] <= v["p99_ns"] <= v["max_ns"]
print("json lines:", "ok" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
exit $status
