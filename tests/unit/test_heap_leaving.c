/*
 * A heap whose thread leaves gives back what that thread left wholly free,
 * the arena and superslab it was carving included (hk_reclaim_leaving):
 * with threads that come and go, each heap would otherwise wait for its
 * next thread holding as much as the largest thread it ever served
 * (mimalloc's test-stress pattern, 25 rounds of four threads: 66-80 MB
 * peak, 41-46 with this).  A thread that carved little leaves its heap as
 * it is, for the next thread's first malloc: no walk.
 */
#include <pthread.h>

#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define TINY_SIZE 256
#define TINY_N ((2 * MiB) / TINY_SIZE)
#define POOL_SIZE 16384
#define POOL_N ((2 * MiB) / POOL_SIZE)
#define FEW 100

static void *blocks[TINY_N];

/* 2 MiB of tiny blocks and 2 MiB of pool blocks, all freed. */
static void *carve_much(void *arg)
{
	(void)arg;
	hk_fill_then_free(blocks, TINY_N, TINY_SIZE);
	hk_fill_then_free(blocks, POOL_N, POOL_SIZE);
	return NULL;
}

static void *carve_little(void *arg)
{
	(void)arg;
	hk_fill_then_free(blocks, FEW, POOL_SIZE);
	return NULL;
}

/* The change in reclaims and arena releases over a thread running fn. */
static void run_thread(void *(*fn)(void *), uint64_t *reclaims, uint64_t *released)
{
	struct hakmem_stats before = hk_stats();
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, fn, NULL) == 0 && pthread_join(t, NULL) == 0, "thread");
	struct hakmem_stats after = hk_stats();
	*reclaims = after.reclaims - before.reclaims;
	*released = after.arena_releases - before.arena_releases;
}

int main(void)
{
	hk_test_begin("test_heap_leaving", "a heap whose thread leaves gives back what it left wholly free");
	uint64_t reclaims, released;
	run_thread(carve_much, &reclaims, &released);
	HK_CHECK(reclaims == 1 && released >= 1,
		 "a thread that carved 4 MiB and freed it all left: %" PRIu64 " walks, %" PRIu64
		 " arenas given back (expected 1 and at least 1)",
		 reclaims, released);
	hk_pass("a thread that carved 4 MiB and freed it all leaves: one walk, its arena given back");
	run_thread(carve_little, &reclaims, &released);
	HK_CHECK(reclaims == 0 && released == 0,
		 "a thread that carved %d pool blocks left: %" PRIu64 " walks, %" PRIu64 " arenas given back",
		 FEW, reclaims, released);
	hk_pass("a thread that carved little leaves its heap as it is");
	return 0;
}
