#!/usr/bin/env bash
# -p of a process with more live children than the tracked-process map
# holds (HK_MAX_PROCS, 8192): the /proc scan that seeds the map finds them
# all, and those it cannot add (the map is full) must be counted as
# untracked_processes, as a child forked into a full map is — not left out
# in silence (the scan's BPF_NOEXIST inserts failed with E2BIG, unseen).
. "$(dirname "$0")/test_sys_lib.sh"
need_root
LAT=$ROOT/tools/hakmem-lat
need_built "$SYS" "$LAT"
cc -O2 -Wall -Wextra -Werror tests/bpf/workloads/hold_many.c -o "$TMP/hold_many" ||
	fail "cannot build hold_many"

N=8300 MAXP=8192
W="" X=""
cleanup() { # only what we started, by pid: the children exit with hold_many
	touch "$TMP/go"
	[ -z "$X" ] || kill "$X" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# run TOOL ARGS...: TOOL -p on hold_many with N live children, which then
# exit; TOOL's JSON report in $TMP/out.json.
run() {
	rm -f "$TMP/ready" "$TMP/go" "$TMP/err"
	"$TMP/hold_many" $N "$TMP/ready" "$TMP/go" &
	W=$!
	wait_until "$N children run" test -e "$TMP/ready"
	"$@" -p "$W" --json -o "$TMP/out.json" 2>"$TMP/err" &
	X=$!
	wait_until "${1##*/} traces" grep -q tracing "$TMP/err"
	touch "$TMP/go"
	wait "$W" || fail "hold_many failed"
	W=
	wait "$X" || fail "${1##*/} exited $?: $(cat "$TMP/err")"
	X=
}

# the process and its first MAXP-1 children are tracked, the rest said missing
run "$SYS"
assert_eq "hakmem-sys -p: process rows" $MAXP "$(jget "$TMP/out.json" "len(j['processes'])")"
assert_eq "hakmem-sys -p: untracked_processes" $((N + 1 - MAXP)) \
	"$(jget "$TMP/out.json" "j.get('untracked_processes')")"
run "$LAT" -e map
assert_eq "hakmem-lat -p: untracked_processes" $((N + 1 - MAXP)) \
	"$(jget "$TMP/out.json" "j.get('untracked_processes')")"
assert_nothing_attached "the -p runs on $N live children"
assert_eq "hakmem-lat programs left loaded" 0 "$(bpf_progs_left 'hl_.*')"
