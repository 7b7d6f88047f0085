# Sourced by tests/bpf/test_sys_*.sh — not a test itself (not executable).
# Helpers: skip/fail, root check, a private temp dir, strace -c parsing,
# JSON field access, and the "nothing of ours left attached" check.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SYS=$ROOT/tools/hakmem-sys
LIB=$ROOT/lib/libhakmem.so
MEMCALLS="mmap munmap madvise mremap brk"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root for BPF"; }
# wait_until WHAT CMD...: CMD every 0.1 s until it succeeds; after 10 s a
# failure that names WHAT (not a later, misleading one).
wait_until() {
	local what=$1 i
	shift
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out waiting until $what"
}
# spawn_mapping FILE CMD...: CMD in the background (its pid in W), once it
# has FILE mapped.  orphan MODE FILE SRC: then FILE is deleted
# (MODE=deleted) or replaced by a new copy of SRC renamed over it, as make
# or install does (MODE=replaced), so /proc/W/maps says "FILE (deleted)".
spawn_mapping() {
	local file=$1
	shift
	"$@" >/dev/null &
	W=$!
	wait_until "$file is mapped" grep -q " $file\$" "/proc/$W/maps"
}
orphan() {
	if [ "$1" = deleted ]; then
		rm "$2"
	else
		cp "$3" "$2.new" && mv "$2.new" "$2"
	fi
}
# nocap CMD...: CMD as root with only CAP_BPF and CAP_PERFMON (a bounding
# set of just those).  need_nocap checks that setpriv can do it and did.
nocap() { setpriv --bounding-set -all,+bpf,+perfmon -- "$@"; }
need_nocap() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	grep -q '^CapEff:.*000000c000000000$' <<<"$(nocap cat /proc/self/status)" ||
		fail "setpriv did not leave CAP_BPF+CAP_PERFMON only"
}
# Built artefacts must exist: a missing build is a failure, not a skip.
need_built() { for f in "$@"; do [ -x "$f" ] || [ -f "$f" ] || fail "missing $f (run make)"; done; }

. tests/bpf/workloads/bpf_progs.sh

TMP=$(mktemp -d /tmp/hksys-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# jget FILE PY_EXPR: evaluates PY_EXPR with the JSON document bound to j.
# (python3 starts slowly on a loaded VM: batch checks into one call.)
jget() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

assert_eq() { # what expected actual
	[ "$2" = "$3" ] || fail "$1: expected $2, got $3"
	echo "ok: $1 = $3"
}

# expect RC LINE CMD...: CMD exits RC with exactly LINE on stderr (argp's
# "Try `... --help'" hint aside).
expect() {
	local want_rc=$1 want_line=$2 rc
	shift 2
	set +e
	"$@" >"$TMP/out.txt" 2>"$TMP/err.txt"
	rc=$?
	set -e
	assert_eq "$* exit" "$want_rc" "$rc"
	assert_eq "$* message" "$want_line" "$(grep -v '^Try ' "$TMP/err.txt")"
}

# Our BPF programs (names from bpf/sys.bpf.c) must all be gone.  Program
# release after the last close is deferred by the kernel, so allow 3 s.
assert_nothing_attached() {
	local left
	left=$(bpf_progs_left 'hs_(sys_enter|sys_exit|os_map|os_unmap|os_advise)')
	[ "$left" -eq 0 ] && { echo "ok: nothing attached after $1"; return 0; }
	bpftool prog show | grep -E 'name hs_' >&2 || true
	fail "$left hakmem-sys BPF programs still loaded after $1"
}

# check_counts [--under-strace] LABEL STRACE_TXT SYS_JSON [STATS_JSON]:
# hakmem-sys totals == strace -f -c calls, per syscall (--under-strace: the
# run was traced_run's, and strace's own calls, its root process's, are not
# the command's); with STATS_JSON also boundary == the HAKMEM_STATS_FILE
# os_* counters (calls and bytes, total and per purpose) and outside ==
# total - boundary >= 0.
check_counts() {
	python3 - "$@" <<'PY'
import json, sys
args = sys.argv[1:]
under_strace = args[0] == "--under-strace"
if under_strace:
    args = args[1:]
label, strace_txt, sys_json = args[:3]
stats = json.load(open(args[3])) if len(args) > 3 else None
j = json.load(open(sys_json))
bad = []
def command_calls(sc):
    if not under_strace:
        return j["total"][sc]
    return sum(p["calls"][sc] for pid, p in j["processes"].items() if int(pid) != j["pid"])
def eq(what, want, got):
    if want != got:
        bad.append(f"{label} {what}: expected {want}, got {got}")
    else:
        print(f"ok: {label} {what} = {got}")
calls = {}
for line in open(strace_txt):
    f = line.split()
    if len(f) >= 5 and f[3].isdigit():
        calls[f[-1]] = int(f[3])
for sc in ("mmap", "munmap", "madvise", "mremap", "brk"):
    eq(f"{sc} (strace vs hakmem-sys)", calls.get(sc, 0), command_calls(sc))
if stats is not None:
    b = j["boundary"]
    if b["total"]["mmap"] == 0:
        bad.append(f"{label}: no os_map boundary event seen")
    for kind, sc in (("map", "mmap"), ("unmap", "munmap"), ("advise", "madvise")):
        eq(f"os_{kind}_calls", stats[f"os_{kind}_calls"], b["total"][sc])
        eq(f"os_{kind}_bytes", stats[f"os_{kind}_bytes"], b["bytes"][sc])
        for p in ("superslab", "arena", "large", "metadata"):
            eq(f"os_{kind}_calls[{p}]", stats[f"os_{kind}_calls_by_purpose"][p], b["purposes"][p]["calls"][sc])
            eq(f"os_{kind}_bytes[{p}]", stats[f"os_{kind}_bytes_by_purpose"][p], b["purposes"][p]["bytes"][sc])
        eq(f"outside {sc}", j["total"][sc] - b["total"][sc], b["outside"][sc])
        if b["outside"][sc] < 0:
            bad.append(f"{label}: negative outside count for {sc}")
    eq("unknown-purpose calls", 0, sum(b["purposes"]["unknown"]["calls"].values()))
for m in bad:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# traced_run LIBRARY SYS_JSON STRACE_TXT COMMAND...: one run of COMMAND
# under strace -f -c, itself under hakmem-sys with LIBRARY's probes, so
# that both count the calls of the same run (check_counts --under-strace):
# two runs may differ, as hakmem paces its reclaims by the clock.
traced_run() {
	local lib=$1 json=$2 txt=$3
	shift 3
	"$SYS" -L "$lib" --json -o "$json" -- \
		strace -f -c -o "$txt" -e trace=mmap,munmap,madvise,mremap,brk "$@" >/dev/null
}

# compare_with_strace LABEL COMMAND...: two runs of the same deterministic
# command, one under hakmem-sys, one under strace; totals must be equal.
compare_with_strace() {
	local label=$1
	shift
	"$SYS" --json -o "$TMP/sys.json" -- "$@" >/dev/null || fail "$label: hakmem-sys exited $?"
	strace -f -c -o "$TMP/strace.txt" -e trace=mmap,munmap,madvise,mremap,brk "$@" >/dev/null
	check_counts "$label" "$TMP/strace.txt" "$TMP/sys.json" || fail "$label"
}
