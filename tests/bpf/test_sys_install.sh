#!/usr/bin/env bash
# make install PREFIX=... installs the tools next to the library, and the
# installed hakmem-sys finds the installed library by default (../lib).
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" "$LIB" bench/bench_mid_large_mt

make -s --no-print-directory install PREFIX="$TMP/inst" >/dev/null
for t in tools/hakmem-*; do
	case $t in *.c | *.mk) continue ;; esac
	[ -x "$TMP/inst/bin/$(basename "$t")" ] || fail "$(basename "$t") not installed"
done
"$TMP/inst/bin/hakmem-sys" --help >/dev/null || fail "installed --help"
# sh -c hides the preload from discovery (a leading `env LD_PRELOAD=` would
# name it), so the tool must fall back to ../lib next to itself.
"$TMP/inst/bin/hakmem-sys" --json -o "$TMP/r.json" -- \
	sh -c 'LD_PRELOAD="$1" exec bench/bench_mid_large_mt 2 2000 64 1' sh "$TMP/inst/lib/libhakmem.so" >/dev/null
assert_eq "installed tool uses the installed library" "default $TMP/inst/lib/libhakmem.so" \
	"$(jget "$TMP/r.json" "j['boundary']['source'] + ' ' + j['boundary']['library']")"
assert_eq "boundary seen" True "$(jget "$TMP/r.json" "j['boundary']['total']['mmap'] > 0")"
assert_nothing_attached "the installed run"
