/* large.c — direct mappings and the span cache (see large.h). */
#include <string.h>
#include <sys/mman.h>
#include "chunks.h"
#include "config.h"
#include "large.h"
#include "lock.h"
#include "os.h"
#include "out.h"
#include "region.h"
#include "runs.h"
#include "stats.h"

#define HDR 64u
_Static_assert(sizeof(struct hk_large) <= HDR, "a span's header fits the bytes kept for it");
/* Enough slots that a program holding thousands of large blocks, whose count
 * swings by dozens, finds its spans again instead of madvising and faulting
 * them afresh (random 16 B..300 KB, 8 k slots: 24 k madvise with 16). */
#define CACHE_SLOTS 256

struct cached_span {
	void *base;
	size_t size; /* bytes mapped */
	size_t dirty; /* bytes from base that may be non-zero (and resident) */
	uint64_t since; /* ms: when it was cached */
	uint64_t seq; /* the order it was cached in, within a millisecond */
	uintptr_t region; /* hk_region_base(base): asked once, not at every malloc */
	int huge; /* its header's, asked once: such spans serve big blocks only (huge_block) */
};

static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;
/* In address order, so that spans side by side are neighbours here and no
 * malloc sorts them; the resident bytes of all of them are cache_bytes,
 * which cache_budget() bounds, and the oldest go first past it.  A block
 * takes the start of the free range (spans side by side) that fits it
 * best, joined and cut to the chunks it needs (the rest stays cached):
 * freed memory then serves blocks of any size, as a page heap's would.
 * Spans are joined only then, so that each keeps the dirty bytes of its
 * own last block. */
static struct cached_span cache[CACHE_SLOTS];
static unsigned cache_count;
static size_t cache_bytes;
static uint64_t cache_seq;
/* Bytes of the spans in use (atomic: updated outside the lock). */
static size_t live_bytes;

/* Resident bytes the cache may keep: as many as the spans in use hold.
 * Blocks of 5-25 MiB replaced at random in 20 slots (mimalloc-bench's
 * malloc-large) need that much to find a fit for each new block among the
 * freed ones: with a quarter, 69 of 300 mallocs found none and faulted a
 * fresh span in (330 ops/s, 350 k page faults; 480 and 119 k with this). */
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
 * cover it (no page faults) with the least slack, else the most dirty; the
 * smaller of two alike (the rest of a larger one stays for a larger block). */
static int better_fit(const struct cached_span *a, const struct cached_span *b, size_t need)
{
	if ((a->dirty >= need) != (b->dirty >= need))
		return a->dirty >= need;
	if (a->dirty != b->dirty)
		return a->dirty >= need ? a->dirty < b->dirty : a->dirty > b->dirty;
	return a->size < b->size;
}

/* Take the n cached spans from index i out of the cache into out. */
static void cache_remove_locked(unsigned i, unsigned n, struct cached_span *out)
{
	for (unsigned k = 0; k < n; k++) {
		out[k] = cache[i + k];
		cache_bytes -= out[k].dirty;
	}
	cache_count -= n;
	memmove(&cache[i], &cache[i + n], (cache_count - i) * sizeof(cache[0]));
}

/* Put c in the cache, in address order. */
static void cache_insert_locked(struct cached_span c)
{
	unsigned lo = 0, hi = cache_count;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if ((char *)cache[mid].base < (char *)c.base)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&cache[lo + 1], &cache[lo], (cache_count - lo) * sizeof(cache[0]));
	c.seq = ++cache_seq;
	c.region = hk_region_base(c.base);
	c.huge = ((const struct hk_large *)c.base)->huge; /* a cached span keeps its header */
	cache[lo] = c;
	cache_count++;
	cache_bytes += c.dirty;
}

static int cached_before(const struct cached_span *a, const struct cached_span *b)
{
	return a->since != b->since ? a->since < b->since : a->seq < b->seq;
}

