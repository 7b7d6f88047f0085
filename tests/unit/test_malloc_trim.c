/*
 * malloc_trim(0) gives back every free page of the large tier, where
 * hakmem_flush keeps what HAKMEM_LARGE_CACHE_MB (64 MiB) allows for reuse:
 * free pages of run chunks still in use, and cached spans.  A program calls
 * it to shrink now.
 */
#include "hk_test.h"

#define RUNS 400
#define RUN_BYTES 65536 /* 16 pages, plus its header's: 31 runs to a chunk */
#define SPANS 8
#define SPAN_BYTES ((size_t)3 << 20)

static void *runs[RUNS], *spans[SPANS];

static void *written(size_t n)
{
	void *p = malloc(n);
	HK_CHECK(p != NULL, "malloc(%zu)", n);
	return memset(p, 1, n);
}

/* 25 MB of runs and 24 MiB of spans freed, every run chunk kept in use by
 * one run in ten: all of it fits the budget. */
static uint64_t free_within_budget(void)
{
	uint64_t freed = 0;
	for (int i = 0; i < RUNS; i++)
		runs[i] = written(RUN_BYTES);
	for (int i = 0; i < SPANS; i++)
		spans[i] = written(SPAN_BYTES);
	for (int i = 0; i < RUNS; i++) {
		if (i % 10 == 0)
			continue;
		free(runs[i]);
		freed += RUN_BYTES;
	}
	for (int i = 0; i < SPANS; i++)
		free(spans[i]);
	return freed + SPANS * SPAN_BYTES;
}

int main(void)
{
	hk_test_begin("test_malloc_trim", "malloc_trim(0) gives back the large tier's free pages, budget or not");
	uint64_t freed = free_within_budget();
	uint64_t b0 = hk_advised_bytes();
	hakmem_flush();
	uint64_t kept_by_flush = freed - (hk_advised_bytes() - b0);
	HK_CHECK(kept_by_flush * 2 > freed, "hakmem_flush gave back %" PRIu64 " of %" PRIu64 " KiB freed within "
		 "the budget: nothing left for malloc_trim to show", (freed - kept_by_flush) >> 10, freed >> 10);
	b0 = hk_advised_bytes();
	int r = malloc_trim(0);
	uint64_t given = hk_advised_bytes() - b0;
	HK_CHECK(r == 1, "malloc_trim(0) returned %d after giving back %" PRIu64 " KiB", r, given >> 10);
	HK_CHECK(given >= kept_by_flush, "malloc_trim(0) gave back %" PRIu64 " KiB of the %" PRIu64
		 " KiB hakmem_flush kept", given >> 10, kept_by_flush >> 10);
	HK_CHECK(malloc_trim(0) == 0, "a second malloc_trim(0) found more to give back");
	for (int i = 0; i < RUNS; i += 10)
		free(runs[i]);
	hk_pass("49 MB freed within the budget: hakmem_flush keeps it, malloc_trim(0) gives it all back");
	return 0;
}
