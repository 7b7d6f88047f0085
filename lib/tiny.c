/* tiny.c — superslabs and slab carving for the Tiny tier (see tiny.h). */
#include <string.h>
#include "block.h"
#include "os.h"
#include "chunks.h"
#include "reclaim.h"
#include "tiny.h"

/* Superslabs are taken four at a time: a thread that needs several takes the
 * region lock once.  One, when four cannot be had: under a tight RLIMIT_AS
 * the other three cost 6 MiB of address space a small program never uses. */
#define RESERVE_CHUNKS 4

static int reserve_chunks(struct hk_heap *h)
{
	size_t len = RESERVE_CHUNKS * HK_CHUNK;
	void *base = hk_chunks_reuse(len, HK_PURPOSE_SUPERSLAB, &h->fresh_own);
	if (!base)
		base = hk_chunks_reuse(len = HK_CHUNK, HK_PURPOSE_SUPERSLAB, &h->fresh_own);
	if (!base)
		return -1;
	h->ss_reserve = (uintptr_t)base;
	h->ss_reserve_end = (uintptr_t)base + len;
	return 0;
}

/* A chunk another superslab or arena left (chunks.h: resident already,
 * where the reserve's pages are not), or the next of the reserve; its
 * header is cleared: the chunk may be stale. */
static struct hk_superslab *superslab_chunk(struct hk_heap *h)
{
	struct hk_superslab *ss = hk_chunks_take_idle(HK_CHUNK);
	if (!ss) {
		if (h->ss_reserve == h->ss_reserve_end && reserve_chunks(h) != 0)
			return NULL;
		ss = (struct hk_superslab *)h->ss_reserve;
		h->ss_reserve += HK_CHUNK;
	}
	memset(ss, 0, sizeof(*ss));
	return ss;
}

static struct hk_superslab *superslab_new(struct hk_heap *h)
{
	struct hk_superslab *ss = superslab_chunk(h);
	if (!ss)
		return NULL;
	if (hk_segment_init(ss, HK_CHUNK, HK_SEG_TINY, h) != 0) {
		hk_chunks_idle(ss, HK_CHUNK, HK_PURPOSE_SUPERSLAB);
		return NULL;
	}
	ss->next_slab = 1; /* slab 0 holds this header */
	ss->next = h->superslab;
	h->superslab = ss;
	return ss;
}

/* Reclaiming (reclaim.h): the heap gathers the free blocks of its lists per
 * slab; a slab all of whose carved blocks are there leaves the lists and
 * serves the next class that needs one.  Blocks another thread holds in its
 * batch count as live: their slabs wait.  A superslab all of whose slabs
 * are free goes back when the pool asked, another heap wanted memory (or at
 * hakmem_flush). */
#define EMPTY UINT32_MAX /* scratch mark of a slab to reclaim */

static unsigned slab_index(const void *p)
{
	return (unsigned)(((uintptr_t)p & (HK_CHUNK - 1)) >> HK_SLAB_SHIFT);
}

/* Walking a list chases pointers: a cache miss a block once they were freed
 * out of address order.  So the walk goes through the lists of all classes
 * in step, one cursor each, and their misses overlap (4 M blocks of 16..256
 * bytes freed in random order: flushed in 0.17 s, 1.6 s one list after
 * another). */
struct ways {
	struct hk_block *cur[HK_TINY_CLASSES];
	unsigned n;
};

/* Move free block b from its list to its slab's gathered blocks, counted. */
static void gather_block(struct hk_block *b)
{
	struct hk_superslab *ss = hk_superslab_of(b);
	unsigned i = slab_index(b);
	ss->scratch[i]++;
	if (!ss->gathered[i])
		ss->gathered_tail[i] = b;
	b->next = ss->gathered[i];
	ss->gathered[i] = b;
}

#define SAMPLE 8

/* Whether a list's first blocks follow each other within a page, as a class
 * freed in the order it was carved leaves them: the hardware prefetcher then
 * runs ahead of a walk of that list alone, and walking it in step with
 * others only costs (a program freeing 3 M blocks so: 95 ms, not 72). */
