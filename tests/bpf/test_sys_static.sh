#!/usr/bin/env bash
# A program linked with libhakmem.a (no LD_PRELOAD): hakmem-sys finds the
# probes in the executable itself (.note.stapsdt, provider hakmem), and the
# boundary counts equal HAKMEM_STATS_FILE; totals equal strace -f -c.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" lib/libhakmem.a bench/bench_random_mixed.c
command -v strace >/dev/null || fail "strace not installed (scripts/install-deps)"

prog=$TMP/random_mixed_static
${CC:-cc} -O2 -D_GNU_SOURCE -Iinclude -Ibench bench/bench_random_mixed.c lib/libhakmem.a -pthread -lm -o "$prog"
# grep -q on a pipe would stop reading early: readelf's SIGPIPE then fails
# the pipeline under pipefail, now and then
grep -q 'Provider: hakmem' <<<"$(readelf -n "$prog")" || fail "no hakmem notes in $prog"

# Discovery alone first; then the counts, strace's and hakmem-sys's of one
# run (two runs may differ: hakmem paces its reclaims by the clock).
"$SYS" --json -o "$TMP/sys.json" -- "$prog" 1000 >/dev/null
assert_eq "probe source" "static $prog" "$(jget "$TMP/sys.json" "j['boundary']['source'] + ' ' + j['boundary']['library']")"
traced_run "$prog" "$TMP/sys.json" "$TMP/strace.txt" \
	env HAKMEM_STATS_FILE="$TMP/stats.json" "$prog" 100000 2048 3 16 70000
check_counts --under-strace "static" "$TMP/strace.txt" "$TMP/sys.json" "$TMP/stats.json" || fail "static counts"
assert_nothing_attached "the static run"
