/*
 * A superslab whose only slab in use is the one a class carves, empty,
 * goes back whole when the runs need a chunk.  A thread carves a slab of
 * 16 B blocks and frees them, then 10 MB of 1 KiB blocks, which fill that
 * superslab and the next ones, frees them, then allocates runs: before the
 * large tier maps a fresh chunk, its heap hands back its wholly free
 * superslabs (reclaim.c).  The 16 B class's slab, found empty, stayed that
 * class's, carved again from its start (0 blocks), and pinned its
 * superslab: bench_phases kept two of three resident beside its runs.  It
 * counts as empty now and leaves the class, and the runs take the
 * superslab's chunk.  The heap then carves 16 B blocks again.
 */
#include <pthread.h>
#include "hk_test.h"

#define CLASS_SIZE 16
#define CLASS_N 100 /* one slab */
#define FILL_SIZE 1024
#define FILL_N 10000 /* 10 MB: several superslabs, and a reclaim due */
#define RUN_SIZE 65536 /* past the pool: a run */
#define RUN_N 2000

static void *cls[CLASS_N], *fill[FILL_N], *runs[RUN_N];

static void alloc_all(void **p, int n, size_t size)
{
	for (int i = 0; i < n; i++) {
		p[i] = malloc(size);
		HK_CHECK(p[i] != NULL, "malloc(%zu)", size);
		memset(p[i], 0x5a, size);
	}
}

static void free_all(void **p, int n)
{
	for (int i = 0; i < n; i++)
		free(p[i]);
}

static void *scenario(void *arg)
{
	int *in_first = arg;
	alloc_all(cls, CLASS_N, CLASS_SIZE);
	struct hk_addr_set first = {0}; /* the thread's first superslab */
	hk_addr_set_add(&first, hk_chunk_of(cls[0]));
	free_all(cls, CLASS_N);
	/* past 8 MiB the tiny tier reclaims for itself before it takes another
	 * superslab: the 16 B slab, found empty, restarts, 0 blocks carved */
	alloc_all(fill, FILL_N, FILL_SIZE);
	HK_CHECK(!hk_addr_set_has(&first, hk_chunk_of(fill[FILL_N - 1])), "10 MB of %d B blocks stayed in one superslab",
		 FILL_SIZE);
	free_all(fill, FILL_N);
	*in_first = hk_stamped_in(runs, RUN_N, RUN_SIZE, &first);
	hk_stamped_in(cls, CLASS_N, CLASS_SIZE, &first); /* the class carves a slab again, the runs live */
	hk_check_tier_all(cls, CLASS_N, 0 /* tiny */);
	hk_stamped_free(cls, CLASS_N);
	hk_stamped_free(runs, RUN_N);
	return NULL;
}

int main(void)
{
	hk_test_begin("test_runs_reuse_class_slab",
		      "a superslab pinned only by a class's empty slab goes back for the runs");
	pthread_t t;
	int in_first = 0;
	HK_CHECK(pthread_create(&t, NULL, scenario, &in_first) == 0, "pthread_create");
	HK_CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	HK_CHECK(in_first > 0,
		 "none of %d runs went in the superslab whose only slab in use was the %d B class's, empty", RUN_N,
		 CLASS_SIZE);
	char msg[128];
	snprintf(msg, sizeof(msg), "%d of %d runs in that superslab's chunk; the class carved again after", in_first,
		 RUN_N);
	hk_pass(msg);
	return 0;
}