static int runs_in_order(const struct hk_block *b)
{
	unsigned near = 0;
	for (unsigned i = 0; i < SAMPLE && b && b->next; i++, b = b->next)
		near += (uintptr_t)b->next - (uintptr_t)b + HK_PAGE <= 2 * HK_PAGE;
	return near >= SAMPLE * 3 / 4;
}

/* One list's walk, its cursor in a register; how many blocks. */
static size_t gather_alone(struct hk_block *b)
{
	size_t n = 0;
	for (struct hk_block *next; b; b = next, n++) {
		next = b->next;
		gather_block(b);
	}
	return n;
}

/* Take every block of h's lists to its slab's gathered blocks, counting them
 * per slab; how many in all.  Lists in address order go alone, the others in
 * step; the last of those goes on alone too: a list far longer than the
 * others walks at the speed of one. */
static size_t gather_free(struct hk_heap *h)
{
	struct ways w = { .n = 0 };
	size_t n = 0;
	for (unsigned c = 0; c < HK_TINY_CLASSES; c++) {
		struct hk_block *list = h->free[c];
		h->free[c] = NULL;
		if (list && runs_in_order(list))
			n += gather_alone(list);
		else if (list)
			w.cur[w.n++] = list;
	}
	while (w.n > 1)
		for (unsigned i = 0; i < w.n; n++) {
			struct hk_block *b = w.cur[i];
			w.cur[i] = b->next;
			gather_block(b);
			if (w.cur[i])
				i++;
			else
				w.cur[i] = w.cur[--w.n];
		}
	return n + (w.n ? gather_alone(w.cur[0]) : 0);
}

/* Whether m is the slab a class of h carves.  A slab's cls is valid only
 * once a class has it: a free slab's may be stale, so it is bounded first. */
static int class_slab(const struct hk_heap *h, const struct hk_slab_meta *m)
{
	return m->cls < HK_TINY_CLASSES && h->slab[m->cls] == m;
}

/* Mark EMPTY the slabs whose carved blocks all sit in the lists, and the
 * slabs classes carve that have carved nothing since they restarted (the
 * other counts go back to 0); how many.  Those last pinned their
 * superslabs: bench_phases kept two of three resident beside its runs,
 * each for a few classes that no longer carved. */
static unsigned mark_empty(struct hk_heap *h)
{
	unsigned n = 0;
	for (struct hk_superslab *ss = h->superslab; ss; ss = ss->next)
		for (unsigned i = 1; i < ss->next_slab; i++) {
			const struct hk_slab_meta *m = &ss->slabs[i];
			uint32_t blocks = hk_slab_blocks(m); /* 0 for a free slab */
			int empty = blocks ? ss->scratch[i] == blocks : class_slab(h, m);
			ss->scratch[i] = empty ? EMPTY : 0;
			n += (unsigned)empty;
		}
	return n;
}

static int meta_empty(const struct hk_slab_meta *m)
{
	const struct hk_superslab *ss = hk_superslab_of(m);
	return ss->scratch[m - ss->slabs] == EMPTY;
}

/* The slab a class carves, found empty, stays that class's and is carved
 * again from its start: its pages are resident up to where it got.  As a
 * free slab, another class could carve a fuller one past those pages while
 * it took the short one.  Not when the walk gives superslabs back for
 * other heaps, which keeps the EMPTY marks only in superslabs wholly empty
 * (keep_partly_used): it is freed then, so that its superslab can go back
 * whole. */
static int leaves_class(enum hk_give_back give)
{
	return give == HK_GIVE_WHOLE || give == HK_GIVE_LEAVING;
}

static void restart_slab(struct hk_slab_meta *m)
{
	struct hk_superslab *ss = hk_superslab_of(m);
	ss->scratch[m - ss->slabs] = 0;
	__atomic_store_n(&m->limit, 0, __ATOMIC_RELEASE);
}

/* The lists again, from the blocks gathered per slab, slab after slab, but
 * for those of EMPTY slabs (which leave the carving, too).  So a class's
 * next blocks come from one slab, then the next, wherever they were freed
 * (perl, building an array after deleting a 1.5 M-key hash: 4.1-4.3 s,
 * not 4.6-4.9). */
