#!/usr/bin/env bash
# hakmem-top -- COMMAND: attached before the command execs (so even the
# loader-time allocations are seen), it runs until the command exits, writes
# the last interval and exits with the command's status.  Counts summed over
# the intervals equal the command's HAKMEM_STATS_FILE exactly.
source "$(dirname "$0")/test_top_lib.sh"
top_setup

st=0
"$TOP" --lib "$LIB" --json -d 0.2 -o "$TMP/top.jsonl" -- \
	env LD_PRELOAD="$LIB" HAKMEM_LARGE_CACHE_MB=0 HAKMEM_STATS_FILE="$TMP/a.json" \
	"$WORKLOAD" 700 || st=$?
[ "$st" -eq 0 ] || fail "hakmem-top -- workload exited $st"
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$TMP/a.json")
A="S('$TMP/a.json')"
top_verify <<EOF || fail "counts differ from HAKMEM_STATS_FILE"
sum $pid refills $A['refills']
sum $pid drains $A['drains']
sum $pid remote_frees $A['remote_frees']
sum $pid arena_grows $A['arena_grows']
sum $pid reclaim_walked $A['reclaim_blocks']
sum $pid mmap $A['os_map_calls']
sum $pid munmap $A['os_unmap_calls']
max $pid remote_depth_max 700
last $pid exited True
EOF

st=0
"$TOP" --lib "$LIB" -b -d 0.2 -- sh -c 'exit 3' >/dev/null || st=$?
[ "$st" -eq 3 ] || fail "the command's status 3 came back as $st"
no_top_programs
echo "PASS"
