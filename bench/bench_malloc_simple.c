/*
 * bench_malloc_simple — glibc's other malloc benchmark (benchtests/
 * bench-malloc-simple; mimalloc-bench's glibc-simple): malloc n blocks of
 * one size, free them in the order they came, again and again, for n = 25,
 * 100, 400 and 1600.  One thread; the runs of one class each way measure how
 * fast a list head can be taken and put back.  One op == one malloc + one
 * free.  The first byte of each block is stamped and read back.
 */
#include "bench_common.h"

#define MAX_BLOCKS 1600

static const char usage[] =
	"usage: bench_malloc_simple [ITERS [SIZE]]\n"
	"  ITERS  rounds for each batch size n = 25, 100, 400, 1600 (default\n"
	"         100000); a round mallocs n blocks, then frees them\n"
	"  SIZE   block size in bytes (default 16, glibc's)\n"
	"One op = one malloc + one free.  Last line: RESULT name=malloc_simple ...\n";

static const int batches[] = { 25, 100, 400, MAX_BLOCKS };

/* iters rounds of n mallocs then n frees; the stamps read back. */
static uint64_t rounds(uint64_t iters, int n, size_t size)
{
	static unsigned char *p[MAX_BLOCKS];
	uint64_t sum = 0;
	for (uint64_t r = 0; r < iters; r++) {
		for (int i = 0; i < n; i++) {
			p[i] = bench_malloc(size);
			p[i][0] = (unsigned char)i;
		}
		for (int i = 0; i < n; i++) {
			sum += p[i][0];
			free(p[i]);
		}
	}
	return sum;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	uint64_t iters = arg_u64(argc, argv, 1, 100000, 1, UINT64_MAX / (4 * MAX_BLOCKS), "ITERS", usage);
	size_t size = arg_u64(argc, argv, 2, 16, 1, 1u << 20, "SIZE", usage);
	printf("bench_malloc_simple: iters=%" PRIu64 " size=%zu batches=25,100,400,1600\n", iters, size);

	uint64_t ops = 0, elapsed = 0, sum = 0;
	char extra[96];
	int len = 0;
	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		uint64_t t0 = now_ns();
		sum += rounds(iters, batches[b], size);
		uint64_t dt = now_ns() - t0;
		elapsed += dt;
		ops += iters * (uint64_t)batches[b];
		len += snprintf(extra + len, sizeof(extra) - (size_t)len, "%sns_%d=%.2f", b ? " " : "", batches[b],
				(double)dt / (double)(iters * (uint64_t)batches[b]));
	}
	bench_report("malloc_simple", ops, elapsed, sum, extra);
	return 0;
}
