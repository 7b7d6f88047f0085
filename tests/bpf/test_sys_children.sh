#!/usr/bin/env bash
# Threads and child processes: threads fold into their process, every child
# and grandchild gets its own row with its parent, named after what it execs,
# and the rows add up to the total.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" bench/bench_syscall_loop bench/bench_mid_large_mt

"$SYS" --json -o "$TMP/t.json" -- bench/bench_mid_large_mt 4 2000 64 1 >/dev/null
assert_eq "4 threads: one process row" 1 "$(jget "$TMP/t.json" "len(j['processes'])")"

"$SYS" --json -o "$TMP/c.json" -- sh -c '
	bench/bench_syscall_loop 10 >/dev/null &
	sh -c "bench/bench_syscall_loop 20 >/dev/null; bench/bench_syscall_loop 30 >/dev/null"
	wait' >/dev/null
python3 - "$TMP/c.json" <<'PY' || fail "process tree"
import json, sys
j = json.load(open(sys.argv[1]))
rows = {int(p): r for p, r in j["processes"].items()}
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        sys.exit(1)
check(len(rows) == 5, f"5 processes (sh, sh, 3 loops), got {len(rows)}")
loops = sorted(r["calls"]["madvise"] for r in rows.values() if r["comm"] == "bench_syscall_l")
check(loops == [10, 20, 30], f"one row per loop: {loops}")
top = j["pid"]
inner = [p for p, r in rows.items() if r["comm"] == "sh" and p != top]
check(len(inner) == 1 and rows[inner[0]]["ppid"] == top, "inner sh is a child of the top sh")
check(sorted(r["calls"]["madvise"] for r in rows.values() if r["ppid"] == inner[0]) == [20, 30],
      "grandchildren point at the inner sh")
for sc in j["total"]:
    check(sum(r["calls"][sc] for r in rows.values()) == j["total"][sc], f"rows add up: {sc}")
PY
# A child left running in the background is counted to its end, as strace -f
# counts it; the exit status stays the command's.
bg='(sleep 0.3; exec bench/bench_syscall_loop 40 >/dev/null) & exit 3'
rc=0
"$SYS" --json -o "$TMP/bg.json" -- sh -c "$bg" >/dev/null || rc=$?
assert_eq "exit status of a command that leaves a child running" 3 "$rc"
assert_eq "complete once the child ended" True "$(jget "$TMP/bg.json" "j['complete']")"
strace -f -c -o "$TMP/bg.txt" -e trace=mmap,munmap,madvise,mremap,brk sh -c "$bg" || [ $? -eq 3 ]
check_counts "background child" "$TMP/bg.txt" "$TMP/bg.json" || fail "background child"
assert_eq "the background child's 40 madvise" 40 "$(jget "$TMP/bg.json" "j['total']['madvise']")"

assert_nothing_attached "the process-tree runs"
