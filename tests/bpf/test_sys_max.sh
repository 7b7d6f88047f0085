#!/usr/bin/env bash
# --max budgets: exit 3 naming the budget when exceeded (even when the
# command fails), otherwise the command's own status; bad syntax is a usage error.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" bench/bench_syscall_loop
LOOP="bench/bench_syscall_loop 100"   # exactly 100 madvise calls

set +e
"$SYS" -o "$TMP/r.txt" --max madvise=99 -- $LOOP >/dev/null 2>"$TMP/err.txt"
assert_eq "over budget: exit" 3 $?
grep -qx 'hakmem-sys: over budget: madvise 100 > 99' "$TMP/err.txt" || fail "stderr: $(cat "$TMP/err.txt")"
grep -Eq '^madvise +100 ' "$TMP/r.txt" || fail "report not written when over budget"

"$SYS" -o "$TMP/r.txt" --max madvise=100,mremap=0,mmap=1000000 -- $LOOP >/dev/null 2>"$TMP/err.txt"
assert_eq "within budget: exit" 0 $?
[ ! -s "$TMP/err.txt" ] || fail "unexpected stderr: $(cat "$TMP/err.txt")"

"$SYS" -o "$TMP/r.txt" --max madvise=1000 -- sh -c "$LOOP >/dev/null; exit 4" 2>/dev/null
assert_eq "within budget: the command's status" 4 $?
"$SYS" -o "$TMP/r.txt" --max madvise=1,mmap=1 -- sh -c "$LOOP >/dev/null; exit 4" 2>"$TMP/err.txt"
assert_eq "over budget wins over the command's status" 3 $?
assert_eq "both budgets named" 2 "$(grep -c 'over budget' "$TMP/err.txt")"

"$SYS" --max bogus=1 -- true 2>/dev/null
assert_eq "unknown syscall in --max" 2 $?
"$SYS" --max mmap=x -- true 2>/dev/null
assert_eq "bad number in --max" 2 $?
set -e
assert_nothing_attached "the budget runs"
