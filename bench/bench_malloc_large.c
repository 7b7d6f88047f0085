/*
 * bench_malloc_large — mimalloc-bench's malloc-large: SLOTS slots hold
 * blocks of MIN..MAX bytes (5-25 MiB); each op replaces the block of a
 * random slot with a new one of a random size and writes it whole, as
 * std::make_unique<char[]>(n) does there.  It measures how well freed large
 * blocks serve the next ones: a block whose pages are still resident costs
 * a memset, a fresh one a page fault per 4 KiB as well.
 *
 * The block is filled with a non-zero byte: malloc + memset(0) would be
 * turned into calloc by the compiler, which an allocator may serve with
 * pages it knows are zero, without touching them.
 */
#include "bench_common.h"

#define SLOTS 20

static const char usage[] =
	"usage: bench_malloc_large [OPS [SEED [MIN MAX]]]\n"
	"  OPS     block replacements (default 300); one op = free + malloc + fill\n"
	"  SEED    PRNG seed (default 42)\n"
	"  MIN MAX block size range in bytes, uniform (default 5 MiB 25 MiB)\n"
	"20 slots; every new block is written whole.  Last line:\n"
	"RESULT name=malloc_large ...\n";

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	uint64_t ops = arg_u64(argc, argv, 1, 300, 1, UINT64_MAX / 2, "OPS", usage);
	uint64_t seed = arg_u64(argc, argv, 2, 42, 0, UINT64_MAX, "SEED", usage);
	struct size_range sizes = arg_size_range(argc, argv, 3, 5u << 20, 25u << 20, 1ull << 34, usage);
	size_t min = sizes.min, max = sizes.max;
	printf("bench_malloc_large: ops=%" PRIu64 " seed=%" PRIu64 " slots=%d size=%zu..%zu\n", ops, seed, SLOTS,
	       min, max);

	unsigned char *slot[SLOTS] = {0};
	size_t size[SLOTS] = {0};
	struct rng r = rng_make(seed, 0);
	uint64_t sum = 0;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++) {
		unsigned k = (unsigned)rng_range(&r, 0, SLOTS - 1);
		if (slot[k])
			sum += slot[k][0] + slot[k][size[k] - 1];
		free(slot[k]);
		size[k] = rng_range(&r, min, max);
		slot[k] = bench_malloc(size[k]);
		memset(slot[k], (int)(i % 255) + 1, size[k]);
	}
	uint64_t elapsed = now_ns() - t0;
	for (unsigned k = 0; k < SLOTS; k++)
		free(slot[k]);
	bench_report("malloc_large", ops, elapsed, sum, NULL);
	return 0;
}
