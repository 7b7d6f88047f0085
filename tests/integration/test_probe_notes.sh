#!/usr/bin/env bash
# test_probe_notes.sh — the built library's USDT notes match the catalogue.
#
# docs/probes.md documents every probe (name, arguments); include/hakmem_probes.h
# defines them.  This test checks, from `readelf -n` (.note.stapsdt):
#   - lib/libhakmem.so has every documented probe, each site with the
#     documented number of arguments, and no probe that is not documented;
#   - every argument operand is a constant ($N), a register (%reg) or
#     register+offset (N(%reg)) — never scale-index-base, which Debian's
#     libbpf 1.1.2 cannot decode;
#   - every note has a semaphore (is-enabled check);
#   - the header and the document agree on names and argument names;
#   - build/noprobes/libhakmem.so (PROBES=0) has no hakmem notes at all.
# Before trusting itself it feeds the checker crafted bad notes (SIB operand,
# missing semaphore, undocumented probe, wrong argument count, missing probe)
# and requires each to be rejected.
set -euo pipefail
cd "$(dirname "$0")/../.."

LIB=lib/libhakmem.so
NOPROBES=build/noprobes/libhakmem.so
make -s --no-print-directory "$LIB" "$NOPROBES" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The operand forms libbpf 1.1.2's x86 USDT parser accepts: SIZE@$IMM,
# SIZE@%REG, SIZE@OFF(%REG), SIZE@(%REG); offsets and constants in decimal.
OPERAND_RE='^-?(1|2|4|8)@(\$-?[0-9]+|%[a-z0-9]+|-?[0-9]*\(%[a-z0-9]+\))$'

# check_notes NOTES DOC: print every disagreement; non-zero when there is one.
# NOTES is `scripts/probe-notes` output, DOC is `scripts/probe-notes --doc`.
check_notes() {
	awk -v re="$OPERAND_RE" '
	function bad(msg) { print "  " msg; errors++ }
	FNR == NR { want[$1] = $2; next }  # the document
	{
		prov = $1; name = $2; nargs = $3; sem = $4; loc = $5
		site = prov ":" name " at " loc
		seen[name]++
		if (prov != "hakmem") bad(site ": provider is not hakmem")
		if (!(name in want)) { bad(site ": probe not documented in docs/probes.md"); next }
		if (nargs != want[name]) bad(site ": " nargs " arguments, documented " want[name])
		if (NF - 5 != nargs) bad(site ": argument count field disagrees with the operands")
		if (sem == "0x0") bad(site ": no semaphore address")
		for (i = 6; i <= NF; i++)
			if ($i !~ re) bad(site ": operand " $i " is not a constant, register or register+offset")
	}
	END {
		for (name in want) if (!(name in seen)) bad("hakmem:" name ": documented but not in the binary")
		exit errors > 0
	}' "$2" "$1"
}

# The header's catalogue as NAME NARGS ARG,ARG (same shape as --doc output).
header_catalogue() {
	sed -n 's/^static inline void hk_probe_\([a-z_]*\)(\(.*\))$/\1 \2/p' include/hakmem_probes.h |
		awk '{ name = $1; $1 = ""; gsub(/long /, ""); gsub(/ /, ""); n = split($0, a, ",");
		       print name, n, $0 }'
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the checker can fail --------------------------------------------------
scripts/probe-notes --doc docs/probes.md >"$tmp/doc" || fail "no catalogue table in docs/probes.md"
readelf -n "$LIB" >"$tmp/readelf.txt"
scripts/probe-notes --text "$tmp/readelf.txt" >"$tmp/notes"
[ -s "$tmp/notes" ] || fail "$LIB has no SDT notes"

for op in '-8@%rdi' '8@$0' '-4@$-12' '8@-16(%rbp)' '8@(%rsp)' '4@24(%r12)'; do
	[[ $op =~ $OPERAND_RE ]] || fail "operand pattern rejects the valid operand $op"
done
for op in '8@(%rax,%rbx,8)' '8@8(%rax,%rbx,1)' '-8@foo(%rip)' '8@$0x10' '3@%rax' '%rax'; do
	[[ $op =~ $OPERAND_RE ]] && fail "operand pattern accepts the invalid operand $op"
done

# A SIB operand in readelf's own format must survive the parser and be caught.
sed '0,/Arguments: [^ ]*/s//Arguments: 8@(%rax,%rbx,8)/' "$tmp/readelf.txt" >"$tmp/bad.txt"
scripts/probe-notes --text "$tmp/bad.txt" >"$tmp/bad-sib"
sed '1s/ 0x[0-9a-f]* / 0x0 /' "$tmp/notes" >"$tmp/bad-nosem"
{ cat "$tmp/notes"; echo "hakmem bogus 1 0x1000 0x2000 -8@%rdi"; } >"$tmp/bad-undoc"
awk 'NR == 1 { $3 = $3 + 1; $0 = $0 " -8@%rax" } 1' "$tmp/notes" >"$tmp/bad-nargs"
first=$(awk 'NR == 1 { print $2 }' "$tmp/notes")
awk -v n="$first" '$2 != n' "$tmp/notes" >"$tmp/bad-missing"
for bad in sib nosem undoc nargs missing; do
	cmp -s "$tmp/notes" "$tmp/bad-$bad" && fail "crafting the '$bad' case changed nothing"
	check_notes "$tmp/bad-$bad" "$tmp/doc" >/dev/null && fail "checker accepted crafted bad notes ($bad)"
done
echo "checker rejects: SIB operand, missing semaphore, undocumented probe, wrong argument count, missing probe"

# --- the real thing ---------------------------------------------------------
status=0
echo "$LIB: $(wc -l <"$tmp/notes") probe sites, $(wc -l <"$tmp/doc") documented probes"
check_notes "$tmp/notes" "$tmp/doc" || { echo "FAIL: $LIB notes do not match docs/probes.md" >&2; status=1; }

header_catalogue | sort >"$tmp/header"
sort "$tmp/doc" >"$tmp/doc.sorted"
if ! diff -u "$tmp/header" "$tmp/doc.sorted" >"$tmp/hdiff"; then
	echo "FAIL: include/hakmem_probes.h and docs/probes.md disagree (-header +doc):" >&2
	cat "$tmp/hdiff" >&2
	status=1
fi

noprobes=$(scripts/probe-notes -P hakmem "$NOPROBES" | wc -l)
if [ "$noprobes" -ne 0 ]; then
	echo "FAIL: $NOPROBES (PROBES=0) still has $noprobes hakmem probe notes" >&2
	status=1
fi
[ $status -eq 0 ] && echo "PASS: $(awk '{ print $2 }' "$tmp/notes" | sort -u | wc -l) probes match the catalogue; $NOPROBES has none"
exit $status
