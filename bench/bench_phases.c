/*
 * bench_phases — a program that works in phases, each on one size: BLOCKS
 * blocks of that size are allocated and written whole, then all freed, and
 * the next phase takes the next size.  17 sizes grow geometrically from MIN
 * to MAX, PASSES times over (the phased tests of mimalloc-bench's sh6bench
 * kind; our own code).  What one phase freed can serve the next only across
 * size classes, and across tiers: an allocator that keeps freed memory per
 * class, or gives it back to the OS between phases, faults pages in at
 * every phase.
 *
 * One op == one malloc (and, in its phase, its free).  Every block is
 * stamped at both ends and read back before it is freed.
 */
#include <math.h>

#include "bench_common.h"

#define SIZES 17

static const char usage[] =
	"usage: bench_phases [PASSES [BLOCKS [MIN MAX]]]\n"
	"  PASSES  passes over the 17 sizes (default 5)\n"
	"  BLOCKS  blocks allocated, then freed, in each phase (default 2000)\n"
	"  MIN MAX smallest and largest size in bytes, 17 sizes in geometric\n"
	"          steps between (default 16 65536)\n"
	"One op = one malloc (and its free).  Last line:\n"
	"RESULT name=phases ... extra: passes=N blocks=N largest_phase_kb=N (BLOCKS x MAX)\n";

/* The i-th of the SIZES sizes from min to max, geometric. */
static size_t size_at(struct size_range r, int i)
{
	double ratio = (double)r.max / (double)r.min;
	return (size_t)llround((double)r.min * pow(ratio, (double)i / (SIZES - 1)));
}

/* One phase: n blocks of size bytes, written whole, read back, freed. */
static uint64_t phase(unsigned char **p, uint64_t n, size_t size)
{
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		p[i] = bench_malloc(size);
		memset(p[i], (int)(i & 0xff), size);
		block_stamp(p[i], size, i);
	}
	for (uint64_t i = 0; i < n; i++) {
		sum += block_read(p[i], size);
		free(p[i]);
	}
	return sum;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	uint64_t passes = arg_u64(argc, argv, 1, 5, 1, 1000000, "PASSES", usage);
	uint64_t blocks = arg_u64(argc, argv, 2, 2000, 1, 10000000, "BLOCKS", usage);
	struct size_range r = arg_size_range(argc, argv, 3, 16, 65536, 1ull << 30, usage);
	printf("bench_phases: passes=%" PRIu64 " blocks=%" PRIu64 " sizes=%zu..%zu (17, geometric)\n", passes, blocks,
	       r.min, r.max);
	unsigned char **p = calloc(blocks, sizeof(*p));
	if (!p)
		bench_die(usage, "out of memory");
	uint64_t sum = 0, t0 = now_ns();
	for (uint64_t k = 0; k < passes; k++)
		for (int i = 0; i < SIZES; i++)
			sum += phase(p, blocks, size_at(r, i));
	uint64_t elapsed = now_ns() - t0;
	free(p);
	char extra[96];
	snprintf(extra, sizeof(extra), "passes=%" PRIu64 " blocks=%" PRIu64 " largest_phase_kb=%zu", passes, blocks,
		 (size_t)(blocks * r.max / 1024));
	bench_report("phases", passes * SIZES * blocks, elapsed, sum, extra);
	return 0;
}
