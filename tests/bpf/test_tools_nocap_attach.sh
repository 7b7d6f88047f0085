#!/usr/bin/env bash
# With CAP_BPF and CAP_PERFMON but not CAP_SYS_ADMIN, the BPF programs load
# but this kernel refuses the uprobes (EACCES).  All three tools must then
# say "need root" in one line and exit 1, as they do when the load is
# refused: sys and lat said "cannot attach hakmem:os_map in ...: Permission
# denied", while top said "need root".  Where CAP_PERFMON is enough for
# uprobes the tools run, and exit 0.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_nocap
LAT=$ROOT/tools/hakmem-lat TOP=$ROOT/tools/hakmem-top
need_built "$SYS" "$LAT" "$TOP" "$LIB"

# check NAME PROBE COMMAND...: exit 0, or 1 with exactly the need-root line.
check() {
	local name=$1 probe=$2 rc
	shift 2
	set +e
	nocap "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	set -e
	if [ "$rc" = 0 ]; then
		echo "ok: $name attaches with CAP_BPF+CAP_PERFMON here"
		return
	fi
	assert_eq "$name exit" 1 "$rc"
	assert_eq "$name message" \
		"$name: need root (CAP_BPF/CAP_PERFMON): cannot attach hakmem:$probe in $LIB" "$(cat "$TMP/err")"
}

check hakmem-sys os_map "$SYS" -L "$LIB" -o "$TMP/r" -- true
check hakmem-lat cold_done "$LAT" -L "$LIB" -o "$TMP/r" -- true
check hakmem-top refill_done "$TOP" -L "$LIB" -b -n 1 -o "$TMP/r"
assert_nothing_attached "the refused attaches"
