#!/usr/bin/env bash
# test_probe_bpftrace.sh — bpftrace sees the catalogue, and its counts of the
# allocator's probes equal hakmem's own counters exactly.
#
# 1. `bpftrace -l 'usdt:LIB:*'` lists exactly the probes of docs/probes.md.
# 2. bpftrace counts the hits of the allocator-side probes (cold start,
#    refill, drain, remote free, arena growth and release, reclaim) while tests/bpf/workloads/
#    probe_churn.c runs under LD_PRELOAD with HAKMEM_STATS_FILE; each count
#    must equal the counter docs/probes.md pairs it with, and be non-zero.
# 3. The done probes' ns argument (the interval since the start probe, timed
#    by hakmem between the two probe sites) is never negative and never more
#    than bpftrace's time between the two hits, which holds the traps; and
#    hakmem-lat, which the workload runs under, reports exactly the sum of
#    those arguments for each event (sum_ns), as bpftrace sums them.
# bpftrace 0.17 cannot resolve a library's USDT probe with -c (the library is
# not mapped yet), so it attaches by path to a private copy of the library
# before the workload starts.  Needs root (exit 77 otherwise).
set -euo pipefail
# shellcheck source=workloads/probe_common.sh
source "$(dirname "$0")/workloads/probe_common.sh"

PAIRS=(cold_start=cold_starts cold_done=cold_starts refill_start=refills refill_done=refills
	drain=drains remote_push=remote_pushes arena_grow_start=arena_grows arena_grow=arena_grows
	arena_release=arena_releases reclaim_start=reclaims reclaim_done=reclaims)
# remote_push fires once per chain of remote-freed blocks; its 5th argument
# (blocks) summed over the hits must equal the blocks freed remotely.  So must
# reclaim_done's 2nd (walked) sum to the free blocks the walks visited.
# And every drain is a refill with source 0 or one of a walk's drains
# (reclaim_done's 4th argument): what hakmem-lat counts without drain.
SUMS=(remote_blocks=remote_frees reclaim_walked=reclaim_blocks drained=drains)
# hakmem-lat's event = start probe, done probe, index of the done probe's ns
TIMED=(cold=cold_start,cold_done,3 refill=refill_start,refill_done,4 grow=arena_grow_start,arena_grow,4
	reclaim=reclaim_start,reclaim_done,4)