/* The index of the span cached first. */
static unsigned cache_oldest_locked(void)
{
	unsigned o = 0;
	for (unsigned i = 1; i < cache_count; i++)
		if (cached_before(&cache[i], &cache[o]))
			o = i;
	return o;
}

/* The cached span, cached at cutoff or before (ms), that best fits a block
 * of size bytes that will touch need, or -1; for another tier: not huge. */
static int cache_find_locked(size_t size, size_t need, uint64_t cutoff)
{
	int best = -1;
	for (unsigned i = 0; i < cache_count; i++) {
		if (cache[i].size >= size && cache[i].since <= cutoff && !cache[i].huge &&
		    (best < 0 || better_fit(&cache[i], &cache[best], need)))
			best = (int)i;
	}
	return best;
}

/* Whether b starts where a ends, in the same region (a direct mapping, or
 * the next region by chance, goes back to the OS on its own). */
static int adjacent(const struct cached_span *a, const struct cached_span *b)
{
	return (char *)a->base + a->size == (char *)b->base && a->region && a->region == b->region;
}

/* Spans joined for one block: at most this many (a longer row is left). */
#define JOIN_MAX 16u

/* Slack under a block smaller than this stays: not worth a madvise. */
#define DECOMMIT_MIN ((size_t)256 << 10)

/* Cached spans side by side make a free range; a block goes at the start
 * of one, in the fewest spans that hold it (at most JOIN_MAX). */
struct range_fit {
	unsigned first, spans; /* cache[first], then spans - 1 more */
	size_t total; /* bytes of the whole range */
	size_t resident; /* of the bytes the block will touch: the dirty ones */
	size_t slack; /* dirty bytes past those, in the chunks it takes */
};

/* Better for a block: the range where it takes the fewest page faults;
 * then one that leaves no slack under it worth a madvise (malloc gives back
 * the slack of reused spans past a budget, a madvise each: 1000 blocks of
 * 1-4 MiB replaced at random, first byte written, made 7177 calls when
 * this came after the fit, 195 with the best single span, none now); then
 * the one with the least to spare.  Taking the start of the best fitting
 * range leaves its rest in one piece, where the best fitting span, or the
 * best row of spans however placed, left pieces on both sides: malloc_large,
 * seeds 1-40, 471 -> 466 MiB peak on average; 2000 ops, seeds 1-6, 518 ->
 * 497 MiB, and no madvise calls where the cache went over its budget 4-12
 * times.  A growing buffer (realloc) will touch its whole span, so it goes
 * where the most pages are resident. */
static int better_range(const struct range_fit *a, const struct range_fit *b)
{
	if (a->resident != b->resident)
		return a->resident > b->resident;
	if ((a->slack >= DECOMMIT_MIN) != (b->slack >= DECOMMIT_MIN))
		return a->slack < DECOMMIT_MIN;
	if (a->total != b->total)
		return a->total < b->total;
	return a->slack < b->slack;
}

/* Add span c, at held bytes into a block of size bytes that will touch
 * need, to the block's fit r. */
static void place_span(struct range_fit *r, const struct cached_span *c, size_t held, size_t size, size_t need)
{
	size_t left = held < need ? need - held : 0; /* to touch in c */
	size_t in = c->dirty < left ? c->dirty : left;
	size_t past = c->dirty < size - held ? c->dirty : size - held; /* dirty of c in the block's chunks */
	r->resident += in;
	r->slack += past - in;
	r->spans++;
}

/* The block of size bytes that will touch need, placed from cache[first]
 * in spans side by side up to cache[end - 1]: how many it takes (0 when
 * they do not hold it), how much of need is resident and how much slack. */
static struct range_fit place_at(unsigned first, unsigned end, size_t size, size_t need)
{
	struct range_fit r = {.first = first};
	size_t held = 0;
	for (unsigned e = first; e < end && held < size; e++) {
		place_span(&r, &cache[e], held, size, need);
		held += cache[e].size;
	}
	if (held < size)
		r.spans = 0;
	return r;
}

