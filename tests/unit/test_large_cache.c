/*
 * The large span cache: a program that frees and reallocates a couple of
 * hundred large blocks gets its spans back without a syscall, and what the
 * cache keeps is bounded by the pages its spans hold resident
 * (HAKMEM_LARGE_CACHE_MB, 64 MiB by default), not by their count.
 */
#include "hk_test.h"

#define N 200

static uint64_t advise_calls(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return hk_sum(st.os_advise_calls, HAKMEM_PURPOSES);
}

static uint64_t cache_hits(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.large_cache_hits;
}

/* Allocate N blocks of size bytes, touching touch bytes of each, then free them. */
static void round_trip(void **p, size_t size, size_t touch)
{
	for (int i = 0; i < N; i++) {
		p[i] = malloc(size);
		HK_CHECK(p[i] != NULL, "malloc(%zu)", size);
		memset(p[i], i, touch);
	}
	for (int i = 0; i < N; i++)
		free(p[i]);
}

int main(void)
{
	hk_test_begin("test_large_cache", "freed large spans are reused; the cache is bounded by resident bytes");
	static void *p[N];
	/* 200 spans of 100 KB: 20 MB resident, within the cache */
	round_trip(p, 100000, 100000);
	uint64_t advise0 = advise_calls(), hits0 = cache_hits();
	round_trip(p, 100000, 100000);
	uint64_t advised = advise_calls() - advise0, hits = cache_hits() - hits0;
	HK_CHECK(advised == 0, "reusing %d cached 100 KB spans made %" PRIu64 " madvise calls", N, advised);
	HK_CHECK(hits == N, "%d mallocs after %d frees: %" PRIu64 " cache hits", N, N, hits);
	hk_pass("200 x 100 KB freed and taken again: 200 cache hits, 0 madvise");

	/* 200 spans of 1 MB touched whole: 200 MB, three times the budget */
	advise0 = advise_calls();
	round_trip(p, 1000000, 1000000);
	advised = advise_calls() - advise0;
	uint64_t fit = (64u << 20) / 1000000; /* spans of 1 MB resident that 64 MiB holds */
	HK_CHECK(advised >= N - fit, "200 freed 1 MB spans, 64 MiB cache: only %" PRIu64 " evicted with madvise",
		 advised);
	hk_pass("200 x 1 MB freed: the cache kept at most 64 MiB resident");
	return 0;
}
