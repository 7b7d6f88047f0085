/*
 * bench_thread_churn — short-lived threads passing blocks to each other, the
 * pattern of mimalloc's test-stress (mimalloc-bench's mstress), our own code.
 *
 * ROUNDS times, THREADS fresh threads run at once and exit.  Thread i makes
 * SCALE * 100 * (i % 8 + 1) allocations it may free and half as many it keeps
 * till it exits, in random order.  After each allocation it frees one of its
 * blocks at random 2 times in 3, and 1 time in 4 swaps one with a random
 * slot of a shared array of 1000: the block found there (left by any thread,
 * of this round or an earlier one) becomes its own.  Sizes are 16 B times a
 * power of two (up to 256 B, 1 KiB for the kept ones), 1 in 100 of them
 * 100 times that, and 1 in 10 of those 1000 times instead.  What the shared
 * array holds at the end is freed by the main thread.
 *
 * Every block is written whole, stamped with its size at both ends and
 * checked when freed.
 * One op == one malloc (and, by the end, its free); ops/s counts the thread
 * starts and exits in the wall time.
 */
#include <stdatomic.h>

#include "bench_common.h"

#define TRANSFERS 1000

static const char usage[] =
	"usage: bench_thread_churn [THREADS [ROUNDS [SCALE [SEED]]]]\n"
	"  THREADS threads started together in each round (default 4)\n"
	"  ROUNDS  rounds of fresh threads (default 50)\n"
	"  SCALE   thread i allocates SCALE * 100 * (i % 8 + 1) blocks, and\n"
	"          half as many it keeps to its end (default 50)\n"
	"  SEED    PRNG seed; each thread of each round its own stream (default 42)\n"
	"Sizes 16 B * 2^k, 1 in 100 of them x100, 1 in 1000 x1000.  Last line:\n"
	"RESULT name=thread_churn ... extra: threads=N rounds=N\n";

static _Atomic(unsigned char *) transfer[TRANSFERS];

struct churner {
	uint64_t allocs, seed, stream;
	uint64_t ops, sum;
	char pad[64];
};

/* 16 B << (a random shift below shifts), now and then 100 or 1000 times more. */
static size_t pick_size(struct rng *r, unsigned shifts)
{
	size_t size = (size_t)16 << rng_range(r, 0, shifts - 1);
	if (rng_range(r, 0, 99))
		return size;
	return size * (rng_range(r, 0, 9) ? 100 : 1000);
}

static unsigned char *alloc_block(struct rng *r, unsigned shifts)
{
	size_t size = pick_size(r, shifts);
	unsigned char *p = bench_malloc(size);
	memset(p, 0x5a, size); /* written whole, as test-stress does: the peak RSS counts every byte */
	block_stamp(p, size, size);
	memcpy(p + sizeof(uint64_t), &size, sizeof(size)); /* where the size is read back from */
	return p;
}

/* Check a block's stamps against the size it carries, then free it. */
static uint64_t free_block(unsigned char *p)
{
	if (!p)
		return 0;
	size_t size;
	memcpy(&size, p + sizeof(uint64_t), sizeof(size));
	uint64_t sum = block_read(p, size);
	if (sum != 2 * (uint64_t)size) {
		fprintf(stderr, "error: a %zu-byte block lost its stamps\n", size);
		exit(1);
	}
	free(p);
	return sum;
}

static void *churn(void *arg)
{
	struct churner *c = arg;
	struct rng r = rng_make(c->seed, c->stream);
	uint64_t allocs = c->allocs, keep = allocs / 2, top = 0, kept = 0;
	unsigned char **data = bench_malloc(allocs * sizeof(*data));
	unsigned char **retained = bench_malloc(keep * sizeof(*retained));
	while (allocs || kept < keep) {
		if (kept == keep || (allocs && rng_range(&r, 0, 1))) {
			data[top++] = alloc_block(&r, 5);
			allocs--;
		} else {
			retained[kept++] = alloc_block(&r, 7);
		}
		c->ops++;
		if (top && rng_range(&r, 0, 2)) {
			uint64_t i = rng_range(&r, 0, top - 1);
			c->sum += free_block(data[i]);
			data[i] = NULL;
		}
		if (top && !rng_range(&r, 0, 3)) {
			uint64_t i = rng_range(&r, 0, top - 1);
			data[i] = atomic_exchange(&transfer[rng_range(&r, 0, TRANSFERS - 1)], data[i]);
		}
	}
	for (uint64_t i = 0; i < kept; i++)
		c->sum += free_block(retained[i]);
	for (uint64_t i = 0; i < top; i++)
		c->sum += free_block(data[i]);
	free(retained);
	free(data);
	return NULL;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	int threads = (int)arg_u64(argc, argv, 1, 4, 1, 256, "THREADS", usage);
	uint64_t rounds = arg_u64(argc, argv, 2, 50, 1, 1000000, "ROUNDS", usage);
	uint64_t scale = arg_u64(argc, argv, 3, 50, 1, 100000, "SCALE", usage);
	uint64_t seed = arg_u64(argc, argv, 4, 42, 0, UINT64_MAX, "SEED", usage);
	printf("bench_thread_churn: threads=%d rounds=%" PRIu64 " scale=%" PRIu64 " seed=%" PRIu64 "\n", threads,
	       rounds, scale, seed);

	struct churner *c = calloc((size_t)threads, sizeof(*c));
	pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
	if (!c || !tids)
		bench_die(usage, "out of memory");
	uint64_t ops = 0, sum = 0;
	uint64_t t0 = now_ns();
	for (uint64_t round = 0; round < rounds; round++) {
		for (int i = 0; i < threads; i++) {
			c[i] = (struct churner){ .allocs = scale * 100 * (uint64_t)(i % 8 + 1), .seed = seed,
						 .stream = round * (uint64_t)threads + (uint64_t)i };
			bench_thread_start(&tids[i], churn, &c[i]);
		}
		for (int i = 0; i < threads; i++) {
			bench_thread_join(tids[i]);
			ops += c[i].ops;
			sum += c[i].sum;
		}
	}
	for (int i = 0; i < TRANSFERS; i++)
		sum += free_block(atomic_exchange(&transfer[i], NULL));
	uint64_t elapsed = now_ns() - t0;
	free(tids);
	free(c);
	char extra[48];
	snprintf(extra, sizeof(extra), "threads=%d rounds=%" PRIu64, threads, rounds);
	bench_report("thread_churn", ops, elapsed, sum, extra);
	return 0;
}
