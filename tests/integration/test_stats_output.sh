#!/usr/bin/env bash
# HAKMEM_STATS=1 prints the counter table on stderr at exit; HAKMEM_STATS_FILE
# writes valid JSON with every ground-truth key; both describe the same run
# with the same numbers.  Without the knobs hakmem prints nothing.
. "$(dirname "$0")/common.sh"
echo "test_stats_output: HAKMEM_STATS table and HAKMEM_STATS_FILE JSON agree"
work='import threading
def w():
    [bytearray(n) for n in (100, 5000, 40000, 300000) for _ in range(50)]
ts = [threading.Thread(target=w) for _ in range(3)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sum(len(str(i)) for i in range(100000)))'

"$PY" -c "$work" >"$T/want.out"
LD_PRELOAD=$LIB "$PY" -c "$work" >"$T/quiet.out" 2>"$T/quiet.err"
[ ! -s "$T/quiet.err" ] || fail "hakmem wrote to stderr without HAKMEM_STATS: $(head -3 "$T/quiet.err")"
cmp -s "$T/want.out" "$T/quiet.out" || fail "output differs under LD_PRELOAD"

HAKMEM_STATS=1 hk_preload "$T/stats.json" "$PY" -c "$work" >"$T/got.out" 2>"$T/table.err"
cmp -s "$T/want.out" "$T/got.out" || fail "output differs with HAKMEM_STATS=1"
[ -s "$T/stats.json" ] || fail "HAKMEM_STATS_FILE was not written"
check_served "$T/stats.json"

# Every ground-truth key has a row "hakmem: KEY  TOTAL" equal to the JSON total.
"$PY" - "$T/stats.json" "$T/table.err" <<'PYEOF' || fail "table and JSON disagree"
import json, re, sys
s = json.load(open(sys.argv[1]))
rows = {}
for line in open(sys.argv[2]):
    m = re.match(r"hakmem:\s+(\w+)\s+(\d+)\b", line)
    if m:
        rows[m.group(1)] = int(m.group(2))
keys = ["refills", "drains", "remote_frees", "arena_grows", "cold_starts", "thread_inits",
        "os_map_calls", "os_unmap_calls", "os_advise_calls", "os_map_bytes", "os_unmap_bytes"]
bad = [(k, rows.get(k), s[k]) for k in keys if rows.get(k) != s[k]]
if bad:
    sys.exit("table row vs JSON (key, table, json): %s" % bad)
if s["thread_inits"] < 4:
    sys.exit("4 threads allocated but thread_inits=%d" % s["thread_inits"])
print("table rows match JSON for %d keys; thread_inits=%d thread_exits=%d"
      % (len(keys), s["thread_inits"], s["thread_exits"]))
PYEOF
echo "PASS"
