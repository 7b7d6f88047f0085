# bpf_progs.sh — sourced by the tests' shared set-up (not a test itself).
#
# bpf_progs_left REGEX: how many loaded BPF programs have a name matching
# REGEX once they had 3 s to go.  The kernel frees a program after its last
# reference is dropped, asynchronously: right after a tool exits, bpftool may
# still list one for a moment.  A program a tool really left loaded stays.
#
# Programs that a live copy of the tools from another tree holds open (a
# user tracing something while the suite runs, a second checkout's tests)
# are not ours and do not count; any other program of that name does,
# whoever or nothing holds it.
BPF_PROGS_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../tools" && pwd -P)

bpf_progs_left() {
	local n i
	for i in $(seq 30); do
		n=$(bpftool -j prog show 2>/dev/null | python3 -c "$BPF_PROGS_COUNT" "$1" "$BPF_PROGS_TOOLS")
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	echo "$n"
}

# stdin: bpftool's JSON; argv: the name regex, our tools' directory.
BPF_PROGS_COUNT='
import glob, json, os, re, sys
name, ours = re.compile(sys.argv[1]), sys.argv[2] + "/"
holders = {}  # program id -> the executables of the processes holding it
for info in glob.glob("/proc/[0-9]*/fdinfo/*"):
    try:
        text = open(info).read()
        exe = os.path.realpath("/proc/%s/exe" % info.split("/")[2])
    except OSError:
        continue
    m = re.search(r"^prog_id:\s*(\d+)", text, re.M)
    if m:
        holders.setdefault(int(m.group(1)), set()).add(exe)
def foreign(p):
    exes = holders.get(p["id"], set())
    return bool(exes) and all(not e.startswith(ours) and os.path.basename(e).startswith("hakmem-") for e in exes)
progs = [p for p in json.load(sys.stdin) if name.fullmatch(p.get("name", ""))]
print(sum(1 for p in progs if not foreign(p)))
'
