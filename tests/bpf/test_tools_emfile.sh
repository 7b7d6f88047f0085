#!/usr/bin/env bash
# Under a small descriptor limit (ulimit -n), every tool must either run or
# stop with one line that says the limit is the cause.  libbpf loses EMFILE
# in places: a feature probe that runs out of descriptors makes it think
# the kernel lacks global data (the load then fails with EINVAL, or EBADF)
# or the uprobe PMU (the attach fails with EINVAL), so "Invalid argument"
# reached the user for a full descriptor table.  Every other limit from 6 to
# 64 is run (the failures move with the number of maps, programs and probes).
. "$(dirname "$0")/test_sys_lib.sh"
need_root
LAT=$ROOT/tools/hakmem-lat TOP=$ROOT/tools/hakmem-top
need_built "$SYS" "$LAT" "$TOP" "$LIB"

failed=0 refused=0
for n in $(seq 6 2 64); do
	for tool in "$SYS" "$LAT" "$TOP -b -n 1 -d 0.1"; do
		set +e
		# shellcheck disable=SC2086 # $tool holds the tool and its options
		(ulimit -n "$n" && exec $tool -o /dev/null -- env LD_PRELOAD="$LIB" true) \
			>/dev/null 2>"$TMP/err"
		rc=$?
		set -e
		[ "$rc" -eq 0 ] && continue
		refused=$((refused + 1))
		if [ "$rc" -ne 1 ] || [ "$(wc -l <"$TMP/err")" -ne 1 ] ||
			! grep -q 'Too many open files' "$TMP/err"; then
			echo "FAIL: ulimit -n $n, ${tool##*/}: exit $rc: $(head -c 300 "$TMP/err")" >&2
			failed=$((failed + 1))
		fi
	done
done
[ "$refused" -gt 0 ] || fail "no limit from 6 to 64 made a tool fail: the test tests nothing"
[ "$failed" -eq 0 ] || fail "$failed runs did not name the descriptor limit"
echo "ok: $refused runs out of descriptors, each said so in one line"
assert_nothing_attached "the runs out of descriptors"
