#!/usr/bin/env bash
# make demo's main job (scripts/demo), as root: all four parts print what
# the README promises, with figures in them. Section 1: a row per bundled
# workload with both allocators' ops/s and peak RSS, and hakmem's counters
# for each. Section 2: hakmem-sys's glibc-vs-hakmem table per workload.
# Section 3: hakmem-lat's cold-start histogram, which counts exactly the
# cold starts HAKMEM_STATS counts for the same command. Section 4:
# hakmem-top's rows for the cross-thread run, with remote frees in them.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$LIB" "$SYS" tools/hakmem-lat tools/hakmem-top scripts/demo
echo "test_demo: scripts/demo prints its four parts with figures"

scripts/demo >"$TMP/demo.out" 2>"$TMP/demo.err" || fail "scripts/demo exited $?: $(tail -n 3 "$TMP/demo.err")"
out=$TMP/demo.out
for s in "== 1. " "== 2. " "== 3. " "== 4. "; do
	grep -q "^$s" "$out" || fail "no section '$s' in the demo's output"
done
section() { awk -v a="^== $1\\. " -v b="^== $(($1 + 1))\\. " '$0 ~ a { on = 1; next } $0 ~ b { on = 0 } on' "$out"; }

# 1: | name | glibc ops/s | hakmem ops/s | ratio | glibc RSS | hakmem RSS |
rows=$(section 1 | awk -F'|' '$2 ~ /[a-z]/ && $3 + 0 > 0 && $4 + 0 > 0 && $5 ~ /[0-9]x/ && $6 + 0 > 0 && $7 + 0 > 0' | wc -l)
assert_eq "section 1 workload rows with figures" 3 "$rows"
assert_eq "section 1 counter blocks" 3 "$(section 1 | grep -c '^hakmem counters for ')"

# 2: a total row (glibc, hakmem, reduction) per workload
totals=$(section 2 | awk '$1 == "total" && $2 + 0 > 0 && $3 + 0 > 0 && $4 ~ /%$/' | wc -l)
assert_eq "section 2 total rows" 3 "$totals"

# 3: the histogram's count against HAKMEM_STATS for the demo's command
lat=$(section 3 | sed -n 's/^cold start (cold_start -> cold_done): count \([0-9]*\) .*/\1/p')
[ -n "$lat" ] || fail "section 3 has no cold-start count"
LD_PRELOAD=$LIB HAKMEM_STATS_FILE=$TMP/stats.json bench/bench_mid_large_mt 2 400000 512 42 >/dev/null
assert_eq "section 3 cold starts = HAKMEM_STATS cold_starts" "$(jget "$TMP/stats.json" 'j["cold_starts"]')" "$lat"

# 4: hakmem-top rows whose RFREE/s column is above zero
rfree=$(section 4 | awk '$1 == "TOTAL" && $4 ~ /^[0-9.]+k?$/ && $4 + 0 > 0' | wc -l)
[ "$rfree" -gt 0 ] || fail "section 4 has no TOTAL row with remote frees"
echo "ok: section 4 TOTAL rows with remote frees = $rfree"
echo "PASS"
