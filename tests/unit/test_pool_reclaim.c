/*
 * Pool blocks a thread freed serve other pool classes: after freeing 24 MiB
 * of 2 KiB blocks (and a few aligned ones, whose padding the arena walk
 * steps over), 24 MiB of 12 KiB blocks come from the same arenas instead of
 * new ones (before: 560 MB peak for 100 MB phases of five size bands,
 * glibc 121).  Blocks other threads freed join the lists first (drained);
 * those another thread still holds in its batch, not yet queued, stay
 * blocks: they come back, valid, once queued and drained.
 */
#include <pthread.h>

#include "hk_test.h"

#define SMALL 2048
#define BIG 12288
#define BYTES ((size_t)24 << 20)
#define N_SMALL (BYTES / SMALL)
#define N_BIG (BYTES / BIG)
#define STEP 100 /* every STEP-th small block is freed by another thread */
#define N_REMOTE (N_SMALL / STEP)
#define HELD 5 /* blocks it holds in its batch: a chain is pushed at 16 KiB */
#define ALIGNED 64

static void *small[N_SMALL], *big[N_BIG], *remote[N_REMOTE], *aligned[ALIGNED];
static pthread_barrier_t held, done;
static struct hk_addr_set arenas, chunks; /* the 2 KiB blocks lay in */

/* In one of those arenas (a tail no 2 KiB block reached included), or in
 * their chunks: an arena emptied of 2 KiB blocks may have been handed back
 * whole and taken again (chunks.h), starting elsewhere. */
static int in_old(const void *p)
{
	return hk_addr_set_has(&arenas, hk_ptr_info(p).region) || hk_addr_set_has(&chunks, hk_chunk_of(p));
}

static void *free_remote(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < N_REMOTE - HELD; i++)
		free(remote[i]);
	hakmem_flush(); /* queued */
	for (size_t i = N_REMOTE - HELD; i < N_REMOTE; i++)
		free(remote[i]); /* held in this thread's batch */
	pthread_barrier_wait(&held);
	pthread_barrier_wait(&done);
	return NULL; /* the held ones are queued at exit */
}

/* An arena whose blocks were all freed and joined into one stretch while it
 * was still being carved, and which an aligned block then left (it takes
 * room for its padding, not a stretch), is that stretch and the gap of its
 * end: the next walk joins the two, and the arena goes back whole. */
static void *arena_end_joins(void *arg)
{
	(void)arg;
	enum { SIZE = 16000, MAX_BLOCKS = 4096 };
	static void *blocks[MAX_BLOCKS];
	uint64_t bytes0 = hk_stats().arena_bytes;
	blocks[0] = malloc(SIZE);
	HK_CHECK(blocks[0] != NULL, "malloc(%d)", SIZE);
	struct hakmem_ptr_info first = hk_ptr_info(blocks[0]);
	size_t arena = hk_stats().arena_bytes - bytes0, fit = (arena - 64) / first.stride; /* 64: its header */
	HK_CHECK(arena && fit < MAX_BLOCKS, "a first arena of %zu bytes", arena);
	for (size_t i = 1; i < fit; i++) {
		blocks[i] = malloc(SIZE);
		HK_CHECK(hk_ptr_info(blocks[i]).region == first.region, "block %zu of %zu out of the first arena", i,
			 fit);
	}
	for (size_t i = 0; i < fit; i++)
		free(blocks[i]);
	hakmem_flush(); /* one stretch, kept: the arena is still carved */
	uint64_t released = hk_stats().arena_releases;
	void *p = memalign(4096, SIZE); /* no room for it and its padding */
	HK_CHECK(p && hk_ptr_info(p).region != first.region, "memalign(4096, %d) in a new arena", SIZE);
	hakmem_flush();
	released = hk_stats().arena_releases - released;
	printf("%s: an arena of %zu KiB, one stretch and the gap at its end, handed back %" PRIu64 " time(s)\n",
	       hk_test_name, arena >> 10, released);
	HK_CHECK(released == 1, "the arena went back %" PRIu64 " times, not once", released);
	free(p);
	hk_pass("an arena's end joins the stretch before it, and the arena goes back whole");
	return NULL;
}

