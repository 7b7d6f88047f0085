/*
 * bench_syscall_loop — the cost of watching memory syscalls: a tight
 * mmap / [touch] / madvise(DONTNEED) / munmap loop.  Page faults are slow on
 * VMs and would hide the syscall cost, so touching is off by default.  Run bare, under
 * hakmem-sys and under strace -c (scripts/overhead-sys) to see what each
 * observer adds per syscall.  It calls no allocator in the loop, so the
 * allocator does not matter.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "bench_common.h"

static const char usage[] =
	"usage: bench_syscall_loop [ITERATIONS [PAGES [TOUCH]]]\n"
	"  ITERATIONS  loop count (default 200000); one op = one iteration =\n"
	"              mmap + madvise(MADV_DONTNEED) + munmap (3 syscalls)\n"
	"  PAGES       pages per mapping (default 4)\n"
	"  TOUCH       1: write every page before madvise (default 0)\n"
	"Prints ops/s; last line: RESULT name=syscall_loop ...\n";

/* One iteration; returns a byte read back so the touch cannot be dropped. */
static unsigned char one_cycle(size_t len, size_t page, int touch)
{
	volatile unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char c;

	if (p == MAP_FAILED) {
		perror("bench_syscall_loop: mmap");
		exit(1);
	}
	for (size_t off = 0; touch && off < len; off += page)
		p[off] = (unsigned char)(off / page) + 1;
	c = p[0]; /* a fresh page reads 0 unless touched */
	if (madvise((void *)p, len, MADV_DONTNEED) || munmap((void *)p, len)) {
		perror("bench_syscall_loop: madvise/munmap");
		exit(1);
	}
	return c;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	uint64_t iters = arg_u64(argc, argv, 1, 200000, 1, UINT64_MAX / 4, "ITERATIONS", usage);
	uint64_t pages = arg_u64(argc, argv, 2, 4, 1, 1u << 20, "PAGES", usage);
	int touch = (int)arg_u64(argc, argv, 3, 0, 0, 1, "TOUCH", usage);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t sum = 0;

	printf("bench_syscall_loop: iterations=%" PRIu64 " pages=%" PRIu64 " touch=%d\n", iters, pages, touch);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < iters; i++)
		sum += one_cycle(pages * page, page, touch);
	double secs = (double)(now_ns() - t0) / 1e9;
	double ops = (double)iters / secs;

	printf("ops:         %" PRIu64 "\n", iters);
	printf("time:        %.3f s\n", secs);
	printf("ops/s:       %.0f\n", ops);
	printf("syscalls/s:  %.0f\n", ops * 3);
	printf("checksum:    %016" PRIx64 "\n", sum);
	printf("RESULT name=syscall_loop ops_per_sec=%.1f iterations=%" PRIu64 " pages=%" PRIu64 "\n", ops,
	       iters, pages);
	return 0;
}
