#!/usr/bin/env bash
# test_probe_perf.sh — the perf recipe of docs/probes.md works, and perf's
# counts of the OS-boundary and thread probes equal hakmem's counters exactly.
#
#   perf probe -x LIB sdt_hakmem:NAME               (one event per probe)
#   perf stat -e sdt_hakmem:NAME,... -- env LD_PRELOAD=LIB WORKLOAD
#   perf probe -d sdt_hakmem:NAME                   (always, at exit)
#
# The workload is tests/bpf/workloads/probe_churn.c (several rounds of
# threads, large blocks that map and unmap); HAKMEM_STATS_FILE gives the
# counters.  The bpftrace test covers the allocator-side probes; this one the
# OS boundary and thread life.  Needs root (exit 77 otherwise) and tracefs
# (mounted when missing).  perf's build-id cache goes to the temp directory.
set -euo pipefail
# shellcheck source=workloads/probe_common.sh
source "$(dirname "$0")/workloads/probe_common.sh"

# os_advise may legitimately never fire (hakmem decommits in batches).
PAIRS=(os_map=os_map_calls os_unmap=os_unmap_calls 'os_advise?=os_advise_calls'
	thread_init=thread_inits thread_exit=thread_exits)

added=()
perf_cmd() { perf --buildid-dir "$tmp/buildid" "$@"; }
remove_events() {
	local ev
	for ev in "${added[@]}"; do
		perf_cmd probe -q -d "sdt_hakmem:$ev" || echo "could not remove sdt_hakmem:$ev" >&2
	done
	added=()
}
probe_test_cleanup() { remove_events; }
probe_setup test_probe_perf
command -v perf >/dev/null || fail "perf is not installed (scripts/install-deps installs linux-perf)"

# The sdt_hakmem:NAME event names are global: one run of this test at a time.
exec 9>/tmp/hakmem-test-probe-perf.lock
flock -w 120 9 || fail "another test_probe_perf.sh holds /tmp/hakmem-test-probe-perf.lock"

events=
for pair in "${PAIRS[@]}"; do
	probe=${pair%%=*} probe=${probe%\?}
	[ -e "/sys/kernel/tracing/events/sdt_hakmem/$probe" ] &&
		fail "event sdt_hakmem:$probe exists already (left over? perf probe -d sdt_hakmem:$probe)"
	perf_cmd probe -q -x "$LIB" "sdt_hakmem:$probe" >"$tmp/probe.log" 2>&1 ||
		{ cat "$tmp/probe.log" >&2; fail "perf probe -x LIB sdt_hakmem:$probe failed"; }
	added+=("$probe")
	events+=${events:+,}sdt_hakmem:$probe
done
echo "perf probe added: $events"

perf stat -x, -o "$tmp/perf.csv" -e "$events" -- "${WORKLOAD_CMD[@]}" ||
	fail "perf stat or the workload failed"
# CSV rows: COUNT,UNIT,EVENT,...; "<not counted>" stays non-numeric and fails below
awk -F, '$3 ~ /^sdt_hakmem:/ { sub(/^sdt_hakmem:/, "", $3); print $3, $1 }' "$tmp/perf.csv" >"$tmp/hits"
[ "$(wc -l <"$tmp/hits")" -eq ${#PAIRS[@]} ] || { cat "$tmp/perf.csv" >&2; fail "perf stat reported $(wc -l <"$tmp/hits") of ${#PAIRS[@]} events"; }

echo "probe hits counted by perf stat vs HAKMEM_STATS_FILE:"
check_pairs "$STATS" "$tmp/hits" "${PAIRS[@]}" || exit 1
remove_events
echo "PASS: perf counts equal hakmem's counters"
