/*
 * realloc under cross-thread traffic: four threads grow and shrink buffers
 * by random steps through every tier (tiny, pool, spans that grow in place
 * past 52 KiB), checking the content at every step, and hand each
 * buffer that outgrows 1.5 MiB, and one step in 64 any buffer, to the next
 * thread, which checks and frees it: grown blocks of every tier freed by a
 * thread that did not allocate them, while the others grow theirs beside
 * them.
 */
#include "hk_queue.h"

#define THREADS 4
#define BUFS 8
#define MAX_SIZE ((size_t)3 << 19)
#define START_SIZE sizeof(struct hk_block_hdr)

static long steps;
static struct hk_queue inbox[THREADS];
static pthread_barrier_t sent;

/* Grow by up to half (7 times in 8) or shrink to a quarter or more. */
static size_t next_size(uint64_t *rng, size_t n)
{
	if (hk_rand(rng) % 8 == 0)
		return hk_rand_range(rng, n / 4 > START_SIZE ? n / 4 : START_SIZE, n);
	return n + hk_rand_range(rng, 1, n / 2 + 64);
}

/* The buffer's header says its size and seed; the pattern follows it. */
static void resize(struct hk_block_hdr **b, size_t n)
{
	size_t old = (*b)->size;
	uint64_t seed = (*b)->seed;
	struct hk_block_hdr *q = realloc(*b, n);
	HK_CHECK(q != NULL, "realloc(%zu -> %zu) returned NULL", old, n);
	HK_CHECK(q->size == old && q->seed == seed, "realloc(%zu -> %zu) lost the header", old, n);
	HK_CHECK_PREFIX(q + 1, old - sizeof(*q), n - sizeof(*q), seed, "realloc kept");
	q->size = n;
	hk_fill(q + 1, n - sizeof(*q), seed);
	*b = q;
}

/* Hand b to the next thread, or free it here when its inbox is full. */
static void hand_over(int me, struct hk_block_hdr *b)
{
	if (hk_queue_push(&inbox[(me + 1) % THREADS], b, 0))
		return;
	hk_block_check(b, "buffer kept", 0);
	free(b);
}

static void *member(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(me + 1);
	struct hk_block_hdr *bufs[BUFS];
	for (int i = 0; i < BUFS; i++)
		bufs[i] = hk_block_new(START_SIZE, hk_rand(&rng));
	for (long i = 0; i < steps; i++) {
		hk_queue_free_all(&inbox[me], "handed-over buffer", 0);
		struct hk_block_hdr **b = &bufs[hk_rand(&rng) % BUFS];
		size_t n = next_size(&rng, (*b)->size);
		if (n <= MAX_SIZE && hk_rand(&rng) % 64) {
			resize(b, n);
			continue;
		}
		hand_over(me, *b);
		*b = hk_block_new(START_SIZE, hk_rand(&rng));
	}
	pthread_barrier_wait(&sent);
	hk_queue_free_all(&inbox[me], "handed-over buffer", 0);
	for (int i = 0; i < BUFS; i++) {
		hk_block_check(bufs[i], "own buffer", 1);
		free(bufs[i]);
	}
	return NULL;
}

int main(void)
{
	hk_test_begin("stress_realloc", "4 threads grow buffers by realloc and hand them over to be freed");
	steps = hk_scale(100000, 10);
	pthread_barrier_init(&sent, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		hk_queue_init(&inbox[i]);
	hk_run_threads(THREADS, member);
	printf("%d threads x %ld reallocs\n", THREADS, steps);
	hk_pass("every buffer kept its content through realloc and hand-over");
	return 0;
}
