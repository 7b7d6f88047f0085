#!/usr/bin/env bash
# hakmem-sys totals equal strace -f -c exactly, syscall by syscall, on
# deterministic glibc runs (the main thread alone, and with a worker thread
# and its arena, without address randomisation).
. "$(dirname "$0")/test_sys_lib.sh"
need_root
need_built "$SYS" bench/bench_random_mixed bench/bench_mid_large_mt
command -v strace >/dev/null || fail "strace not installed (scripts/install-deps)"

compare_with_strace "glibc random_mixed" bench/bench_random_mixed 200000 4096 42
# glibc trims a new thread arena's mapping to its alignment with one or two
# munmaps depending on where mmap put it: without ASLR both runs see the same
# placement, as long as one worker thread creates its arena alone (two race
# for the address space, and the munmap count follows who wins: 5 or 6).
compare_with_strace "glibc mid_large_mt" setarch "$(uname -m)" -R bench/bench_mid_large_mt 1 20000 256 42
compare_with_strace "glibc syscall_loop" bench/bench_syscall_loop 2000
# A shell with a child process: -f on both sides.
compare_with_strace "glibc sh+child" sh -c 'bench/bench_random_mixed 20000 256 1 >/dev/null; exit 0'
assert_nothing_attached "the fidelity runs"
