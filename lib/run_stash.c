/*
 * run_stash.c — the thread cache of the runs (see runs.h): each heap keeps
 * the last runs its thread freed and hands them to its next large mallocs
 * without the chunks' lock, as the small tiers' free lists do for small
 * blocks.  Everything else goes to the chunks (runs.c).
 */
#include "heap.h"
#include "os.h"
#include "out.h"
#include "runs.h"

/* The calling thread's heap, whose stash it uses: a thread that allocates
 * only large blocks gets one too.  NULL when out of memory. */
static struct hk_heap *stash_owner(void)
{
	struct hk_heap *h = hk_heap_current();
	return h ? h : hk_heap_acquire(NULL);
}

/* Take entry j out of the stash; the run is no longer marked free. */
static uintptr_t *stash_remove(struct hk_run_stash *st, unsigned j)
{
	uintptr_t *p = st->e[j].run;
	st->total -= st->e[j].pages;
	st->e[j] = st->e[--st->n];
	p[1] = 0;
	return p;
}

/* The newest stashed run of k pages to a quarter more, taken; or NULL. */
static void *stash_take(struct hk_run_stash *st, unsigned k, size_t *dirty)
{
	int best = -1;
	for (unsigned j = 0; j < st->n; j++) {
		unsigned pages = st->e[j].pages;
		if (pages >= k && pages <= k + k / 4 && (best < 0 || st->e[j].age > st->e[best].age))
			best = (int)j;
	}
	if (best < 0)
		return NULL;
	if (dirty)
		*dirty = (size_t)st->e[best].pages * HK_PAGE;
	return stash_remove(st, (unsigned)best);
}

static unsigned stash_oldest(const struct hk_run_stash *st)
{
	unsigned oldest = 0;
	for (unsigned j = 1; j < st->n; j++)
		oldest = st->e[j].age < st->e[oldest].age ? j : oldest;
	return oldest;
}

static void to_chunks(void *p)
{
	hk_run_chunks_free(hk_segment_of(p), p, "free");
}

/* Stash the live run p of k pages, marked free by the free key in its second
 * word (as small blocks are); a full stash frees its oldest to the chunks. */
static void stash_put(struct hk_run_stash *st, uintptr_t *p, unsigned k)
{
	while (st->n && (st->n == HK_RUN_STASH || st->total + k > HK_RUN_STASH_PAGES))
		to_chunks(stash_remove(st, stash_oldest(st)));
	p[1] = hk_free_key;
	st->e[st->n++] = (struct hk_stashed_run){.run = p, .age = ++st->clock, .pages = k};
	st->total += k;
}

void *hk_runs_alloc(size_t n, size_t *dirty)
{
	unsigned pages = hk_run_pages(n);
	struct hk_heap *h = stash_owner();
	void *stashed = h ? stash_take(&h->run_stash, pages, dirty) : NULL;
	return stashed ? stashed : hk_run_chunks_alloc(pages, dirty);
}

void hk_runs_free(struct hk_segment *s, void *p, const char *func)
{
	size_t bytes = hk_runs_usable(s, p);
	if (bytes && ((uintptr_t *)p)[1] == hk_free_key) /* in a thread's stash */
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
	while (st->n)
		to_chunks(stash_remove(st, st->n - 1));
}
