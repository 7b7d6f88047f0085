# common.sh — sourced (not run: it is not executable) by the integration
# tests: repo root, the preload library, a scratch directory, and helpers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
LIB=$ROOT/lib/libhakmem.so
# The system interpreter: a pyenv shim would run bash scripts under the preload.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -f "$LIB" ] || fail "$LIB is not built (run make)"

# hk_preload JSON CMD...: run CMD with hakmem preloaded, stats JSON to JSON.
hk_preload() {
	local json=$1
	shift
	LD_PRELOAD=$LIB HAKMEM_STATS_FILE=$json "$@"
}

# check_served JSON: the JSON is valid, has every ground-truth key, its totals
# equal the sums of its breakdowns, and it shows hakmem served the program.
check_served() {
	"$PY" -m json.tool "$1" >/dev/null || fail "$1 is not valid JSON"
	"$PY" - "$1" <<'PYEOF' || fail "stats JSON check failed"
import json, sys
s = json.load(open(sys.argv[1]))
keys = ["refills", "drains", "remote_frees", "arena_grows", "cold_starts", "thread_inits",
        "os_map_calls", "os_unmap_calls", "os_advise_calls", "os_map_bytes", "os_unmap_bytes"]
missing = [k for k in keys if k not in s]
if missing:
    sys.exit("missing keys: %s" % missing)
for k, v in s.items():
    if isinstance(v, dict) and k.endswith(("_by_tier", "_by_purpose")):
        total = k.rsplit("_by_", 1)[0]
        if total in s and s[total] != sum(v.values()):
            sys.exit("%s = %d but its breakdown %s sums to %d" % (total, s[total], k, sum(v.values())))
if s["refills"] <= 0 or s["thread_inits"] < 1 or s["os_map_calls"] < 1:
    sys.exit("hakmem did not serve the program: refills=%d thread_inits=%d os_map_calls=%d"
             % (s["refills"], s["thread_inits"], s["os_map_calls"]))
print("stats: refills=%d cold_starts=%d thread_inits=%d os_map_calls=%d os_map_bytes=%d"
      % (s["refills"], s["cold_starts"], s["thread_inits"], s["os_map_calls"], s["os_map_bytes"]))
PYEOF
}
