#!/usr/bin/env bash
# python3 building and sorting a large dict gives the same output with
# hakmem preloaded as without, and the stats show hakmem served it.
. "$(dirname "$0")/common.sh"
echo "test_preload_python: python3 dict build+sort, identical output under LD_PRELOAD"
cat >"$T/dict.py" <<'PYEOF'
import hashlib
d = {}
x = 12345
for i in range(200000):
    x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    d["k%016x" % x] = [i, str(x)[: (i % 40) + 1], (i * 3) % 97]
items = sorted(d.items(), key=lambda kv: (kv[1][2], kv[0]))
h = hashlib.sha256()
for k, v in items:
    h.update(("%s=%r\n" % (k, v)).encode())
big = [bytearray(n) for n in (60000, 200000, 1 << 20)]
print(len(d), h.hexdigest(), sum(len(b) for b in big))
PYEOF
"$PY" "$T/dict.py" >"$T/plain.out"
hk_preload "$T/stats.json" "$PY" "$T/dict.py" >"$T/hakmem.out"
cmp "$T/plain.out" "$T/hakmem.out" || fail "output differs: $(cat "$T/plain.out") vs $(cat "$T/hakmem.out")"
echo "output: $(cat "$T/hakmem.out")"
check_served "$T/stats.json"
echo "PASS"