/* The block of size bytes that will touch need, in the free range of total
 * bytes from cache[first] to cache[end - 1]: at its start, unless it would
 * take more than JOIN_MAX spans from there; then at the first span from
 * which it takes no more (spans 0: none). */
static struct range_fit range_fit(unsigned first, unsigned end, size_t total, size_t size, size_t need)
{
	struct range_fit r = {.first = first, .total = total};
	if (end == first + 1) { /* most ranges: one span, which holds the block */
		place_span(&r, &cache[first], 0, size, need);
		return r;
	}
	for (unsigned s = first; s < end; s++) {
		r = place_at(s, end, size, need);
		if (r.spans <= JOIN_MAX) /* 0 too: a later start holds no more */
			break;
		r.spans = 0;
	}
	r.total = total;
	return r;
}

/* The spans for a block of size bytes that will touch need, at the start
 * of the free range that fits it best (in address space for huge pages only
 * if big, huge_block), taken out of the cache into parts
 * (in address order); returns how many, 0 when no range holds it.  Every
 * large malloc scans the whole cache, so a range too short is passed over
 * on its size alone. */
static unsigned cache_take_range_locked(size_t size, size_t need, int big, struct cached_span *parts)
{
	struct range_fit best = {0};
	unsigned first = 0;
	size_t total = 0;
	for (unsigned e = 0; e < cache_count; e++) {
		total += cache[e].size;
		if (e + 1 < cache_count && adjacent(&cache[e], &cache[e + 1]))
			continue;
		/* the range from cache[first] to cache[e] (one region: alike) */
		if (total >= size && (big || !cache[first].huge)) {
			struct range_fit r = range_fit(first, e + 1, total, size, need);
			if (r.spans && (!best.spans || better_range(&r, &best)))
				best = r;
		}
		first = e + 1;
		total = 0;
	}
	cache_remove_locked(best.first, best.spans, parts);
	return best.spans;
}

/* One span of the n parts side by side: the headers after the first are
 * cleared, and its dirty bytes reach into the last part written.  The
 * whole HDR is cleared, not only the header struct: a part cut from a
 * block's span counts HDR dirty bytes when less of the block reached it
 * (span_split), and the bytes past the struct then held the block's. */
static struct cached_span join(const struct cached_span *parts, unsigned n)
{
	struct cached_span c = parts[0];
	for (unsigned i = 1; i < n; i++) {
		memset(parts[i].base, 0, HDR);
		if (parts[i].dirty > HDR) /* more than the header just cleared */
			c.dirty = c.size + parts[i].dirty;
		c.size += parts[i].size;
	}
	hk_registry_set(c.base, c.size); /* chunks registered before: no leaf to map */
	return c;
}

static void cache_put(struct cached_span c);

/* Cut l to keep bytes; the rest becomes a span of its own, cached as
 * since (0: now; a piece of a cached span keeps its age). */
static void span_split(struct hk_large *l, size_t keep, uint64_t since)
{
	size_t rest = l->seg.size - keep, dirty = l->dirty > keep ? l->dirty - keep : 0;
	if (dirty < HDR) /* its header is the one thing written where the rest was clean */
		dirty = HDR;
	struct hk_large *t = (struct hk_large *)((char *)l + keep);
	*t = (struct hk_large){.seg = {hk_owner_kind(NULL, HK_SEG_LARGE), rest}, .huge = l->huge};
	hk_registry_set(&t->seg, rest); /* chunks registered before: no leaf to map */
	l->seg.size = keep;
	if (l->dirty > keep)
		l->dirty = keep;
	cache_put((struct cached_span){.base = t, .size = rest, .dirty = dirty, .since = since});
}

/* The span of cached c, its header filled in. */
static struct hk_large *uncached(struct cached_span c)
{
	struct hk_large *l = c.base;
	l->seg.size = c.size;
	l->dirty = c.dirty;
	return l;
}

