#!/usr/bin/env bash
# A program linked with libhakmem.a run with libhakmem.so preloaded as well
# (a wrapper script that preloads hakmem for everything, around a program
# that links it): the executable's malloc wins symbol lookup, so the
# executable's copy of hakmem does all the work and the preloaded copy
# nothing.  The tools must attach to the executable's copy — with a command
# and with -p — and count what it counts: HAKMEM_STATS=1 prints one block
# per copy (the preloaded one all zeros); the sums are the truth.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
LAT=$ROOT/tools/hakmem-lat
need_built "$SYS" "$LAT" "$LIB" lib/libhakmem.a
prog=$TMP/top_remote_static
cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/top_remote.c lib/libhakmem.a -o "$prog" ||
	fail "cannot build $prog"

W=
cleanup() { [ -z "$W" ] || kill "$W" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

# stat_sum FILE NAME: NAME summed over the HAKMEM_STATS=1 blocks in FILE.
stat_sum() { awk -v n="$2" '$1 == "hakmem:" && $2 == n { s += $3 } END { print s + 0 }' "$1"; }

run_env=(env LD_PRELOAD="$LIB" HAKMEM_STATS=1 HAKMEM_LARGE_CACHE_MB=0)

# With a command (env VAR=VALUE ... PROG: the program is PROG).
"$LAT" -e cold,refill --json -o "$TMP/lat.json" -- "${run_env[@]}" "$prog" 100 >/dev/null 2>"$TMP/st1" ||
	fail "hakmem-lat exited $?"
[ "$(grep -c '^hakmem: stats (pid' "$TMP/st1")" -eq 2 ] || fail "expected two stats blocks: $(cat "$TMP/st1")"
assert_eq "hakmem-lat finds the executable" "$prog static" \
	"$(jget "$TMP/lat.json" "j['library'] + ' ' + j['library_source']")"
for e in cold:cold_starts refill:refills; do
	assert_eq "hakmem-lat ${e%%:*} count" "$(stat_sum "$TMP/st1" "${e#*:}")" \
		"$(jget "$TMP/lat.json" "j['events']['${e%%:*}']['count']")"
done
# env's options before its assignments (-u NAME, -C DIR) do not hide the program
"$LAT" -e cold --json -o "$TMP/lat2.json" -- env -u HK_UNSET -C / "${run_env[@]:1}" "$prog" 100 \
	>/dev/null 2>"$TMP/st1b" || fail "hakmem-lat (env -u -C) exited $?"
assert_eq "hakmem-lat finds the executable past env's options" "$prog static" \
	"$(jget "$TMP/lat2.json" "j['library'] + ' ' + j['library_source']")"
assert_eq "hakmem-lat cold count past env's options" "$(stat_sum "$TMP/st1b" cold_starts)" \
	"$(jget "$TMP/lat2.json" "j['events']['cold']['count']")"
"$SYS" --json -o "$TMP/sys.json" -- "${run_env[@]}" "$prog" 100 >/dev/null 2>"$TMP/st2" ||
	fail "hakmem-sys exited $?"
for k in map:mmap unmap:munmap advise:madvise; do
	assert_eq "hakmem-sys boundary ${k#*:}" "$(stat_sum "$TMP/st2" "os_${k%%:*}_calls")" \
		"$(jget "$TMP/sys.json" "j['boundary']['total']['${k#*:}']")"
done

# With -p (the process maps libhakmem.so too).
"${run_env[@]}" "$prog" 100 "$TMP/go" >/dev/null 2>"$TMP/st3" &
W=$!
# -p of env before it has exec'd the program would rightly find env's hakmem
runs() { [ "$(readlink "/proc/$1/exe")" = "$2" ]; }
wait_until "env has exec'd $prog" runs "$W" "$prog"
"$SYS" -p "$W" --json -o "$TMP/sysp.json" 2>"$TMP/sys.err" &
X=$!
wait_until "hakmem-sys -p is tracing" grep -q tracing "$TMP/sys.err"
touch "$TMP/go"
wait "$W" || fail "the workload failed"
W=
wait "$X" || fail "hakmem-sys -p exited $?: $(cat "$TMP/sys.err")"
assert_eq "hakmem-sys -p finds the executable" static "$(jget "$TMP/sysp.json" "j['boundary']['source']")"
for k in map:mmap unmap:munmap advise:madvise; do
	assert_eq "hakmem-sys -p boundary ${k#*:}" "$(stat_sum "$TMP/st3" "os_${k%%:*}_calls")" \
		"$(jget "$TMP/sysp.json" "j['boundary']['total']['${k#*:}']")"
done
[ "$(stat_sum "$TMP/st3" os_map_calls)" -gt 0 ] || fail "the workload mapped nothing"
assert_nothing_attached "the static + preloaded runs"
