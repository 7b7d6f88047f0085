#!/usr/bin/env bash
# What preloading hakmem costs a process in mmap/munmap/madvise, by strace:
# the loader maps the library with two mmaps (its image, and its writable
# segment, which holds .bss too: lib/bss-in-file.ld), and hakmem's own calls
# are exactly the ones its stats count.  A third loader mmap (an anonymous one
# for a .bss that outgrew its page) fails this test.
. "$(dirname "$0")/common.sh"
echo "test_load_mmaps: the loader maps libhakmem.so with 2 mmaps (strace, less the calls hakmem counts as its own)"
prog=(bench/bench_random_mixed 1000 16 42) # 16 slots: glibc's malloc needs no mmap for it
[ -x "${prog[0]}" ] || fail "${prog[0]} is not built (run make)"

# mem_calls TRACE: mmap + munmap + madvise calls in an strace -o file
mem_calls() {
	awk '/^([0-9]+ +)?(mmap|munmap|madvise)\(/ { n++ } END { print n + 0 }' "$1"
}

strace -f -qq -o "$T/plain" -e trace=mmap,munmap,madvise "${prog[@]}" >/dev/null
strace -f -qq -o "$T/preload" -e trace=mmap,munmap,madvise -E "LD_PRELOAD=$LIB" \
	-E "HAKMEM_STATS_FILE=$T/stats.json" "${prog[@]}" >/dev/null
plain=$(mem_calls "$T/plain")
preload=$(mem_calls "$T/preload")
own=$("$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["os_map_calls"] + s["os_unmap_calls"] + s["os_advise_calls"])' "$T/stats.json")
echo "plain $plain, preloaded $preload, hakmem's own (stats) $own"
[ "$own" -ge 1 ] || fail "hakmem made no call of its own: the program did not run under it"
loader=$((preload - plain - own))
if [ "$loader" -ne 2 ]; then
	readelf -lW "$LIB" | grep -E 'LOAD' >&2
	cat "$T/preload" >&2
	fail "preloading costs the loader $loader mmaps, not 2 (is the RW segment's memory size beyond its file size?)"
fi
echo "the loader's mmaps for libhakmem.so: $loader"
echo "PASS"
