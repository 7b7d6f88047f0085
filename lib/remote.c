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

static void flush(struct hk_heap *h, unsigned slot)
{
	struct hk_remote_batch *bt = &h->batch[slot];
	int tier = hk_class_tier(bt->cls);
	long depth = push_chain(bt->owner, bt->cls, bt->head, bt->tail, bt->n);
	h->counters.remote_frees[tier] += bt->n;
	if (HK_PROBE_ACTIVE(remote_push)) { /* one event per block, as if pushed one by one */
		long tid = __atomic_load_n(&bt->owner->tid, __ATOMIC_RELAXED);
		for (long d = depth - bt->n + 1; d <= depth; d++)
			hk_probe_remote_push(tier, bt->cls, tid, d);
	}
	bt->owner = NULL;
	bt->n = 0;
	h->batch_used &= ~(1u << slot);
}

static unsigned slot_of(const struct hk_heap *owner, unsigned cls)
{
	uintptr_t x = ((uintptr_t)owner >> 6) ^ cls;
	return (unsigned)(x ^ (x >> 3)) % HK_REMOTE_BATCH_SLOTS;
}

void hk_remote_free(struct hk_heap *h, struct hk_heap *owner, unsigned cls, struct hk_block *b)
{
	unsigned slot = slot_of(owner, cls);
	struct hk_remote_batch *bt = &h->batch[slot];
	if (bt->owner && (bt->owner != owner || bt->cls != cls))
		flush(h, slot);
	b->key = hk_free_key;
	b->next = bt->head;
	if (!bt->owner) {
		*bt = (struct hk_remote_batch){.owner = owner, .cls = cls, .tail = b};
		h->batch_used |= 1u << slot;
	}
	bt->head = b;
	if (++bt->n == HK_REMOTE_BATCH_MAX)
		flush(h, slot);
}

void hk_remote_flush_all(struct hk_heap *h)
{
	while (h->batch_used)
		flush(h, (unsigned)__builtin_ctz(h->batch_used));
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
