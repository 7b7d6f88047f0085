#!/usr/bin/env bash
# -p PID: counts from the attach on, for the process and the children it
# creates after; ends when all of them have exited; --duration ends a run on a
# live process without touching it.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" bench/bench_syscall_loop
mkfifo "$TMP/go"

# wait_ready ERRFILE: the tool says "tracing PID" once attached.
wait_ready() {
	local i
	for i in $(seq 100); do
		grep -q 'tracing PID' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "hakmem-sys -p never attached: $(cat "$1")"
}

# The target blocks on the fifo, then runs 300 loop iterations in itself
# (exec) and 200 in a child it forks after the attach; the child starts late
# (sleep) so that it outlives the target: the run waits for it too.
bash -c 'read -r _ <"$1"; (sleep 0.5; exec bench/bench_syscall_loop 200 >/dev/null) & exec bench/bench_syscall_loop 300 >/dev/null' \
	_ "$TMP/go" &
target=$!
"$SYS" -p "$target" --json -o "$TMP/r.json" 2>"$TMP/err.txt" &
tool=$!
wait_ready "$TMP/err.txt"
echo go >"$TMP/go"
wait "$tool" || fail "hakmem-sys -p exited $?"
wait "$target" || true
python3 - "$TMP/r.json" "$target" <<'PY' || fail "-p report"
import json, sys
j, pid = json.load(open(sys.argv[1])), int(sys.argv[2])
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        sys.exit(1)
check(j["pid"] == pid, "pid")
check(j["exit_status"] is None and j["complete"], "ended with the process, no exit status")
check(j["total"]["madvise"] == 500, f"500 madvise (300 + 200 in the child), got {j['total']['madvise']}")
rows = j["processes"]
check(rows[str(pid)]["calls"]["madvise"] == 300, "the target's own 300")
kids = [r for p, r in rows.items() if int(p) != pid and r["calls"]["madvise"]]  # not sleep
check(len(kids) == 1 and kids[0]["ppid"] == pid and kids[0]["calls"]["madvise"] == 200,
      "the child forked after attach, outliving the target: 200")
PY

# --duration on a live process: returns on time, leaves it running.
sleep 30 &
sleeper=$!
start=$(date +%s)
"$SYS" -p "$sleeper" --duration 1 --json -o "$TMP/d.json" 2>/dev/null || fail "-d run exited $?"
[ $(($(date +%s) - start)) -le 10 ] || fail "--duration 1 took too long"
kill -0 "$sleeper" || fail "-p target was killed"
assert_eq "duration run incomplete" False "$(jget "$TMP/d.json" "j['complete']")"
kill "$sleeper"
wait "$sleeper" 2>/dev/null || true
# A child that exited before the attach (a zombie its parent never reaps)
# is no process to trace: its exit ran before BPF could see it, and counted
# as live it would make a process that later reuses its pid traced too.
sh -c '/bin/true & exec sleep 30' &
parent=$!
zombie() { [ "$(ps -o stat= --ppid "$parent")" = Z ] && [ "$(cat "/proc/$parent/comm")" = sleep ]; }
wait_until "sleep has a zombie child" zombie
"$SYS" -p "$parent" --duration 0.5 --json -o "$TMP/z.json" 2>/dev/null
assert_eq "a zombie child is not traced" "['sleep']" \
	"$(jget "$TMP/z.json" "sorted(r['comm'] for r in j['processes'].values())")"
kill "$parent"
wait "$parent" 2>/dev/null || true
assert_nothing_attached "the -p runs"
