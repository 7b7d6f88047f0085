# bpf_progs.sh — sourced by the tests' shared set-up (not a test itself).
#
# bpf_progs_left REGEX: how many loaded BPF programs have a name matching
# REGEX once they had 3 s to go.  The kernel frees a program after its last
# reference is dropped, asynchronously: right after a tool exits, bpftool may
# still list one for a moment.  A program a tool really left loaded stays.
bpf_progs_left() {
	local n i
	for i in $(seq 30); do
		n=$(bpftool prog show 2>/dev/null | grep -cE " name ($1) " || true)
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	echo "$n"
}
