/* runs.c — page runs packed in shared chunks (see runs.h). */
#include <string.h>
#include <sys/mman.h>
#include "bitmap.h"
#include "config.h"
#include "lock.h"
#include "os.h"
#include "out.h"
#include "probe_time.h"
#include "chunks.h"
#include "reclaim.h"
#include "region.h"
#include "runs.h"
#include "stats.h"

#define PAGES ((unsigned)(HK_CHUNK / HK_PAGE)) /* page 0 holds the header */
#define WORDS (PAGES / 64)

struct run_chunk {
	struct hk_segment seg;
	struct run_chunk *next, *prev; /* in its arena's bins[bin_of(longest)] while longest > 0 */
	unsigned arena; /* index in arenas[], for life */
	unsigned free_pages;
	unsigned longest; /* pages in its longest free run */
	uint64_t used[WORDS]; /* page handed out (page 0: this header) */
	uint64_t dirty[WORDS]; /* page may hold non-zero bytes */
	uint64_t freed[WORDS]; /* first page of a run freed since: a second free is a double free */
	uint16_t len[PAGES]; /* at a live run's first page: its length in pages */
};
_Static_assert(sizeof(struct run_chunk) <= HK_PAGE, "the header fits page 0");

/* Bins by the pages of a chunk's longest free run: one per count below 8,
 * then four per power of two (8-9, 10-11, 12-13, 14-15, 16-19 ... 448-511).
 * A search looks at a few chunks of its own bin, then takes one from the next
 * bin up, which surely fits: O(1) however many chunks there are. */
#define BINS 32
#define BIN_TRIES 8
/* The chunks are split among a few arenas, each with its lock and bins: a
 * thread takes runs from the arena of the CPU it runs on and frees them to
 * their chunk's, so that threads on different cores seldom wait for each
 * other (2-thread 52-256 KiB larson: 1.3x over one lock).  The lock is
 * adaptive: it is held for a bitmap scan, far shorter than a futex sleep and
 * wake-up (1.6x over a plain mutex, with one lock). */
#define ARENAS 4
struct run_arena {
	pthread_mutex_t lock;
	struct run_chunk *bins[BINS];
	uint64_t used_ms; /* hk_os_now_ms() when it last handed out or took back a run */
} __attribute__((aligned(64)));
static struct run_arena arenas[ARENAS] = {[0 ... ARENAS - 1] = {.lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP}};
/* Pages in live runs, and free pages that may still be resident.  Free
 * pages keep their memory while there are at most HAKMEM_LARGE_CACHE_MB of
 * them or a quarter of the live pages, so that blocks freed and allocated
 * again find their pages instead of a madvise and page faults each; past
 * that, an empty chunk goes back to the region at once (or, while phases
 * alternate, waits idle for any tier: hk_chunks_release); the free pages of
 * open chunks go down to half of that once the excess has lasted
 * HAKMEM_LARGE_PURGE_MS (or at hakmem_flush), so that memory freed after a
 * peak leaves the process, but a program freeing everything (its exit) can
 * empty its chunks first and give each back whole, in one call, instead of
 * returning every free run apart (a call each).  All arenas share the
 * budget: these are atomic, updated under any arena's lock. */
static size_t live_pages, free_dirty;
static uint64_t over_since; /* ms: when free_dirty went past the budget; 0 when within */

