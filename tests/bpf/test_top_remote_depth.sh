#!/usr/bin/env bash
# hakmem-top reports remote_depth_max == K for a process whose thread B
# frees K blocks of thread A (one class) while A waits: K pushes onto one
# queue (tests/bpf/workloads/top_remote.c), then A drains it.
source "$(dirname "$0")/test_top_lib.sh"
top_setup
K=1000

start_top -d 0.2
env LD_PRELOAD="$LIB" HAKMEM_LARGE_CACHE_MB=0 "$WORKLOAD" "$K" &
pid=$!
wait "$pid" || fail "workload failed"
wait_exited "$pid"
stop_top
no_top_programs

top_verify <<EOF || fail "remote-queue depth or counts wrong"
max $pid remote_depth_max $K
sum $pid remote_frees $K
sum $pid drains 1
EOF

# The full queue left alone for 0.6 s (three intervals nothing touches it):
# QMAX, the deepest it got in the interval, is never below QNOW, its depth.
start_top -d 0.2
env LD_PRELOAD="$LIB" HAKMEM_LARGE_CACHE_MB=0 TOP_REMOTE_HOLD_MS=600 "$WORKLOAD" "$K" &
pid=$!
wait "$pid" || fail "workload failed"
wait_exited "$pid"
stop_top
python3 - "$TMP/top.jsonl" "$pid" "$K" <<'PY' || fail "QMAX below QNOW"
import json, sys
rows = [p for line in open(sys.argv[1]) for p in json.loads(line)["processes"] if p["pid"] == int(sys.argv[2])]
held = [r for r in rows if r["remote_depth"] == int(sys.argv[3])]
low = [r for r in rows if r["remote_depth_max"] < r["remote_depth"]]
print("  %d intervals, %d with the queue held at K, %d with QMAX < QNOW" % (len(rows), len(held), len(low)))
sys.exit(1 if len(held) < 2 or low else 0)
PY
echo "PASS"
