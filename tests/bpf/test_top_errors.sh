#!/usr/bin/env bash
# hakmem-top's edge cases: an unknown PID, a PID that does not use hakmem, no
# privilege, an unknown command — each one line on stderr and a non-zero
# status; a hakmem lacking some probes — one line naming them, status 0; no
# hakmem process at all — an empty table with a hint, status 0;
# --duration stops it; nothing stays loaded afterwards.
source "$(dirname "$0")/test_top_lib.sh"
source tests/bpf/workloads/lat_sleep.sh
top_setup

# expect STATUS REGEX CMD...: CMD exits STATUS with exactly one stderr line matching REGEX.
expect() {
	local want=$1 re=$2 st=0
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" || st=$?
	echo "  [$st] $(head -c 200 "$TMP/err")"
	[ "$st" -eq "$want" ] || fail "$* exited $st, want $want"
	[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "$*: want one line on stderr, got: $(cat "$TMP/err")"
	grep -qE "$re" "$TMP/err" || fail "$*: stderr does not match /$re/"
}

true &
gone=$!
wait "$gone"
expect 1 "^hakmem-top: no such process: $gone\$" "$TOP" -b -n 1 -p "$gone"

sleep 30 &
plain=$!
expect 1 "^hakmem-top: process $plain does not use hakmem" "$TOP" -b -n 1 -p "$plain"
kill "$plain"

expect 127 "^hakmem-top: command not found: no-such-command-hk\$" \
	"$TOP" -b -n 1 -- no-such-command-hk

[ "$("$TOP" --version)" = "hakmem-top 0.1" ] || fail "--version: $("$TOP" --version 2>&1)"

expect 2 "^hakmem-top: nothing after --: give COMMAND \[ARGS...\]\$" "$TOP" -b -n 1 --
# -p is checked as in sys and lat: a kernel thread is no process to watch.
expect 1 "^hakmem-top: pid 2 is a kernel thread\$" "$TOP" -b -n 1 -p 2
# An empty item in a PID list is a usage error (-p , would watch everything).
"$TOP" -b -n 1 -p , >/dev/null 2>"$TMP/err" && fail "-p , was accepted"
grep -qx "hakmem-top: invalid PID list: ','" "$TMP/err" || fail "-p ,: $(cat "$TMP/err")"
"$TOP" -b -n 1 -p "$$,,$$" >/dev/null 2>"$TMP/err" && fail "-p with an empty item was accepted"

# A report that cannot be written whole is an error; a command that does
# not exist leaves an earlier report as it was.
expect 1 "^hakmem-top: cannot write the report(: No space left on device)?\$" "$TOP" -b -n 1 -o /dev/full
echo "an earlier report" >"$TMP/keep.txt"
expect 127 "^hakmem-top: command not found: no-such-command-hk\$" \
	"$TOP" -b -n 1 -o "$TMP/keep.txt" -- no-such-command-hk
[ "$(cat "$TMP/keep.txt")" = "an earlier report" ] || fail "a command not found emptied -o's file"

# A hakmem without some of the probes (an older one; here an executable that
# carries only some): one line naming them, and the run goes on.
build_lat_sleep "$TMP/lat_sleep" || fail "cannot build lat_sleep"
expect 0 "^hakmem-top: $TMP/lat_sleep has no hakmem probe .*reclaim_done.*: those counts stay 0\$" \
	"$TOP" -b -d 0.2 --lib "$TMP/lat_sleep" -- "$TMP/lat_sleep" 1
st=0
"$TOP" -b -d zero 2>"$TMP/err" || st=$?
[ "$st" -eq 2 ] && grep -q "^hakmem-top: invalid delay: zero" "$TMP/err" || fail "usage error: status $st: $(cat "$TMP/err")"

# Unprivileged: the binary copied where nobody may run it.
chmod 755 "$TMP"
cp "$TOP" "$TMP/hakmem-top"
expect 1 "^hakmem-top: need root \(CAP_BPF/CAP_PERFMON\)" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/hakmem-top" -b -n 1
no_top_programs

# No process maps our private copy: an empty table and a hint, not an error.
"$TOP" --lib "$LIB" -b -n 1 -d 0.2 >"$TMP/out" 2>"$TMP/err" || fail "empty table: status $?: $(cat "$TMP/err")"
cat "$TMP/out"
grep -q "0 processes" "$TMP/out" || fail "no '0 processes' in the header"
grep -q "no process is using hakmem yet" "$TMP/out" || fail "no hint in the empty table"
[ -s "$TMP/err" ] && fail "stderr not empty: $(cat "$TMP/err")"
"$TOP" --lib "$LIB" --json -n 1 -d 0.2 >"$TMP/out" || fail "empty JSON: status $?"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["processes"] != [])' "$TMP/out" ||
	fail "empty JSON is not {\"processes\": []...}: $(cat "$TMP/out")"

# --duration stops a run without -n (and prints the partial last interval).
start=$(date +%s%N)
"$TOP" --lib "$LIB" -b -d 0.2 --duration 1 >"$TMP/out" || fail "--duration: status $?"
ms=$((($(date +%s%N) - start) / 1000000))
echo "  --duration 1 took ${ms} ms, $(grep -c '^hakmem-top ' "$TMP/out") intervals"
[ "$ms" -lt 10000 ] || fail "--duration 1 ran ${ms} ms"
[ "$(grep -c '^hakmem-top ' "$TMP/out")" -ge 4 ] || fail "--duration 1 -d 0.2: too few intervals"
no_top_programs
echo "PASS"
