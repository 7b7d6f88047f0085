/* large.c — direct mappings and the span cache (see large.h). */
#include <pthread.h>
#include <sys/mman.h>
#include "config.h"
#include "large.h"
#include "os.h"
#include "region.h"
#include "stats.h"

#define HDR 64u
#define CACHE_SLOTS 16

struct cached_span {
	void *base;
	size_t size;
};

static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_span cache[CACHE_SLOTS];
static size_t cache_bytes;
static unsigned cache_victim;

/* A span maps whole 2 MiB chunks: they are its own anyway (the registry
 * gives each chunk one owner), untouched pages cost no memory, and realloc
 * can then grow the block to the chunk's end in place, without a syscall. */
static size_t span_size(size_t need)
{
	return hk_align_up(need, HK_CHUNK);
}

static void *cache_take_locked(size_t size)
{
	int best = -1;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		size_t s = cache[i].size;
		if (cache[i].base && s >= size && s - size <= size / 4 &&
		    (best < 0 || s < cache[best].size))
			best = i;
	}
	if (best < 0)
		return NULL;
	void *base = cache[best].base;
	cache_bytes -= cache[best].size;
	cache[best].base = NULL;
	return base;
}

/* A span of size bytes starting on an align boundary (at least a chunk). */
static void *span_get(size_t size, size_t align)
{
	void *base = NULL;
	if (align <= HK_CHUNK) {
		pthread_mutex_lock(&large_lock);
		base = cache_take_locked(size);
		pthread_mutex_unlock(&large_lock);
		hk_stats_large_cache(base != NULL);
	}
	if (base)
		return base;
	return hk_segment_new(size, align > HK_CHUNK ? align : HK_CHUNK, HK_SEG_LARGE, NULL,
			      HK_PURPOSE_LARGE);
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

static void mark_dirty(struct hk_large *l)
{
	size_t end = l->user - (uintptr_t)l + l->usable;
	if (end > l->dirty)
		l->dirty = end;
}

static void *large_alloc(size_t n, size_t align, size_t *dirty, int growing)
{
	size_t off = align > HDR ? align : HDR; /* the header sits in front of the block */
	if (n > ((size_t)1 << 46) || off > ((size_t)1 << 40))
		return NULL;
	size_t size = span_size(off + n);
	struct hk_large *l = span_get(size, align);
	if (!l)
		return NULL;
	/* a cached span keeps its header; its size may exceed the request */
	l->user = (uintptr_t)l + off;
	l->usable = hk_align_up(n, HK_PAGE); /* not the whole span: callers may fill what we report */
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

static void evict_locked(struct cached_span *v, struct cached_span *out, int *n)
{
	out[(*n)++] = *v;
	cache_bytes -= v->size;
	v->base = NULL;
}

/* Make room for size bytes in the cache, oldest first (round robin from the
 * victim hand); returns the free slot, the evicted spans go to out. */
static struct cached_span *cache_room_locked(size_t size, struct cached_span *out, int *n)
{
	for (int i = 0; i < CACHE_SLOTS && cache_bytes + size > hk_config.large_cache; i++) {
		struct cached_span *v = &cache[(cache_victim + i) % CACHE_SLOTS];
		if (v->base)
			evict_locked(v, out, n);
	}
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (!cache[i].base)
			return &cache[i];
	struct cached_span *v = &cache[cache_victim];
	cache_victim = (cache_victim + 1) % CACHE_SLOTS;
	evict_locked(v, out, n);
	return v;
}

void hk_large_free(struct hk_large *l)
{
	size_t size = l->seg.size;
	l->user = 0; /* a second free of the same pointer is now invalid */
	__atomic_sub_fetch(&slack_bytes, l->charged, __ATOMIC_RELAXED);
	l->charged = 0;
	if (size > hk_config.large_cache) {
		span_release(l, size);
		return;
	}
	struct cached_span evicted[CACHE_SLOTS];
	int n = 0;
	pthread_mutex_lock(&large_lock);
	*cache_room_locked(size, evicted, &n) = (struct cached_span){l, size};
	cache_bytes += size;
	pthread_mutex_unlock(&large_lock);
	for (int i = 0; i < n; i++)
		span_release(evicted[i].base, evicted[i].size);
}

int hk_large_resize(struct hk_large *l, size_t n)
{
	size_t off = l->user - (uintptr_t)l;
	if (off + n > l->seg.size)
		return -1;
	size_t keep = span_size(off + n);
	if (keep <= l->seg.size / 2) { /* give the tail chunks back */
		hk_registry_clear((char *)l + keep, l->seg.size - keep);
		hk_region_give((char *)l + keep, l->seg.size - keep, l->dirty > keep ? l->dirty - keep : 0,
			       HK_PURPOSE_LARGE);
		l->seg.size = keep;
		if (l->dirty > keep)
			l->dirty = keep;
	}
	l->usable = hk_align_up(n, HK_PAGE);
	mark_dirty(l);
	return 0;
}

void hk_large_atfork_prepare(void)
{
	pthread_mutex_lock(&large_lock);
}

void hk_large_atfork_release(void)
{
	pthread_mutex_unlock(&large_lock);
}
