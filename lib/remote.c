/* remote.c — batched remote frees and the per-class MPSC queues (see remote.h). */
#include "remote.h"

/* Push the chain head..tail of n blocks; returns the queue depth after it. */
static long push_chain(struct hk_heap *owner, unsigned cls, struct hk_block *head,
		       struct hk_block *tail, unsigned n)
{
	struct hk_remote_queue *q = &owner->remote[cls];
	/* count first: the depth counter never runs below the blocks queued */
	long depth = __atomic_add_fetch(&q->depth, (long)n, __ATOMIC_RELAXED);
	struct hk_block *old = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	do {
		tail->next = old;
	} while (!__atomic_compare_exchange_n(&q->head, &old, head, 1, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return depth;
}

__attribute__((noinline)) static void flush(struct hk_heap *h, unsigned cls)
{
	struct hk_remote_batch *bt = &h->batch[cls];
	int tier = hk_class_tier(cls);
	long depth = push_chain(bt->owner, cls, bt->head, bt->tail, bt->n);
	h->counters.remote_frees[tier] += bt->n;
	h->counters.remote_pushes[tier]++;
	hk_probe_remote_push(tier, cls, __atomic_load_n(&bt->owner->tid, __ATOMIC_RELAXED), depth,
			     bt->n);
	bt->owner = NULL;
	bt->n = 0;
	h->batch_used &= ~(1ull << cls);
}

/* The first block of a chain, after pushing the chain of another owner. */
__attribute__((noinline)) static void start_chain(struct hk_heap *h, struct hk_heap *owner,
						  unsigned cls, struct hk_block *b)
{
	struct hk_remote_batch *bt = &h->batch[cls];
	if (bt->owner)
		flush(h, cls);
	b->key = hk_free_key;
	b->next = NULL;
	*bt = (struct hk_remote_batch){.owner = owner, .n = 1, .head = b, .tail = b};
	h->batch_used |= 1ull << cls;
}

/* Both calls are tail calls: nothing stays live across them, so the probe's
 * registers in flush() cost the per-block path nothing. */
void hk_remote_free(struct hk_heap *h, struct hk_heap *owner, unsigned cls, struct hk_block *b)
{
	struct hk_remote_batch *bt = &h->batch[cls];
	if (__builtin_expect(bt->owner != owner, 0)) {
		start_chain(h, owner, cls, b);
		return;
	}
	b->key = hk_free_key;
	b->next = bt->head;
	bt->head = b;
	if (++bt->n == HK_REMOTE_BATCH_MAX)
		flush(h, cls);
}

void hk_remote_flush_all(struct hk_heap *h)
{
	while (h->batch_used)
		flush(h, (unsigned)__builtin_ctzll(h->batch_used));
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
