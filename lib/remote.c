/* remote.c — batched remote frees and the per-class MPSC queues (see remote.h). */
#include "remote.h"
#include "stats.h"

/* A queue's head word holds the first block and, in the bits above a
 * user-space pointer (the registry assumes 47 bits too), how many blocks the
 * queue holds: the owner then takes the queue without walking it, which
 * would pull every block's line from the freeing thread's cache twice (read
 * now, written when it is handed out).  The count saturates; a saturated
 * queue is walked. */
#define COUNT_SHIFT 48
#define COUNT_MAX ((uintptr_t)0xffff)

static struct hk_block *queue_first(uintptr_t head)
{
	return (struct hk_block *)(head & (((uintptr_t)1 << COUNT_SHIFT) - 1));
}

static uintptr_t queue_count(uintptr_t head)
{
	return head >> COUNT_SHIFT;
}

static uintptr_t queue_head(struct hk_block *first, uintptr_t count)
{
	return (uintptr_t)first | (count < COUNT_MAX ? count : COUNT_MAX) << COUNT_SHIFT;
}

/* Push the chain head..tail of n blocks; returns the queue depth after it. */
static long push_chain(struct hk_heap *owner, unsigned cls, struct hk_block *head,
		       struct hk_block *tail, unsigned n)
{
	struct hk_remote_queue *q = &owner->remote[cls];
	/* count first: the depth counter never runs below the blocks queued */
	long depth = __atomic_add_fetch(&q->depth, (long)n, __ATOMIC_RELAXED);
	uintptr_t old = __atomic_load_n(&q->head, __ATOMIC_RELAXED), new;
	do {
		tail->next = queue_first(old);
		new = queue_head(head, queue_count(old) + n);
	} while (!__atomic_compare_exchange_n(&q->head, &old, new, 1, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return depth;
}

/* Bytes freed to one owner in a row after which its next refill reclaims
 * for others (reclaim.c): a thread that hands blocks on, then goes on in
 * other sizes, leaves them queued, and its own freed blocks in its lists,
 * till a walk it would otherwise not make (4 threads passing blocks on
 * through seven size bands: one heap's 720 MB idle for a round). */
#define ASK_BYTES ((size_t)32 << 20)

static void count_pushed(struct hk_heap *h, struct hk_heap *owner, size_t bytes)
{
	if (owner != h->pushed_to) {
		h->pushed_to = owner;
		h->pushed_bytes = 0;
	}
	h->pushed_bytes += bytes;
	if (h->pushed_bytes < ASK_BYTES)
		return;
	h->pushed_bytes = 0;
	hk_heap_set_asked(owner, 1);
}

/* Push h's chain of class cls; returns the owner's queue depth after it. */
static inline long push_batch(struct hk_heap *h, unsigned cls)
{
	struct hk_remote_batch *bt = &h->batch[cls];
	int tier = hk_class_tier(cls);
	count_pushed(h, bt->owner, (size_t)bt->n * hk_class_stride[cls]);
	long depth = push_chain(bt->owner, cls, bt->head, bt->tail, bt->n);
	h->counters.remote_frees[tier] += bt->n;
	h->counters.remote_pushes[tier]++;
	return depth;
}

static inline void batch_clear(struct hk_heap *h, unsigned cls)
{
	h->batch[cls].owner = NULL;
	h->batch[cls].n = 0;
	h->batch_used &= ~(1ull << cls);
}

/* flush() with the remote_push probe, out of line: flush runs every few
 * remote frees, and the probe's five operands held in registers cost it on
 * every call even with nobody attached (cross-thread pc: +1.6 % instructions
 * in libhakmem). */
__attribute__((noinline, cold)) static void flush_traced(struct hk_heap *h, unsigned cls)
{
	struct hk_remote_batch *bt = &h->batch[cls];
	long owner_tid = __atomic_load_n(&bt->owner->tid, __ATOMIC_RELAXED);
	long blocks = bt->n;
	long depth = push_batch(h, cls);
	hk_probe_remote_push(hk_class_tier(cls), cls, owner_tid, depth, blocks);
	batch_clear(h, cls);
}

__attribute__((noinline)) static void flush(struct hk_heap *h, unsigned cls)
{
	if (HK_PROBE_ACTIVE(remote_push)) {
		flush_traced(h, cls);
		return;
	}
	push_batch(h, cls);
	batch_clear(h, cls);
}

/* A chain is pushed once it holds HK_REMOTE_BATCH_MAX blocks or 8 KiB: its
 * blocks are memory neither thread can hand out until it is pushed, and a
 * freeing thread holds a chain per class: 31 blocks of each pool class
 * could strand 10 MiB in a thread that then goes idle, 8 KiB a class at most
 * 0.25 MiB (a bigger block is pushed alone).  And the owner carves new
 * blocks for a class while its own wait in chains: cross-thread pc (a full
 * ring of 16..1024 B) peaked at 4,988 KiB with 16 KiB chains, 4,924 with 8
 * and 4,892 with 4 (medians of 15), for 124, 127 and 133 instructions per
 * op in libhakmem. */
#define CHAIN_BYTES 8192u

/* Blocks in a full chain of class cls (at least one), set when the chain
 * starts: each remote free then compares its count with it, where working
 * it out there took a multiply and a table load (cross-thread pc: 6 of the
 * 29 instructions of a remote free). */
static unsigned chain_len(unsigned cls)
{
	unsigned n = (CHAIN_BYTES + hk_class_stride[cls] - 1) / hk_class_stride[cls];
	return n < HK_REMOTE_BATCH_MAX ? n : HK_REMOTE_BATCH_MAX;
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
	*bt = (struct hk_remote_batch){.owner = owner, .n = 1, .full = chain_len(cls), .head = b, .tail = b};
	h->batch_used |= 1ull << cls;
	if (bt->full == 1)
		flush(h, cls);
}

/* Both calls are tail calls: nothing stays live across them, so whatever
 * registers they need cost the per-block path nothing. */
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
	if (++bt->n == bt->full)
		flush(h, cls);
}

void hk_remote_free_one(struct hk_heap *owner, unsigned cls, struct hk_block *b)
{
	int tier = hk_class_tier(cls);
	b->key = hk_free_key;
	long depth = push_chain(owner, cls, b, b, 1);
	hk_stats_heapless_push(tier);
	hk_probe_remote_push(tier, cls, __atomic_load_n(&owner->tid, __ATOMIC_RELAXED), depth, 1);
}

void hk_remote_flush_all(struct hk_heap *h)
{
	while (h->batch_used)
		flush(h, (unsigned)__builtin_ctzll(h->batch_used));
}

struct hk_block *hk_remote_take(struct hk_heap *h, unsigned cls, unsigned *n, long *depth_before)
{
	struct hk_remote_queue *q = &h->remote[cls];
	uintptr_t head = __atomic_exchange_n(&q->head, 0, __ATOMIC_ACQUIRE);
	struct hk_block *list = queue_first(head);
	uintptr_t count = queue_count(head);
	if (count == COUNT_MAX) {
		count = 0;
		for (struct hk_block *b = list; b; b = b->next)
			count++;
	}
	*depth_before = __atomic_fetch_sub(&q->depth, (long)count, __ATOMIC_RELAXED);
	*n = (unsigned)count;
	return list;
}

struct hk_block *hk_remote_drain(struct hk_heap *h, unsigned cls, unsigned *n)
{
	long depth;
	int tier = hk_class_tier(cls);
	struct hk_block *list = hk_remote_take(h, cls, n, &depth);
	h->remote_fed |= 1ull << cls;
	h->counters.drains[tier]++;
	h->counters.drained_blocks[tier] += *n;
	hk_probe_drain(tier, cls, *n, depth);
	return list;
}
