#!/usr/bin/env bash
# What libhakmem.so's writable segment costs a process in resident memory.
# The segment is mapped from the file (lib/bss-in-file.ld), so a read fault
# in it maps the kernel's fault-around window (64 KiB) of file pages, and the
# loader's read of .dynamic makes one at its start.  Everything read before
# it is written must lie in that window; the address tables after it get only
# the pages a process writes.  Before the layout said so, the tables' clean
# pages made it 80-168 KiB, varying with where the loader put the library.
# Now and then, depending on where the loader put the library, a later read
# still maps a window that reaches into the tables (about 1 run in 15 here:
# 124 KiB; the kernel's windows are aligned to 64 KiB of address and end at
# a page table's end).  So the median of 5 runs (5 load addresses) is what
# must stay within the limit.
. "$(dirname "$0")/common.sh"
echo "test_load_resident: libhakmem.so's writable segment is at most 72 KiB resident in a python3 run (median of 5)"
limit_kb=72 # the 64 KiB window and two written pages of the tables

# rw_kb: the Rss of the library's writable mappings, read by the process itself
rw_kb() {
	LD_PRELOAD=$LIB "$PY" - "$LIB" <<'PYEOF'
import os, sys
lib = os.path.realpath(sys.argv[1])
total, cur = 0, ""
for line in open("/proc/self/smaps"):
    fields = line.split()
    if "-" in fields[0] and len(fields) >= 5:
        cur = line
    elif fields[0] == "Rss:" and cur.rstrip().endswith(lib) and " rw-p " in cur:
        total += int(fields[1])
print(total)
PYEOF
}

runs=()
for _ in 1 2 3 4 5; do
	kb=$(rw_kb)
	[ "$kb" -gt 0 ] || fail "found no writable mapping of $LIB: did the preload take?"
	runs+=("$kb")
done
median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)
echo "runs: ${runs[*]} KiB; median $median KiB"
[ "$median" -le "$limit_kb" ] ||
	fail "the writable segment is $median KiB resident (median), over $limit_kb (readelf -SW: is .data.tables last?)"
echo "PASS"
