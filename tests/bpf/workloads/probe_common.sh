# shellcheck shell=bash
# probe_common.sh — shared set-up of tests/bpf/test_probe_*.sh (sourced, not a
# test itself).
#
# After `probe_setup NAME`: we are at the top of the tree, $tmp is a private
# directory removed at exit, $LIB is a private copy of lib/libhakmem.so (its
# own inode: only the workload we start maps it, so every probe hit we count
# is ours), WORKLOAD_CMD is the command line that runs
# tests/bpf/workloads/probe_churn.c (built into $tmp) under LD_PRELOAD=$LIB
# with HAKMEM_STATS_FILE=$STATS, and tracefs is mounted.

fail() { echo "FAIL: $*" >&2; exit 1; }

probe_setup() {
	local name=$1
	cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1
	if [ "$(id -u)" -ne 0 ]; then
		echo "$name: needs root to attach uprobes (skip; a failure under CI=true)"
		exit 77
	fi
	make -s --no-print-directory lib/libhakmem.so >/dev/null
	tmp=$(mktemp -d)
	trap probe_cleanup EXIT
	LIB=$tmp/libhakmem.so
	cp lib/libhakmem.so "$LIB"
	STATS=$tmp/stats.json
	cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/probe_churn.c -o "$tmp/probe_churn"
	# shellcheck disable=SC2034 # used by the tests that source this file
	WORKLOAD_CMD=(env LD_PRELOAD="$LIB" HAKMEM_STATS_FILE="$STATS" "$tmp/probe_churn" 4 2)
	# bpftrace and perf create and remove uprobes through tracefs
	if [ ! -e /sys/kernel/tracing/uprobe_events ]; then
		mount -t tracefs tracefs /sys/kernel/tracing || fail "cannot mount tracefs"
	fi
}

# At exit: the test's own probe_test_cleanup (when it defines one), then $tmp.
probe_cleanup() {
	if declare -F probe_test_cleanup >/dev/null; then probe_test_cleanup; fi
	rm -rf "$tmp"
}

# stat_total FILE KEY: a total from the HAKMEM_STATS_FILE JSON object.
stat_total() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# check_pairs STATS_JSON HITS_FILE PROBE=COUNTER...: HITS_FILE has lines
# "PROBE HITS" (a probe without a line has 0 hits); every PROBE's hits must
# equal the COUNTER total exactly and, since 0 == 0 proves nothing, be
# non-zero unless PROBE is written "PROBE?" (may legitimately never fire).
check_pairs() {
	local stats=$1 hits_file=$2 status=0 pair probe counter want got
	shift 2
	for pair in "$@"; do
		probe=${pair%%=*} counter=${pair#*=}
		got=$(awk -v p="${probe%\?}" '$1 == p { print $2 }' "$hits_file")
		got=${got:-0}
		want=$(stat_total "$stats" "$counter")
		printf '  %-13s %8s hits   %-15s %8s\n' "${probe%\?}" "$got" "$counter" "$want"
		if [ "$got" != "$want" ]; then
			echo "FAIL: ${probe%\?} hits $got != $counter $want" >&2
			status=1
		elif [ "$want" -eq 0 ] && [[ $probe != *\? ]]; then
			echo "FAIL: ${probe} never fired: the workload did not exercise it" >&2
			status=1
		fi
	done
	return $status
}