static size_t load(const size_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void add(size_t *v, size_t n)
{
	__atomic_add_fetch(v, n, __ATOMIC_RELAXED);
}

static void sub(size_t *v, size_t n)
{
	__atomic_sub_fetch(v, n, __ATOMIC_RELAXED);
}

/* The first free run at or after page i: its start (PAGES: none) and *end. */
static unsigned free_run(const struct run_chunk *c, unsigned i, unsigned *end)
{
	unsigned start = hk_bits_next(c->used, PAGES, i, 0);
	*end = hk_bits_next(c->used, PAGES, start, 1);
	return start;
}

/* Best fit: the shortest free run of c that holds k pages (the lowest of
 * those; *len gets its length), or -1.  Holes too short for any block hold
 * resident pages nobody reuses; best fit leaves fewer of them than first fit. */
static int find_run(const struct run_chunk *c, unsigned k, unsigned *len)
{
	int best = -1;
	unsigned end;
	*len = PAGES;
	for (unsigned i = free_run(c, 1, &end); i < PAGES; i = free_run(c, end, &end))
		if (end - i >= k && end - i < *len) {
			best = (int)i;
			*len = end - i;
		}
	return best;
}

/* The last used page before page i (page 0, the header, is always used). */
static unsigned prev_used(const struct run_chunk *c, unsigned i)
{
	unsigned w = (i - 1) / 64;
	uint64_t bits = c->used[w] & hk_word_mask(0, (i - 1) % 64 + 1);
	while (!bits)
		bits = c->used[--w];
	return w * 64 + 63 - (unsigned)__builtin_clzll(bits);
}

static unsigned longest_run(const struct run_chunk *c)
{
	unsigned longest = 0, end;
	for (unsigned i = free_run(c, 1, &end); i < PAGES; i = free_run(c, end, &end))
		longest = end - i > longest ? end - i : longest;
	return longest;
}

static unsigned bin_of(unsigned pages)
{
	if (pages < 8)
		return pages - 1;
	unsigned log = 31u - (unsigned)__builtin_clz(pages); /* >= 3 */
	return 4 * (log - 1) + ((pages >> (log - 2)) & 3);
}

static void bin_unlink(struct run_chunk *c)
{
	if (!c->longest)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		arenas[c->arena].bins[bin_of(c->longest)] = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* File c under its longest free run of `longest` pages (0: full, no bin). */
static void file_under(struct run_chunk *c, unsigned longest)
{
	if (c->longest && longest && bin_of(c->longest) == bin_of(longest)) {
		c->longest = longest;
		return;
	}
	bin_unlink(c);
	c->longest = longest;
	if (!longest)
		return;
	struct run_chunk **head = &arenas[c->arena].bins[bin_of(longest)];
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

/* A chunk of a with a free run of k pages, or NULL. */
static struct run_chunk *find_chunk(struct run_arena *a, unsigned k)
{
	unsigned b = bin_of(k), tries = 0;
	for (struct run_chunk *c = a->bins[b]; c && tries < BIN_TRIES; c = c->next, tries++)
		if (c->longest >= k)
			return c;
	for (b++; b < BINS; b++)
		if (a->bins[b])
			return a->bins[b];
	return NULL;
}

/* Bytes in run chunks now: the arena_grow probes' sizes for the large tier. */
static size_t chunk_bytes;

/* Bytes of chunks the runs took from the idle ones (chunk_take): memory a
 * small tier gave up for a while, not for good.  As many bytes of the empty
 * chunks past the budget go back there, to wait for the next chunk of any
 * tier, rather than to the OS at once (chunk_release): a program whose runs
 * were built on its arenas (bench_phases: 73 MB of the first pass's 130 MB
 * of runs) would otherwise give back what its next small phase faults in
 * again, 61 MB and 17 k page faults, before the phases' alternation is
 * learned (chunks.c).  What it returns there goes to the OS once it has
 * waited HAKMEM_LARGE_PURGE_MS, as the arenas would have; a peak of runs
 * built on fresh memory still goes back at once.  Atomic: updated under any
 * arena's lock. */
static size_t borrowed;

/* Repay one chunk of what the runs borrowed: whether there was one. */
static int repay_chunk(void)
{
	size_t b = load(&borrowed);
	while (b >= HK_CHUNK)
		if (__atomic_compare_exchange_n(&borrowed, &b, b - HK_CHUNK, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

/* An idle chunk (its contents stale: header cleared, every page counted
 * dirty), else a fresh one; *stale says which. */
static struct run_chunk *chunk_take(int *stale)
{
	struct run_chunk *c = hk_chunks_take_idle(HK_CHUNK);
	*stale = c != NULL;
	if (c) {
		memset(c, 0, sizeof(*c));
		return c;
	}
	return hk_chunks_take_fresh(HK_CHUNK, HK_PURPOSE_LARGE);
}

static struct run_chunk *chunk_new(struct run_arena *a)
{
	hk_probe_arena_grow_start(HK_TIER_LARGE, (long)load(&chunk_bytes), (long)HK_CHUNK);
	uint64_t t0 = hk_probe_t0(HK_PROBE_ACTIVE(arena_grow));
	int stale;
	struct run_chunk *c = chunk_take(&stale);
	if (!c)
		return NULL;
	if (hk_segment_init(c, HK_CHUNK, HK_SEG_RUNS, NULL) != 0) {
		hk_region_give(c, HK_CHUNK, stale ? HK_CHUNK : HK_PAGE, HK_PURPOSE_LARGE);
		return NULL;
	}
	size_t bytes = __atomic_add_fetch(&chunk_bytes, HK_CHUNK, __ATOMIC_RELAXED);
	hk_stats_run_grow();
	hk_probe_arena_grow(HK_TIER_LARGE, (long)(bytes - HK_CHUNK), (long)bytes, (long)c, hk_probe_ns(t0));
	c->arena = (unsigned)(a - arenas);
	c->free_pages = PAGES - 1;
	hk_bits_set(c->used, 0, 1, 1);
	hk_bits_set(c->dirty, 0, stale ? PAGES : 1, 1);
	if (stale) {
		add(&free_dirty, PAGES - 1);
		add(&borrowed, HK_CHUNK);
	}
	file_under(c, PAGES - 1);
	return c;
}

static unsigned dirty_pages(const struct run_chunk *c)
{
	unsigned n = 0;
	for (unsigned w = 0; w < WORDS; w++)
		n += (unsigned)__builtin_popcountll(c->dirty[w]);
	return n;
}

/* Pages from page i on, within its k pages, up to the last that may hold
 * old data (0: none). */
static unsigned dirty_extent(const struct run_chunk *c, unsigned i, unsigned k)
{
	for (unsigned j = i + k; j > i; j--)
		if (hk_bit(c->dirty, j - 1))
			return j - i;
	return 0;
}

static void chunk_release(struct run_chunk *c)
{
	hk_registry_clear(c, HK_CHUNK);
	hk_chunks_release(c, HK_CHUNK, (size_t)dirty_extent(c, 0, PAGES) * HK_PAGE, HK_PURPOSE_LARGE,
			  repay_chunk());
}

/* Pages [i, i + k) of c, free until now, are handed out. */
static void use_pages(struct run_chunk *c, unsigned i, unsigned k)
{
	sub(&free_dirty, hk_bits_count(c->dirty, i, k));
	add(&live_pages, k);
	hk_bits_set(c->used, i, k, 1);
	hk_bits_set(c->dirty, i, k, 1);
	hk_bits_set(c->freed, i, k, 0);
	c->free_pages -= k;
}

/* Take k pages at i, from a free run of run_len pages. */
static void *take(struct run_chunk *c, unsigned i, unsigned k, unsigned run_len, size_t *dirty)
{
	uintptr_t *run = (uintptr_t *)((char *)c + (size_t)i * HK_PAGE);
	if (dirty)
		*dirty = (size_t)dirty_extent(c, i, k) * HK_PAGE;
	/* A stashed run holds the free key in its second word (run_stash.c);
	 * a page another tier left here (chunk_take) may hold it too. */
	if (hk_bit(c->dirty, i))
		run[1] = 0;
	use_pages(c, i, k);
	__atomic_store_n(&c->len[i], (uint16_t)k, __ATOMIC_RELAXED);
	if (run_len == c->longest) /* it may have been the only one that long */
		file_under(c, longest_run(c));
	return run;
}

/* pages pages aligned to align_pages from a chunk of a, whose lock the
 * caller holds (a new chunk if grow), or NULL.  Chunks are chunk aligned, so
 * a page index aligned to align_pages is an address aligned to align_pages
 * pages: a free run of pages + align_pages - 1 holds one. */
static void *alloc_in(struct run_arena *a, unsigned pages, unsigned align_pages, size_t *dirty, int grow)
{
	unsigned need = pages + align_pages - 1;
	struct run_chunk *c = find_chunk(a, need);
	if (!c && grow)
		c = chunk_new(a);
	void *p = NULL;
	if (c) {
		unsigned run_len;
		int i = find_run(c, need, &run_len);
		p = take(c, (unsigned)hk_align_up((size_t)i, align_pages), pages, run_len, dirty);
		a->used_ms = hk_os_now_ms();
	}
	return p;
}

/* The arena of this CPU first; then the free runs of the others not busy
 * right now before a new chunk, so that a thread moving to another core (or
 * taking over another thread's blocks there) reuses the pages already
 * resident, without waiting for a thread that works in its own arena. */
void *hk_run_chunks_alloc(unsigned pages, unsigned align_pages, size_t *dirty)
{
	struct run_arena *home = &arenas[hk_os_cpu() % ARENAS];
	hk_lock(&home->lock);
	void *p = alloc_in(home, pages, align_pages, dirty, 0);
	hk_unlock(&home->lock);
	for (unsigned j = 1; !p && j < ARENAS; j++) {
		struct run_arena *a = &arenas[(home - arenas + j) % ARENAS];
		if (hk_trylock(&a->lock) != 0)
			continue;
		p = alloc_in(a, pages, align_pages, dirty, 0);
		hk_unlock(&a->lock);
	}
	if (p)
		return p;
	hk_reclaim_before_runs(); /* unlocked: it walks the heap's lists */
	hk_lock(&home->lock);
	p = alloc_in(home, pages, align_pages, dirty, 1);
	hk_unlock(&home->lock);
	return p;
}

static unsigned page_index(const struct run_chunk *c, const void *p)
{
	return (unsigned)(((uintptr_t)p - (uintptr_t)c) / HK_PAGE);
}

/* The page index of the live run starting at p, or 0 (page 0 is never a run). */
static unsigned live_run(const struct run_chunk *c, const void *p)
{
	unsigned i = page_index(c, p);
	if ((uintptr_t)p % HK_PAGE || __atomic_load_n(&c->len[i], __ATOMIC_RELAXED) == 0)
		return 0;
	return i;
}

/* Free pages past which a free returns memory. */
static size_t budget_pages(void)
{
	return hk_large_keep(load(&live_pages) * HK_PAGE / 4) / HK_PAGE;
}

/* Return the resident pages of c's free runs to the OS, a madvise per run
 * (from its first dirty page to its last); the caller holds the lock, so
 * that nobody takes those pages meanwhile. */
static void purge(struct run_chunk *c)
{
	unsigned end;
	for (unsigned i = free_run(c, 1, &end); i < PAGES; i = free_run(c, end, &end)) {
		unsigned first = hk_bits_next(c->dirty, PAGES, i, 1);
		if (first >= end)
			continue;
		unsigned n = dirty_extent(c, first, end - first);
		hk_os_advise((char *)c + (size_t)first * HK_PAGE, (size_t)n * HK_PAGE, MADV_DONTNEED,
			     HK_PURPOSE_LARGE);
		sub(&free_dirty, hk_bits_count(c->dirty, first, n));
		hk_bits_set(c->dirty, first, n, 0);
	}
}

/* Over budget, purges go down to half the budget, so that the next one
 * waits for as much again to be freed. */
static size_t purge_target(void)
{
	return budget_pages() / 2;
}

/* Purge a's open chunks, the emptiest first (their free runs are long: few
 * calls), till the tier holds target free dirty pages.  The caller holds
 * a's lock. */
static void purge_down(struct run_arena *a, size_t target)
{
	for (int b = BINS - 1; b >= 0; b--)
		for (struct run_chunk *c = a->bins[b]; c; c = c->next) {
			if (load(&free_dirty) <= target)
				return;
			purge(c);
		}
}

/* purge_down every arena but held (whose lock the caller holds, or NULL)
 * not used since used_before (UINT64_MAX: all); with wait 0, only those
 * whose lock is free right now (a trylock keeps no lock order while the
 * caller holds one). */
static void purge_others(const struct run_arena *held, int wait, size_t target, uint64_t used_before)
{
	for (unsigned i = 0; i < ARENAS; i++) {
		struct run_arena *b = &arenas[i];
		if (b == held)
			continue;
		if (!wait && hk_trylock(&b->lock) != 0)
			continue;
		if (wait)
			hk_lock(&b->lock);
		if (b->used_ms <= used_before)
			purge_down(b, target);
		hk_unlock(&b->lock);
	}
}

/* ms of the last look for idle arenas (hk_idle_check_due). */
static uint64_t idle_checked;

/* The free pages of the arenas that have neither handed out nor taken back
 * a run for HAKMEM_LARGE_IDLE_MS go back, within the budget too (an arena
 * still taking back runs, as at a program's exit, keeps them: the chunk
 * that empties goes back whole, in one call).  held: as purge_others. */
static void decay(const struct run_arena *held, uint64_t now)
{
	if (hk_idle_check_due(&idle_checked, now))
		purge_others(held, 0, 0, now - hk_config.large_idle_ms);
}

void hk_runs_decay(uint64_t now)
{
	decay(NULL, now);
}

/* free_dirty is past the budget: purge once that has lasted long enough. */
static void over_budget(struct run_arena *a, uint64_t now)
{
	if (!hk_purge_due(&over_since, now))
		return;
	purge_down(a, purge_target());
	purge_others(a, 0, purge_target(), UINT64_MAX); /* the free pages may be anywhere */
	hk_purge_reset(&over_since);
}

void hk_runs_purge(int all)
{
	__atomic_store_n(&borrowed, 0, __ATOMIC_RELAXED); /* the idle chunks went back just before (hk_flush) */
	if (all)
		purge_others(NULL, 1, 0, UINT64_MAX);
	else if (load(&free_dirty) > budget_pages())
		purge_others(NULL, 1, purge_target(), UINT64_MAX);
	hk_purge_reset(&over_since);
}

/* The empty chunk c leaves its arena and this tier; the caller holds the lock. */
static void unfile_empty(struct run_chunk *c)
{
	bin_unlink(c);
	sub(&free_dirty, dirty_pages(c) - 1); /* the header page is no free page */
	sub(&chunk_bytes, HK_CHUNK);
}

/* Give back pages [i, i + k) of c; the caller holds the lock.  Returns c
 * when it is now empty and should go back to the region. */
static struct run_chunk *give_pages(struct run_chunk *c, unsigned i, unsigned k)
{
	struct run_arena *a = &arenas[c->arena];
	uint64_t now = hk_os_now_ms();
	a->used_ms = now;
	hk_bits_set(c->used, i, k, 0);
	c->free_pages += k;
	sub(&live_pages, k);
	add(&free_dirty, k); /* pages handed out are marked dirty */
	if (c->free_pages == PAGES - 1 && load(&free_dirty) > budget_pages()) {
		unfile_empty(c);
		return c;
	}
	/* the freed pages join the free runs on either side */
	unsigned merged = hk_bits_next(c->used, PAGES, i + k, 1) - (prev_used(c, i) + 1);
	if (merged > c->longest)
		file_under(c, merged);
	if (load(&free_dirty) > budget_pages())
		over_budget(a, now);
	else
		hk_purge_reset(&over_since);
	decay(a, now);
	return NULL;
}

void hk_run_chunks_free(struct hk_segment *s, void *p, const char *func)
{
	struct run_chunk *c = (struct run_chunk *)s;
	pthread_mutex_t *lock = &arenas[c->arena].lock;
	hk_lock(lock);
	unsigned i = live_run(c, p);
	if (!i) {
		int twice = (uintptr_t)p % HK_PAGE == 0 && hk_bit(c->freed, page_index(c, p));
		hk_unlock(lock);
		hk_fatal_ptr(func, twice ? "double free" : "invalid pointer", p);
	}
	unsigned k = c->len[i];
	__atomic_store_n(&c->len[i], 0, __ATOMIC_RELAXED);
	hk_bits_set(c->freed, i, 1, 1);
	struct run_chunk *empty = give_pages(c, i, k);
	hk_unlock(lock);
	if (empty)
		chunk_release(empty);
}

/* a's empty chunks, out of it, linked through next; the caller holds a's lock.
 * An empty chunk's longest free run is all its pages: the last bin. */
static struct run_chunk *take_empty(struct run_arena *a)
{
	struct run_chunk *out = NULL;
	for (struct run_chunk *c = a->bins[BINS - 1], *next; c; c = next) {
		next = c->next;
		if (c->free_pages != PAGES - 1)
			continue;
		unfile_empty(c);
		c->next = out;
		out = c;
	}
	return out;
}

size_t hk_runs_give_empty(void)
{
	size_t n = 0;
	for (unsigned i = 0; i < ARENAS; i++) {
		hk_lock(&arenas[i].lock);
		struct run_chunk *c = take_empty(&arenas[i]);
		hk_unlock(&arenas[i].lock);
		for (struct run_chunk *next; c; c = next, n++) {
			next = c->next; /* read before c is another tier's */
			hk_registry_clear(c, HK_CHUNK);
			hk_chunks_idle(c, HK_CHUNK, HK_PURPOSE_LARGE);
			repay_chunk(); /* back where it came from, if borrowed */
		}
	}
	return n;
}

size_t hk_runs_usable(const struct hk_segment *s, const void *p)
{
	const struct run_chunk *c = (const struct run_chunk *)s;
	unsigned i = live_run(c, p);
	return i ? (size_t)__atomic_load_n(&c->len[i], __ATOMIC_RELAXED) * HK_PAGE : 0;
}

/* Grow the run at i from k to want pages if the pages after it are free. */
static int grow(struct run_chunk *c, unsigned i, unsigned k, unsigned want)
{
	if (i + want > PAGES || hk_bits_any(c->used, i + k, want - k))
		return -1;
	use_pages(c, i + k, want - k);
	file_under(c, longest_run(c));
	return 0;
}

int hk_runs_resize(struct hk_segment *s, void *p, size_t n)
{
	struct run_chunk *c = (struct run_chunk *)s;
	unsigned want = hk_run_pages(n);
	if (n > HK_RUN_MAX)
		return -1;
	pthread_mutex_t *lock = &arenas[c->arena].lock;
	hk_lock(lock);
	unsigned i = page_index(c, p), k = c->len[i];
	int rc = 0;
	if (want < k) /* the run keeps a page at least: c cannot become empty */
		give_pages(c, i + want, k - want);
	else if (want > k)
		rc = grow(c, i, k, want);
	if (rc == 0)
		__atomic_store_n(&c->len[i], (uint16_t)want, __ATOMIC_RELAXED);
	hk_unlock(lock);
	return rc;
}

/* The first chunk binned in a whose bookkeeping is wrong, or NULL. */
static const struct run_chunk *corrupt_chunk(const struct run_arena *a)
{
	for (unsigned b = 0; b < BINS; b++)
		for (const struct run_chunk *c = a->bins[b]; c; c = c->next)
			if (!c->longest || bin_of(c->longest) != b || longest_run(c) != c->longest ||
			    hk_segment_of(c) != &c->seg || &arenas[c->arena] != a)
				return c;
	return NULL;
}

void hk_runs_check(const char *func)
{
	for (unsigned i = 0; i < ARENAS; i++) {
		hk_lock(&arenas[i].lock);
		const struct run_chunk *c = corrupt_chunk(&arenas[i]);
		hk_unlock(&arenas[i].lock);
		if (c)
			hk_fatal_ptr(func, "corrupt run chunk", c);
	}
}

void hk_runs_atfork_prepare(void)
{
	for (unsigned i = 0; i < ARENAS; i++)
		pthread_mutex_lock(&arenas[i].lock);
}

void hk_runs_atfork_release(void)
{
	for (unsigned i = ARENAS; i-- > 0;)
		pthread_mutex_unlock(&arenas[i].lock);
}