# bpftrace ends itself when the workload's stats file is written (see below).
# Signals are the fall-back only: bpftrace 0.17 started with & from a script
# ignores SIGINT, and now and then did not act on SIGTERM either.
bt_pid=
bpftrace_exited() { # wait up to $1 tenths of a second
	for _ in $(seq "$1"); do
		kill -0 "$bt_pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
stop_bpftrace() {
	[ -n "$bt_pid" ] || return 0
	bpftrace_exited 150 || { kill -TERM "$bt_pid" 2>/dev/null; bpftrace_exited 50; } ||
		{ kill -KILL "$bt_pid" 2>/dev/null; echo "bpftrace did not exit" >&2; }
	wait "$bt_pid" 2>/dev/null || true
	bt_pid=
}
probe_test_cleanup() { stop_bpftrace; }
probe_setup test_probe_bpftrace
command -v bpftrace >/dev/null || fail "bpftrace is not installed (scripts/install-deps installs it)"

# --- 1. listing -------------------------------------------------------------
bpftrace -l "usdt:$LIB:*" | sed "s|^usdt:$LIB:||" | sort >"$tmp/listed"
scripts/probe-notes --doc docs/probes.md | awk '{ print "hakmem:" $1 }' | sort >"$tmp/documented"
if ! diff -u "$tmp/documented" "$tmp/listed"; then
	fail "bpftrace -l 'usdt:$LIB:*' differs from docs/probes.md (-documented +listed)"
fi
echo "bpftrace lists all $(wc -l <"$tmp/listed") documented probes"

# --- 2. counting ------------------------------------------------------------
# The hits are final when the library writes HAKMEM_STATS_FILE at exit: the
# return from hakmem_stats_write_json() in our private copy ends bpftrace,
# which then prints its maps.
prog='BEGIN { printf("READY\n"); }'
prog+=" uretprobe:$LIB:hakmem_stats_write_json { exit(); }"
for pair in "${PAIRS[@]}"; do
	probe=${pair%%=*}
	prog+=" usdt:$LIB:hakmem:$probe { @$probe = count(); }"
done
prog+=" usdt:$LIB:hakmem:remote_push { @remote_blocks = sum(arg4); }"
prog+=" usdt:$LIB:hakmem:reclaim_done { @reclaim_walked = sum(arg1); @drained = sum(arg3); }"
prog+=" usdt:$LIB:hakmem:refill_done /arg3 == 0/ { @drained = sum(1); }"
for timed in "${TIMED[@]}"; do
	IFS=, read -r start done arg <<<"${timed#*=}"
	ev=${timed%%=*}
	prog+=" usdt:$LIB:hakmem:$start { @${ev}_t0[tid] = nsecs; }"
	prog+=" usdt:$LIB:hakmem:$done { @${ev}_ns = sum(arg$arg);"
	prog+=" if (arg$arg < 0 || arg$arg > nsecs - @${ev}_t0[tid]) { @${ev}_bad = count(); }"
	prog+=" delete(@${ev}_t0[tid]); }"
done
bpftrace -e "$prog" >"$tmp/bt.out" 2>"$tmp/bt.err" &
bt_pid=$!
for _ in $(seq 300); do # BEGIN runs once every probe is attached
	grep -q '^READY' "$tmp/bt.out" && break
	kill -0 "$bt_pid" 2>/dev/null || { cat "$tmp/bt.err" >&2; fail "bpftrace exited before attaching"; }
	sleep 0.1
done
grep -q '^READY' "$tmp/bt.out" || { cat "$tmp/bt.err" >&2; fail "bpftrace did not attach within 30 s"; }

tools/hakmem-lat -L "$LIB" -e cold,refill,grow,reclaim -j -o "$tmp/lat.json" -- "${WORKLOAD_CMD[@]}" ||
	fail "the workload failed under hakmem-lat"
stop_bpftrace
# maps print as "@NAME: COUNT"; a probe that never fired prints nothing
awk '/^@[a-z_]+: [0-9]+$/ { sub(/^@/, "", $1); sub(/:$/, "", $1); print $1, $2 }' \
	"$tmp/bt.out" >"$tmp/hits"

echo "probe hits counted by bpftrace vs HAKMEM_STATS_FILE:"
check_pairs "$STATS" "$tmp/hits" "${PAIRS[@]}" "${SUMS[@]}" || exit 1

echo "done probes' ns: bpftrace's sum, bad (negative, or over the hits' interval), hakmem-lat's sum_ns:"
for timed in "${TIMED[@]}"; do
	ev=${timed%%=*}
	bt=$(awk -v k="${ev}_ns" '$1 == k { print $2 }' "$tmp/hits")
	bad=$(awk -v k="${ev}_bad" '$1 == k { print $2 }' "$tmp/hits")
	lat=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["events"][sys.argv[2]]["sum_ns"])' \
		"$tmp/lat.json" "$ev")
	printf '  %-8s %12s ns  bad %s  hakmem-lat %12s ns\n' "$ev" "${bt:-0}" "${bad:-0}" "$lat"
	[ "${bt:-0}" -gt 0 ] || fail "no $ev interval was timed"
	[ "${bad:-0}" -eq 0 ] || fail "$bad $ev intervals were negative or longer than bpftrace's time between the hits"
	[ "$lat" = "$bt" ] || fail "hakmem-lat's $ev sum_ns $lat != the sum of the ns arguments $bt"
done
echo "PASS: bpftrace counts equal hakmem's counters; hakmem-lat reports the ns hakmem timed"
