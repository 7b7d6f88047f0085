#!/usr/bin/env bash
# More child processes in one run than the tracked-process map holds
# (HK_MAX_PROCS, 8192).  hakmem-sys keeps every process's row to the end, so
# past 8192 it cannot follow the rest: it must say how many it missed
# (untracked_processes, and a warning in the text), not under-count in
# silence.  hakmem-lat keeps nothing per process: a process's entry goes at
# its exit, so 8300 children one after another are all timed, exactly.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
LAT=$ROOT/tools/hakmem-lat
need_built "$SYS" "$LAT"

N=8300 MAXP=8192
cc -O2 -Wall -Wextra -Werror tests/bpf/workloads/fork_many.c -o "$TMP/fork_many" ||
	fail "cannot build fork_many"

# hakmem-sys: the command and its first MAXP-1 children are counted, the
# rest are said to be missing.
"$SYS" --json -o "$TMP/sys.json" -- "$TMP/fork_many" $N >/dev/null || fail "hakmem-sys exited $?"
assert_eq "hakmem-sys process rows" $MAXP "$(jget "$TMP/sys.json" "len(j['processes'])")"
assert_eq "hakmem-sys untracked_processes" $((N + 1 - MAXP)) \
	"$(jget "$TMP/sys.json" "j.get('untracked_processes')")"
"$SYS" -o "$TMP/sys.txt" -- "$TMP/fork_many" $N >/dev/null || fail "hakmem-sys exited $?"
grep -q "^warning: $((N + 1 - MAXP)) processes not counted" "$TMP/sys.txt" ||
	fail "hakmem-sys text report does not warn of the processes it missed: $(tail -n 3 "$TMP/sys.txt")"
echo "ok: hakmem-sys text warns of $((N + 1 - MAXP)) processes not counted"

# hakmem-lat: each child's one mmap and munmap on top of the parent's own
# (the same run with no children), nothing lost.
"$LAT" -e map,unmap --json -o "$TMP/lat0.json" -- "$TMP/fork_many" 0 >/dev/null ||
	fail "hakmem-lat exited $?"
"$LAT" -e map,unmap --json -o "$TMP/lat.json" -- "$TMP/fork_many" $N >/dev/null ||
	fail "hakmem-lat exited $?"
for e in map unmap; do
	base=$(jget "$TMP/lat0.json" "j['events']['$e']['count']")
	assert_eq "hakmem-lat $e count, $N children" $((base + N)) \
		"$(jget "$TMP/lat.json" "j['events']['$e']['count']")"
done
assert_eq "hakmem-lat lost_samples + untracked_processes" 0 \
	"$(jget "$TMP/lat.json" "j['lost_samples'] + j.get('untracked_processes', 0)")"

assert_nothing_attached "the runs with $N children"
left=$(bpf_progs_left 'hl_.*')
assert_eq "hakmem-lat programs left loaded" 0 "$left"
