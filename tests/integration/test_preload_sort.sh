#!/usr/bin/env bash
# sort(1) of a ~50 MB generated file (multi-threaded, big buffers) gives the
# same bytes with hakmem preloaded as without.
. "$(dirname "$0")/common.sh"
echo "test_preload_sort: sort of ~50 MB, checksums equal under LD_PRELOAD"
awk 'BEGIN { srand(7); for (i = 0; i < 1100000; i++)
	printf "%08x %08x line %07d %s\n", int(rand() * 4294967295), int(rand() * 65535), i,
		substr("abcdefghijklmnopqrstuvwxyz0123456789", 1 + i % 30) }' >"$T/in.txt"
size=$(stat -c %s "$T/in.txt")
[ "$size" -gt 45000000 ] || fail "generated only $size bytes"
LC_ALL=C sort "$T/in.txt" | sha256sum >"$T/plain.sum"
LC_ALL=C hk_preload "$T/stats.json" sort "$T/in.txt" | sha256sum >"$T/hakmem.sum"
cmp "$T/plain.sum" "$T/hakmem.sum" || fail "sort output differs"
# a small buffer forces temporary files and merges
LC_ALL=C hk_preload "$T/stats2.json" sort -S 4M --parallel=2 "$T/in.txt" | sha256sum >"$T/hakmem2.sum"
cmp "$T/plain.sum" "$T/hakmem2.sum" || fail "sort -S 4M output differs"
echo "input $size bytes, sha256 $(cut -c1-16 "$T/plain.sum")"
check_served "$T/stats.json"
check_served "$T/stats2.json"
echo "PASS"
