/*
 * hk_queue.h — a bounded blocking FIFO of blocks between test threads
 * (mutex + condvars, no allocation), and the self-describing block format
 * the stress tests pass around: a header with the size, seed and sender's
 * heap id, then the content pattern; and the loops the stress tests share
 * around them (start n threads and join them; check and free what waits in
 * a queue).
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
