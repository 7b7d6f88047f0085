/*
 * Freed spans side by side make a free range, and a block takes the start
 * of the range that fits it best among those where its pages are resident:
 * a larger span stays whole for a larger block, as a page heap's coalesced
 * free spans would, and a range is not cut in its middle.  Cutting the best
 * single span instead made the next large block take fresh chunks
 * (mimalloc-bench's malloc-large, 20 seeds: 490 MiB peak on average, 471
 * with rows of spans, 459 over 80 seeds with ranges).
 */
#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define GUARD (3 * MiB / 2) /* a 2 MiB span */

static void check_span(const void *p, const void *want, size_t bytes, const char *what)
{
	HK_CHECK(p == want && hk_ptr_info(p).stride == bytes, "%s: %p in a %zu-byte span, expected %p in %zu", what,
		 p, (size_t)hk_ptr_info(p).stride, want, bytes);
}

/* n blocks of size[i] bytes in fresh spans side by side, in p[]: nothing is
 * cached, and the region hands chunks out in address order. */
static void side_by_side(void **p, const size_t *size, int n)
{
	for (int i = 0; i < n; i++) {
		p[i] = malloc(size[i]);
		HK_CHECK(p[i] != NULL, "malloc(%zu)", size[i]);
		HK_CHECK(i == 0 || (char *)p[i] == (char *)p[i - 1] + hk_ptr_info(p[i - 1]).stride,
			 "setup: span %d at %p is not right after the one at %p", i, p[i], p[i - 1]);
	}
}

/* Blocks of size[0..4] in spans side by side, all but the guards at 1 and
 * 4 freed: the cache holds the span of block 0, and those of 2 and 3 side
 * by side. */
static void cache_three(void **p, const size_t *size)
{
	side_by_side(p, size, 5);
	free(p[0]);
	free(p[2]);
	free(p[3]);
}

/* 16 MiB | guard | 4 | 4 MiB | guard, the three freed, each written to its
 * end: 7 MiB (8 with the header) takes the two 4 MiB spans joined, and 15
 * MiB then finds the 16 MiB span whole.  Both come from the cache, without
 * a syscall. */
static void row_smaller_than_single(void **p)
{
	const size_t size[] = {15 * MiB, GUARD, 4 * MiB - 64, 4 * MiB - 64, GUARD};
	cache_three(p, size);
	struct hakmem_stats st0 = hk_stats();
	void *x = malloc(7 * MiB), *y = malloc(15 * MiB);
	check_span(x, p[2], 8 * MiB, "malloc(7 MiB) with 16 MiB and 4 + 4 MiB cached");
	check_span(y, p[0], 16 * MiB, "malloc(15 MiB) after it");
	struct hakmem_stats st = hk_stats();
	uint64_t advised = hk_sum(st.os_advise_calls, HAKMEM_PURPOSES) - hk_sum(st0.os_advise_calls, HAKMEM_PURPOSES);
	HK_CHECK(st.large_cache_hits - st0.large_cache_hits == 2 && advised == 0,
		 "%" PRIu64 " cache hits, %" PRIu64 " madvise calls: expected 2 and 0",
		 st.large_cache_hits - st0.large_cache_hits, advised);
	p[0] = y;
	p[2] = x;
	p[3] = NULL;
	hk_pass("4 + 4 MiB spans side by side serve 7 MiB; the 16 MiB span then serves 15 MiB whole");
}

/* 12 MiB | guard | 6 | 6 MiB | guard, the three freed: 9 MiB (10 with the
 * header) takes the 12 MiB span, as the two 6 MiB ones hold no fewer (and
 * are clean past their 5 MiB blocks). */
static void row_no_smaller(void **p)
{
	const size_t size[] = {11 * MiB, GUARD, 5 * MiB, 5 * MiB, GUARD};
	cache_three(p, size);
	void *z = malloc(9 * MiB);
	check_span(z, p[0], 10 * MiB, "malloc(9 MiB) with 12 MiB and 6 + 6 MiB cached");
	p[0] = z;
	p[2] = p[3] = NULL;
	hk_pass("with 12 MiB alone and 6 + 6 MiB side by side cached, 9 MiB takes the 12 MiB span's start");
}

/* 2 | 8 | 2 MiB | guard | 10 MiB | guard, all but the guards freed, each
 * block filling its span: 8 MiB takes the start of the 10 MiB span, not
 * the 8 MiB one between the two 2 MiB spans, and 12 MiB then finds those
 * three side by side, from the cache. */
static void range_start_not_middle(void **p)
{
	const size_t size[] = {2 * MiB - 64, 8 * MiB - 64, 2 * MiB - 64, GUARD, 10 * MiB - 64, GUARD};
	side_by_side(p, size, 6);
	free(p[0]);
	free(p[1]);
	free(p[2]);
	free(p[4]);
	void *x = malloc(8 * MiB - 64), *y = malloc(12 * MiB - 64);
	check_span(x, p[4], 8 * MiB, "malloc(8 MiB) with 2 + 8 + 2 MiB and 10 MiB cached");
	check_span(y, p[0], 12 * MiB, "malloc(12 MiB) after it");
	void *rest = malloc(GUARD);
	check_span(rest, (char *)p[4] + 8 * MiB, 2 * MiB, "malloc(1.5 MiB) after them");
	p[0] = y;
	p[1] = rest;
	p[2] = NULL;
	p[4] = x;
	hk_pass("with 2 + 8 + 2 MiB side by side and 10 MiB cached, 8 MiB takes the 10 MiB span, 12 MiB the three");
}

