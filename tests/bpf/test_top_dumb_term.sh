#!/usr/bin/env bash
# A terminal that cannot move the cursor (TERM=dumb, TERM unset or unknown:
# an editor's shell buffer, a CI console with a pty) gets what a pipe gets:
# the batch text, one block per interval, exit status 0 — not a full screen
# drawn with carriage returns over itself (TERM=dumb), not an error (unset).
# `script` gives hakmem-top a pty; the command it names runs in it.
source "$(dirname "$0")/test_top_lib.sh"
top_setup
command -v script >/dev/null || fail "script (util-linux) is not installed"

for term in dumb unset no-such-terminal; do
	case $term in
	unset) envs="env -u TERM" ;;
	*) envs="env TERM=$term" ;;
	esac
	rc=0
	timeout 20 script -qfec "$envs $TOP --lib $LIB -n 2 -d 0.2" "$TMP/typescript" >/dev/null 2>&1 || rc=$?
	[ $rc -eq 0 ] || fail "TERM $term: exit status $rc: $(tail -n 3 "$TMP/typescript")"
	tr -d '\r' <"$TMP/typescript" >"$TMP/out"
	n=$(grep -cE '^ +PID COMM +REFILL/s' "$TMP/out" || true)
	[ "$n" -eq 2 ] || fail "TERM $term: expected 2 batch blocks (column headings), got $n: $(head -c 400 "$TMP/out")"
	grep -q $'\e' "$TMP/out" && fail "TERM $term: escape sequences in the output"
	echo "ok: TERM $term: two batch blocks, no escape sequences, exit 0"
done
