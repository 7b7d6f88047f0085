#!/usr/bin/env bash
# The launched command's and the traced process's life around the tools'
# own: what happens when the tool dies, is interrupted, or stops early, in
# each phase (attaching, tracing, writing the report), for hakmem-sys,
# hakmem-lat and hakmem-top alike; and which -p targets are refused.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
LAT=$ROOT/tools/hakmem-lat
TOP=$ROOT/tools/hakmem-top
need_built "$SYS" "$LAT" "$TOP" "$LIB" bench/bench_syscall_loop
PY=/usr/bin/python3 # pyenv's shim takes a second to start: too slow to catch a tool
[ -x "$PY" ] || PY=python3

# exec_tool TOOL ARGS...: execs the tool with the arguments each needs to run
# without a terminal (hakmem-top: batch mode).  Replaces the shell: call it in
# a subshell, "( exec_tool ... )" or "exec_tool ... &", so that $! is the tool.
exec_tool() {
	local tool=$1
	shift
	case $tool in
	top) exec "$TOP" -b "$@" ;;
	*) exec "$ROOT/tools/hakmem-$tool" "$@" ;;
	esac
}

# catch_held TOOL ARGS...: starts exec_tool TOOL ARGS in the background
# ($TOOL_PID; output in $TMP/tool.out, tool.err) and freezes it (SIGSTOP)
# while its launched command is still held before exec; the held child's pid
# goes to $HELD.  A tool that released its command before it was caught (a
# busy machine) is killed and started again, and $TMP/ran, which the commands
# here create when they run, removed.
catch_held() {
	local catcher try rc
	for try in 1 2 3 4 5; do
		rm -f "$TMP/pid" "$TMP/pid.ready" "$TMP/ran"
		"$PY" tests/bpf/workloads/held_child.py "$TMP/pid" >"$TMP/held" &
		catcher=$!
		while [ ! -e "$TMP/pid.ready" ]; do sleep 0.01; done
		exec_tool "$@" >"$TMP/tool.out" 2>"$TMP/tool.err" &
		TOOL_PID=$!
		echo "$TOOL_PID" >"$TMP/pid.tmp"
		mv "$TMP/pid.tmp" "$TMP/pid"
		rc=0
		wait "$catcher" || rc=$?
		[ "$rc" -eq 0 ] && { HELD=$(cat "$TMP/held"); return 0; }
		kill -KILL "$TOOL_PID" 2>/dev/null || true
		wait "$TOOL_PID" 2>/dev/null || true
		sleep 0.2
	done
	fail "$1: could not catch the command held before exec"
}

# gone PID SECONDS: true once PID has exited within SECONDS (a zombie counts:
# an orphan's new parent may be slow to reap it).
gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "/proc/$1" ] || return 0
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_tool: waits for $TOOL_PID; its exit status goes to $ST.
wait_tool() {
	ST=0
	wait "$TOOL_PID" || ST=$?
}

# --- The tool SIGKILLed while attaching: the held child must not hang on
# its go pipe forever (it sees EOF and exits without running the command).
for tool in sys lat top; do
	catch_held $tool -- sh -c 'touch "$1"' _ "$TMP/ran"
	kill -KILL "$TOOL_PID"
	wait "$TOOL_PID" 2>/dev/null || true
	gone "$HELD" 5 || fail "$tool SIGKILLed while attaching: held child $HELD still there ($(cat /proc/$HELD/comm))"
	[ -e "$TMP/ran" ] && fail "$tool SIGKILLed while attaching: the command ran"
	echo "ok: $tool SIGKILLed while attaching: held child exited, command never ran"
done

# --- Ctrl-C / SIGTERM while attaching: the command was cancelled before it
# started, so it never runs; the tool exits 128+signal.
for tool in sys lat top; do
	for sig in INT TERM; do
		catch_held $tool -- sh -c 'touch "$1"' _ "$TMP/ran"
		kill -"$sig" "$TOOL_PID"
		kill -CONT "$TOOL_PID"
		wait_tool
		assert_eq "$tool SIG$sig while attaching: exit status" $((128 + $(kill -l $sig))) "$ST"
		gone "$HELD" 5 || fail "$tool SIG$sig while attaching: held child $HELD left behind"
		[ -e "$TMP/ran" ] && fail "$tool SIG$sig while attaching: the cancelled command ran"
		echo "ok: $tool SIG$sig while attaching: command never ran"
	done