static void relink(struct hk_heap *h, enum hk_give_back give)
{
	struct hk_block *tail[HK_TINY_CLASSES] = { NULL };
	for (struct hk_superslab *ss = h->superslab; ss; ss = ss->next)
		for (unsigned i = 1; i < ss->next_slab; i++) {
			struct hk_block *first = ss->gathered[i];
			const struct hk_slab_meta *m = &ss->slabs[i];
			if (!first)
				continue;
			ss->gathered[i] = NULL;
			if (ss->scratch[i] == EMPTY) {
				h->carved[m->cls] -= hk_slab_blocks(m);
				continue;
			}
			if (tail[m->cls])
				tail[m->cls]->next = first;
			else
				h->free[m->cls] = first;
			tail[m->cls] = ss->gathered_tail[i]; /* gathered first: its next is NULL */
		}
	for (unsigned c = 0; c < HK_TINY_CLASSES; c++)
		if (h->slab[c] && meta_empty(h->slab[c])) {
			if (leaves_class(give))
				h->slab[c] = NULL;
			else
				restart_slab(h->slab[c]);
		}
}

/* EMPTY slabs become free slabs; nothing may take their blocks for valid now. */
static void free_empty(struct hk_heap *h)
{
	for (struct hk_superslab *ss = h->superslab; ss; ss = ss->next)
		for (unsigned i = 1; i < ss->next_slab; i++)
			if (ss->scratch[i] == EMPTY) {
				ss->scratch[i] = 0;
				__atomic_store_n(&ss->slabs[i].limit, 0, __ATOMIC_RELEASE);
				ss->free_slabs |= 1u << i;
				h->free_slab_count++;
			}
}

#define ALL_FREE (~(uint32_t)1) /* slabs 1..31: slab 0 holds the header */

/* The free_slabs of ss when all the slabs it handed out are free. */
static uint32_t handed_out(const struct hk_superslab *ss)
{
	return ss->next_slab == HK_SLABS_PER_SUPERSLAB ? ALL_FREE
						       : ((1u << ss->next_slab) - 1) & ALL_FREE;
}

/* Give back h's superslabs whose slabs are all free, but the one it carves
 * next (unless its thread leaves): their chunks wait, resident, for any
 * heap's next superslab or arena (chunks.h), and go back to the OS only if
 * none comes. */
static void give_back_empty(struct hk_heap *h, enum hk_give_back give)
{
	struct hk_superslab **link = &h->superslab;
	while (*link) {
		struct hk_superslab *ss = *link;
		int leaving = ss == h->superslab && give == HK_GIVE_LEAVING;
		if ((ss == h->superslab && !leaving) ||
		    ss->free_slabs != (leaving ? handed_out(ss) : ALL_FREE)) {
			link = &ss->next;
			continue;
		}
		*link = ss->next;
		h->free_slab_count -= (unsigned)__builtin_popcount(ss->free_slabs);
		hk_registry_clear(ss, HK_CHUNK);
		hk_chunks_idle(ss, HK_CHUNK, HK_PURPOSE_SUPERSLAB);
	}
}

/* Whether every slab of ss (but the header's) is EMPTY or free; of the one
 * the heap carves (carving), every slab it handed out. */
static int wholly_empty(const struct hk_superslab *ss, int carving)
{
	if (ss->next_slab < HK_SLABS_PER_SUPERSLAB && !carving)
		return 0;
	for (unsigned i = 1; i < ss->next_slab; i++)
		if (ss->scratch[i] != EMPTY && !(ss->free_slabs & (1u << i)))
			return 0;
	return 1;
}

/* Reclaiming for other heaps, only wholly empty superslabs give up their
 * slabs (and go): the heap's slabs are not shuffled between its classes
 * for nothing (each shuffle may carve a fuller slab past pages the other
 * never reached: cross-thread producer-consumer, reclaiming every 100 ms,
 * peaked at 5.2 MB instead of 4.9). */
