#!/usr/bin/env bash
# Any allocator is counted: under jemalloc, mimalloc and tcmalloc (LD_PRELOAD)
# hakmem-sys and strace -f -c watch the SAME run (hakmem-sys -- strace ...),
# and the traced program's row equals strace's counts exactly.  One run for
# both, because these allocators purge on timers (not deterministic).
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" bench/bench_random_mixed bench/bench_mid_large_mt
command -v strace >/dev/null || fail "strace not installed (scripts/install-deps)"
LIBDIR=/usr/lib/x86_64-linux-gnu

same_run() { # LABEL PRELOAD COMMAND...
	local label=$1 preload=$2
	shift 2
	"$SYS" --json -o "$TMP/sys.json" -- strace -f -c -o "$TMP/strace.txt" \
		-e trace=mmap,munmap,madvise,mremap,brk env LD_PRELOAD="$preload" "$@" >/dev/null ||
		fail "$label: exit $?"
	python3 - "$label" "$TMP/strace.txt" "$TMP/sys.json" <<'PY' || fail "$label"
import json, sys
label, st, sj = sys.argv[1:]
calls = {}
for line in open(st):
    f = line.split()
    if len(f) >= 5 and f[3].isdigit():
        calls[f[-1]] = int(f[3])
rows = [p for p in json.load(open(sj))["processes"].values() if p["comm"].startswith("bench_")]
if len(rows) != 1:
    sys.exit(f"FAIL: {label}: expected one bench process, got {len(rows)}")
bad = 0
for sc in ("mmap", "munmap", "madvise", "mremap", "brk"):
    want, got = calls.get(sc, 0), rows[0]["calls"][sc]
    print(("ok:" if want == got else "FAIL:"), f"{label} {sc}: strace {want}, hakmem-sys {got}")
    bad += want != got
sys.exit(1 if bad else 0)
PY
}

for lib in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc_minimal.so.4; do
	[ -f "$LIBDIR/$lib" ] || fail "$LIBDIR/$lib missing (scripts/install-deps)"
	same_run "$lib mid_large_mt" "$LIBDIR/$lib" bench/bench_mid_large_mt 2 20000 256 42
	same_run "$lib random_mixed" "$LIBDIR/$lib" bench/bench_random_mixed 100000 4096 42
done
assert_nothing_attached "the peer runs"
