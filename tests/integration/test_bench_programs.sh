#!/usr/bin/env bash
# Every workload of scripts/bench-compare, run as its quick mode runs it, with
# hakmem preloaded: the program exits 0 (its own content checks passed), its
# last line is a RESULT line of its own name with positive ops/s and peak
# RSS and every field the report shows as a column, and hakmem served it.
# A bad argument gets a one-line error first and exit status 2.
. "$(dirname "$0")/common.sh"
echo "test_bench_programs: bench-compare's workloads, quick arguments, under hakmem"

# label, program, quick arguments and extra columns, one workload a line
"$PY" - "$ROOT/scripts/bench-compare" >"$T/workloads" <<'PYEOF'
import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader("bench_compare", sys.argv[1])
spec = importlib.util.spec_from_loader("bench_compare", loader)
bc = importlib.util.module_from_spec(spec)
loader.exec_module(bc)
for w in bc.WORKLOADS:
    print(w.label, w.prog, ",".join(w.extra) or "-", " ".join(w.quick))
PYEOF
[ -s "$T/workloads" ] || fail "no workloads read from scripts/bench-compare"

# check_result LABEL PROG EXTRAS OUT: OUT's last line is PROG's RESULT line.
check_result() {
	local label=$1 prog=$2 extras=$3 out=$4 line name ops rss field
	line=$(tail -n 1 "$out")
	[[ $line =~ ^RESULT\ name=([a-z0-9_]+)\ ops_per_sec=([0-9.]+)\ peak_rss_kb=([0-9]+) ]] ||
		fail "$label: last line is not a RESULT line: $line"
	name=${BASH_REMATCH[1]} ops=${BASH_REMATCH[2]} rss=${BASH_REMATCH[3]}
	# its own name: the program's (a script's without .py), and the label's
	# start (cross_thread_pc, mid_large_mt of mid_large_mt_1t)
	local base=${prog%.py}
	[[ $name == "${base#bench_}"* && $label == "$name"* ]] || fail "$label: RESULT name=$name from $prog"
	awk -v o="$ops" 'BEGIN { exit !(o > 0) }' || fail "$label: ops_per_sec=$ops"
	[ "$rss" -gt 0 ] || fail "$label: peak_rss_kb=$rss"
	[ "$extras" = - ] && return
	for field in ${extras//,/ }; do
		[[ " $line " == *" $field="[0-9]* ]] || fail "$label: no $field= in: $line"
	done
}

n=0
while read -r label prog extras args; do
	# shellcheck disable=SC2086 # the arguments are words
	hk_preload "$T/$label.json" "bench/$prog" $args >"$T/$label.out" 2>"$T/$label.err" ||
		fail "$label: bench/$prog $args exited $?: $(head -n 3 "$T/$label.err")"
	check_result "$label" "$prog" "$extras" "$T/$label.out"
	check_served "$T/$label.json"
	rc=0
	"bench/$prog" not-a-number >/dev/null 2>"$T/$label.bad" || rc=$?
	[ "$rc" -eq 2 ] || fail "$label: a bad argument exited $rc, not 2"
	head -n 1 "$T/$label.bad" | grep -q '^error: ' || fail "$label: a bad argument: $(head -n 1 "$T/$label.bad")"
	echo "$label: $(tail -n 1 "$T/$label.out" | cut -d' ' -f2-4)"
	n=$((n + 1))
done <"$T/workloads"
echo "$n workloads"

# bench_cross_thread gives each thread a CPU of its own when there are
# enough, and says whether it did: not on one CPU, nor with BENCH_PIN=0.
pinned() { tail -n 1 | grep -o ' pinned=[01]' | cut -d= -f2; }
if [ "$(nproc)" -ge 2 ]; then
	got=$(bench/bench_cross_thread sym 2 20000 | pinned)
	[ "$got" = 1 ] || fail "cross_thread on $(nproc) CPUs: pinned=$got"
fi
got=$(taskset -c 0 bench/bench_cross_thread sym 2 20000 | pinned)
[ "$got" = 0 ] || fail "cross_thread on one CPU: pinned=$got"
got=$(BENCH_PIN=0 bench/bench_cross_thread pc 2 20000 | pinned)
[ "$got" = 0 ] || fail "cross_thread with BENCH_PIN=0: pinned=$got"
echo "cross_thread pinning: as the CPUs allow"
echo "PASS"
