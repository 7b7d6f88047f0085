/*
 * hk_queue.h — a bounded blocking FIFO of blocks between test threads
 * (mutex + condvars, no allocation), and the self-describing block format
 * the stress tests pass around: a header with the size, seed and sender's
 * heap id, then the content pattern; and the loops the stress tests share
 * around them (start n threads and join them; check and free what waits in
 * a queue; pass half of a round's blocks on).
 */
#ifndef HK_QUEUE_H
#define HK_QUEUE_H

#include <pthread.h>

#include "hk_test.h"

#define HK_QCAP 1024

struct hk_block_hdr {
	size_t size;
	uint64_t seed;
	uint64_t owner;
};

struct hk_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	void *items[HK_QCAP];
	unsigned head, tail; /* tail - head == number queued */
};

static inline void hk_queue_init(struct hk_queue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	q->head = q->tail = 0;
}

/* Blocking push when wait != 0; otherwise returns 0 when full. */
static inline int hk_queue_push(struct hk_queue *q, void *p, int wait)
{
	pthread_mutex_lock(&q->mu);
	while (q->tail - q->head == HK_QCAP) {
		if (!wait) {
			pthread_mutex_unlock(&q->mu);
			return 0;
		}
		pthread_cond_wait(&q->not_full, &q->mu);
	}
	q->items[q->tail++ % HK_QCAP] = p;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
	return 1;
}

/* Blocking pop when wait != 0; otherwise NULL when empty. */
static inline void *hk_queue_pop(struct hk_queue *q, int wait)
{
	pthread_mutex_lock(&q->mu);
	while (q->tail == q->head) {
		if (!wait) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		pthread_cond_wait(&q->not_empty, &q->mu);
	}
	void *p = q->items[q->head++ % HK_QCAP];
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return p;
}

/* Sizes for cross-thread traffic: mostly tiny, a third pool, a few large:
 * runs (to 1 MiB) and, 1 in 500, spans (to 3 MiB, across a chunk edge). */
static inline size_t hk_stress_size(uint64_t *rng)
{
	unsigned r = hk_rand(rng) % 1000;
	size_t n = r < 600 ? hk_rand_range(rng, 1, HK_TINY_MAX)
		 : r < 970 ? hk_rand_range(rng, HK_TINY_MAX + 1, HK_POOL_MAX)
		 : r < 998 ? hk_rand_range(rng, HK_POOL_MAX + 1, 1024 * 1024)
			   : hk_rand_range(rng, 1024 * 1024 + 1, 3 * 1024 * 1024);
	return n < sizeof(struct hk_block_hdr) ? sizeof(struct hk_block_hdr) : n;
}

static inline void *hk_block_new(size_t n, uint64_t seed)
{
	struct hk_block_hdr *h = malloc(n);
	HK_CHECK(h != NULL, "malloc(%zu) returned NULL", n);
	h->size = n;
	h->seed = seed;
	h->owner = hakmem_heap_id();
	hk_fill(h + 1, n - sizeof(*h), seed);
	return h;
}

/* n blocks of min..max bytes (random), each its own seed, into out. */
static inline void hk_blocks_new(void **out, long n, size_t min, size_t max, uint64_t *rng)
{
	for (long i = 0; i < n; i++)
		out[i] = hk_block_new(hk_rand_range(rng, min, max), hk_rand(rng));
}

/* Verify a block from another thread: content, and — while the sender is
 * alive (owner_alive), since an exiting thread may hand its blocks over —
 * that hakmem still says the sender's heap owns it (tiny and pool). */
static inline void hk_block_check(const void *p, const char *ctx, int owner_alive)
{
	const struct hk_block_hdr *h = p;
	HK_CHECK_PATTERN(h + 1, h->size - sizeof(*h), h->seed, ctx);
	struct hakmem_ptr_info info;
	HK_CHECK(hakmem_ptr_info(p, &info) == 0, "%s: ptr_info(%p) unknown", ctx, p);
	HK_CHECK(info.usable >= h->size, "%s: usable %zu < %zu", ctx, info.usable, h->size);
	HK_CHECK(!owner_alive || info.tier == 2 || info.owner == h->owner, "%s: %p owner %" PRIx64 ", allocated by heap %" PRIx64,
		 ctx, p, info.owner, h->owner);
}

/* Run fn in n threads, thread i getting (void *)i, and wait for them all. */
static inline void hk_run_threads(int n, void *(*fn)(void *))
{
	pthread_t t[n];
	for (int i = 0; i < n; i++)
		HK_CHECK(pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i) == 0, "pthread_create");
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* Rounds in which threads pass half their blocks on (stress_reclaim,
 * stress_phases): thread me of threads puts the first half of its n blocks
 * in handoff[me]; once every thread has, it checks and frees the half the
 * thread before it left, then the half it kept.  The second barrier keeps a
 * sender from refilling handoff[me] before its receiver is done with it. */
struct hk_handoff {
	void **slot[64];
	int threads;
	pthread_barrier_t sent, checked;
};

static inline void hk_handoff_init(struct hk_handoff *ho, int threads, long most)
{
	HK_CHECK(threads <= 64, "%d threads", threads);
	ho->threads = threads;
	pthread_barrier_init(&ho->sent, NULL, (unsigned)threads);
	pthread_barrier_init(&ho->checked, NULL, (unsigned)threads);
	for (int t = 0; t < threads; t++) {
		ho->slot[t] = calloc((size_t)most, sizeof(void *));
		HK_CHECK(ho->slot[t] != NULL, "calloc");
	}
}

static inline void hk_handoff_round(struct hk_handoff *ho, int me, void **mine, long n)
{
	memcpy(ho->slot[me], mine, (size_t)(n / 2) * sizeof(void *));
	pthread_barrier_wait(&ho->sent);
	void **in = ho->slot[(me + ho->threads - 1) % ho->threads];
	for (long i = 0; i < n / 2; i++) {
		hk_block_check(in[i], "received", 1);
		free(in[i]);
	}
	for (long i = n / 2; i < n; i++) {
		hk_block_check(mine[i], "kept", 1);
		free(mine[i]);
	}
	pthread_barrier_wait(&ho->checked);
}

/* Check (hk_block_check) and free every block waiting in q, without
 * waiting for more. */
static inline void hk_queue_free_all(struct hk_queue *q, const char *ctx, int owner_alive)
{
	for (void *p; (p = hk_queue_pop(q, 0)) != NULL;) {
		hk_block_check(p, ctx, owner_alive);
		free(p);
	}
}

#endif
