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
# goes to $HELD.  Fails when the tool released it before it was caught.
catch_held() {
	local catcher
	rm -f "$TMP/pid" "$TMP/pid.ready"
	"$PY" tests/bpf/workloads/held_child.py "$TMP/pid" >"$TMP/held" &
	catcher=$!
	while [ ! -e "$TMP/pid.ready" ]; do sleep 0.01; done
	exec_tool "$@" >"$TMP/tool.out" 2>"$TMP/tool.err" &
	TOOL_PID=$!
	echo "$TOOL_PID" >"$TMP/pid.tmp"
	mv "$TMP/pid.tmp" "$TMP/pid"
	wait "$catcher" || fail "$1: could not catch the command held before exec"
	HELD=$(cat "$TMP/held")
}

# gone PID SECONDS: true once PID has exited (and been reaped) within SECONDS.
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
	rm -f "$TMP/ran"
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
		rm -f "$TMP/ran"
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

echo PASS
