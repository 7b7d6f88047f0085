# Sourced by tests/bpf/test_top_*.sh — not a test itself (not executable).
#
# After `top_setup`: we are at the top of the tree; $TMP is a private
# directory removed at exit; $LIB is a private copy of lib/libhakmem.so (its
# own inode: only the workloads we start map it, so hakmem-top --lib $LIB sees
# our processes only); $WORKLOAD is tests/bpf/workloads/top_remote.c built
# into $TMP; $TOP is tools/hakmem-top.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TOP=$ROOT/tools/hakmem-top
. tests/bpf/workloads/bpf_progs.sh

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

TOP_PID=
TMP=
top_cleanup() {
	# only the hakmem-top we started, by its pid
	if [ -n "$TOP_PID" ] && kill -0 "$TOP_PID" 2>/dev/null; then
		kill -INT "$TOP_PID" 2>/dev/null || true
		wait "$TOP_PID" 2>/dev/null || true
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	return 0
}
trap top_cleanup EXIT

top_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for BPF (a failure under CI=true)"
	make -s --no-print-directory lib/libhakmem.so tools/hakmem-top >/dev/null
	TMP=$(mktemp -d /tmp/hktop-test.XXXXXX)
	LIB=$TMP/libhakmem.so
	cp lib/libhakmem.so "$LIB"
	WORKLOAD=$TMP/top_remote
	cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/top_remote.c -o "$WORKLOAD"
}

# lines FILE: number of complete lines in FILE (0 when missing).
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

# wait_lines FILE N [SECONDS]: until FILE has N lines, or fail.
wait_lines() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		[ "$(lines "$1")" -ge "$2" ] && return 0
		kill -0 "$TOP_PID" 2>/dev/null || fail "hakmem-top died early: $(cat "$TMP/top.err")"
		sleep 0.05
	done
	fail "no $2 lines in $1 after ${3:-10}s"
}

# start_top ARGS...: hakmem-top --lib $LIB --json -o $TMP/top.jsonl ARGS in the
# background; returns once its first interval is written (it is attached).
start_top() {
	rm -f "$TMP/top.jsonl" # a previous run's lines must not pass for this one's
	"$TOP" --lib "$LIB" --json -o "$TMP/top.jsonl" "$@" 2>"$TMP/top.err" &
	TOP_PID=$!
	wait_lines "$TMP/top.jsonl" 1
}

# stop_top: SIGINT (it writes the partial last interval), must exit 0.
stop_top() {
	local st=0
	kill -INT "$TOP_PID"
	wait "$TOP_PID" || st=$?
	TOP_PID=
	[ "$st" -eq 0 ] || fail "hakmem-top exited $st: $(cat "$TMP/top.err")"
}

# wait_exited PID: until hakmem-top has written the interval where PID exited.
wait_exited() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "\"pid\":$1,[^}]*\"exited\":true" "$TMP/top.jsonl" && return 0
		sleep 0.05
	done
	fail "hakmem-top never reported pid $1 as exited"
}

# top_verify: checks read from stdin against $TMP/top.jsonl, one per line:
#   sum|max|last PID FIELD EXPECTED [?]
# sum: FIELD summed over the process's intervals; max: its largest value;
# last: its value in the process's last interval.  EXPECTED is a Python
# expression; S(PATH) is the JSON object of a HAKMEM_STATS_FILE.  Equality
# must be exact; an expected 0 fails unless the line ends in "?" (so that
# 0 == 0 does not pass by accident).  Prints a table; exit 1 on a mismatch.
# One Python process for all checks: it starts slowly on a loaded machine.
top_verify() {
	python3 -c '
import json, sys
def S(path):
    return json.load(open(path))
rows = {}
for line in open(sys.argv[1]):
    for p in json.loads(line)["processes"]:
        rows.setdefault(p["pid"], []).append(p)
pick = {"sum": sum, "max": max, "last": lambda v: v[-1]}
bad = False
for spec in sys.stdin.read().strip().splitlines():
    kind, pid, field, expr = spec.split(None, 3)
    optional = expr.endswith("?")
    want = eval(expr.rstrip("?").strip())
    mine = [r[field] for r in rows.get(int(pid), [])]
    got = pick[kind](mine) if mine else None
    ok = got == want and (want != 0 or optional)
    print("  %-4s pid %-7s %-17s %12s   expected %12s%s"
          % (kind, pid, field, got, want, "" if ok else "   <-- FAIL"))
    bad = bad or not ok
sys.exit(1 if bad else 0)
' "$TMP/top.jsonl"
}

# no_top_programs: nothing of hakmem-top is left loaded in the kernel.
no_top_programs() {
	local left
	left=$(bpf_progs_left 'ht_(refill_done|drain|remote_push|arena_grow|arena_release|thread_exit|os_[a-z_]*)')
	[ "$left" -eq 0 ] || fail "$left hakmem-top BPF programs still loaded after exit"
}
