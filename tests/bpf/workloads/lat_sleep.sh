# lat_sleep.sh — sourced by the tests that run tests/bpf/workloads/lat_sleep.c
# (not a test itself): from the top of the tree, build_lat_sleep DEST links it
# with lib/libhakmem.a into DEST, an executable that carries the probes
# lat_sleep.c fires and none of the others (an older hakmem, as the tools see it).
build_lat_sleep() {
	cc -O2 -Wall -Wextra -Werror -pthread -Iinclude tests/bpf/workloads/lat_sleep.c lib/libhakmem.a -o "$1"
}
