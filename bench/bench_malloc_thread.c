/*
 * bench_malloc_thread — glibc's own malloc benchmark (benchtests/
 * bench-malloc-thread), as mimalloc-bench runs it (glibc-thread): small
 * blocks, most of them tiny, replaced at random in a per-thread working set.
 *
 * Each thread has its own 1024 slots.  Sizes follow glibc's inverse-square
 * law over [4, 32768] bytes (half of them are 4-7 bytes, one in 260 is over
 * 1 KiB); sizes and slot indices come from tables filled before the clock
 * starts (8000 sizes, 4096 indices, as glibc does), so the timed loop is
 * malloc and free.  One op == one cycle == free of the slot's old block and
 * malloc of a new one.  The first byte of each block is stamped and read
 * back (blocks may be 4 bytes: bench_common's 8-byte stamps would not fit).
 */
#include <math.h>
#include "bench_common.h"

#define SLOTS 1024
#define SIZES 8000
#define INDICES (4 * SLOTS)
#define MIN_SIZE 4.0
#define MAX_SIZE 32768.0

static const char usage[] =
	"usage: bench_malloc_thread [THREADS [CYCLES [SEED]]]\n"
	"  THREADS concurrent threads, each with its own 1024 slots (default 1)\n"
	"  CYCLES  slot replacements per thread (default 20000000); one op =\n"
	"          one replacement = free of the slot's block + malloc\n"
	"  SEED    PRNG seed for the size and slot tables (default 42)\n"
	"Sizes: glibc's inverse-square law over [4, 32768] bytes.  ops/s is the\n"
	"total.  Last line: RESULT name=malloc_thread ... extra: threads=N\n";

static unsigned sizes[SIZES], indices[INDICES];

/* glibc's law: the density falls as 1/size^2, so the inverse of the CDF is
 * 1 / (1/min - u (1/min - 1/max)). */
static unsigned inverse_square(struct rng *r)
{
	double u = (double)(rng_next(r) >> 11) / (double)(1ull << 53);
	return (unsigned)(1.0 / (1.0 / MIN_SIZE - u * (1.0 / MIN_SIZE - 1.0 / MAX_SIZE)));
}

static void fill_tables(uint64_t seed)
{
	struct rng r = rng_make(seed, 0);
	for (unsigned i = 0; i < SIZES; i++)
		sizes[i] = inverse_square(&r);
	for (unsigned i = 0; i < INDICES; i++)
		indices[i] = (unsigned)rng_range(&r, 0, SLOTS - 1);
}

static uint64_t release(unsigned char *p)
{
	uint64_t v = p ? *p : 0;
	free(p);
	return v;
}

static void *worker_main(void *arg)
{
	struct bench_worker *w = arg;
	unsigned char *slot[SLOTS] = { 0 };
	uint64_t sum = 0, start = w->index * 997; /* threads walk the tables out of step */
	bench_gate_wait();
	for (uint64_t i = 0; i < w->cycles; i++) {
		unsigned char **s = &slot[indices[(start + i) % INDICES]];
		sum += release(*s);
		*s = bench_malloc(sizes[(start + i) % SIZES]);
		**s = (unsigned char)i;
	}
	bench_gate_wait();
	for (unsigned i = 0; i < SLOTS; i++)
		sum += release(slot[i]);
	w->sum = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	int threads = arg_u64(argc, argv, 1, 1, 1, 1024, "THREADS", usage);
	uint64_t cycles = arg_u64(argc, argv, 2, 20000000, 1, UINT64_MAX / 2048, "CYCLES", usage);
	uint64_t seed = arg_u64(argc, argv, 3, 42, 0, UINT64_MAX, "SEED", usage);

	printf("bench_malloc_thread: threads=%d cycles/thread=%" PRIu64 " slots/thread=%d seed=%" PRIu64
	       " size=%.0f..%.0f (inverse square)\n",
	       threads, cycles, SLOTS, seed, MIN_SIZE, MAX_SIZE);
	fill_tables(seed);
	bench_run_workers("malloc_thread", threads, worker_main, (struct bench_worker){ .cycles = cycles }, usage);
	return 0;
}
