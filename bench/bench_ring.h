/*
 * bench_ring.h — a bounded single-producer/single-consumer ring of block
 * pointers, used to hand blocks from the thread that allocated them to the
 * thread that frees them.  Lock-free: the producer owns tail, the consumer
 * owns head; release/acquire on those indices publishes the block's
 * contents together with the pointer.
 */
#ifndef BENCH_RING_H
#define BENCH_RING_H

#include <sched.h>
#include <stdatomic.h>

#include "bench_common.h"

#define RING_SLOTS 4096u /* power of two */

struct ring_item {
	void *p;
	size_t size;
};

/* Each side keeps a private copy of the other side's index and re-reads
 * the shared one only when the copy says full/empty: the index cache lines
 * then bounce once per batch instead of once per block. */
struct ring {
	_Alignas(64) _Atomic uint64_t head; /* next index to pop */
	uint64_t tail_seen; /* consumer's copy of tail */
	_Alignas(64) _Atomic uint64_t tail; /* next index to push */
	uint64_t head_seen; /* producer's copy of head */
	_Alignas(64) struct ring_item items[RING_SLOTS];
};

static inline struct ring *ring_new(void)
{
	struct ring *r = aligned_alloc(64, sizeof(struct ring));
	if (!r) {
		fprintf(stderr, "error: cannot allocate ring\n");
		exit(1);
	}
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->tail_seen = r->head_seen = 0;
	return r;
}

static inline int ring_push(struct ring *r, void *p, size_t size)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (tail - r->head_seen == RING_SLOTS) {
		r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail - r->head_seen == RING_SLOTS)
			return 0;
	}
	r->items[tail & (RING_SLOTS - 1)] = (struct ring_item){ .p = p, .size = size };
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return 1;
}

static inline int ring_pop(struct ring *r, struct ring_item *out)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (head == r->tail_seen) {
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (head == r->tail_seen)
			return 0;
	}
	*out = r->items[head & (RING_SLOTS - 1)];
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return 1;
}

/* Blocks in the ring as its producer sees it (the consumer may have taken
 * some since). */
static inline uint64_t ring_fill(struct ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_relaxed) -
	       atomic_load_explicit(&r->head, memory_order_relaxed);
}

/* Back off while a ring is full or empty: spin briefly, then give the core
 * away (there may be more threads than cores). */
static inline void ring_backoff(unsigned *spins)
{
	if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	*spins = 0;
	sched_yield();
}

#endif
