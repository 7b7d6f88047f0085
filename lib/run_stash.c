/*
 * run_stash.c — the thread cache of the runs (see runs.h): each heap keeps
 * the last runs its thread freed and hands them to its next large mallocs
 * without the chunks' lock, as the small tiers' free lists do for small
 * blocks.  Everything else goes to the chunks (runs.c).
 */
#include "bitmap.h"
#include "config.h"
#include "heap.h"
#include "os.h"
#include "out.h"
#include "runs.h"

/* The calling thread's heap, whose stash it uses: a thread that allocates
 * only large blocks gets one too.  NULL when out of memory, or past the
 * thread's exit (hk_tl_exited): its runs then go to the chunks directly. */
static struct hk_heap *stash_owner(void)
{
	struct hk_heap *h = hk_heap_current();
	return h || hk_tl_exited ? h : hk_heap_acquire(NULL);
}

_Static_assert(HK_RUN_MAX / HK_PAGE == HK_RUN_STASH_SIZES, "a list for every run size");

/* Pages in every thread's stash.  Past HAKMEM_LARGE_CACHE_MB of them a
 * thread that frees a run, holding over a MiB, gives its own oldest ones to
 * the chunks, so that the stashes of a program with hundreds of threads do
 * not keep 4 MiB each out of everyone's reach (stashed runs are in use for
 * the chunks).  Each stash adds its pages in steps of a MiB (counted is what
 * it added): one shared line written by every large malloc and free made
 * larson with 52-256 KiB blocks 2x slower on 2 threads. */
#define COUNT_STEP 256u /* pages */
static struct {
	size_t pages;
} __attribute__((aligned(64))) stashed; /* a line of its own: read on every free */

static void stash_recount(struct hk_run_stash *st)
{
	if (st->total >= st->counted + COUNT_STEP)
		__atomic_add_fetch(&stashed.pages, st->total - st->counted, __ATOMIC_RELAXED);
	else if (st->total + COUNT_STEP <= st->counted || (!st->total && st->counted))
		__atomic_sub_fetch(&stashed.pages, st->counted - st->total, __ATOMIC_RELAXED);
	else
		return;
	st->counted = st->total;
}

static void stash_add(struct hk_run_stash *st, unsigned pages)
{
	st->total += pages;
	stash_recount(st);
}

static void stash_sub(struct hk_run_stash *st, unsigned pages)
{
	st->total -= pages;
	stash_recount(st);
}

static int stashes_over_budget(void)
{
	return __atomic_load_n(&stashed.pages, __ATOMIC_RELAXED) > hk_config.large_cache / HK_PAGE;
}

/* The lowest list index >= from with runs, or HK_RUN_STASH_SIZES. */
static unsigned first_present(const struct hk_run_stash *st, unsigned from)
{
	return hk_bits_next(st->present, HK_RUN_STASH_SIZES, from, 1);
}

_Static_assert(HK_RUN_STASH_RING < 256, "links are slot + 1 in a byte");

static struct hk_stashed_run *entry(struct hk_run_stash *st, unsigned link)
{
	return &st->ring[link - 1];
}

/* Put the entry in slot on the front of list i. */
static void list_push(struct hk_run_stash *st, unsigned slot, unsigned i)
{
	struct hk_stashed_run *e = &st->ring[slot];
	e->next = st->head[i];
	e->prev = 0;
	if (e->next)
		entry(st, e->next)->prev = (uint8_t)(slot + 1);
	st->head[i] = (uint8_t)(slot + 1);
	hk_bits_set(st->present, i, 1, 1);
}

static void list_unlink(struct hk_run_stash *st, unsigned slot)
{
	struct hk_stashed_run *e = &st->ring[slot];
	unsigned i = e->pages - 1u;
	if (e->next)
		entry(st, e->next)->prev = e->prev;
	if (e->prev)
		entry(st, e->prev)->next = e->next;
	else
		st->head[i] = e->next;
	if (!st->head[i])
		hk_bits_set(st->present, i, 1, 0);
}

/* Take the entry in slot out of the stash; its run is no longer marked free. */
static uintptr_t *stash_remove(struct hk_run_stash *st, unsigned slot)
{
	struct hk_stashed_run *e = &st->ring[slot];
	uintptr_t *p = e->run;
	list_unlink(st, slot);
	stash_sub(st, e->pages);
	e->run = NULL;
	p[1] = 0;
	return p;
}

/* Whether a stashed run of n pages may serve a malloc of k: it wastes less
 * than a quarter. */
