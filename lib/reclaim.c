/* reclaim.c — when a heap reclaims, and which tier gives back (see reclaim.h). */
#include "reclaim.h"
#include "remote.h"

#define RECLAIM_MIN ((size_t)8 << 20)

static size_t carved_bytes(const struct hk_heap *h)
{
	size_t n = 0;
	for (unsigned c = 0; c < HK_CLASSES; c++)
		n += h->carved[c] * hk_class_stride[c];
	return n;
}

int hk_reclaim_due(const struct hk_heap *h)
{
	return carved_bytes(h) >= (h->reclaim_at ? h->reclaim_at : RECLAIM_MIN);
}

/* What other threads freed joins the lists first: a program whose threads
 * pass blocks on, then change sizes, leaves them queued in classes their
 * owners no longer refill (4 threads, seven size bands: 4.6 GB peak). */
static void drain_all(struct hk_heap *h)
{
	for (unsigned c = 0; c < HK_CLASSES; c++) {
		unsigned n;
		if (!hk_remote_pending(h, c))
			continue;
		struct hk_block *list = hk_remote_drain(h, c, &n), *tail = list;
		if (!list)
			continue;
		while (tail->next)
			tail = tail->next;
		tail->next = h->free[c];
		h->free[c] = list;
	}
}

static uint64_t carved_blocks(const struct hk_heap *h)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < HK_CLASSES; c++)
		n += h->carved[c];
	return n;
}

/* The next reclaim is due once the heap has carved another quarter, or as
 * much again after one that walked many free blocks and took under an
 * eighth of them: a program whose free blocks sit among live ones (perl
 * deleting two thirds of a hash) walked its lists at every quarter for
 * nothing, 10 % slower. */
#define WALK_CHEAP 65536 /* free blocks: a walk too short to matter */

static void reclaim(struct hk_heap *h, enum hk_give_back tiny, enum hk_give_back pool)
{
	uint64_t before = carved_blocks(h);
	drain_all(h);
	size_t walked = hk_tiny_reclaim(h, tiny) + hk_pool_reclaim(h, pool);
	h->reclaims++;
	int idle = walked > WALK_CHEAP && before - carved_blocks(h) < walked / 8;
	size_t carved = carved_bytes(h), step = idle ? carved : carved / 4;
	h->reclaim_at = carved + (step > RECLAIM_MIN ? step : RECLAIM_MIN);
}

void hk_reclaim(struct hk_heap *h, int tier)
{
	reclaim(h, tier == HK_TIER_TINY ? HK_KEEP : HK_GIVE_AGED, tier == HK_TIER_POOL ? HK_KEEP : HK_GIVE_AGED);
}

void hk_reclaim_all(struct hk_heap *h)
{
	reclaim(h, HK_GIVE_ALL, HK_GIVE_ALL);
}
