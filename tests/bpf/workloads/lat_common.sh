# lat_common.sh — shared set-up of tests/bpf/test_lat_*.sh (sourced, not a
# test itself).
#
# After `lat_setup NAME`: we are at the top of the tree, hakmem-lat, the
# library and the benchmarks are built, $tmp is a private directory removed
# at exit, $LAT is the tool.

. "$(dirname "${BASH_SOURCE[0]}")/bpf_progs.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

lat_setup() {
	local name=$1
	cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
	if [ "$(id -u)" -ne 0 ]; then
		echo "$name: needs root to load BPF (skip; a failure under CI=true)"
		exit 77
	fi
	make -s --no-print-directory lib/libhakmem.so lib/libhakmem.a tools/hakmem-lat \
		bench/bench_mid_large_mt bench/bench_cross_thread bench/bench_random_mixed >/dev/null ||
		fail "build failed"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	LAT=tools/hakmem-lat
}

# json_get FILE EXPR: a value of hakmem-lat's or HAKMEM_STATS_FILE's JSON
# (EXPR is Python over `d`, e.g. 'd["events"]["cold"]["count"]').
json_get() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# hakmem-lat's BPF programs (names hl_*) still loaded: none may be left.
lat_progs_left() {
	bpf_progs_left 'hl_[a-z_]*'
}
