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
echo "PASS"
