#!/usr/bin/env bash
# --compare A.json B.json: per-syscall table with the reduction in %, text and
# JSON, from crafted reports (exact numbers) and from two real runs.
. "$(dirname "$0")/test_sys_lib.sh"
need_built "$SYS"

cat >"$TMP/a.json" <<'J'
{"command":["x"],"total":{"mmap":200,"munmap":100,"madvise":50,"mremap":0,"brk":10}}
J
cat >"$TMP/b.json" <<'J'
{"command":["y"],"total":{"mmap":50,"munmap":100,"madvise":0,"mremap":0,"brk":20}}
J
"$SYS" --compare "$TMP/a.json" "$TMP/b.json" >"$TMP/cmp.txt"
cat "$TMP/cmp.txt"
row() { awk -v s="$1" '$1 == s { print $2, $3, $4 }' "$TMP/cmp.txt"; }
assert_eq "mmap row" "200 50 75.0%" "$(row mmap)"
assert_eq "munmap row" "100 100 0.0%" "$(row munmap)"
assert_eq "madvise row" "50 0 100.0%" "$(row madvise)"
assert_eq "mremap row" "0 0 0.0%" "$(row mremap)"
assert_eq "brk row (growth)" "10 20 -100.0%" "$(row brk)"
assert_eq "total row" "360 170 52.8%" "$(row total)"

"$SYS" --compare --json "$TMP/a.json" "$TMP/b.json" >"$TMP/cmp.json"
assert_eq "json mmap reduction" True "$(jget "$TMP/cmp.json" "j['syscalls']['mmap']['reduction_pct'] == 75.0")"
assert_eq "json total" "360 170" "$(jget "$TMP/cmp.json" "'%d %d' % (j['syscalls']['total']['a'], j['syscalls']['total']['b'])")"

# Errors: one line, non-zero.
set +e
"$SYS" --compare "$TMP/a.json" 2>"$TMP/err.txt"
assert_eq "one file only: usage error" 2 $?
echo '{"total": [1,' >"$TMP/bad.json"
"$SYS" --compare "$TMP/a.json" "$TMP/bad.json" 2>"$TMP/err.txt"
assert_eq "broken JSON: exit" 1 $?
"$SYS" --compare "$TMP/a.json" "$TMP/nope.json" 2>"$TMP/err2.txt"
assert_eq "missing file: exit" 1 $?
set -e
assert_eq "broken JSON: one line" 1 "$(wc -l <"$TMP/err.txt")"
grep -q '^hakmem-sys: .*bad.json' "$TMP/err.txt" || fail "error does not name the file: $(cat "$TMP/err.txt")"
echo "ok: compare errors"

# A count must be a whole number of calls from 0 to 2^53, every syscall's
# present: anything else is named, not read as 0 or wrapped around.
# cmp_err LINE JSON: B.json holding JSON fails with exactly LINE.
cmp_err() {
	printf '%s\n' "$2" >"$TMP/odd.json"
	expect 1 "hakmem-sys: $TMP/odd.json: $1" "$SYS" --compare "$TMP/a.json" "$TMP/odd.json"
}
ok='"munmap":1,"madvise":2,"mremap":0,"brk":3'
cmp_err '"total".mmap is invalid, not a count of calls' "{\"total\":{\"mmap\":-5,$ok}}"
cmp_err '"total".mmap is invalid, not a count of calls' "{\"total\":{\"mmap\":1e30,$ok}}"
cmp_err '"total".mmap is invalid, not a count of calls' "{\"total\":{\"mmap\":1.5,$ok}}"
cmp_err '"total".mmap is invalid, not a count of calls' "{\"total\":{\"mmap\":\"7\",$ok}}"
cmp_err '"total".mmap is missing, not a count of calls' "{\"total\":{$ok}}"
rm "$TMP/odd.json"
mkdir "$TMP/odd.json"
expect 1 "hakmem-sys: $TMP/odd.json: Is a directory" "$SYS" --compare "$TMP/a.json" "$TMP/odd.json"
# Options that only mean something to a trace are a usage error, --max first.
for extra in "--max mmap=1" "-p 1" "--duration 5" "-L /bin/true"; do
	expect 2 "hakmem-sys: --compare reads two reports; it takes only --json and -o" \
		"$SYS" --compare "$TMP/a.json" "$TMP/b.json" $extra
done
echo "ok: compare input checks"

# Two real runs: glibc vs hakmem on the same workload (needs root).
[ "$(id -u)" -eq 0 ] || skip "real-run part needs root"
need_built "$LIB" bench/bench_mid_large_mt
"$SYS" --json -o "$TMP/glibc.json" -- bench/bench_mid_large_mt 2 20000 256 42 >/dev/null
"$SYS" --json -o "$TMP/hakmem.json" -- env LD_PRELOAD="$LIB" bench/bench_mid_large_mt 2 20000 256 42 >/dev/null
"$SYS" --compare --json "$TMP/glibc.json" "$TMP/hakmem.json" >"$TMP/real.json"
python3 - "$TMP/glibc.json" "$TMP/hakmem.json" "$TMP/real.json" <<'PY' || fail "real compare"
import json, sys
a, b, c = (json.load(open(f)) for f in sys.argv[1:])
for sc in ("mmap", "munmap", "madvise", "mremap", "brk"):
    r = c["syscalls"][sc]
    assert (r["a"], r["b"]) == (a["total"][sc], b["total"][sc]), sc
    want = None if r["a"] == 0 and r["b"] != 0 else (0 if r["a"] == 0 else (r["a"] - r["b"]) * 100 / r["a"])
    assert want is None and r["reduction_pct"] is None or abs(r["reduction_pct"] - want) < 1e-3, sc
    print(f"ok: {sc} {r['a']} -> {r['b']} ({r['reduction_pct']}%)")
PY
assert_nothing_attached "the compare runs"
