#!/usr/bin/env bash
# -p on a process whose hakmem file was deleted or replaced since it mapped
# it (a library rebuilt or reinstalled while the program runs, a statically
# linked program rebuilt): /proc/PID/maps then names it "PATH (deleted)",
# and PATH is gone or is another file.  The tools must attach to the inode
# the process runs (its /proc/PID/map_files or /proc/PID/exe link), and
# count exactly what HAKMEM_STATS_FILE counts, not fall back to another copy
# of the library (hakmem-sys: every boundary call "outside" hakmem) or say
# the process does not use hakmem (hakmem-lat, hakmem-top).
. "$(dirname "$0")/test_sys_lib.sh"
need_root
LAT=$ROOT/tools/hakmem-lat TOP=$ROOT/tools/hakmem-top
need_built "$SYS" "$LAT" "$TOP" "$LIB" lib/libhakmem.a
cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/top_remote.c -o "$TMP/top_remote" ||
	fail "cannot build top_remote"
cc -O2 -Wall -Wextra -Werror -pthread tests/bpf/workloads/top_remote.c lib/libhakmem.a \
	-o "$TMP/top_remote_static" || fail "cannot build top_remote_static"

W="" X=""
cleanup() { # only the processes we started, by pid
	for p in $X $W; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# run MODE TOOL LINK: top_remote (waiting for $TMP/go) on a private copy of
# the library (LINK=dynamic) or as a static copy of itself (LINK=static);
# the copy is then deleted (MODE=deleted) or replaced by another file at
# the same path (MODE=replaced); TOOL attaches with -p, the workload runs
# and exits; the tool's counts must equal the workload's stats.
run() {
	local mode=$1 tool=$2 link=$3 d=$TMP/run file src i
	rm -rf "$d" && mkdir "$d"
	if [ "$link" = dynamic ]; then
		file=$d/libhakmem.so src=$LIB
		cp "$src" "$file"
		spawn_mapping "$file" env LD_PRELOAD="$file" HAKMEM_LARGE_CACHE_MB=0 \
			HAKMEM_STATS_FILE="$d/st.json" "$TMP/top_remote" 100 "$d/go"
	else
		file=$d/top_remote src=$TMP/top_remote_static
		cp "$src" "$file"
		spawn_mapping "$file" env HAKMEM_LARGE_CACHE_MB=0 HAKMEM_STATS_FILE="$d/st.json" "$file" 100 "$d/go"
	fi
	orphan "$mode" "$file" "$src"
	grep -q " $file (deleted)\$" "/proc/$W/maps" || fail "$mode $link: maps does not say deleted"
	case $tool in
	sys) "$SYS" -p "$W" --json -o "$d/out.json" 2>"$d/err" & ;;
	lat) "$LAT" -p "$W" -e cold,refill,drain,grow --json -o "$d/out.json" 2>"$d/err" & ;;
	top) "$TOP" -b --json -d 0.2 -p "$W" -o "$d/out.json" 2>"$d/err" & ;;
	esac
	X=$!
	# sys and lat say when they trace; hakmem-top is attached once its first line is out
	for i in $(seq 100); do
		if [ "$tool" = top ]; then [ -s "$d/out.json" ] && break; else grep -q tracing "$d/err" && break; fi
		kill -0 "$X" 2>/dev/null || break
		sleep 0.1
	done
	touch "$d/go"
	wait "$W" || fail "$mode $link $tool: top_remote failed"
	W=
	if [ "$tool" = top ]; then sleep 0.5; kill -INT "$X"; fi
	wait "$X" || fail "$mode $link $tool: hakmem-$tool exited $?: $(cat "$d/err")"
	X=
	python3 - "$d" "$tool" "$mode $link" <<'PY' || fail "$mode $link $tool"
import json, sys
d, tool, label = sys.argv[1:]
s = json.load(open(d + "/st.json"))
bad = []
def eq(what, want, got):
    print(("ok: " if want == got else "FAIL: ") + f"{label} hakmem-{tool} {what}: stats {want}, tool {got}")
    if want != got:
        bad.append(what)
if tool == "sys":
    b = json.load(open(d + "/out.json"))["boundary"]
    for k, sc in (("map", "mmap"), ("unmap", "munmap"), ("advise", "madvise")):
        eq(f"os_{k} calls", s[f"os_{k}_calls"], b["total"][sc])
elif tool == "lat":
    j = json.load(open(d + "/out.json"))
    for e, k in (("cold", "cold_starts"), ("refill", "refills"), ("drain", "drains"), ("grow", "arena_grows")):
        eq(e, s[k], j["events"][e]["count"])
else:
    t = {}
    for line in open(d + "/out.json"):
        for p in json.loads(line)["processes"]:
            if p["pid"] == s["pid"]:
                for k in ("refills", "drains", "remote_frees", "arena_grows", "mmap", "munmap", "madvise"):
                    t[k] = t.get(k, 0) + p[k]
    for k, sk in (("refills", "refills"), ("drains", "drains"), ("remote_frees", "remote_frees"),
                  ("arena_grows", "arena_grows"), ("mmap", "os_map_calls"), ("munmap", "os_unmap_calls"),
                  ("madvise", "os_advise_calls")):
        eq(k, s[sk], t.get(k))
if s["refills"] == 0 or s["os_map_calls"] == 0:
    bad.append("the workload did nothing")
sys.exit(1 if bad else 0)
PY
}

for tool in sys lat top; do
	run deleted "$tool" dynamic
done
run replaced sys dynamic
run deleted sys static
run replaced lat static

assert_nothing_attached "the -p runs on deleted files"
for re in 'hl_.*' 'ht_.*'; do
	assert_eq "programs $re left loaded" 0 "$(bpf_progs_left "$re")"
done