/* A cached span for a block of size bytes that will touch need, cut to
 * size: the rest, however small, joins its neighbours in a range as they
 * are freed.  Kept with the block, a rest under a quarter of it was one
 * more piece no block fit (malloc_large, 80 seeds simulated: 6 MiB more
 * peak on average). */
static struct hk_large *cache_take(size_t size, size_t need, int big)
{
	struct cached_span parts[JOIN_MAX];
	hk_lock(&large_lock);
	unsigned n = cache_take_range_locked(size, need, big, parts);
	hk_unlock(&large_lock);
	if (!n)
		return NULL;
	struct cached_span c = n > 1 ? join(parts, n) : parts[0];
	struct hk_large *l = uncached(c);
	if (l->seg.size > size)
		span_split(l, size, c.since);
	return l;
}

/* The cached span that best fits size bytes among those the large tier has
 * left alone for HAKMEM_LARGE_PURGE_MS, cut to it and out of the cache,
 * while the cache holds more than HAKMEM_LARGE_CACHE_MB; else NULL.  Within
 * that, or freed just now, spans stay for large blocks: a Python program
 * whose threads rebuild 1 MB dict tables peaked 7 % higher when the arenas
 * and superslabs took them and new tables faulted in fresh spans. */
static struct hk_large *cache_take_idle(size_t size)
{
	uint64_t now = hk_os_now_ms(), wait = hk_config.large_purge_ms;
	uint64_t cutoff = now > wait ? now - wait : 0;
	hk_lock(&large_lock);
	/* the most dirty: those pages are what the other tier would add */
	int i = cache_bytes > hk_config.large_cache ? cache_find_locked(size, size, cutoff) : -1;
	struct cached_span c = {0};
	if (i >= 0)
		cache_remove_locked((unsigned)i, 1, &c);
	hk_unlock(&large_lock);
	if (i < 0)
		return NULL;
	struct hk_large *l = uncached(c);
	if (c.size > size)
		span_split(l, size, c.since);
	return l;
}

/* Whether a block of n bytes is big enough for huge pages: it is
 * HAKMEM_LARGE_HUGE_MB at least.  It may then take spans in address space
 * for transparent huge pages, and a fresh span there if it fills it
 * (huge_fit). */
static int huge_block(size_t n)
{
	return hk_config.large_huge && n >= hk_config.large_huge;
}

/* Whether a big block of n bytes fills its span of size bytes to within an
 * eighth, what lies before it counted too: a huge page is resident whole
 * once any byte of it is touched, so a block that ends just past a chunk
 * boundary (malloc(8 MiB), behind its header) would make its last chunk
 * resident for a few bytes, and one aligned to 4 MiB its header's chunk.
 * A fresh span for it comes from address space for huge pages: each chunk
 * it fills is then one page fault instead of 512 (malloc_large: 118 k
 * faults -> 5 k, 2.3x the ops/s). */
static int huge_fit(size_t n, size_t size)
{
	return huge_block(n) && size - n <= n / 8;
}

/* A span of size bytes starting on an align boundary (at least a chunk),
 * for a block of n bytes that will touch its first need bytes; in huge
 * pages only when huge_ok. */
static struct hk_large *span_get(size_t size, size_t align, size_t need, size_t n, int huge_ok)
{
	struct hk_large *l = NULL;
	if (align <= HK_CHUNK) {
		l = cache_take(size, need, huge_ok && huge_block(n));
		hk_stats_large_cache(l != NULL);
	}
	if (l)
		return l;
	int huge = huge_ok && huge_fit(n, size);
	l = hk_segment_new(size, align > HK_CHUNK ? align : HK_CHUNK, HK_SEG_LARGE, NULL, HK_PURPOSE_LARGE, huge);
	if (l)
		l->huge = huge;
	return l;
}

/* Reusing a span for a smaller block leaves the pages it dirtied beyond the
 * block resident.  Those are kept while the total slack of live blocks fits a
 * budget (an eighth of the cache's), so that blocks which grow back find their
 * pages; past it the tail is given back, so a cache of spans once filled to
 * megabytes does not keep them resident under small blocks. */
