/* remote.c — the per-class remote-free queues (see remote.h). */
#include "remote.h"

long hk_remote_push(struct hk_heap *owner, unsigned cls, struct hk_block *b)
{
	struct hk_remote_queue *q = &owner->remote[cls];
	/* count first: the depth counter never runs below the blocks queued */
	long depth = __atomic_add_fetch(&q->depth, 1, __ATOMIC_RELAXED);
	struct hk_block *head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	do {
		b->next = head;
	} while (!__atomic_compare_exchange_n(&q->head, &head, b, 1, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return depth;
}

struct hk_block *hk_remote_take(struct hk_heap *h, unsigned cls, unsigned *n, long *depth_before)
{
	struct hk_remote_queue *q = &h->remote[cls];
	struct hk_block *list = __atomic_exchange_n(&q->head, NULL, __ATOMIC_ACQUIRE);
	unsigned count = 0;
	for (struct hk_block *b = list; b; b = b->next)
		count++;
	*depth_before = __atomic_fetch_sub(&q->depth, (long)count, __ATOMIC_RELAXED);
	*n = count;
	return list;
}
