#!/usr/bin/env bash
# The full screen in a real terminal (tmux, 160x40): the processes' rows
# appear, `<` `<` re-sorts from REFILL/s to PID (the order flips), resizing
# to tiny sizes does not kill it, NO_COLOR leaves colours out, `q` quits with status 0 and restores the
# terminal (the table is gone, the shell prompt is back).
source "$(dirname "$0")/test_top_lib.sh"
top_setup
command -v tmux >/dev/null || fail "tmux is not installed (scripts/install-deps)"

SOCK=hktop-test-$$
T() { tmux -L "$SOCK" "$@"; }
screen_cleanup() {
	T kill-server 2>/dev/null || true
	[ -z "${busy:-}" ] || kill "$busy" 2>/dev/null || true
	[ -z "${idle:-}" ] || kill "$idle" 2>/dev/null || true
	top_cleanup
}
trap screen_cleanup EXIT

# idle: maps hakmem, no events (lower pid); busy: steady refills and remote frees
env LD_PRELOAD="$LIB" sleep 60 &
idle=$!
env LD_PRELOAD="$LIB" "$WORKLOAD" 300 - 30 &
busy=$!

T new-session -d -s top -x 160 -y 40 "env PS1='prompt> ' bash --norc --noprofile"
T send-keys -t top "NO_COLOR=1 $TOP --lib $LIB -d 0.3; echo top-exit=\$?" Enter

# wait_screen REGEX: until the pane shows a line matching REGEX (10 s).
wait_screen() {
	local i
	for ((i = 0; i < 100; i++)); do
		T capture-pane -p -t top >"$TMP/pane"
		grep -qE "$1" "$TMP/pane" && return 0
		sleep 0.1
	done
	cat "$TMP/pane" >&2
	fail "the screen never showed /$1/"
}
# order: the pids of the table rows, top to bottom.
order() { awk -v a="$idle" -v b="$busy" '$1 == a || $1 == b { printf "%s ", $1 }' "$TMP/pane"; }

wait_screen "^ *$busy +top_remote +[1-9]"
wait_screen "^ *$idle +sleep "
T capture-pane -e -p -t top >"$TMP/pane-escapes"
if grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|4[0-7])(;[0-9;]*)?m' "$TMP/pane-escapes"; then
	fail "NO_COLOR=1 but the screen has colours"
fi
T capture-pane -p -t top >"$TMP/pane"
echo "rows by REFILL/s: $(order)"
[ "$(order)" = "$busy $idle " ] || fail "by REFILL/s the busy process should come first: $(order)"

T send-keys -t top '<'
T send-keys -t top '<'
wait_screen "sort by PID"
sleep 0.5
T capture-pane -p -t top >"$TMP/pane"
echo "rows by PID: $(order)"
[ "$(order)" = "$idle $busy " ] || fail "by PID the lower pid should come first: $(order)"

for size in "60 8" "20 3" "1 1" "160 40"; do
	T resize-window -t top -x "${size% *}" -y "${size#* }"
	sleep 0.4
done
wait_screen "^ *$idle +sleep "

T send-keys -t top q
wait_screen "top-exit=0"
grep -q "REFILL/s" "$TMP/pane" && fail "the table is still on the screen after q"
T send-keys -t top "echo still-here" Enter
wait_screen "^still-here"
no_top_programs
echo "PASS"
