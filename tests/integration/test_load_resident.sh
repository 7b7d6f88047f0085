#!/usr/bin/env bash
# What libhakmem.so's writable segment costs a process in resident memory.
# The segment is mapped from the file (lib/bss-in-file.ld), so a read fault
# in it maps the kernel's fault-around window (64 KiB) of file pages, and the
# loader's read of .dynamic makes one at its start.  Everything read before
# it is written must lie in that window; the address tables after it get only
# the pages a process writes.  Before the layout said so, the tables' clean
# pages made it 80-168 KiB, varying with where the loader put the library.
. "$(dirname "$0")/common.sh"
echo "test_load_resident: libhakmem.so's writable segment is at most 72 KiB resident in a python3 run"
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

for run in 1 2 3; do # three load addresses
	kb=$(rw_kb)
	echo "run $run: $kb KiB"
	[ "$kb" -gt 0 ] || fail "found no writable mapping of $LIB: did the preload take?"
	[ "$kb" -le "$limit_kb" ] || fail "the writable segment is $kb KiB resident, over $limit_kb (readelf -SW: is .data.tables last?)"
done
echo "PASS"
