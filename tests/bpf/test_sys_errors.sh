#!/usr/bin/env bash
# Bad input gives one clear line and a non-zero exit, or a clean partial
# report; nothing of ours stays attached afterwards: unknown PID, missing
# command, missing privilege, tracefs not mounted, Ctrl-C/SIGTERM, a target
# killed mid-run, the tool itself killed, usage errors.
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" bench/bench_syscall_loop

gone=$(($(cat /proc/sys/kernel/pid_max) - 1))
while kill -0 "$gone" 2>/dev/null; do gone=$((gone - 1)); done
expect 1 "hakmem-sys: no such process: $gone" "$SYS" -p "$gone"
expect 127 "hakmem-sys: command not found: no-such-command-hk" "$SYS" -- no-such-command-hk
printf 'not a program\n' >"$TMP/noexec"
chmod 644 "$TMP/noexec"
expect 126 "hakmem-sys: cannot execute: $TMP/noexec: permission denied" "$SYS" -- "$TMP/noexec"
expect 2 "hakmem-sys: nothing to trace: give -p PID or -- COMMAND [ARGS...] (see --help)" "$SYS"
expect 2 "hakmem-sys: -p PID and -- COMMAND are exclusive" "$SYS" -p 1 -- true
expect 1 "hakmem-sys: /bin/true: no \"hakmem\" USDT probes in this file" "$SYS" -L /bin/true -- true
# Usage errors name the tool as it names itself; "--" needs a command; the
# tool is not a process it can trace.
expect 2 "hakmem-sys: invalid option -- 'Q'" "$SYS" -Q
expect 2 "hakmem-sys: nothing after --: give COMMAND [ARGS...]" "$SYS" --
set +e
sh -c 'exec "$0" -p $$' "$SYS" 2>"$TMP/err.txt"
rc=$?
set -e
assert_eq "-p of itself: exit" 1 "$rc"
grep -Eqx "hakmem-sys: pid [0-9]+ is this tool itself" "$TMP/err.txt" || fail "-p of itself: $(cat "$TMP/err.txt")"
# -o is opened before anything runs: a bad path costs no run.
expect 1 "hakmem-sys: cannot write /nonexistent/dir/r: No such file or directory" \
	"$SYS" -o /nonexistent/dir/r -- touch "$TMP/started"
[ ! -e "$TMP/started" ] || fail "the command ran though -o's path is bad"
# A --max list with an empty item or a syscall twice is a usage error, not
# silently a smaller budget (or none at all, for --max '').
for m in "" ",mmap=1" "mmap=1," "mmap=1,,brk=2" "mmap=1,mmap=2"; do
	expect 2 "hakmem-sys: invalid --max '$m' (want e.g. mmap=100,madvise=0, each syscall once)" \
		"$SYS" --max "$m" -- true
done
# What is wrong with a path is said as execve or open would say it; a FIFO
# given as the library fails at once instead of blocking in open().
mkdir "$TMP/dir"
mkfifo "$TMP/fifo"
ln -s "$TMP/loop" "$TMP/loop"
expect 126 "hakmem-sys: cannot execute: $TMP/dir: is a directory" "$SYS" -- "$TMP/dir"
expect 126 "hakmem-sys: cannot execute: $TMP/loop: Too many levels of symbolic links" "$SYS" -- "$TMP/loop"
expect 127 "hakmem-sys: command not found: ''" "$SYS" -- ""
expect 1 "hakmem-sys: cannot open /nonexistent/lib.so: No such file or directory" \
	"$SYS" -L /nonexistent/lib.so -- true
expect 1 "hakmem-sys: $TMP/dir: is a directory" "$SYS" -L "$TMP/dir" -- true
expect 1 "hakmem-sys: $TMP/fifo: not a regular file" timeout 10 "$SYS" -L "$TMP/fifo" -- true
grep -q EXAMPLES <<<"$("$SYS" --help)" || fail "--help has no examples"
echo "ok: --help"

# Without privilege (uid nobody, no capabilities).
cp "$SYS" "$TMP/hakmem-sys"
chmod 755 "$TMP" "$TMP/hakmem-sys"
expect 1 "hakmem-sys: need root (CAP_BPF/CAP_PERFMON)" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/hakmem-sys" -- true

# tracefs not mounted (private mount namespace: the host's mounts stay as they are).
unshare -m --propagation private sh -c '
	for m in /sys/kernel/tracing /sys/kernel/debug/tracing; do umount "$m" 2>/dev/null || true; done
	grep -q " tracefs " /proc/self/mounts && exit 9
	exec "$1" --json -o "$2" -- bench/bench_syscall_loop 50 >/dev/null' _ "$SYS" "$TMP/nt.json" ||
	fail "run without tracefs exited $?"
assert_eq "counts without tracefs" 50 "$(jget "$TMP/nt.json" "j['total']['madvise']")"

# Ctrl-C / SIGTERM to the tool: the command is stopped, a partial report is
# printed, the exit status says which signal.
for sig in INT TERM; do
	"$SYS" -o "$TMP/sig.txt" -- sh -c 'bench/bench_syscall_loop 20 >/dev/null; exec sleep 30' &
	tool=$!
	# the command reaching `sleep` proves the tool attached and released it
	for _ in $(seq 300); do pgrep -P "$tool" -x sleep >/dev/null && break; sleep 0.1; done
	kill -"$sig" "$tool"
	set +e
	wait "$tool"
	rc=$?
	set -e
	want=$((128 + $(kill -l "$sig")))
	assert_eq "SIG$sig: exit status" "$want" "$rc"
	grep -q "exit status $want" "$TMP/sig.txt" || fail "SIG$sig: no report: $(cat "$TMP/sig.txt")"
	grep -Eq '^madvise +20 ' "$TMP/sig.txt" || fail "SIG$sig: partial counts missing"
	assert_nothing_attached "SIG$sig"
done

# The target dies mid-run (SIGKILL): a complete report up to its death.
set +e
"$SYS" --json -o "$TMP/k.json" -- sh -c 'bench/bench_syscall_loop 30 >/dev/null; kill -9 $$' 2>/dev/null
rc=$?
set -e
assert_eq "killed target: exit status" 137 "$rc"
assert_eq "killed target: counts" "137 30" "$(jget "$TMP/k.json" "'%d %d' % (j['exit_status'], j['total']['madvise'])")"

# The tool itself SIGKILLed: the kernel drops everything with its descriptors.
"$SYS" -o /dev/null -- sh -c 'echo $$ >"$1"; exec sleep 20' _ "$TMP/child.pid" &
tool=$!
sleep 2
kill -9 "$tool"
wait "$tool" 2>/dev/null || true
kill "$(cat "$TMP/child.pid")" # the released command outlives the tool
assert_nothing_attached "SIGKILL of the tool"
