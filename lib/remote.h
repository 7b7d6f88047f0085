/*
 * remote.h — blocks freed by a thread that does not own them.  Each heap has
 * one lock-free MPSC queue per class: a freeing thread gathers up to
 * HK_REMOTE_BATCH_MAX blocks (at most 8 KiB) of a class for one owner in its
 * own heap and pushes the chain with one CAS; the owner takes the whole
 * queue with one exchange when it refills that class.  Chains are pushed
 * when full, when a block of another owner arrives in that class, when the
 * freeing thread refills, and when it exits.
 */
#ifndef HK_REMOTE_H
#define HK_REMOTE_H

#include "heap.h"

/* Block b of class cls, owned by owner, freed by the thread of heap h. */
void hk_remote_free(struct hk_heap *h, struct hk_heap *owner, unsigned cls, struct hk_block *b);
/* Block b of class cls, owned by owner, freed by a thread without a heap
 * (past its exit: hk_tl_exited): pushed alone, counted in the stats. */
void hk_remote_free_one(struct hk_heap *owner, unsigned cls, struct hk_block *b);
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
