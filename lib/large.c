/* large.c — direct mappings and the span cache (see large.h). */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include "config.h"
#include "large.h"
#include "os.h"
#include "out.h"
#include "region.h"
#include "runs.h"
#include "stats.h"

#define HDR 64u
/* Enough slots that a program holding thousands of large blocks, whose count
 * swings by dozens, finds its spans again instead of madvising and faulting
 * them afresh (random 16 B..300 KB, 8 k slots: 24 k madvise with 16). */
#define CACHE_SLOTS 256

struct cached_span {
	void *base;
	size_t size; /* bytes mapped */
	size_t dirty; /* bytes from base that may be resident */
};

static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;
/* Oldest first; the resident bytes of all of them are cache_bytes, which
 * cache_budget() bounds. */
static struct cached_span cache[CACHE_SLOTS];
static unsigned cache_count;
static size_t cache_bytes;
/* Bytes of the spans in use (atomic: updated outside the lock). */
static size_t live_bytes;

/* Resident bytes the cache may keep (20 blocks of 5-25 MiB replaced at
 * random faulted most of each in afresh with 64 MiB alone). */
static size_t cache_budget(void)
{
	return hk_large_keep(__atomic_load_n(&live_bytes, __ATOMIC_RELAXED));
}

/* A span maps whole 2 MiB chunks: they are its own anyway (the registry
 * gives each chunk one owner), untouched pages cost no memory, and realloc
 * can then grow the block to the chunk's end in place, without a syscall. */
static size_t span_size(size_t need)
{
	return hk_align_up(need, HK_CHUNK);
}

/* Better for a block that will touch need bytes: a span whose dirty pages
 * cover it (no page faults) with the least slack, else the most dirty. */
static int better_fit(const struct cached_span *a, const struct cached_span *b, size_t need)
{
	if ((a->dirty >= need) != (b->dirty >= need))
		return a->dirty >= need;
	return a->dirty >= need ? a->dirty < b->dirty : a->dirty > b->dirty;
}

static struct cached_span cache_remove_locked(unsigned i)
{
	struct cached_span c = cache[i];
	cache_bytes -= c.dirty;
	cache_count--;
	memmove(&cache[i], &cache[i + 1], (cache_count - i) * sizeof(cache[0]));
	return c;
}

/* The smallest cached span of size bytes up to twice that, the better fit
 * among equals.  A larger span's pages in front are resident, where a fresh
 * span would fault on every page (20 blocks of 5-25 MiB replaced at random:
 * 1.3x faster than with a quarter more at most); a span more than twice as
 * large stays for a block of its size. */
static void *cache_take_locked(size_t size, size_t need)
{
	int best = -1;
	for (unsigned i = 0; i < cache_count; i++) {
		size_t s = cache[i].size;
		if (s >= size && s / 2 <= size &&
		    (best < 0 || s < cache[best].size ||
		     (s == cache[best].size && better_fit(&cache[i], &cache[best], need))))
			best = (int)i;
	}
	return best < 0 ? NULL : cache_remove_locked((unsigned)best).base;
}

/* A span of size bytes to twice that starting on an align boundary (at
 * least a chunk), for a block that will touch its first need bytes. */
static struct hk_large *span_get(size_t size, size_t align, size_t need)
{
	struct hk_large *l = NULL;
	if (align <= HK_CHUNK) {
		pthread_mutex_lock(&large_lock);
		l = cache_take_locked(size, need);
		pthread_mutex_unlock(&large_lock);
		hk_stats_large_cache(l != NULL);
	}
	if (!l)
		return hk_segment_new(size, align > HK_CHUNK ? align : HK_CHUNK, HK_SEG_LARGE, NULL,
				      HK_PURPOSE_LARGE);
	return l;
}

/* Reusing a span for a smaller block leaves the pages it dirtied beyond the
 * block resident.  Those are kept while the total slack of live blocks fits a
 * budget (an eighth of the cache), so that blocks which grow back find their
 * pages; past it the tail is given back, so a cache of spans once filled to
 * megabytes does not keep them resident under small blocks. */
#define DECOMMIT_MIN ((size_t)256 << 10)
static size_t slack_bytes; /* sum of live spans' charged slack */

static void decommit_tail(struct hk_large *l, size_t end)
{
	end = hk_align_up(end, HK_PAGE);
	size_t slack = l->dirty > end ? l->dirty - end : 0;
	if (slack < DECOMMIT_MIN)
		return;
	size_t budget = hk_config.large_cache / 8;
	if (__atomic_add_fetch(&slack_bytes, slack, __ATOMIC_RELAXED) <= budget) {
		l->charged = slack;
		return;
	}
	__atomic_sub_fetch(&slack_bytes, slack, __ATOMIC_RELAXED);
	hk_os_advise((char *)l + end, slack, MADV_DONTNEED, HK_PURPOSE_LARGE);
	l->dirty = end;
}

/* Usable bytes of an n-byte block at off in l: whole pages, a page at
 * least (so that usable 0 means "no live block": memalign(8192, 0)), but
 * never past the span's end, which the header in front may leave closer
 * than a page (malloc(4 MiB - 64) fills a 4 MiB span to its last byte). */
static size_t span_usable(const struct hk_large *l, size_t off, size_t n)
{
	size_t pages = hk_align_up(n ? n : 1, HK_PAGE);
	return pages < l->seg.size - off ? pages : l->seg.size - off;
}

