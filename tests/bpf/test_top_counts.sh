#!/usr/bin/env bash
# Summed over the intervals of a run, hakmem-top's per-process counts equal
# each workload's HAKMEM_STATS_FILE counters exactly — for two processes
# running at once (per-process separation): top_remote (remote frees,
# drains, arena grows, large map/unmap) and bench_cross_thread (threads that
# exit and hand their heaps over, 100 % remote frees).  hakmem-top only sees
# events after it attached, so the workloads start once it is attached.
# Gauges checked too: arena_bytes == the arena_bytes counter (arenas are never
# given back) and mapped_bytes == mapped - unmapped, at the process's exit.
source "$(dirname "$0")/test_top_lib.sh"
top_setup
BENCH=$ROOT/bench/bench_cross_thread
for b in "$BENCH" "$ROOT/bench/bench_larson"; do [ -x "$b" ] || fail "missing $b (run make)"; done

start_top -d 0.1
env LD_PRELOAD="$LIB" HAKMEM_LARGE_CACHE_MB=0 HAKMEM_STATS_FILE="$TMP/a.json" \
	"$WORKLOAD" 2000 &
a=$!
env LD_PRELOAD="$LIB" HAKMEM_STATS_FILE="$TMP/b.json" \
	"$BENCH" pc 4 20000 7 16 4000 >/dev/null &
b=$!
wait "$a" || fail "top_remote failed"
wait "$b" || fail "bench_cross_thread failed"
wait_exited "$a"
wait_exited "$b"
stop_top
no_top_programs
[ "$(lines "$TMP/top.jsonl")" -ge 3 ] || fail "expected several intervals"

A="S('$TMP/a.json')" B="S('$TMP/b.json')"
top_verify <<EOF || fail "hakmem-top's counts differ from HAKMEM_STATS_FILE"
sum $a refills $A['refills']
sum $a drains $A['drains']
sum $a remote_frees $A['remote_frees']
sum $a arena_grows $A['arena_grows']
sum $a reclaim_walked $A['reclaim_blocks']
sum $a mmap $A['os_map_calls']
sum $a munmap $A['os_unmap_calls']
sum $a madvise $A['os_advise_calls'] ?
sum $a mmap_bytes $A['os_map_bytes']
sum $a munmap_bytes $A['os_unmap_bytes']
last $a arena_bytes $A['arena_bytes']
last $a mapped_bytes $A['os_map_bytes'] - $A['os_unmap_bytes']
sum $b refills $B['refills']
sum $b drains $B['drains']
sum $b remote_frees $B['remote_frees']
sum $b arena_grows $B['arena_grows'] ?
sum $b reclaim_walked $B['reclaim_blocks'] ?
sum $b mmap $B['os_map_calls']
sum $b munmap $B['os_unmap_calls'] ?
sum $b madvise $B['os_advise_calls'] ?
EOF
# check_rows PID CONDITION WHAT: CONDITION (Python over `rows`, the rows of
# PID in $TMP/top.jsonl, oldest first) holds, else fail with WHAT.
check_rows() {
	python3 - "$TMP/top.jsonl" "$1" "$2" <<'PY' || fail "$3"
import json, sys
pid = int(sys.argv[2])
rows = [r for line in open(sys.argv[1]) for r in json.loads(line)["processes"] if r["pid"] == pid]
print(f"pid {pid}: " + "; ".join(f"comm {r['comm']!r} rss {r['rss_bytes']} exited {r['exited']}" for r in rows[-2:]))
sys.exit(0 if eval(sys.argv[3]) else 1)
PY
}

# The row of the interval a process exited in shows the RSS it last had
# (a timed larson run: alive for several intervals).
start_top -d 0.1
env LD_PRELOAD="$LIB" "$ROOT/bench/bench_larson" 1 0.6 >/dev/null &
l=$!
wait "$l" || fail "bench_larson failed"
wait_exited "$l"
stop_top
check_rows "$l" 'len(rows) > 1 and rows[-1]["exited"] and rows[-1]["rss_bytes"] == rows[-2]["rss_bytes"] > 0' \
	"an exited process's last row lost its RSS"

# A process that comes and goes within one interval is still named: /proc
# has forgotten it when its row is made, its first event kept the name.
start_top -d 3
env LD_PRELOAD="$LIB" "$BENCH" pc 2 2000 7 >/dev/null &
c=$!
wait "$c" || fail "bench_cross_thread failed"
wait_exited "$c"
stop_top
check_rows "$c" 'rows and all(r["comm"] == "bench_cross_thr" for r in rows)' \
	"a process gone within its first interval has no name"
echo "PASS"
