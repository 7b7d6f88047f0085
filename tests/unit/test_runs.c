/*
 * Runs: large blocks up to 1 MiB are whole pages packed into shared chunks.
 * Two of them share a chunk, page aligned; realloc grows a run in place into
 * free pages after it and shrinks it in place; a block over 1 MiB, or one
 * realloc grows past its run, gets a span (a chunk) of its own; a freed run
 * waits in the thread's stash for its next large malloc.
 */
#include "hk_test.h"

static struct hakmem_ptr_info info(void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "hakmem_ptr_info(%p) failed", p);
	return in;
}

static void packed(void)
{
	hakmem_flush();
	void *a = malloc(100000), *b = malloc(100000);
	HK_CHECK(a && b, "malloc(100000)");
	struct hakmem_ptr_info ia = info(a), ib = info(b);
	HK_CHECK(ia.tier == 2 /* large */ && ib.tier == 2 /* large */, "tiers %d %d", ia.tier, ib.tier);
	HK_CHECK(ia.region == ib.region, "two 100 KB runs in chunks %#lx and %#lx", (unsigned long)ia.region,
		 (unsigned long)ib.region);
	HK_CHECK(ia.offset % HK_PAGE == 0 && ib.offset % HK_PAGE == 0, "offsets %zu %zu", (size_t)ia.offset,
		 (size_t)ib.offset);
	HK_CHECK(malloc_usable_size(a) == 25 * HK_PAGE, "usable %zu, expected 25 pages", malloc_usable_size(a));
	free(a);
	free(b);
	hk_pass("two 100 KB blocks share a chunk, page aligned, 25 pages each");
}

static void resized_in_place(void)
{
	void *a = malloc(100000), *b = malloc(100000);
	HK_CHECK(a && b, "malloc(100000)");
	hk_fill(a, 100000, 7);
	free(b); /* frees the pages right after a (best fit put b there), */
	hakmem_flush(); /* once the thread's stash of freed runs hands it back */
	void *g = realloc(a, 150000);
	HK_CHECK(g == a, "realloc(100000 -> 150000) with free pages after it moved %p -> %p", a, g);
	HK_CHECK_PATTERN(g, 100000, 7, "grown in place");
	void *s = realloc(g, 60000);
	HK_CHECK(s == g, "realloc(150000 -> 60000) moved %p -> %p", g, s);
	HK_CHECK_PREFIX(s, 100000, 60000, 7, "shrunk in place");
	HK_CHECK(malloc_usable_size(s) == 15 * HK_PAGE, "usable after shrink %zu", malloc_usable_size(s));
	free(s);
	hk_pass("realloc grows a run into the free pages after it, and shrinks it, in place");
}

static void spans_apart(void)
{
	hakmem_flush(); /* runs come from the chunks, not from the thread's stash */
	void *r = malloc(100000), *big = malloc((1 << 20) + 1);
	HK_CHECK(r && big, "malloc");
	HK_CHECK(info(big).region != info(r).region, "a block over 1 MiB shares a run chunk");
	HK_CHECK(info(big).stride >= (2u << 20), "a block over 1 MiB: span of %zu bytes", (size_t)info(big).stride);
	void *blocker = malloc(100000); /* lands after r: r cannot grow in place */
	hk_fill(r, 100000, 9);
	void *moved = realloc(r, 500000);
	HK_CHECK(moved && moved != r, "realloc past the run's free pages stayed at %p", r);
	HK_CHECK(info(moved).region != info(blocker).region, "a run grown by realloc went to another run chunk");
	HK_CHECK_PATTERN(moved, 100000, 9, "moved by realloc");
	free(moved);
	free(blocker);
	free(big);
	hk_pass("over 1 MiB, or grown by realloc past its pages: a span of its own");
}

/* A freed run waits in the thread's stash for its next large malloc of up
 * to a quarter fewer pages, which gets it whole (no trip to the chunks,
 * which would cut it to size); hakmem_flush hands the stash back. */
static void stashed(void)
{
	hakmem_flush();
	void *p = malloc(100000); /* 25 pages */
	HK_CHECK(p != NULL, "malloc(100000)");
	free(p);
	void *q = malloc(90000); /* 22 pages */
	HK_CHECK(q == p && malloc_usable_size(q) == 25 * HK_PAGE,
		 "malloc(90000) after free of a 100000-byte run: %p (usable %zu), expected %p (25 pages)", q,
		 malloc_usable_size(q), p);
	free(q);
	void *r = malloc(60000); /* 15 pages: the stashed run would waste more than a quarter */
	HK_CHECK(r != q && malloc_usable_size(r) == 15 * HK_PAGE, "malloc(60000): %p usable %zu", r,
		 malloc_usable_size(r));
	free(r);
	hakmem_flush();
	void *s = malloc(90000);
	HK_CHECK(malloc_usable_size(s) == 22 * HK_PAGE, "after hakmem_flush, malloc(90000) usable %zu",
		 malloc_usable_size(s));
	free(s);
	hk_pass("a freed run is reused whole by the thread's next malloc up to a quarter smaller");
}

/* Past 4 MiB the stash gives back its oldest run, not its largest: a
 * 30-page run freed before 1 MiB more goes to the chunks, and a malloc of 25
 * pages then gets 25, not the stashed 30. */
