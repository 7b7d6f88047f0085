/*
 * remote.h — blocks freed by a thread that does not own them.  Each heap has
 * one lock-free MPSC queue per class: any thread pushes with a CAS, the owner
 * takes the whole queue with one exchange when it refills that class.
 */
#ifndef HK_REMOTE_H
#define HK_REMOTE_H

#include "heap.h"

/* Queue block b (class cls) to owner; returns the queue depth after the push. */
long hk_remote_push(struct hk_heap *owner, unsigned cls, struct hk_block *b);
/* Take everything queued for class cls; *n gets the count, *depth_before the
 * queue's depth counter when taken. */
struct hk_block *hk_remote_take(struct hk_heap *h, unsigned cls, unsigned *n, long *depth_before);

static inline int hk_remote_pending(const struct hk_heap *h, unsigned cls)
{
	return __atomic_load_n(&h->remote[cls].head, __ATOMIC_RELAXED) != NULL;
}

#endif
