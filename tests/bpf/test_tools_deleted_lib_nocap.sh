#!/usr/bin/env bash
# -p on a process whose libhakmem was deleted or replaced since it mapped it,
# by a tool that has CAP_BPF and CAP_PERFMON but not CAP_SYS_ADMIN: the
# kernel then refuses the /proc/PID/map_files link (EPERM), the one way to
# the inode the process runs.  The tools must say so in one line and exit
# 1, not fall back to the file now at that path or to the default library
# (another inode: probes that never fire in the process, counts of 0 or
# every call "outside" hakmem).  The denial is the kernel's own: the tools
# run under setpriv with a bounding set of just bpf and perfmon.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_nocap
LAT=$ROOT/tools/hakmem-lat TOP=$ROOT/tools/hakmem-top
need_built "$SYS" "$LAT" "$TOP" "$LIB"
cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/top_remote.c -o "$TMP/top_remote" ||
	fail "cannot build top_remote"

W=
cleanup() { # only the process we started, by pid
	[ -z "$W" ] || kill "$W" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# start MODE: top_remote (waiting for $TMP/go) on a private copy of the
# library, which is then orphaned (deleted or replaced).
start() {
	local d=$TMP/$1
	mkdir -p "$d"
	cp "$LIB" "$d/libhakmem.so"
	spawn_mapping "$d/libhakmem.so" env LD_PRELOAD="$d/libhakmem.so" "$TMP/top_remote" 100 "$TMP/go"
	orphan "$1" "$d/libhakmem.so" "$LIB"
	if nocap cat "/proc/$W/map_files/$(grep -m1 " $d/libhakmem.so" "/proc/$W/maps" | cut -d' ' -f1)" \
		>/dev/null 2>&1; then
		fail "map_files is readable without CAP_SYS_ADMIN here"
	fi
}

for mode in deleted replaced; do
	start $mode
	msg="runs $TMP/$mode/libhakmem.so, deleted or replaced since it was mapped; reading it through /proc/$W/map_files needs CAP_SYS_ADMIN (run as root)"
	expect 1 "hakmem-sys: pid $W $msg" nocap "$SYS" -p "$W" -o "$TMP/out"
	expect 1 "hakmem-lat: pid $W $msg" nocap "$LAT" -p "$W" -o "$TMP/out"
	expect 1 "hakmem-top: pid $W $msg" nocap "$TOP" -b -n 1 -p "$W" -o "$TMP/out"
	touch "$TMP/go"
	wait "$W" || fail "top_remote failed"
	W=
	rm -f "$TMP/go"
done
assert_nothing_attached "the refused -p runs"