static void stash_evicts_oldest(void)
{
	for (int over = 0; over <= 1; over++) {
		hakmem_flush();
		void *small = malloc(30 * HK_PAGE), *big[4];
		for (int i = 0; i < 4; i++)
			big[i] = malloc(256 * HK_PAGE); /* 1 MiB: the largest run */
		HK_CHECK(small && big[3], "malloc");
		free(small);
		for (int i = 0; i < 3 + over; i++) /* 30 + 768 pages, or 30 + 1024 */
			free(big[i]);
		void *q = malloc(25 * HK_PAGE);
		size_t want = (over ? 25 : 30) * HK_PAGE;
		HK_CHECK(malloc_usable_size(q) == want, "stash of 30 + %d pages: malloc(25 pages) usable %zu, expected %zu",
			 (3 + over) * 256, malloc_usable_size(q), want);
		void *b = malloc(256 * HK_PAGE);
		HK_CHECK(b == big[2 + over], "malloc(1 MiB) got %p, expected the newest stashed %p", b, big[2 + over]);
		free(b);
		free(q);
		if (!over)
			free(big[3]);
	}
	hakmem_flush();
	hk_pass("past 4 MiB the stash evicts its oldest run; a size's newest is reused first");
}

/* An aligned block up to 1 MiB is a run too, at an aligned page of a shared
 * chunk, not a span of its own: memalign(8192, 100) costs a page, not a
 * 2 MiB chunk and its page table. */
static void aligned(void)
{
	static const size_t aligns[] = {8192, 65536, 1u << 20};
	static const size_t sizes[] = {1, 100, 60000, 1u << 20};
	for (size_t a = 0; a < 3; a++)
		for (size_t n = 0; n < 4; n++) {
			void *p = memalign(aligns[a], sizes[n]), *q = memalign(aligns[a], sizes[n]);
			HK_CHECK(p && q, "memalign(%zu, %zu)", aligns[a], sizes[n]);
			HK_CHECK((uintptr_t)p % aligns[a] == 0 && (uintptr_t)q % aligns[a] == 0,
				 "memalign(%zu, %zu): %p %p", aligns[a], sizes[n], p, q);
			struct hakmem_ptr_info in = info(p);
			size_t usable = malloc_usable_size(p);
			HK_CHECK(in.tier == 2 && in.stride < (2u << 20) && usable >= sizes[n] &&
					 usable == (sizes[n] + HK_PAGE - 1) / HK_PAGE * HK_PAGE,
				 "memalign(%zu, %zu): tier %d, stride %zu, usable %zu: not a run", aligns[a],
				 sizes[n], in.tier, (size_t)in.stride, usable);
			if (aligns[a] < (1u << 20) && sizes[n] < (1u << 20))
				HK_CHECK(info(q).region == in.region, "memalign(%zu, %zu) twice: chunks %#lx %#lx",
					 aligns[a], sizes[n], (unsigned long)in.region, (unsigned long)info(q).region);
			hk_fill(p, usable, 5);
			HK_CHECK_PATTERN(p, usable, 5, "aligned run");
			free(q);
			free(p);
		}
	hakmem_flush();
	hk_pass("memalign(8 KiB..1 MiB, 1 B..1 MiB): runs at aligned pages, two to a chunk");
}

static uint64_t arena_grows(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.arena_grows;
}

/* Chunks belong to the arena of the CPU that made them, but a thread on
 * another CPU takes free runs from them before it makes a chunk of its own:
 * 1 MiB runs (a chunk each) freed on CPU 0 serve mallocs on CPU 1 with no
 * new chunk.  Run first, while no chunk exists elsewhere. */
static void other_cpu_reuses_chunks(void)
{
	cpu_set_t was;
	if (sched_getaffinity(0, sizeof(was), &was) != 0 || CPU_COUNT(&was) < 2 || !CPU_ISSET(0, &was) ||
	    !CPU_ISSET(1, &was) || hk_pin(0) != 0) {
		hk_pass("(skipped: CPUs 0 and 1 are not both ours) a run freed on one CPU serves another");
		return;
	}
	static void *p[32]; /* 32 MiB: within the 64 MiB the chunks may keep */
	for (int i = 0; i < 32; i++)
		p[i] = malloc(1u << 20);
	for (int i = 0; i < 32; i++)
		free(p[i]);
	hakmem_flush(); /* to the chunks, not the stash */
	HK_CHECK(hk_pin(1) == 0, "sched_setaffinity(CPU 1)");
	uint64_t grows = arena_grows();
	for (int i = 0; i < 32; i++)
		p[i] = malloc(1u << 20);
	HK_CHECK(arena_grows() == grows, "32 runs on CPU 1 after 32 freed on CPU 0: %" PRIu64 " new chunks",
		 arena_grows() - grows);
	for (int i = 0; i < 32; i++)
		free(p[i]);
	hakmem_flush();
	sched_setaffinity(0, sizeof(was), &was);
	hk_pass("1 MiB runs freed on CPU 0 serve mallocs on CPU 1: no new chunk");
}

int main(void)
{
	hk_test_begin("test_runs", "large blocks up to 1 MiB as page runs in shared chunks");
	other_cpu_reuses_chunks();
	packed();
	resized_in_place();
	spans_apart();
	stashed();
	stash_evicts_oldest();
	aligned();
	return 0;
}
