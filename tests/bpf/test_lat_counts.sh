#!/usr/bin/env bash
# hakmem-lat's sample counts equal hakmem's own counters exactly: for a command
# traced from its exec (LD_PRELOAD), `cold` == cold_starts, `refill` ==
# refills, `drain` == drains, `grow` == arena_grows, `reclaim` == reclaims
# (HAKMEM_STATS_FILE), on workloads that make each of them non-zero: pool
# threads (grows), a producer/consumer (drains), pool threads with pre-warm
# on (grows that happen outside any refill), and the probe tests' churn
# (reclaims, and a drain in malloc_trim's walk, outside any refill).
set -u
. "$(dirname "$0")/workloads/lat_common.sh"
lat_setup test_lat_counts

status=0
# check NAME ENV... -- COMMAND... then EVENT...: one traced run; the five
# equalities; the EVENTs after "then" must be non-zero (else the workload
# did not exercise them and 0 == 0 would prove nothing).
check() {
	local name=$1 env=() cmd=()
	shift
	while [ "$1" != "--" ]; do env+=("$1"); shift; done
	shift
	while [ "$1" != "then" ]; do cmd+=("$1"); shift; done
	shift
	"$LAT" --json -o "$tmp/$name.json" -- env LD_PRELOAD="$PWD/lib/libhakmem.so" \
		HAKMEM_STATS_FILE="$tmp/$name.stats" "${env[@]}" "${cmd[@]}" >/dev/null ||
		fail "$name: hakmem-lat or the workload failed"
	python3 - "$name" "$tmp/$name.json" "$tmp/$name.stats" "$@" <<'PY' || status=1
import json, sys
name, lat, st, nonzero = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4:]
ok = lat["library_source"] != "none" and lat["lost_samples"] == 0
print(f"{name}: probes from {lat['library_source']}")
for event, counter in [("cold", "cold_starts"), ("refill", "refills"), ("drain", "drains"), ("grow", "arena_grows"),
                       ("reclaim", "reclaims")]:
    e = lat["events"][event]
    good = e["count"] == st[counter] and e["unmatched"] == 0 and (event not in nonzero or e["count"] > 0)
    print(f"  {event:7} {e['count']:7} samples   {counter:12} {st[counter]:7}   unmatched {e['unmatched']}"
          f"{'' if good else '   FAIL'}")
    ok &= good
sys.exit(0 if ok else 1)
PY
}

check mid_large -- bench/bench_mid_large_mt 2 20000 256 7 then cold refill grow
check cross_pc -- bench/bench_cross_thread pc 2 20000 7 then cold refill drain
check cross_sym -- bench/bench_cross_thread sym 2 20000 7 then cold refill drain
check prewarm HAKMEM_POOL_TLS_PREWARM=4 -- bench/bench_mid_large_mt 2 5000 64 7 then cold refill grow
cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/probe_churn.c -o "$tmp/probe_churn" ||
	fail "cannot build probe_churn"
check churn -- "$tmp/probe_churn" 4 2 then cold refill drain reclaim

# A workload the command leaves running in the background is traced to its
# end (as strace -f would): the shell is not preloaded, only the workload is.
"$LAT" --json -o "$tmp/bg.json" -- sh -c '(sleep 0.3; LD_PRELOAD="$1" HAKMEM_STATS_FILE="$2" \
	exec bench/bench_mid_large_mt 2 20000 256 7 >/dev/null) &' sh "$PWD/lib/libhakmem.so" "$tmp/bg.stats" ||
	fail "background: hakmem-lat failed"
python3 - "$tmp/bg.json" "$tmp/bg.stats" <<'PY' || status=1
import json, sys
lat, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ok = all(lat["events"][e]["count"] == st[c] for e, c in [("cold", "cold_starts"), ("refill", "refills")])
print(f"background: refill {lat['events']['refill']['count']} samples, refills {st['refills']}{'' if ok and st['refills'] else '   FAIL'}")
sys.exit(0 if ok and st["refills"] > 0 else 1)
PY
exit $status
