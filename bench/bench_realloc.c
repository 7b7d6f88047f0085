/*
 * bench_realloc — realloc-heavy buffers that grow across every tier.
 *
 * BUFS buffers start at 16 B.  Each cycle picks a random buffer and either
 * grows it by a random step in [1, size/2 + 64] bytes (7 times in 8) or
 * shrinks it to a random size in [size/4, size] (1 time in 8), like string
 * builders and vectors do.  A buffer that would grow past MAX is freed and
 * restarted with malloc(16).  One op == one cycle == one realloc call (or,
 * for a restart, one free + malloc).
 *
 * Every realloc is checked: the first word and, when growing, the old last
 * word must survive the move; a mismatch is reported and exits 1.
 */
#include "bench_common.h"

#define BUFS 16
#define START_SIZE 16

static const char usage[] =
	"usage: bench_realloc [CYCLES [SEED [MAX]]]\n"
	"  CYCLES  realloc calls (default 500000); one op = one cycle = one\n"
	"          realloc (or a free + malloc(16) restart at MAX)\n"
	"  SEED    PRNG seed (default 42)\n"
	"  MAX     largest buffer in bytes before a restart (default 1048576)\n"
	"16 buffers grow by random steps (7/8) or shrink (1/8).  Last line:\n"
	"RESULT name=realloc ... extra: restarts=N\n";

struct buf {
	unsigned char *p;
	size_t size;
	uint64_t head; /* what the first word must hold */
};

static size_t next_size(struct rng *r, size_t size)
{
	if (rng_range(r, 0, 7) == 0)
		return rng_range(r, size / 4 > START_SIZE ? size / 4 : START_SIZE, size);
	return size + rng_range(r, 1, size / 2 + 64);
}

static void check(const struct buf *b, uint64_t want_tail, size_t old_size)
{
	uint64_t head, tail = want_tail;
	memcpy(&head, b->p, sizeof(head));
	if (b->size >= old_size) /* the old last word is still inside */
		memcpy(&tail, b->p + old_size - sizeof(tail), sizeof(tail));
	if (head == b->head && tail == want_tail)
		return;
	fprintf(stderr, "error: realloc %zu -> %zu lost the buffer's contents\n", old_size, b->size);
	exit(1);
}

static void restart(struct buf *b, uint64_t tag)
{
	free(b->p);
	b->size = START_SIZE;
	b->p = bench_malloc(START_SIZE);
	b->head = tag;
	block_stamp(b->p, b->size, tag);
}

/* One cycle on one buffer; returns 1 when it restarted. */
static int step(struct buf *b, struct rng *r, size_t max, uint64_t tag)
{
	size_t want = next_size(r, b->size);
	if (want > max) {
		restart(b, tag);
		return 1;
	}
	size_t old = b->size;
	uint64_t tail;
	memcpy(&tail, b->p + old - sizeof(tail), sizeof(tail));
	unsigned char *p = realloc(b->p, want);
	if (!p) {
		fprintf(stderr, "error: realloc(%zu) failed\n", want);
		exit(1);
	}
	b->p = p;
	b->size = want;
	check(b, tail, old);
	memcpy(b->p + want - sizeof(tag), &tag, sizeof(tag)); /* new last word */
	return 0;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	uint64_t cycles = arg_u64(argc, argv, 1, 500000, 1, UINT64_MAX / 2, "CYCLES", usage);
	uint64_t seed = arg_u64(argc, argv, 2, 42, 0, UINT64_MAX, "SEED", usage);
	size_t max = arg_u64(argc, argv, 3, 1u << 20, 64, 1ull << 32, "MAX", usage);
	printf("bench_realloc: cycles=%" PRIu64 " seed=%" PRIu64 " bufs=%d size=%d..%zu\n", cycles, seed, BUFS,
	       START_SIZE, max);

	struct buf bufs[BUFS] = { 0 };
	struct rng r = rng_make(seed, 0);
	for (int i = 0; i < BUFS; i++)
		restart(&bufs[i], (uint64_t)i);

	uint64_t restarts = 0;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < cycles; i++)
		restarts += step(&bufs[rng_range(&r, 0, BUFS - 1)], &r, max, i);
	uint64_t elapsed = now_ns() - t0;

	uint64_t sum = 0;
	for (int i = 0; i < BUFS; i++) {
		sum += block_read(bufs[i].p, bufs[i].size);
		free(bufs[i].p);
	}
	char extra[48];
	snprintf(extra, sizeof(extra), "restarts=%" PRIu64, restarts);
	bench_report("realloc", cycles, elapsed, sum, extra);
	return 0;
}
