/*
 * How remote frees are chained: a thread freeing another thread's blocks
 * pushes a chain when it holds 32 blocks or 8 KiB of them, whichever comes
 * first.  The helper frees N blocks of each size below, owned by this thread,
 * without flushing; each size is its own class, so the pushes are exactly
 * sum(N / blocks_per_chain), and every block is queued (census).
 */
#include <pthread.h>

#include "hk_test.h"

#define N 64

struct size_case {
	size_t size;
	unsigned per_chain; /* 32 blocks, or fewer when 8 KiB fill first */
};

static const struct size_case cases[] = {
	{ 16, 32 }, /* 32 blocks of 16 B: 512 B */
	{ 256, 32 }, /* 8 KiB after 32 blocks, both at once */
	{ 1024, 8 }, /* 8 KiB after 8 blocks */
	{ 4096, 2 }, /* pool blocks of 4 KiB + header: 2 fill 8 KiB */
	{ 8192, 1 }, /* a block alone is over 8 KiB (with its header) */
};
#define CASES (sizeof(cases) / sizeof(cases[0]))

static void *blocks[CASES][N];

static void *free_all(void *arg)
{
	(void)arg;
	for (unsigned c = 0; c < CASES; c++)
		for (int i = 0; i < N; i++)
			free(blocks[c][i]);
	return NULL;
}

int main(void)
{
	hk_test_begin("test_remote_chains", "remote frees push chains of 32 blocks or 8 KiB");
	struct hakmem_stats before, after;
	int cls[CASES];
	for (unsigned c = 0; c < CASES; c++) {
		for (int i = 0; i < N; i++)
			HK_CHECK((blocks[c][i] = malloc(cases[c].size)), "malloc(%zu)", cases[c].size);
		struct hakmem_ptr_info info;
		HK_CHECK(hakmem_ptr_info(blocks[c][0], &info) == 0, "ptr_info");
		cls[c] = info.size_class;
	}
	hakmem_stats_get(&before);
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, free_all, NULL) == 0, "pthread_create");
	pthread_join(t, NULL);
	hakmem_stats_get(&after);

	uint64_t want = 0;
	for (unsigned c = 0; c < CASES; c++)
		want += N / cases[c].per_chain;
	uint64_t pushes = hk_sum(after.remote_pushes, HAKMEM_TIERS) - hk_sum(before.remote_pushes, HAKMEM_TIERS);
	uint64_t frees = hk_sum(after.remote_frees, HAKMEM_TIERS) - hk_sum(before.remote_frees, HAKMEM_TIERS);
	HK_CHECK(frees == CASES * N, "%" PRIu64 " remote frees, want %u", frees, (unsigned)(CASES * N));
	HK_CHECK(pushes == want, "%" PRIu64 " chains pushed, want %" PRIu64, pushes, want);

	struct hakmem_census census;
	hakmem_census(&census);
	for (unsigned c = 0; c < CASES; c++)
		HK_CHECK(census.remote_pending[cls[c]] == N, "class of %zu B: %" PRIu64 " queued, want %d",
			 cases[c].size, census.remote_pending[cls[c]], N);
	printf("  %d frees each of 16, 256 B, 1, 4 and 8 KiB blocks: %" PRIu64 " chains\n", N, pushes);
	hk_pass("chains hold 32 blocks or 8 KiB, whichever is reached first");
	return 0;
}
