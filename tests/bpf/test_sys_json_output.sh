#!/usr/bin/env bash
# --json is one valid object with the documented keys; -o keeps the report
# apart from the command's own output (byte for byte); the tool exits with
# the command's status; bytes are exact for a known workload.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" bench/bench_syscall_loop

set +e
"$SYS" --json -o "$TMP/r.json" -- sh -c 'echo hello; bench/bench_syscall_loop 100 3 >/dev/null; exit 5' \
	>"$TMP/out.txt" 2>"$TMP/err.txt"
rc=$?
set -e
assert_eq "exit status (the command's)" 5 "$rc"
assert_eq "command output untouched" hello "$(cat "$TMP/out.txt")"
[ ! -s "$TMP/err.txt" ] || fail "unexpected stderr: $(cat "$TMP/err.txt")"
python3 - "$TMP/r.json" <<'PY' || fail "JSON content"
import json, sys
j = json.load(open(sys.argv[1]))  # must parse: exactly one object
calls = ["mmap", "munmap", "madvise", "mremap", "brk"]
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        sys.exit(1)
for k in ("command", "exit_status", "total", "bytes", "processes", "boundary"):
    check(k in j, f"key {k}")
check(j["command"][:2] == ["sh", "-c"], "command is the argv")
check(j["exit_status"] == 5, "exit_status 5")
check(sorted(j["total"]) == sorted(calls) and sorted(j["bytes"]) == sorted(calls), "total/bytes keys")
check(j["total"]["madvise"] == 100, "100 madvise calls")
check(j["bytes"]["madvise"] == 100 * 3 * 4096, "madvise bytes = 100 x 3 pages")
check(j["total"]["mmap"] >= 100 and j["total"]["munmap"] >= 100, "mmap/munmap >= 100")
procs = j["processes"]
check(len(procs) == 2, "two processes (sh and its child)")
check(all(set(p) >= {"ppid", "comm", "calls", "bytes"} for p in procs.values()), "process fields")
check(sum(p["calls"]["madvise"] for p in procs.values()) == 100, "per-process sums")
check(any(p["comm"] == "bench_syscall_l" and p["calls"]["madvise"] == 100 for p in procs.values()),
      "child row named after its exec")
b = j["boundary"]
check({"purposes", "total", "outside", "library"} <= set(b), "boundary fields")
check(set(b["purposes"]) >= {"superslab", "arena", "large", "metadata"}, "boundary purposes")
check(b["outside"] == j["total"], "glibc run: everything is outside the boundary")
PY

# Text report into a file; the command's stdout stays alone.
"$SYS" -o "$TMP/r.txt" -- sh -c 'echo hello; bench/bench_syscall_loop 7 >/dev/null' >"$TMP/out.txt"
assert_eq "text -o: command output untouched" hello "$(cat "$TMP/out.txt")"
grep -Eq '^madvise +7 ' "$TMP/r.txt" || fail "text report lacks 'madvise 7': $(cat "$TMP/r.txt")"
grep -q 'exit status 0' "$TMP/r.txt" || fail "text report lacks the exit status"
echo "ok: text report"

# --json on stdout: the last line is the object.
"$SYS" --json -- bench/bench_syscall_loop 3 >"$TMP/mixed.txt"
tail -n 1 "$TMP/mixed.txt" >"$TMP/last.json"
assert_eq "--json on stdout" 3 "$(jget "$TMP/last.json" "j['total']['madvise']")"

# Words and names are any bytes, JSON is UTF-8: a byte that starts no
# well-formed character is U+FFFD (in an argument, and in a comm taken from
# the file exec'd), a well-formed one passes as it is.
cp /bin/true "$TMP/"$'t\xffu'
"$SYS" --json -o "$TMP/u.json" -- sh -c '"$0"' "$TMP/"$'t\xffu' $'x\xffy\xc3\xa9\xed\xa0\x80' ||
	fail "the run with odd bytes failed"
python3 - "$TMP/u.json" <<'PY' || fail "JSON of odd bytes"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))  # strict: invalid UTF-8 raises
assert j["command"][-1] == "x\ufffdy\u00e9\ufffd\ufffd\ufffd", j["command"]
assert any(p["comm"] == "t\ufffdu" for p in j["processes"].values()), j["processes"]
print("ok: odd bytes are U+FFFD, UTF-8 stays")
PY
assert_nothing_attached "the output runs"
