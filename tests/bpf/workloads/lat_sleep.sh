# lat_sleep.sh — sourced by the tests that run tests/bpf/workloads/lat_sleep.c
# (not a test itself): from the top of the tree, build_lat_sleep DEST [CFLAGS]
# links it with lib/libhakmem.a into DEST, an executable that carries the
# probes lat_sleep.c fires and none of the others (an older hakmem, as the
# tools see it; with -DLAT_SLEEP_OLD, done probes without their ns too).
build_lat_sleep() {
	cc -O2 -Wall -Wextra -Werror -pthread -Iinclude ${2:-} tests/bpf/workloads/lat_sleep.c lib/libhakmem.a -o "$1"
}