/* Blocks of size[0..4] in 2 MiB spans side by side, those at freed[0..2]
 * freed: mallocs of want[0..2] bytes must take, in order, the spans at
 * got[0..2], which leaves nothing cached. */
static void refill_three(void **p, const size_t *size, const int *freed, const size_t *want, const int *got,
			 const char *what)
{
	side_by_side(p, size, 5);
	void *at[3];
	for (int i = 0; i < 3; i++) {
		at[i] = p[got[i]];
		free(p[freed[i]]);
	}
	for (int i = 0; i < 3; i++) {
		p[got[i]] = malloc(want[i]);
		check_span(p[got[i]], at[i], 2 * MiB, what);
	}
}

/* 1.5 | 1.5 MiB | guard | 1.1 MiB | guard, all but the guards freed: 1.3
 * MiB takes the first span, whose pages it finds resident, not the one
 * alone, which fits as well but would fault 0.2 MiB in. */
static void resident_first(void **p)
{
	const size_t size[] = {GUARD, GUARD, GUARD, 11 * MiB / 10, GUARD};
	const size_t want[] = {13 * MiB / 10, GUARD, GUARD};
	refill_three(p, size, (const int[]){0, 1, 3}, want, (const int[]){0, 1, 3},
		     "1.3, 1.5, 1.5 MiB with 1.5 + 1.5 MiB and 1.1 MiB written cached");
	hk_pass("with 1.5 + 1.5 MiB side by side and 1.1 MiB alone cached, 1.3 MiB takes the resident pages");
}

/* 2 MiB (filling its span) | guard | 1.2 MiB | 1.5 MiB | guard, all but the
 * guards freed: 1.1 MiB finds its pages resident in either, and takes the
 * 1.2 MiB one, whose range is larger, rather than leave 0.9 MiB of dirty
 * slack under itself, which malloc would give back with a madvise once
 * past its budget. */
static void slack_first(void **p)
{
	const size_t size[] = {2 * MiB - 64, GUARD, 12 * MiB / 10, GUARD, GUARD};
	const size_t want[] = {11 * MiB / 10, 2 * MiB - 64, GUARD};
	refill_three(p, size, (const int[]){0, 2, 3}, want, (const int[]){2, 0, 3},
		     "1.1, 2, 1.5 MiB with 2 MiB and 1.2 + 1.5 MiB cached");
	hk_pass("with 2 MiB alone and 1.2 + 1.5 MiB side by side cached, 1.1 MiB takes the 1.2 MiB span");
}

/* 17 spans of 2 MiB | 40 MiB | guard, all but the guard freed: a 40 MiB
 * block would take 18 spans from the range's start, more than are joined
 * for one block; it goes where 16 will do, from the cache, and the pieces
 * left then serve 4 and 30 MiB. */
#define LONG_ROW 17
static void long_row(void **p)
{
	size_t size[LONG_ROW + 2];
	for (int i = 0; i < LONG_ROW; i++)
		size[i] = 2 * MiB - 64;
	size[LONG_ROW] = 40 * MiB - 64;
	size[LONG_ROW + 1] = GUARD;
	side_by_side(p, size, LONG_ROW + 2);
	for (int i = 0; i <= LONG_ROW; i++)
		free(p[i]);
	struct hakmem_stats st0 = hk_stats();
	void *x = malloc(40 * MiB - 64), *y = malloc(4 * MiB - 64), *z = malloc(30 * MiB - 64);
	check_span(x, p[2], 40 * MiB, "malloc(40 MiB) with 17 x 2 MiB and 40 MiB side by side cached");
	check_span(y, p[0], 4 * MiB, "malloc(4 MiB) after it");
	check_span(z, (char *)p[2] + 40 * MiB, 30 * MiB, "malloc(30 MiB) then");
	struct hakmem_stats st = hk_stats();
	HK_CHECK(st.large_cache_hits - st0.large_cache_hits == 3, "%" PRIu64 " cache hits: expected 3",
		 st.large_cache_hits - st0.large_cache_hits);
	for (int i = 0; i <= LONG_ROW; i++)
		p[i] = NULL;
	p[0] = x;
	p[1] = y;
	p[2] = z;
	hk_pass("17 x 2 MiB and 40 MiB side by side serve 40 MiB from the third span, then 4 and 30 MiB");
}

int main(int argc, char **argv)
{
	(void)argc;
	/* spans in normal memory, which is lent; huge ones: test_large_huge */
	hk_rerun_with(argv, "HAKMEM_LARGE_HUGE_MB", "0");
	hk_test_begin("test_large_rows",
		      "a large block takes the start of the cached free range that fits it best");
	void *first = malloc(GUARD); /* the first large block also maps the registry's leaf */
	void *p[5], *q[5], *r[6], *t[5], *v[5], *u[LONG_ROW + 2];
	/* each case's blocks stay, and all but the last leave nothing cached */
	long_row(u);
	range_start_not_middle(r);
	row_smaller_than_single(p);
	resident_first(t);
	slack_first(v);
	row_no_smaller(q);
	for (int i = 0; i < 5; i++) {
		free(p[i]);
		free(q[i]);
	}
	for (int i = 0; i < 6; i++)
		free(r[i]);
	for (int i = 0; i < 5; i++) {
		free(t[i]);
		free(v[i]);
	}
	for (int i = 0; i < LONG_ROW + 2; i++)
		free(u[i]);
	free(first);
	return 0;
}
