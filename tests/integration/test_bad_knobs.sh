#!/usr/bin/env bash
# Bad knob values print exactly one warning line on stderr and the program
# still runs correctly (same output as without hakmem); good values are
# silent.
. "$(dirname "$0")/common.sh"
echo "test_bad_knobs: bad HAKMEM_POOL_TLS_* and HAKMEM_LARGE_* values warn once and still run"
# Pool-heavy work (8..52 KiB buffers) so the arena knobs are really used.
cat >"$T/work.py" <<'PYEOF'
import hashlib
h = hashlib.sha256()
keep = []
for i in range(20000):
    b = bytearray((8192 + (i * 7919) % 45000))
    b[0] = i % 256
    b[-1] = (i * 7) % 256
    keep.append(b)
    if len(keep) > 300:
        old = keep.pop(i % 300)
        h.update(bytes(old[:1]) + bytes(old[-1:]) + len(old).to_bytes(4, "little"))
print(h.hexdigest())
PYEOF
"$PY" "$T/work.py" >"$T/want.out"

# run_knob NAME=VALUE... EXPECTED_WARNINGS
run_knob() {
	local want=${*: -1}
	local -a envs=("${@:1:$#-1}")
	env "${envs[@]}" LD_PRELOAD="$LIB" "$PY" "$T/work.py" >"$T/got.out" 2>"$T/err" ||
		fail "${envs[*]}: program failed: $(cat "$T/err")"
	cmp -s "$T/want.out" "$T/got.out" || fail "${envs[*]}: output differs"
	local lines warnings
	lines=$(wc -l <"$T/err")
	warnings=$(grep -c '^hakmem: warning: HAKMEM_\(POOL_TLS\|LARGE\)_' "$T/err" || [ $? -eq 1 ])
	[ "$lines" -eq "$want" ] && [ "$warnings" -eq "$want" ] ||
		fail "${envs[*]}: expected $want warning line(s) on stderr, got: $(cat "$T/err")"
	echo "ok: ${envs[*]} -> $want warning(s) $(head -c 120 "$T/err")"
}

run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=abc 1
run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=0 1
run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=-3 1
run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=16 1 # above the default MAX of 8
run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=4 HAKMEM_POOL_TLS_ARENA_MB_MAX=2 1
run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=99999999999999999999 1
run_knob HAKMEM_POOL_TLS_ARENA_MB_MAX=abc 1
run_knob HAKMEM_POOL_TLS_ARENA_GROWTH_LEVELS=0 1
run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=2 HAKMEM_POOL_TLS_ARENA_MB_MAX=16 HAKMEM_POOL_TLS_ARENA_GROWTH_LEVELS=3 0
run_knob HAKMEM_POOL_TLS_ARENA_MB_INIT=1 0
run_knob HAKMEM_LARGE_CACHE_MB=abc 1
run_knob HAKMEM_LARGE_PURGE_MS=abc 1
run_knob HAKMEM_LARGE_PURGE_MS=-1 1
run_knob HAKMEM_LARGE_PURGE_MS=60001 1
run_knob HAKMEM_LARGE_PURGE_MS=0 HAKMEM_LARGE_CACHE_MB=0 0
run_knob HAKMEM_LARGE_PURGE_MS=60000 0
run_knob HAKMEM_LARGE_IDLE_MS=abc 1
run_knob HAKMEM_LARGE_IDLE_MS=600001 1
run_knob HAKMEM_LARGE_IDLE_MS=0 0
run_knob HAKMEM_LARGE_IDLE_MS=1 HAKMEM_LARGE_PURGE_MS=0 HAKMEM_LARGE_CACHE_MB=0 0
echo "PASS"
