/*
 * A thread that freed many bytes of another heap's blocks asks that heap to
 * reclaim for the others.  Thread A carves 40 MiB of 16 KiB pool blocks and
 * hands them all to thread B, which frees them; A then refills 2 KB blocks.
 * Its arenas are wholly free, but nothing else would make it walk them soon:
 * no other heap has taken fresh memory, and HAKMEM_LARGE_PURGE_MS is a
 * minute here.  Nor may its first small blocks land in them: each arena's
 * end, too short for the next 16 KiB block, waits as a gap, where as a
 * stretch it drew small blocks into every full arena and pinned them all.
 * (Four threads passing blocks on through seven size bands: 1.9 GB peak
 * before, 1.2 GB with both; tcmalloc 1.15.)  The control: the same with A
 * freeing its blocks itself hands nothing back.  And a heap that goes on
 * refilling the class B freed takes its blocks back from its queue, not
 * asked: walking for the ask would hand back arenas it is about to carve
 * again (a producer whose consumer frees its 16-48 KiB blocks: 14 MB peak,
 * 39 MB when asked).
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define SIZE 16384
#define N ((40 * MiB) / SIZE) /* more than the 32 MiB in a row that ask */
#define SMALL 3000 /* over 1024 refilled, as a walk needs */
#define SMALL_SIZE 2000 /* pool blocks: the arena being carved has room for them */
#define WAIT_MS 30 /* > the 10 ms between walks for others, < HAKMEM_LARGE_PURGE_MS */
#define PURGE_MS "60000"

#define WARM 2000 /* 64-byte blocks: refilled enough for a walk to be due at once */

enum round { OWN, ASKED, CONSUMING };

static void *blocks[N], *small[SMALL], *warm[WARM];
static pthread_barrier_t handed, freed, control_done, asked_done, done;

static void free_blocks(void)
{
	for (size_t i = 0; i < N; i++)
		free(blocks[i]);
}

/* One heap's round: carve, have the blocks freed (by B unless OWN), wait,
 * refill small blocks (CONSUMING: blocks of the class B freed).  Returns the
 * arenas it handed back; *grown gets how many it took. */
static uint64_t round_trip(enum round r, uint64_t *grown)
{
	struct hakmem_stats before = hk_stats();
	for (size_t i = 0; i < N; i++) {
		blocks[i] = malloc(SIZE);
		HK_CHECK(blocks[i] != NULL, "malloc(%d)", SIZE);
		memset(blocks[i], 0x5a, SIZE);
	}
	*grown = hk_stats().arena_grows - before.arena_grows;
	if (r == CONSUMING)
		hk_idle_then_refill(warm, WARM, 64, 0);
	if (r == OWN) {
		free_blocks();
	} else {
		pthread_barrier_wait(&handed);
		pthread_barrier_wait(&freed);
	}
	hk_idle_then_refill(small, SMALL, r == CONSUMING ? SIZE : SMALL_SIZE, WAIT_MS);
	return hk_stats().arena_releases - before.arena_releases;
}

static void *control(void *arg)
{
	(void)arg;
	uint64_t grown, released = round_trip(OWN, &grown);
	printf("%s: freeing its own %d blocks, A handed back %" PRIu64 " of its %" PRIu64 " arenas\n",
	       hk_test_name, (int)N, released, grown);
	HK_CHECK(grown >= 4 && released == 0, "with nobody asking, A handed back %" PRIu64 " of %" PRIu64
		 " arenas %d ms after freeing", released, grown, WAIT_MS);
	hk_pass("a heap that freed its own blocks keeps its arenas till a reclaim is due");
	pthread_barrier_wait(&control_done);
	pthread_barrier_wait(&done); /* alive: the next thread gets a heap of its own */
	return NULL;
}

static void *asked(void *arg)
{
	(void)arg;
	uint64_t grown, released = round_trip(ASKED, &grown);
	printf("%s: after B freed its %d blocks, A handed back %" PRIu64 " of its %" PRIu64 " arenas\n",
	       hk_test_name, (int)N, released, grown);
	/* all but the one it carves, exactly (HAKMEM_STATS) */
	HK_CHECK(grown >= 4 && released == grown - 1, "asked, A handed back %" PRIu64 " of its %" PRIu64
		 " arenas %d ms after B freed them", released, grown, WAIT_MS);
	hk_pass("a heap another thread freed 40 MiB to hands its wholly free arenas back at its next refills");
	pthread_barrier_wait(&asked_done);
	pthread_barrier_wait(&done); /* alive: the next thread gets a heap of its own */
	return NULL;
}

static void *consuming(void *arg)
{
	(void)arg;
	uint64_t grown, released = round_trip(CONSUMING, &grown);
	printf("%s: refilling the class B freed, A handed back %" PRIu64 " of its %" PRIu64 " arenas\n", hk_test_name,
	       released, grown);
	HK_CHECK(grown >= 4 && released == 0, "refilling the class B freed, A handed back %" PRIu64 " of %" PRIu64
		 " arenas", released, grown);
	hk_pass("a heap that takes back what others free to it is not asked to reclaim");
	return NULL;
}

static void *freer(void *arg)
{
	(void)arg;
	for (int round = 0; round < 2; round++) { /* ASKED, CONSUMING */
		pthread_barrier_wait(&handed);
		free_blocks();
		pthread_barrier_wait(&freed);
	}
	pthread_barrier_wait(&done);
	return NULL;
}

int main(int argc, char **argv)
{
	(void)argc;
	hk_rerun_with(argv, "HAKMEM_LARGE_PURGE_MS", PURGE_MS);
	hk_test_begin("test_reclaim_asked", "a thread that freed many of a heap's bytes asks it to reclaim for others");
	pthread_barrier_init(&handed, NULL, 2);
	pthread_barrier_init(&freed, NULL, 2);
	pthread_barrier_init(&control_done, NULL, 2);
	pthread_barrier_init(&asked_done, NULL, 2);
	pthread_barrier_init(&done, NULL, 4);
	pthread_t c, a, k, b;
	HK_CHECK(pthread_create(&c, NULL, control, NULL) == 0, "pthread_create");
	HK_CHECK(pthread_create(&b, NULL, freer, NULL) == 0, "pthread_create");
	pthread_barrier_wait(&control_done); /* the control first */
	HK_CHECK(pthread_create(&a, NULL, asked, NULL) == 0, "pthread_create");
	pthread_barrier_wait(&asked_done); /* one round at a time: they share blocks[] */
	HK_CHECK(pthread_create(&k, NULL, consuming, NULL) == 0, "pthread_create");
	HK_CHECK(pthread_join(k, NULL) == 0, "pthread_join");
	pthread_barrier_wait(&done);
	HK_CHECK(pthread_join(a, NULL) == 0, "pthread_join");
	HK_CHECK(pthread_join(c, NULL) == 0, "pthread_join");
	HK_CHECK(pthread_join(b, NULL) == 0, "pthread_join");
	return 0;
}