static void mark_dirty(struct hk_large *l)
{
	size_t end = l->user - (uintptr_t)l + l->usable;
	if (end > l->dirty)
		l->dirty = end;
}

static void *large_alloc(size_t n, size_t align, size_t *dirty, int growing)
{
	if (!growing && hk_runs_fit(n, align))
		return hk_runs_alloc(n, align, dirty);
	size_t off = align > HDR ? align : HDR; /* the header sits in front of the block */
	if (n > ((size_t)1 << 46) || off > ((size_t)1 << 40))
		return NULL;
	size_t size = span_size(off + n);
	/* a growing buffer will touch the whole span: the most dirty suits it */
	struct hk_large *l = span_get(size, align, growing ? size : hk_align_up(off + n, HK_PAGE));
	if (!l)
		return NULL;
	__atomic_add_fetch(&live_bytes, l->seg.size, __ATOMIC_RELAXED);
	/* a cached span keeps its header; its size may exceed the request */
	l->user = (uintptr_t)l + off;
	/* not the whole span: callers may fill what we report */
	l->usable = span_usable(l, off, n);
	if (!growing) /* a growing buffer will soon use the slack */
		decommit_tail(l, off + l->usable);
	if (dirty)
		*dirty = l->dirty > off ? l->dirty - off : 0;
	mark_dirty(l);
	return (void *)l->user;
}

void *hk_large_alloc(size_t n, size_t align, size_t *dirty)
{
	return large_alloc(n, align, dirty, 0);
}

void *hk_large_alloc_growing(size_t n)
{
	return large_alloc(n, 0, NULL, 1);
}

static void span_release(void *base, size_t size)
{
	size_t dirty = ((struct hk_large *)base)->dirty;
	hk_registry_clear(base, size);
	hk_region_give(base, size, dirty, HK_PURPOSE_LARGE);
}

/* Another span may enter only while the cache has a slot free and its
 * resident bytes stay within the budget. */
static int cache_full_locked(size_t dirty)
{
	return cache_count == CACHE_SLOTS || cache_bytes + dirty > cache_budget();
}

/* Cache the span at base, evicting the oldest spans until it fits; the
 * evicted ones are released outside the lock, a few at a time. */
static void cache_put(void *base, size_t size, size_t dirty)
{
	for (;;) {
		struct cached_span out[8];
		unsigned n = 0;
		int stored = 0;
		pthread_mutex_lock(&large_lock);
		while (n < 8 && cache_count && cache_full_locked(dirty))
			out[n++] = cache_remove_locked(0);
		if (!cache_full_locked(dirty)) {
			cache[cache_count++] = (struct cached_span){base, size, dirty};
			cache_bytes += dirty;
			stored = 1;
		}
		pthread_mutex_unlock(&large_lock);
		for (unsigned i = 0; i < n; i++)
			span_release(out[i].base, out[i].size);
		if (stored)
			return;
	}
}

static void span_free(struct hk_large *l)
{
	l->user = 0; /* a second free of the same pointer is now invalid */
	__atomic_sub_fetch(&slack_bytes, l->charged, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&live_bytes, l->seg.size, __ATOMIC_RELAXED);
	l->charged = 0;
	if (l->dirty > cache_budget()) {
		span_release(l, l->seg.size);
		return;
	}
	cache_put(l, l->seg.size, l->dirty);
}

static int span_resize(struct hk_large *l, size_t n)
{
	size_t off = l->user - (uintptr_t)l;
	if (off + n > l->seg.size)
		return -1;
	size_t keep = span_size(off + n);
	if (keep <= l->seg.size / 2) { /* give the tail chunks back */
		__atomic_sub_fetch(&live_bytes, l->seg.size - keep, __ATOMIC_RELAXED);
		hk_registry_clear((char *)l + keep, l->seg.size - keep);
		hk_region_give((char *)l + keep, l->seg.size - keep, l->dirty > keep ? l->dirty - keep : 0,
			       HK_PURPOSE_LARGE);
		l->seg.size = keep;
		if (l->dirty > keep)
			l->dirty = keep;
	}
	l->usable = span_usable(l, off, n);
	mark_dirty(l);
	return 0;
}

size_t hk_large_usable(const struct hk_segment *s, const void *p)
{
	if (hk_segment_kind(s) == HK_SEG_RUNS)
		return hk_runs_usable(s, p);
	const struct hk_large *l = (const struct hk_large *)s;
	return l->user == (uintptr_t)p ? l->usable : 0;
}

void hk_large_dealloc(struct hk_segment *s, void *p, const char *func)
{
	if (hk_segment_kind(s) == HK_SEG_RUNS) {
		hk_runs_free(s, p, func);
		return;
	}
	struct hk_large *l = (struct hk_large *)s;
	if (l->user != (uintptr_t)p)
		hk_fatal_ptr(func, l->user ? "invalid pointer" : "double free", p);
	span_free(l);
}

int hk_large_resize(struct hk_segment *s, void *p, size_t n)
{
	if (hk_segment_kind(s) == HK_SEG_RUNS)
		return hk_runs_resize(s, p, n);
	return span_resize((struct hk_large *)s, n);
}

void hk_large_atfork_prepare(void)
{
	pthread_mutex_lock(&large_lock);
}

void hk_large_atfork_release(void)
{
	pthread_mutex_unlock(&large_lock);
}
