#!/usr/bin/env bash
# Under hakmem (LD_PRELOAD): hakmem-sys totals equal strace -f -c exactly, and
# its boundary counts equal HAKMEM_STATS_FILE's os_* counters exactly (calls
# and bytes, in total and per purpose), on the same run.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" "$LIB" bench/bench_random_mixed bench/bench_mid_large_mt
command -v strace >/dev/null || fail "strace not installed (scripts/install-deps)"

# run_hakmem LABEL COMMAND...: the command under hakmem, under strace and
# hakmem-sys at once (with HAKMEM_STATS_FILE on that same run).  Two runs
# made different calls now and then: reclaims are paced by the clock, so a
# loaded machine let one run give back a chunk the other kept (1 run in 5
# beside two busy helpers: 14 madvise calls against 15 in "large").
run_hakmem() {
	local label=$1
	shift
	rm -f "$TMP/stats.json"
	traced_run "$LIB" "$TMP/sys.json" "$TMP/strace.txt" env LD_PRELOAD="$LIB" \
		HAKMEM_STATS_FILE="$TMP/stats.json" "$@" || fail "$label: hakmem-sys exited $?"
	[ -s "$TMP/stats.json" ] || fail "$label: HAKMEM_STATS_FILE not written"
	check_counts --under-strace "$label" "$TMP/strace.txt" "$TMP/sys.json" "$TMP/stats.json" || fail "$label"
}

run_hakmem "hakmem random_mixed" bench/bench_random_mixed 200000 4096 42
run_hakmem "hakmem random_mixed large" bench/bench_random_mixed 20000 512 7 16 300000
run_hakmem "hakmem mid_large_mt" bench/bench_mid_large_mt 2 20000 256 42
assert_nothing_attached "the hakmem fidelity runs"