int main(void)
{
	hk_test_begin("test_pool_reclaim", "freed pool blocks serve other pool classes");
	for (size_t i = 0; i < N_SMALL; i++) {
		small[i] = malloc(SMALL);
		HK_CHECK(small[i] != NULL, "malloc(%d)", SMALL);
		memset(small[i], 0x11, SMALL);
		if (i % (N_SMALL / ALIGNED) == 0) /* padding before an aligned block: a gap */
			HK_CHECK(posix_memalign(&aligned[i / (N_SMALL / ALIGNED)], 1024, 3000) == 0, "posix_memalign");
		hk_addr_set_add(&arenas, hk_ptr_info(small[i]).region);
		hk_addr_set_add(&chunks, hk_chunk_of(small[i]));
	}
	int cls_small = hk_ptr_info(small[0]).size_class, cls_big;
	for (size_t i = 0; i < N_REMOTE; i++)
		remote[i] = small[i * STEP];
	pthread_barrier_init(&held, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, free_remote, NULL) == 0, "thread");
	pthread_barrier_wait(&held);
	for (size_t i = 0; i < N_SMALL; i++)
		if (i % STEP)
			free(small[i]);
	for (int i = 0; i < ALIGNED; i++)
		free(aligned[i]);

	struct hakmem_census c;
	hakmem_census(&c);
	uint64_t live = c.carved[cls_small] - c.free_local[cls_small] - c.remote_pending[cls_small];
	uint64_t grows = hk_stats().arena_grows;
	size_t old = 0;
	for (size_t i = 0; i < N_BIG; i++) {
		big[i] = malloc(BIG);
		HK_CHECK(big[i] != NULL, "malloc(%d)", BIG);
		hk_fill(big[i], BIG, i);
		old += in_old(big[i]);
	}
	cls_big = hk_ptr_info(big[0]).size_class;
	printf("%s: 2 KiB blocks in %d arenas; %zu of %zu 12 KiB blocks in them, %" PRIu64
	       " arenas grown (%" PRIu64 " handed back so far)\n",
	       hk_test_name, arenas.n, old, (size_t)N_BIG, hk_stats().arena_grows - grows, hk_stats().arena_releases);
	/* a heap reclaims once it has carved another quarter since it last did:
	 * an arena may grow first (8 MiB: 681 blocks) */
	HK_CHECK(old >= N_BIG / 2, "only %zu of %zu 12 KiB blocks in the arenas the 2 KiB ones left free",
		 old, (size_t)N_BIG);

	hakmem_census(&c);
	HK_CHECK(c.carved[cls_small] < N_SMALL / 4, "%" PRIu64 " blocks of 2 KiB still carved", c.carved[cls_small]);
	HK_CHECK(c.remote_pending[cls_small] == 0, "%" PRIu64 " 2 KiB blocks still queued",
		 c.remote_pending[cls_small]);
	HK_CHECK(c.carved[cls_small] == c.free_local[cls_small] + live,
		 "census: %" PRIu64 " carved, %" PRIu64 " free, not %" PRIu64
		 " live as before (the held ones among them)",
		 c.carved[cls_small], c.free_local[cls_small], live);
	HK_CHECK(c.carved[cls_big] - c.free_local[cls_big] >= N_BIG, "census of 12 KiB blocks");
	hk_pass("arenas emptied of 2 KiB blocks serve 12 KiB ones; the census adds up");

	pthread_barrier_wait(&done);
	HK_CHECK(pthread_join(t, NULL) == 0, "join");
	for (size_t i = 0; i < HELD + 100; i++) { /* the held ones come back as 2 KiB blocks */
		void *p = malloc(SMALL);
		HK_CHECK(p && hk_ptr_info(p).size_class == cls_small, "malloc(2048) after the drain");
		memset(p, 0x22, SMALL);
	}
	for (size_t i = 0; i < N_BIG; i++)
		HK_CHECK(hk_verify_prefix(big[i], BIG, BIG, i) < 0, "12 KiB block %zu overwritten", i);
	hk_pass("blocks another thread held stay blocks and come back intact");

	HK_CHECK(pthread_create(&t, NULL, arena_end_joins, NULL) == 0, "thread"); /* a heap of its own */
	HK_CHECK(pthread_join(t, NULL) == 0, "join");
	return 0;
}
