/*
 * Freed large blocks: a program that frees and allocates again a couple of
 * hundred large blocks gets their memory back without a syscall — runs
 * (<= 1 MiB) through the empty chunks kept, spans through the span cache —
 * and what either keeps is bounded by the pages it holds resident
 * (HAKMEM_LARGE_CACHE_MB, 64 MiB by default, or a share of the bytes in
 * use when that is more), not by a count, once past it for
 * HAKMEM_LARGE_PURGE_MS (100 ms) or at hakmem_flush.
 */
#include "hk_test.h"

#define N 200

static uint64_t cache_hits(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.large_cache_hits;
}

/* Allocate n blocks of size bytes, touching all of each, then free them. */
static void round_trip(void **p, int n, size_t size)
{
	for (int i = 0; i < n; i++) {
		p[i] = malloc(size);
		HK_CHECK(p[i] != NULL, "malloc(%zu)", size);
		memset(p[i], i, size);
	}
	for (int i = 0; i < n; i++)
		free(p[i]);
	hakmem_flush(); /* the last few runs freed wait in the thread's stash till then */
}

/* madvise calls made by a second round trip after a first one. */
static uint64_t advised_on_reuse(void **p, int n, size_t size, uint64_t *hits)
{
	round_trip(p, n, size);
	uint64_t advise0 = hk_advised_calls(), hits0 = cache_hits();
	round_trip(p, n, size);
	*hits = cache_hits() - hits0;
	return hk_advised_calls() - advise0;
}

/* madvise calls made by freeing n blocks of size bytes, all touched. */
static uint64_t advised_on_free(void **p, int n, size_t size)
{
	uint64_t advise0 = hk_advised_calls();
	round_trip(p, n, size);
	return hk_advised_calls() - advise0;
}

/* A freed span serves a smaller block from its front and keeps the rest
 * for another; freed side by side, the two become one span again.  Run
 * first: nothing else is cached then. */
static void spans_split_and_joined(void)
{
	void *p = malloc(10u << 20); /* a 12 MiB span: the header, then 10 MiB */
	HK_CHECK(p != NULL, "malloc(10 MiB)");
	free(p);
	uint64_t hits0 = cache_hits();
	void *q = malloc(3u << 20); /* needs 4 MiB */
	void *r = malloc(7u << 20); /* needs 8 MiB: the other 8 */
	HK_CHECK(q == p && r == (char *)p + (4u << 20) && cache_hits() == hits0 + 2,
		 "malloc(3 MiB), malloc(7 MiB) after freeing a 12 MiB span at %p: %p, %p, %" PRIu64 " cache hits", p,
		 q, r, cache_hits() - hits0);
	HK_CHECK(hk_ptr_info(q).stride == (4u << 20) && hk_ptr_info(r).stride == (8u << 20),
		 "spans of %zu and %zu bytes",
		 (size_t)hk_ptr_info(q).stride, (size_t)hk_ptr_info(r).stride);
	free(r);
	free(q);
	void *s = malloc(10u << 20);
	HK_CHECK(s == p && hk_ptr_info(s).stride == (12u << 20) && cache_hits() == hits0 + 3,
		 "malloc(10 MiB) after freeing both: %p in a %zu-byte span, expected %p in 12 MiB", s,
		 (size_t)hk_ptr_info(s).stride, p);
	free(s);
	void *t = malloc(9u << 20); /* needs 10 MiB */
	void *u = malloc(3u << 19); /* 1.5 MiB: a 2 MiB span, the rest */
	HK_CHECK(t == p && hk_ptr_info(t).stride == (10u << 20) && u == (char *)p + (10u << 20) &&
			 cache_hits() == hits0 + 5,
		 "malloc(9 MiB), malloc(1.5 MiB) from the 12 MiB span at %p: %p in %zu bytes, %p", p, t,
		 (size_t)hk_ptr_info(t).stride, u);
	free(u);
	free(t);
	hk_pass("a 12 MiB span freed serves 3 and 7 MiB blocks, 10 MiB again once they are freed, then 9 and 1.5");
}

/* Allocate n spans of 1.5 MB from p[from], each touched whole. */
static void touched_spans(void **p, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		p[i] = malloc(1500000);
		HK_CHECK(p[i] != NULL, "malloc(1500000)");
		memset(p[i], 1, 1500000);
	}
}

/* madvise calls made by freeing p[from..from+n), which must not have been
 * evicted at once (unless the frees took HAKMEM_LARGE_PURGE_MS, 100 ms). */
static void free_spans_none_evicted(void **p, int from, int n)
{
	uint64_t advise0 = hk_advised_calls();
	double t0 = hk_now();
	for (int i = from; i < from + n; i++)
		free(p[i]);
	double ms = (hk_now() - t0) * 1e3;
	uint64_t advised = hk_advised_calls() - advise0;
	HK_CHECK(advised == 0 || ms >= 100, "%d spans freed past the budget in %.1f ms: %" PRIu64
		 " evicted at once", n, ms, advised);
}

/* Spans freed past the budget stay until that has lasted
 * HAKMEM_LARGE_PURGE_MS or until hakmem_flush, so that a program freeing
 * everything at its exit makes no madvise calls.  Then the cache keeps
 * exactly the spans whose resident bytes (a 64-byte header, then the
 * block's pages) fit 64 MiB, 44 of 1.5 MB, and evicts the rest, oldest
 * first, one madvise each (spans are joined only for a malloc). */
