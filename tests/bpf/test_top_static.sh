#!/usr/bin/env bash
# -p PID for a statically linked hakmem program: hakmem-top attaches to its
# executable.  The program (top_remote linked with lib/libhakmem.a) waits for
# a file before its work, so that everything after that point is seen: its
# remote frees, drains, queue depth and arena grows equal HAKMEM_STATS_FILE
# (the allocations libc made before main, before we attached, are not
# compared).
source "$(dirname "$0")/test_top_lib.sh"
top_setup
make -s --no-print-directory lib/libhakmem.a >/dev/null
cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/top_remote.c lib/libhakmem.a \
	-o "$TMP/top_remote_static"
K=800

env HAKMEM_LARGE_CACHE_MB=0 HAKMEM_STATS_FILE="$TMP/s.json" "$TMP/top_remote_static" "$K" "$TMP/go" &
pid=$!
# -p looks at the process's executable: wait until the fork has exec'd it
for _ in $(seq 200); do
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$TMP/top_remote_static" ] && break
	sleep 0.05
done
"$TOP" -p "$pid" --json -d 0.2 -o "$TMP/top.jsonl" 2>"$TMP/top.err" &
TOP_PID=$!
wait_lines "$TMP/top.jsonl" 1
touch "$TMP/go"
wait "$pid" || fail "the static workload failed"
wait_exited "$pid"
stop_top
no_top_programs
S="S('$TMP/s.json')"
top_verify <<EOF || fail "static program: counts differ"
max $pid remote_depth_max $K
sum $pid remote_frees $S['remote_frees']
sum $pid drains $S['drains']
sum $pid arena_grows $S['arena_grows']
sum $pid munmap $S['os_unmap_calls']
EOF
echo "PASS"