static size_t slack_bytes; /* sum of live spans' charged slack */

static void decommit_tail(struct hk_large *l, size_t end)
{
	end = hk_align_up(end, HK_PAGE);
	size_t slack = l->dirty > end ? l->dirty - end : 0;
	if (slack < DECOMMIT_MIN)
		return;
	size_t budget = cache_budget() / 8;
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
	/* malloc(0) is a block too: with off == align == the span's size, its
	 * pointer would lie past the span, in memory hakmem may not own */
	size_t size = span_size(off + (n ? n : 1));
	/* a growing buffer will touch the whole span */
	size_t need = growing ? size : hk_align_up(off + n, HK_PAGE);
	/* calloc (dirty wanted) makes the sparse tables: a hash table written
	 * here and there would be resident whole in huge pages (xz -6's 16 MiB
	 * hash: 16.6 MB, against 6 MB in 4 KiB pages) */
	struct hk_large *l = span_get(size, align, need, n, dirty == NULL);
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

static void span_release(struct cached_span c)
{
	hk_registry_clear(c.base, c.size);
	hk_region_give(c.base, c.size, c.dirty, HK_PURPOSE_LARGE);
}

/* ms: since when the cache has held more than its budget; 0 while within.
 * Spans past the budget go back only once that has lasted
 * HAKMEM_LARGE_PURGE_MS (or at hakmem_flush), as the free pages of run
 * chunks do: a program freeing everything at its exit then makes no madvise
 * calls for memory about to go anyway (malloc_large: 34 calls, 462 MB). */
static uint64_t over_since;

/* Whether the cache, to take in dirty more bytes, must come down to its
 * budget: it would be past it, and has been for long enough. */
static int over_budget_long_locked(size_t dirty, size_t budget, uint64_t now)
{
	if (cache_bytes + dirty <= budget) {
		hk_purge_reset(&over_since);
		return 0;
	}
	return hk_purge_due(&over_since, now);
}

/* Spans taken out of the cache per hold of its lock, released after it. */
#define EVICT_MAX 8

/* Take up to EVICT_MAX of the oldest spans out of the cache into out,
 * while its slots are full or, when to_budget, while dirty more bytes would
 * not fit its budget; returns how many.  They are released outside the lock. */
static unsigned cache_evict_locked(struct cached_span *out, size_t dirty, size_t budget, int to_budget)
{
	unsigned n = 0;
	while (n < EVICT_MAX && cache_count && (cache_count == CACHE_SLOTS || (to_budget && cache_bytes + dirty > budget)))
		cache_remove_locked(cache_oldest_locked(), 1, &out[n++]);
	return n;
}

/* Release the n spans cache_evict_locked took, outside the lock. */
static void release_evicted(const struct cached_span *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		span_release(out[i]);
}

/* ms of the last look for idle spans (hk_idle_check_due). */
static uint64_t idle_checked;

/* Take up to EVICT_MAX spans cached at cutoff or before out of the cache
 * into out, the oldest first (as cache_evict_locked). */
static unsigned cache_idle_locked(struct cached_span *out, uint64_t cutoff)
{
	unsigned n = 0, i;
	while (n < EVICT_MAX && cache_count && cache[i = cache_oldest_locked()].since <= cutoff)
		cache_remove_locked(i, 1, &out[n++]);
	return n;
}

void hk_large_idle(uint64_t now)
{
	if (!hk_idle_check_due(&idle_checked, now))
		return;
	unsigned n;
	do {
		struct cached_span out[EVICT_MAX];
		hk_lock(&large_lock);
		n = cache_idle_locked(out, now - hk_config.large_idle_ms);
		hk_unlock(&large_lock);
		release_evicted(out, n);
	} while (n == EVICT_MAX);
	hk_runs_decay(now);
	hk_chunks_purge(0);
}

/* Cache the span c, evicting the oldest spans when it needs a slot or the
 * cache has been over its budget long enough. */
static void cache_put(struct cached_span c)
{
	uint64_t now = hk_os_now_ms();
	hk_large_idle(now);
	size_t budget = cache_budget();
	if (c.dirty > budget) {
		span_release(c);
		return;
	}
	for (;;) {
		struct cached_span out[EVICT_MAX];
		hk_lock(&large_lock);
		int shrink = over_budget_long_locked(c.dirty, budget, now);
		if (cache_count < CACHE_SLOTS && !shrink) {
			c.since = c.since ? c.since : now;
			cache_insert_locked(c);
			hk_unlock(&large_lock);
			return;
		}
		unsigned n = cache_evict_locked(out, c.dirty, budget, shrink);
		hk_unlock(&large_lock);
		release_evicted(out, n);
	}
}

void *hk_large_lend(size_t size)
{
	size = span_size(size);
	struct hk_large *l = cache_take_idle(size);
	if (!l)
		return NULL;
	hk_registry_clear(l, size);
	size_t dirty = l->dirty; /* within size, after the cut */
	return memset(l, 0, dirty > sizeof(*l) ? dirty : sizeof(*l));
}

void hk_large_purge(int all)
{
	size_t budget = all ? 0 : cache_budget();
	unsigned n;
	do {
		struct cached_span out[EVICT_MAX];
		hk_lock(&large_lock);
		n = cache_evict_locked(out, 0, budget, 1);
		hk_purge_reset(&over_since);
		hk_unlock(&large_lock);
		release_evicted(out, n);
	} while (n);
}

static void span_free(struct hk_large *l)
{
	l->user = 0; /* a second free of the same pointer is now invalid */
	__atomic_sub_fetch(&slack_bytes, l->charged, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&live_bytes, l->seg.size, __ATOMIC_RELAXED);
	l->charged = 0;
	cache_put((struct cached_span){.base = l, .size = l->seg.size, .dirty = l->dirty});
}

/* Whether a cached span has end bytes or more resident.  A block growing
 * past the pages its span has touched then moves there (span_resize): the
 * copy takes about the time the page faults would (bench_realloc's speed is
 * unchanged), and its own span, cached, serves the next buffer entering the
 * tier, which needs fewer pages.  Spans never hand pages back for nothing
 * (a madvise each), so without the move every span a buffer once filled
 * stays resident to its high-water mark under whichever buffer takes it
 * next: bench_realloc (16 buffers grown to 1 MiB and restarted) peaked at
 * 15.1 MB, 14.4 with it (seeds 1-6: 0-1.1 MB less), 210 moves in 500 k
 * reallocs; bench_buffer_growth unchanged. */
static int cache_holds_dirty(size_t end)
{
	int found = 0;
	hk_lock(&large_lock);
	for (unsigned i = 0; i < cache_count && !found; i++)
		found = cache[i].dirty >= end && !cache[i].huge;
	hk_unlock(&large_lock);
	return found;
}

static int span_resize(struct hk_large *l, size_t n)
{
	size_t off = l->user - (uintptr_t)l;
	if (n > l->seg.size - off) /* not off + n: realloc(p, SIZE_MAX) wraps it */
		return -1;
	size_t end = hk_align_up(off + n, HK_PAGE);
	if (end > l->dirty && !l->huge && cache_holds_dirty(end))
		return -1; /* realloc moves it: hk_large_alloc_growing takes the most resident */
	size_t keep = span_size(off + n);
	if (keep <= l->seg.size / 2) { /* the tail chunks serve other blocks */
		__atomic_sub_fetch(&live_bytes, l->seg.size - keep, __ATOMIC_RELAXED);
		span_split(l, keep, 0);
	}
	l->usable = span_usable(l, off, n);
	mark_dirty(l);
	return 0;
}

size_t hk_large_usable(const struct hk_segment *s, const void *p)
{
	if (hk_segment_kind(s) == HK_SEG_RUNS)
		return hk_runs_live_usable(s, p);
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