done

# --- -p of what cannot be traced: one line and exit 1, at once (a zombie
# never ended the run; a thread id or a kernel thread counted nothing).
(sleep 0.1 & exec sleep 30) & # the exec'd sleep never reaps its child: a zombie
zparent=$!
for _ in $(seq 100); do
	zombie=$(pgrep -P "$zparent" || true)
	[ -n "$zombie" ] && grep -q '^State:.*Z' "/proc/$zombie/status" && break
	sleep 0.05
done
"$PY" -c 'import threading, time; threading.Thread(target=time.sleep, args=(30,)).start(); time.sleep(30)' &
threaded=$!
for _ in $(seq 100); do
	tid=$(ls "/proc/$threaded/task" | grep -vx "$threaded" || true)
	[ -n "$tid" ] && break
	sleep 0.05
done
for tool in sys lat; do
	expect 1 "hakmem-$tool: pid $zombie has exited" timeout 10 "$ROOT/tools/hakmem-$tool" -p "$zombie"
	expect 1 "hakmem-$tool: pid $tid is a thread of process $threaded; trace -p $threaded" \
		timeout 10 "$ROOT/tools/hakmem-$tool" -p "$tid" --duration 1
	expect 1 "hakmem-$tool: pid 2 is a kernel thread" timeout 10 "$ROOT/tools/hakmem-$tool" -p 2 --duration 1
done
kill "$zparent" "$threaded"
wait "$zparent" "$threaded" 2>/dev/null || true

# --- The trace ends before the command (--duration, lat's COUNT, top's -n):
# the command does not outlive it; it gets SIGTERM, and its status (143) is
# the tool's.  Nor do the children it started, for hakmem-sys and -lat,
# which follow them (the old code left them running); hakmem-top follows no
# children.  With -p the process keeps running.
# ends_command LABEL TOOL ARGS...: runs exec_tool TOOL ARGS -- a 30 s sleep
# that has started another in the background.
ends_command() {
	local label=$1 rc try cmd child
	shift
	for try in 1 2 3; do
		rm -f "$TMP/cmd.pid" "$TMP/child.pid"
		rc=0
		(exec_tool "$@" -- sh -c 'sleep 30 & echo $! >"$2"; echo $$ >"$1"; exec sleep 30' _ \
			"$TMP/cmd.pid" "$TMP/child.pid") >"$TMP/tool.out" 2>"$TMP/tool.err" || rc=$?
		[ -s "$TMP/cmd.pid" ] && break
		# a busy machine: the trace ended before sh wrote its pids
		echo "note: $label: the command wrote no pid within the trace (attempt $try)"
	done
	[ -s "$TMP/cmd.pid" ] || fail "$label: in 3 attempts the command never wrote its pid"
	cmd=$(cat "$TMP/cmd.pid") child=$(cat "$TMP/child.pid")
	gone "$cmd" 1 || { kill "$cmd" "$child"; fail "$label: the command outlived the trace"; }
	assert_eq "$label: exit status (the command's, SIGTERM)" 143 "$rc"
	if [ "$1" = top ]; then
		kill "$child"
	else
		gone "$child" 1 || { kill "$child"; fail "$label: the command's child outlived the trace"; }
		echo "ok: $label: the command's child was terminated too"
	fi
}
ends_command "sys --duration" sys --duration 0.5 --json -o "$TMP/d.json"
assert_eq "sys --duration: report" "143 False" "$(jget "$TMP/d.json" "'%s %s' % (j['exit_status'], j['complete'])")"
ends_command "sys --duration (text)" sys --duration 0.5 -o "$TMP/d.txt"
grep -q '(exit status 143, 0\.[0-9]* s, 2 processes)' "$TMP/d.txt" ||
	fail "sys --duration: status line: $(head -1 "$TMP/d.txt")"
ends_command "lat --duration" lat --duration 0.5 -o /dev/null
ends_command "lat INTERVAL COUNT" lat -o /dev/null 0.2 2
ends_command "top --duration" top -d 0.2 --duration 0.5
ends_command "top -n" top -d 0.2 -n 2
sleep 30 &
sleeper=$!
(exec_tool lat -p "$sleeper" --duration 0.5 -o /dev/null) 2>/dev/null || fail "lat -p --duration exited $?"
kill -0 "$sleeper" || fail "lat -p --duration: the process was killed"
kill "$sleeper"
wait "$sleeper" 2>/dev/null || true
echo "ok: lat -p --duration leaves the process running"