static int fits(unsigned n, unsigned k)
{
	return n >= k && n <= k + k / 4;
}

static uintptr_t *take_last(struct hk_run_stash *st)
{
	uintptr_t *p = st->last;
	st->last = NULL;
	stash_sub(st, st->last_pages);
	p[1] = 0;
	return p;
}

/* The last run freed if it fits, else the smallest in the ring that does
 * (best fit), the newest of that size, taken; or NULL. */
static void *stash_take(struct hk_run_stash *st, unsigned k, size_t *dirty)
{
	uintptr_t *p = st->last;
	unsigned n = st->last_pages;
	if (p && fits(n, k)) {
		take_last(st);
	} else {
		unsigned i = first_present(st, k - 1);
		if (i == HK_RUN_STASH_SIZES || !fits(i + 1, k))
			return NULL;
		n = i + 1;
		p = stash_remove(st, st->head[i] - 1u);
	}
	if (dirty)
		*dirty = (size_t)n * HK_PAGE;
	return p;
}

static void to_chunks(void *p)
{
	hk_run_chunks_free(hk_segment_of(p), p, "free");
}

/* Retire the oldest ring slot, giving its run (if still stashed) to the
 * chunks; 1 if there was one. */
static int stash_retire(struct hk_run_stash *st)
{
	unsigned slot = st->oldest++ % HK_RUN_STASH_RING;
	if (!st->ring[slot].run)
		return 0;
	to_chunks(stash_remove(st, slot));
	return 1;
}

/* Give the oldest stashed run to the chunks (total > 0). */
static void stash_evict(struct hk_run_stash *st)
{
	while (!stash_retire(st))
		;
}

/* Enter the run p of k pages, already counted, in the ring. */
static void ring_put(struct hk_run_stash *st, uintptr_t *p, unsigned k)
{
	if (st->next - st->oldest == HK_RUN_STASH_RING)
		stash_retire(st);
	unsigned slot = st->next++ % HK_RUN_STASH_RING;
	st->ring[slot] = (struct hk_stashed_run){.run = p, .pages = (uint16_t)k};
	list_push(st, slot, k - 1);
}

/* Stash the live run p of k pages as the last one freed, marked free by
 * the free key in its second word (as small blocks are); the one before
 * goes to the ring, and past the budget the oldest runs go. */
static void stash_put(struct hk_run_stash *st, uintptr_t *p, unsigned k)
{
	if (st->last)
		ring_put(st, st->last, st->last_pages);
	st->last = p;
	st->last_pages = k;
	p[1] = hk_free_key;
	stash_add(st, k);
	/* the ring holds the excess: a run is at most 256 pages */
	while (st->total > HK_RUN_STASH_PAGES || (st->total > COUNT_STEP && st->total > k && stashes_over_budget()))
		stash_evict(st);
}

void *hk_runs_alloc(size_t n, size_t align, size_t *dirty)
{
	unsigned pages = hk_run_pages(n);
	if (align > HK_PAGE) /* rare: the stash does not look for alignment */
		return hk_run_chunks_alloc(pages, (unsigned)(align / HK_PAGE), dirty);
	struct hk_heap *h = stash_owner();
	void *stashed = h ? stash_take(&h->run_stash, pages, dirty) : NULL;
	return stashed ? stashed : hk_run_chunks_alloc(pages, 1, dirty);
}

/* A stashed run holds the free key in its second word (runs.c's take()
 * clears it when the run is handed out again). */
static int in_stash(const void *run)
{
	return ((const uintptr_t *)run)[1] == hk_free_key;
}

size_t hk_runs_live_usable(const struct hk_segment *s, const void *p)
{
	size_t bytes = hk_runs_usable(s, p);
	return bytes && in_stash(p) ? 0 : bytes;
}

void hk_runs_free(struct hk_segment *s, void *p, const char *func)
{
	size_t bytes = hk_runs_usable(s, p);
	if (bytes && in_stash(p))
		hk_fatal_ptr(func, "double free", p);
	struct hk_heap *h = bytes ? stash_owner() : NULL;
	if (h) {
		stash_put(&h->run_stash, p, (unsigned)(bytes / HK_PAGE));
		return;
	}
	hk_run_chunks_free(s, p, func);
}

void hk_runs_stash_flush(struct hk_heap *h)
{
	struct hk_run_stash *st = &h->run_stash;
	if (st->last)
		to_chunks(take_last(st));
	while (st->total)
		stash_evict(st);
}
