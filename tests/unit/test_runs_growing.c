/*
 * Buffers realloc grows to 16 KiB-1 MiB are runs placed low: a growing
 * buffer leaves the pool at 16 KiB for a run, the run goes in the lowest
 * chunk with room, grows in place into free pages after it, and once freed
 * goes back to the chunks instead of the thread's stash; past 1 MiB it gets
 * a span.  A process of its own: the chunks it reasons about are the only
 * ones.
 */
#include "hk_test.h"

static struct hakmem_ptr_info info(void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "hakmem_ptr_info(%p) failed", p);
	return in;
}

static int is_run(void *p)
{
	struct hakmem_ptr_info in = info(p);
	return in.tier == 2 && in.stride < (2u << 20) && in.offset % HK_PAGE == 0;
}

/* A small block grown by realloc to n bytes, its first old bytes checked. */
static void *grown(size_t old, size_t n, uint64_t seed)
{
	void *p = malloc(old);
	HK_CHECK(p != NULL, "malloc(%zu)", old);
	hk_fill(p, old, seed);
	void *q = realloc(p, n);
	HK_CHECK(q != NULL, "realloc(%zu -> %zu)", old, n);
	HK_CHECK_PATTERN(q, old, seed, "grown by realloc");
	return q;
}

/* Two 1 MiB runs take a chunk each (a chunk holds 511 pages); a buffer
 * grown past 16 KiB then goes to the lower one, whichever was made last
 * (the bins' own order would give the one binned last). */
static void lowest_chunk(void)
{
	void *a = malloc(1u << 20), *b = malloc(1u << 20);
	HK_CHECK(a && b, "malloc(1 MiB)");
	uintptr_t ra = info(a).region, rb = info(b).region, low = ra < rb ? ra : rb;
	HK_CHECK(ra != rb, "two 1 MiB runs in one chunk %#lx", (unsigned long)ra);
	void *small = grown(8000, 12000, 1);
	HK_CHECK(info(small).tier == 1, "realloc(8000 -> 12000): tier %d, not the pool", info(small).tier);
	void *q = grown(10000, 20000, 2);
	HK_CHECK(is_run(q), "realloc(10000 -> 20000): not a run (tier %d, stride %zu)", info(q).tier,
		 (size_t)info(q).stride);
	HK_CHECK(info(q).region == low, "a growing buffer's run in chunk %#lx, not the lower %#lx",
		 (unsigned long)info(q).region, (unsigned long)low);
	void *r = grown(30000, 300000, 3);
	HK_CHECK(is_run(r) && info(r).region == low, "realloc(30000 -> 300000): chunk %#lx, not the lower %#lx",
		 (unsigned long)info(r).region, (unsigned long)low);
	free(r);
	free(q);
	free(small);
	free(a);
	free(b);
	hakmem_flush();
	hk_pass("a buffer grown past 16 KiB is a run in the lowest chunk with room");
}

/* Grown in place while the pages after it are free, and shrunk in place
 * down to 16 KiB, a run too below the pool's top (52 KiB). */
static void in_place(void)
{
	void *q = grown(10000, 20000, 4);
	void *g = realloc(q, 40000);
	HK_CHECK(g == q, "realloc(20000 -> 40000) with free pages after it moved %p -> %p", q, g);
	HK_CHECK_PATTERN(g, 10000, 4, "grown in place");
	void *s = realloc(g, 17000);
	HK_CHECK(s == g && malloc_usable_size(s) == 5 * HK_PAGE, "realloc(40000 -> 17000): %p usable %zu", s,
		 malloc_usable_size(s));
	void *t = realloc(s, 12000);
	HK_CHECK(t != s && info(t).tier == 1, "realloc(17000 -> 12000): %p tier %d, not moved to the pool", t,
		 info(t).tier);
	HK_CHECK_PATTERN(t, 10000, 4, "shrunk to the pool");
	free(t);
	hakmem_flush();
	hk_pass("a grown run resizes in place down to 16 KiB, below that it goes to the pool");
}

/* A malloc'd run freed waits in the stash and serves a malloc a quarter
 * smaller whole (test_runs); a grown one goes back to the chunks, which cut
 * the next malloc to its own size. */
static void freed_to_chunks(void)
{
	void *q = grown(40000, 100000, 5); /* 25 pages */
	HK_CHECK(malloc_usable_size(q) == 25 * HK_PAGE, "usable %zu", malloc_usable_size(q));
	free(q);
	void *m = malloc(90000); /* 22 pages */
	HK_CHECK(malloc_usable_size(m) == 22 * HK_PAGE,
		 "malloc(90000) after freeing a grown 25-page run: usable %zu, the stashed run", malloc_usable_size(m));
	free(m);
	hakmem_flush();
	hk_pass("a grown run, freed, goes back to the chunks, not to the stash");
}

static void past_runs(void)
{
	void *q = grown(500000, (1u << 20) + 1, 6);
	HK_CHECK(info(q).tier == 2 && info(q).stride >= (2u << 20), "realloc past 1 MiB: stride %zu, not a span",
		 (size_t)info(q).stride);
	free(q);
	hk_pass("a buffer grown past 1 MiB gets a span");
}

int main(void)
{
	hk_test_begin("test_runs_growing", "buffers realloc grows to 16 KiB-1 MiB: runs placed low");
	HK_CHECK(hk_pin(sched_getcpu()) == 0, "sched_setaffinity"); /* one arena of chunks */
	lowest_chunk();
	in_place();
	freed_to_chunks();
	past_runs();
	return 0;
}