static void spans_past_budget_wait(void **p)
{
	uint64_t fit = (64u << 20) / (64 + 367 * HK_PAGE); /* 1.5 MB = 366.2 pages */
	touched_spans(p, 0, 100);
	uint64_t advise0 = hk_advised_calls();
	free_spans_none_evicted(p, 0, 100);
	hakmem_flush();
	uint64_t advised = hk_advised_calls() - advise0;
	HK_CHECK(advised == 100 - fit, "100 freed 1.5 MB spans, cache of %" PRIu64 ", flushed: %" PRIu64
		 " evicted", fit, advised);
	/* 51 more (44 from the cache), 50 freed: 6 past the budget, kept; the
	 * last one, freed once that has lasted 150 ms, brings it down to 44 */
	touched_spans(p, 0, 51);
	free_spans_none_evicted(p, 0, 50);
	advise0 = hk_advised_calls();
	usleep(150 * 1000);
	free(p[50]);
	advised = hk_advised_calls() - advise0;
	HK_CHECK(advised == 51 - fit, "the first free 150 ms after the cache passed its budget evicted %" PRIu64
		 " spans, not %" PRIu64, advised, 51 - fit);
	hk_pass("spans freed past the 64 MiB budget wait for 100 ms or hakmem_flush, then go down to it, oldest "
		"first");
}

/* The cache keeps as many resident bytes as the spans in use hold, when
 * that is more than HAKMEM_LARGE_CACHE_MB: with 12 spans of 22 MiB in use,
 * 8 freed (160 MiB resident by their marks, untouched here) all stay cached,
 * where a quarter of the bytes in use would keep 3, and serve the next 8
 * mallocs without a syscall. */
static void budget_follows_live_spans(void)
{
	static void *big[20];
	for (int i = 0; i < 20; i++) {
		big[i] = malloc(20u << 20);
		HK_CHECK(big[i] != NULL, "malloc(20 MiB)");
	}
	for (int i = 0; i < 8; i++)
		free(big[i]);
	uint64_t hits0 = cache_hits(), advise0 = hk_advised_calls();
	for (int i = 0; i < 8; i++)
		big[i] = malloc(20u << 20);
	uint64_t hits = cache_hits() - hits0, advised = hk_advised_calls() - advise0;
	HK_CHECK(hits == 8 && advised == 0,
		 "8 x 20 MiB freed beside 264 MiB of spans in use, then allocated: %" PRIu64 " cache hits, %" PRIu64
		 " madvise", hits, advised);
	for (int i = 0; i < 20; i++)
		free(big[i]);
	hk_pass("8 x 20 MiB freed beside 264 MiB in use: all kept and reused, no madvise");
}

int main(int argc, char **argv)
{
	(void)argc;
	/* the budget alone: memory left idle goes back too (test_large_idle) */
	hk_rerun_with(argv, "HAKMEM_LARGE_IDLE_MS", "0");
	hk_test_begin("test_large_cache", "freed large blocks' memory is reused, and bounded by resident bytes");
	spans_split_and_joined();
	static void *p[N];
	uint64_t hits;
	/* runs (<= 1 MiB, packed in shared chunks): 200 x 100 KB = 20 MB */
	uint64_t advised = advised_on_reuse(p, N, 100000, &hits);
	HK_CHECK(advised == 0, "reusing %d freed 100 KB runs made %" PRIu64 " madvise calls", N, advised);
	hk_pass("200 x 100 KB freed and allocated again: 0 madvise");
	/* spans (> 1 MiB, chunks of their own): 40 x 1.5 MB = 60 MB */
	advised = advised_on_reuse(p, 40, 1500000, &hits);
	HK_CHECK(advised == 0, "reusing 40 cached 1.5 MB spans made %" PRIu64 " madvise calls", advised);
	HK_CHECK(hits == 40, "40 mallocs after 40 frees: %" PRIu64 " cache hits", hits);
	hk_pass("40 x 1.5 MB freed and allocated again: 40 cache hits, 0 madvise");

	/* three times the 64 MiB budget, either kind: the excess is given back */
	spans_past_budget_wait(p);
	/* Runs: the free pages earlier rounds left in open chunks count in the
	 * same 64 MiB, so at most 64 of the 1 MiB runs' chunks can stay. */
	uint64_t fit = (64u << 20) / (1u << 20); /* a 1 MiB run has a chunk to itself */
	advised = advised_on_free(p, N, 1u << 20);
	HK_CHECK(advised >= N - fit, "200 freed 1 MiB runs, 64 MiB kept: only %" PRIu64 " chunks given back", advised);
	hk_pass("150 MB of spans and 200 MB of runs freed: at most 64 MiB of each kept resident");

	/* after a peak: 2000 runs of 100 KB, 9 in 10 freed — every chunk keeps a
	 * live block, and still what is freed beyond 64 MiB leaves the process */
	static void *q[2000];
	for (int i = 0; i < 2000; i++) {
		q[i] = malloc(100000);
		HK_CHECK(q[i] != NULL, "malloc(100000)");
		memset(q[i], 1, 100000);
	}
	uint64_t bytes0 = hk_advised_bytes();
	for (int i = 0; i < 2000; i++)
		if (i % 10)
			free(q[i]);
	hakmem_flush();
	uint64_t given = hk_advised_bytes() - bytes0, freed = 1800ull * 25 * HK_PAGE, keep = 64u << 20;
	HK_CHECK(given >= freed - keep, "freed %" PRIu64 " MiB of runs in chunks still in use, %" PRIu64
		 " MiB given back: more than 64 MiB kept", freed >> 20, given >> 20);
	for (int i = 0; i < 2000; i += 10)
		free(q[i]);
	hk_pass("176 MB of 200 MB of runs freed, every chunk still in use: all but 64 MiB given back");
	budget_follows_live_spans();
	return 0;
}