# --- Ctrl-C ends hakmem-sys's run early: the report says complete: false,
# even though the command then exits of the forwarded signal.
"$SYS" --json -o "$TMP/c.json" -- sh -c 'echo $$ >"$1"; exec sleep 30' _ "$TMP/cmd.pid" &
TOOL_PID=$!
for _ in $(seq 100); do [ "$(cat /proc/"$(cat "$TMP/cmd.pid" 2>/dev/null)"/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
kill -INT "$TOOL_PID"
wait_tool
assert_eq "sys SIGINT: exit status" 130 "$ST"
assert_eq "sys SIGINT: report" "130 False" "$(jget "$TMP/c.json" "'%s %s' % (j['exit_status'], j['complete'])")"

# --- SIGINT/SIGTERM while the report is blocked on a slow reader: the report
# still comes whole (a write cut by EINTR lost stdio's buffer: the report
# ended mid-line, exit 1), then the tool exits with the command's status: 0
# for one that had exited by itself (the signal stopped nothing; the old
# code exited 128+signal for hakmem-sys and -lat, 0 for hakmem-top), 128+
# signal for one still running (hakmem-top's sleep), which gets it.
# slow_report SIG TOOL ARGS...: the tool's output goes to a pipe of 4 KiB that
# is read only once the tool blocks writing it and got SIG; $TMP/report.
slow_report() {
	local sig=$1 reader i
	shift
	rm -f "$TMP"/fifo*
	mkfifo "$TMP/fifo"
	"$PY" tests/bpf/workloads/slow_reader.py "$TMP/fifo" "$TMP/report" &
	reader=$!
	until [ -e "$TMP/fifo.ready" ]; do sleep 0.01; done
	exec_tool "$@" >"$TMP/fifo" 2>"$TMP/tool.err" &
	TOOL_PID=$!
	for ((i = 0; i < 600; i++)); do # syscall 1: write (x86_64)
		[ "$(cut -d' ' -f1 "/proc/$TOOL_PID/syscall" 2>/dev/null)" = 1 ] && break
		sleep 0.05
	done
	[ "$i" -lt 600 ] || fail "$*: never blocked writing its report"
	kill -"$sig" "$TOOL_PID"
	sleep 0.3 # the signal lands while the write is blocked
	touch "$TMP/fifo.go"
	wait_tool
	wait "$reader"
	echo "  [$ST] $(wc -c <"$TMP/report") bytes of report; stderr: $(head -c 200 "$TMP/tool.err")"
}
for sig in INT TERM; do
	want=$((128 + $(kill -l $sig)))
	slow_report $sig sys --json -- sh -c 'for i in $(seq 80); do /bin/true; done' # sh, seq, 80 true
	assert_eq "sys SIG$sig while writing: exit status (the command's)" 0 "$ST"
	assert_eq "sys SIG$sig while writing: whole report" "82 processes, exit 0, complete True" \
		"$(jget "$TMP/report" "'%d processes, exit %s, complete %s' % (len(j['processes']), j['exit_status'], j['complete'])")"
	slow_report $sig lat -C --json -- sh -c 'LD_PRELOAD="$1" exec bench/bench_mid_large_mt 2 20000 256 1 >/dev/null' _ "$LIB"
	assert_eq "lat SIG$sig while writing: exit status (the command's)" 0 "$ST"
	assert_eq "lat SIG$sig while writing: whole report" True "$(jget "$TMP/report" "'refill' in j['events']")"
	slow_report $sig top --json -d 0.02 -- sleep 30
	assert_eq "top SIG$sig while writing: exit status (its sleep's, forwarded SIG$sig)" "$want" "$ST"
	"$PY" -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/report" ||
		fail "top SIG$sig while writing: a JSON line was cut"
	echo "ok: top SIG$sig while writing: $(wc -l <"$TMP/report") whole JSON lines"
done

# A reader that never reads: a second signal, a second or more after the
# first, ends the tool at once.
rm -f "$TMP"/fifo*
mkfifo "$TMP/fifo"
exec 7<>"$TMP/fifo" # held open, never read
"$PY" -c 'import fcntl, sys; fcntl.fcntl(7, 1031, 4096)'
exec_tool sys --json -- sh -c 'for i in $(seq 80); do /bin/true; done' >"$TMP/fifo" 2>/dev/null &
TOOL_PID=$!
for ((i = 0; i < 600; i++)); do
	[ "$(cut -d' ' -f1 "/proc/$TOOL_PID/syscall" 2>/dev/null)" = 1 ] && break
	sleep 0.05
done
kill -TERM "$TOOL_PID"
sleep 0.3
kill -TERM "$TOOL_PID" # a double Ctrl-C is still one stop
sleep 1
kill -0 "$TOOL_PID" 2>/dev/null || fail "sys: SIGTERM twice in a row while writing ended it before the report"
kill -TERM "$TOOL_PID"
gone "$TOOL_PID" 3 || { kill -KILL "$TOOL_PID"; fail "sys: a second SIGTERM did not end it"; }
wait_tool
exec 7>&-
assert_eq "sys: second SIGTERM while blocked writing: exit status" 143 "$ST"

# --- ... and Ctrl-C still stops each tool promptly while it traces (its
# waits still return on the signal), with one exit status convention for
# all three: a command's status (sleep gets the SIGINT forwarded: 130), and
# 0 without a command, the trace ended and reported as asked.
# stops_promptly LABEL WANT TOOL ARGS...: SIGINT after 1 s; the tool is gone
# 3 s later with exit status WANT.
stops_promptly() {
	local label=$1 want=$2 i
	shift 2
	exec_tool "$@" >/dev/null 2>&1 &
	TOOL_PID=$!
	sleep 1
	kill -INT "$TOOL_PID"
	for ((i = 0; i < 60; i++)); do
		kill -0 "$TOOL_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ "$i" -lt 60 ] || { kill -KILL "$TOOL_PID"; fail "$label: still running 3 s after SIGINT"; }
	wait_tool
	assert_eq "$label stopped by SIGINT: exit status" "$want" "$ST"
}
sleep 60 &
sleeper=$!
stops_promptly "sys -- COMMAND" 130 sys -- sleep 30
stops_promptly "sys -p" 0 sys -p "$sleeper"
stops_promptly "lat -- COMMAND" 130 lat -- sleep 30
stops_promptly "lat periodic -p" 0 lat -p "$sleeper" 0.3
stops_promptly "top -- COMMAND" 130 top -d 0.3 -- sleep 30
stops_promptly "top" 0 top -d 0.3
kill "$sleeper"
wait "$sleeper" 2>/dev/null || true

# --- SIGINT then SIGTERM within a second is one stop, the first: the
# command gets SIGINT and the status is 130 (the old code forwarded the
# last one: 143).
cmd_is_sleep() { grep -qsx sleep "/proc/$(cat "$TMP/cmd.pid" 2>/dev/null)/comm"; }
for tool in sys lat "top -d 0.3"; do
	rm -f "$TMP/cmd.pid"
	exec_tool $tool -o /dev/null -- sh -c 'echo $$ >"$1"; exec sleep 30' _ "$TMP/cmd.pid" 2>/dev/null &
	TOOL_PID=$!
	wait_until "${tool%% *} starts sleep" cmd_is_sleep
	kill -INT "$TOOL_PID"
	kill -TERM "$TOOL_PID"
	wait_tool
	assert_eq "${tool%% *}: SIGINT then SIGTERM: exit status" 130 "$ST"
done

# --- The output pipe closed (`| head -1`): the tool dies of SIGPIPE (141) as
# any pipeline member, but does not leave its command running.
for tool in "top -d 0.2" "lat 0.2"; do
	rm -f "$TMP/cmd.pid"
	set +o pipefail
	(exec_tool $tool -- sh -c 'echo $$ >"$1"; exec sleep 30' _ "$TMP/cmd.pid") 2>"$TMP/tool.err" | head -1 >/dev/null
	rc=${PIPESTATUS[0]}
	set -o pipefail
	cmd=$(cat "$TMP/cmd.pid")
	gone "$cmd" 2 || { kill "$cmd"; fail "$tool | head -1: the command outlived the tool"; }
	assert_eq "$tool | head -1: exit status" 141 "$rc"
	[ -s "$TMP/tool.err" ] && fail "$tool | head -1: stderr: $(cat "$TMP/tool.err")"
	echo "ok: $tool | head -1: the command was terminated"
done

echo PASS
