/*
 * alloc.c — malloc.  The fast path is: size -> class by table lookup, pop the
 * thread's free list, return.  No probe, lock, atomic or syscall on it; all of
 * that lives in the out-of-line slow path, where every probe of a small
 * allocation fires at exactly one site.
 */
#include <errno.h>
#include "api.h"
#include "heap.h"
#include "large.h"
#include "oom.h"
#include "pool.h"
#include "probe_time.h"
#include "reclaim.h"
#include "remote.h"
#include "tiny.h"

/* pulls api.o in with this file from libhakmem.a (see api.h) */
static const char *const link_api __attribute__((used)) = &hk_api_linked;

void *hk_alloc(size_t n)
{
	struct hk_heap *h = hk_tl_heap;
	if (__builtin_expect(n <= HK_POOL_MAX, 1)) {
		struct hk_block **head = hk_free_head(h, hk_size_class(n));
		if (__builtin_expect(*head != NULL, 1))
			return hk_free_head_pop(head);
	}
	return hk_alloc_slow(n);
}
HK_EXPORT void *HK_API(malloc)(size_t n) __attribute__((alias("hk_alloc")));

/* Blocks per refill: a page of tiny blocks, 16 KiB of pool blocks.  Carving
 * touches every block (pool blocks: their headers), and carved blocks serve
 * their class only (cross-thread pc carves 6.5 k tiny blocks instead of 6.8 k
 * with 8 KiB; sleep(1) touches 228 KiB of pool arena with 64 KiB batches).
 * A pool class carves no more than the heap holds of it already (one block
 * first, then doubling): most of a program's pool classes see a block or
 * two, and their batches would each touch pages of their own. */
static unsigned refill_batch(const struct hk_heap *h, unsigned cls)
{
	unsigned n = (cls < HK_TINY_CLASSES ? 4096u : 16384u) / hk_class_stride[cls];
	n = n > 2 ? n : 2; /* tiny: 4..256; pool: 2..12, a block over 8 KiB goes in pairs */
	if (cls < HK_TINY_CLASSES || h->carved[cls] >= n)
		return n;
	return h->carved[cls] ? (unsigned)h->carved[cls] : 1;
}

/* One refill of cls's list, between the refill probes: from its remote
 * queue when blocks wait there, else carved. */
static void fill(struct hk_heap *h, unsigned cls)
{
	int tier = hk_class_tier(cls), source = HK_SRC_REMOTE;
	unsigned want = refill_batch(h, cls), got = 0;
	struct hk_block *list;
	hk_probe_refill_start(tier, cls, want);
	uint64_t t0 = hk_probe_t0(HK_PROBE_ACTIVE(refill_done));
	if (hk_remote_pending(h, cls))
		list = hk_remote_drain(h, cls, &got);
	else if (tier == HK_TIER_TINY)
		list = hk_tiny_carve(h, cls, want, &got, &source);
	else
		list = hk_pool_carve(h, cls, want, &got, &source);
	h->counters.refills[tier]++;
	h->counters.refill_blocks[tier] += got;
	hk_probe_refill_done(tier, cls, got, source, hk_probe_ns(t0));
	/* a reclaim while carving may have drained blocks of cls already */
	hk_free_list_join(h, cls, list);
}

/* A tiny class whose blocks come back from other threads runs dry while
 * they are away: in a consumer's ring, in its chains (remote.c).  Carved
 * blocks serve their class for good, so a class carves for the highest
 * count it ever had away, and the classes' highs do not come at once:
 * one is high while its neighbour is low and holds blocks it does not
 * need.  So a plain malloc takes a free block of the next class up (16 to
 * 64 bytes bigger: malloc_usable_size says so) before it carves; freed, the
 * block goes back to its own class.  Cross-thread pc (16..1024 B through a
 * 4096-slot ring, 24 classes): peak RSS 4,744 KiB, not 4,936 (medians of
 * 9), for 1.3 % more instructions.  Aligned allocations need their own
 * class's stride (exact). */
static struct hk_block **borrow(struct hk_heap *h, unsigned cls)
{
	unsigned up = cls + 1;
	if (up >= HK_TINY_CLASSES || !(h->remote_fed & (1ull << cls)))
		return NULL;
	if (!h->free[up] && hk_remote_pending(h, up))
		fill(h, up); /* a refill of up from its queue, as its own would be */
	return h->free[up] ? &h->free[up] : NULL;
}

/* The list to take a block of class cls from (its own, or the next one up
 * when not exact), or NULL when out of memory. */
static struct hk_block **refill(struct hk_heap *h, unsigned cls, int exact)
{
	if (HK_PROBE_ACTIVE(remote_push))
		hk_heap_tid(h); /* so that frees by other threads can name this owner */
	hk_remote_flush_all(h); /* our own outgoing remote frees wait no longer */
	if (hk_reclaim_for_others_due(h, cls)) {
		hk_reclaim_for_others(h);
		if (h->free[cls]) /* its drain refilled the class */
			return &h->free[cls];
	}
	struct hk_block **up;
	if (!exact && !hk_remote_pending(h, cls) && (up = borrow(h, cls)))
		return up;
	fill(h, cls);
	return h->free[cls] ? &h->free[cls] : NULL;
}

static struct hk_block *pop_or_refill(unsigned cls, int exact)
{
	struct hk_heap *h = hk_heap_current();
	if (!h && !(h = hk_heap_acquire(NULL)))
		return NULL;
	if (h->free[cls])
		return hk_free_list_pop(h, cls);
	struct hk_block **head = refill(h, cls, exact);
	return head ? hk_free_head_pop(head) : NULL;
}

/* exact: the block must be of class cls (aligned allocations); else it may
 * be of the next class up (borrow). */
static void *alloc_class(unsigned cls, size_t n, int exact)
{
	uint64_t bit = 1ull << cls;
	if (__builtin_expect(hk_tl_cold & bit, 1)) {
		void *p = HK_OOM_RETRY(pop_or_refill(cls, exact));
		if (!p)
			errno = ENOMEM;
		return p;
	}
	/* the thread's first slow path for this class: a cold start */
	int tier = hk_class_tier(cls);
	hk_probe_cold_start(tier, cls, (long)n);
	uint64_t t0 = hk_probe_t0(HK_PROBE_ACTIVE(cold_done));
	void *p = HK_OOM_RETRY(pop_or_refill(cls, exact));
	if (p) {
		hk_tl_cold |= bit;
		hk_tl_heap->counters.cold_starts[tier]++;
	} else {
		errno = ENOMEM;
	}
	hk_probe_cold_done(tier, cls, (long)p, hk_probe_ns(t0));
	return p;
}

void *hk_alloc_slow(size_t n)
{
	hk_init();
	if (n <= HK_POOL_MAX)
		return alloc_class(hk_size_class(n), n, 0);
	void *p = HK_OOM_RETRY(hk_large_alloc(n, 0, NULL));
	if (!p)
		errno = ENOMEM;
	return p;
}

void *hk_alloc_class(unsigned cls, size_t n)
{
	return alloc_class(cls, n, 1);
}
