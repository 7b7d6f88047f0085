/*
 * remote.h — blocks freed by a thread that does not own them.  Each heap has
 * one lock-free MPSC queue per class: a freeing thread gathers up to
 * HK_REMOTE_BATCH_MAX blocks (at most 16 KiB) of a class for one owner in its
 * own heap and pushes the chain with one CAS; the owner takes the whole
 * queue with one exchange when it refills that class.  Chains are pushed
 * when full, when a block of another owner arrives in that class, when the
 * freeing thread refills, and when it exits.
 */
#ifndef HK_REMOTE_H
#define HK_REMOTE_H

#include "heap.h"

/* A chain is pushed once it holds HK_REMOTE_BATCH_MAX blocks or 16 KiB: its
 * blocks are memory neither thread can hand out until it is pushed, and a
 * freeing thread holds a chain per class: 31 blocks of each pool class
 * could strand 10 MiB in a thread that then goes idle, 16 KiB a class at most
 * 0.6 MiB (a bigger block is pushed alone).  A tighter bound (4 KiB) saved
 * cross-thread pc 3 % of its peak RSS but cost it a quarter of its speed. */
#define HK_REMOTE_CHAIN_BYTES 16384u

static inline int hk_remote_chain_full(unsigned cls, unsigned n)
{
	return n == HK_REMOTE_BATCH_MAX || n * hk_class_stride[cls] >= HK_REMOTE_CHAIN_BYTES;
}

/* Push h's chain of class cls (not empty) to its owner's queue. */
void hk_remote_chain_push(struct hk_heap *h, unsigned cls);
/* Block b starts h's chain of class cls for owner, once the chain held
 * there for another owner, if any, is pushed. */
void hk_remote_chain_start(struct hk_heap *h, struct hk_heap *owner, unsigned cls, struct hk_block *b);

/* Block b of class cls, owned by owner, freed by the thread of heap h (not
 * hk_heap_none).  Inline: every block of a cross-thread producer-consumer
 * pair is freed here, and free() reaches it with the block's segment and
 * class already in hand. */
static inline void hk_remote_free(struct hk_heap *h, struct hk_heap *owner, unsigned cls, struct hk_block *b)
{
	struct hk_remote_batch *bt = &h->batch[cls];
	if (__builtin_expect(bt->owner != owner, 0)) {
		hk_remote_chain_start(h, owner, cls, b);
		return;
	}
	b->key = hk_free_key;
	b->next = bt->head;
	bt->head = b;
	if (hk_remote_chain_full(cls, ++bt->n))
		hk_remote_chain_push(h, cls);
}
/* Push every batch h holds. */
void hk_remote_flush_all(struct hk_heap *h);
/* Take everything queued for class cls; *n gets the count, *depth_before the
 * queue's depth counter when taken. */
struct hk_block *hk_remote_take(struct hk_heap *h, unsigned cls, unsigned *n, long *depth_before);

/* hk_remote_take, counted and traced as the owner's drain. */
struct hk_block *hk_remote_drain(struct hk_heap *h, unsigned cls, unsigned *n);

static inline int hk_remote_pending(const struct hk_heap *h, unsigned cls)
{
	return __atomic_load_n(&h->remote[cls].head, __ATOMIC_RELAXED) != 0;
}

#endif