static unsigned keep_partly_used(struct hk_heap *h, unsigned empty, enum hk_give_back give)
{
	for (struct hk_superslab *ss = h->superslab; ss; ss = ss->next) {
		int carving = ss == h->superslab;
		if ((!carving || give == HK_GIVE_LEAVING) && wholly_empty(ss, carving))
			continue;
		for (unsigned i = 1; i < ss->next_slab; i++)
			if (ss->scratch[i] == EMPTY) {
				ss->scratch[i] = 0;
				empty--;
			}
	}
	return empty;
}

size_t hk_tiny_reclaim(struct hk_heap *h, enum hk_give_back give)
{
	size_t walked = gather_free(h);
	unsigned empty = mark_empty(h);
	if (empty && (give == HK_GIVE_WHOLE || give == HK_GIVE_LEAVING))
		empty = keep_partly_used(h, empty, give);
	relink(h, give);
	if (empty)
		free_empty(h);
	if (give != HK_KEEP)
		give_back_empty(h, give);
	return walked;
}

static struct hk_slab_meta *take_free_slab(struct hk_heap *h)
{
	if (!h->free_slab_count)
		return NULL;
	struct hk_superslab *ss = h->superslab;
	while (!ss->free_slabs)
		ss = ss->next;
	unsigned i = (unsigned)__builtin_ctz(ss->free_slabs);
	ss->free_slabs &= ~(1u << i);
	h->free_slab_count--;
	return &ss->slabs[i];
}

/* A slab for a class: an emptied one, the next of the current superslab,
 * or (after looking for empty ones, when due) one of a new superslab. */
static struct hk_slab_meta *next_slab(struct hk_heap *h, int *source)
{
	struct hk_superslab *ss = h->superslab;
	struct hk_slab_meta *m = take_free_slab(h);
	if (m)
		return m;
	if (ss && ss->next_slab < HK_SLABS_PER_SUPERSLAB)
		return &ss->slabs[ss->next_slab++];
	if (hk_reclaim_due(h)) {
		hk_reclaim(h, HK_TIER_TINY);
		if ((m = take_free_slab(h)))
			return m;
	}
	ss = superslab_new(h);
	if (!ss)
		return NULL;
	*source = HK_SRC_OS;
	return &ss->slabs[ss->next_slab++];
}

static struct hk_slab_meta *slab_assign(struct hk_heap *h, unsigned cls, int *source)
{
	struct hk_slab_meta *m = next_slab(h, source);
	if (!m)
		return NULL;
	uint32_t stride = hk_class_stride[cls];
	m->stride = (uint16_t)stride;
	m->multiple = (uint64_t)(((unsigned __int128)1 << 64) / stride) + 1; /* tiny.h */
	m->cls = (uint16_t)cls;
	m->head = &h->free[cls];
	h->slab[cls] = m;
	return m;
}

static uintptr_t slab_base(const struct hk_slab_meta *m)
{
	uintptr_t ss = (uintptr_t)m & ~(HK_CHUNK - 1);
	const struct hk_superslab *s = (const struct hk_superslab *)ss;
	return ss + ((uintptr_t)(m - s->slabs) << HK_SLAB_SHIFT);
}

struct hk_block *hk_tiny_carve(struct hk_heap *h, unsigned cls, unsigned want, unsigned *got,
			       int *source)
{
	*source = HK_SRC_EXISTING;
	struct hk_slab_meta *m = h->slab[cls];
	uint32_t blocks = m ? hk_slab_blocks(m) : 0;
	if (!m || (blocks + 1) * m->stride > HK_SLAB_SIZE) {
		m = slab_assign(h, cls, source);
		if (!m)
			return NULL;
		blocks = hk_slab_blocks(m);
	}
	uint32_t carved = blocks * m->stride;
	unsigned left = (HK_SLAB_SIZE - carved) / m->stride;
	unsigned n = want < left ? want : left;
	struct hk_block *list = hk_link_blocks(slab_base(m) + carved, m->stride, n);
	__atomic_store_n(&m->limit, (uint32_t)((blocks + n) * hk_slab_step(m)), __ATOMIC_RELEASE);
	h->carved[cls] += n;
	*got = n;
	return list;
}
