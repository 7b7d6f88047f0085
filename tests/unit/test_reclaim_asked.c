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
 * 39 MB when asked).  malloc_trim in any thread asks every heap.
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

enum round { OWN, ASKED, CONSUMING, TRIMMED };

static void *blocks[N], *small[SMALL], *warm[WARM];
static pthread_barrier_t handed, freed, round_done, done;

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
	if (r == OWN || r == TRIMMED)
		free_blocks();
	if (r != OWN) { /* B frees them, or trims */
		pthread_barrier_wait(&handed);
		pthread_barrier_wait(&freed);
	}
	hk_idle_then_refill(small, SMALL, r == CONSUMING ? SIZE : SMALL_SIZE, WAIT_MS);
	return hk_stats().arena_releases - before.arena_releases;
}

static const struct {
	const char *did, *pass;
} cases[] = {
	[OWN] = {"freeing its own blocks", "a heap that freed its own blocks keeps its arenas till a reclaim is due"},
	[ASKED] = {"after B freed its blocks",
		   "a heap another thread freed 40 MiB to hands its wholly free arenas back at its next refills"},
	[CONSUMING] = {"refilling the class B freed",
		       "a heap that takes back what others free to it is not asked to reclaim"},
	[TRIMMED] = {"freeing its own blocks, then B's malloc_trim",
		     "malloc_trim in another thread makes a heap hand its wholly free arenas back at its next refills"},
};

/* A thread with a heap of its own runs round r; it lives on till the end,
 * so that the next thread gets a heap of its own too. */
static void *heap_thread(void *arg)
{
	enum round r = (enum round)(intptr_t)arg;
	uint64_t grown, released = round_trip(r, &grown);
	/* all but the one it carves, exactly (HAKMEM_STATS) */
	uint64_t want = r == ASKED || r == TRIMMED ? grown - 1 : 0;
	printf("%s: %s, A handed back %" PRIu64 " of its %" PRIu64 " arenas\n", hk_test_name, cases[r].did, released,
	       grown);
	HK_CHECK(grown >= 4 && released == want,
		 "%s, A handed back %" PRIu64 " of its %" PRIu64 " arenas, not %" PRIu64, cases[r].did, released,
		 grown, want);
	hk_pass(cases[r].pass);
	pthread_barrier_wait(&round_done);
	pthread_barrier_wait(&done);
	return NULL;
}

static void *freer(void *arg)
{
	(void)arg;
	for (int r = ASKED; r <= TRIMMED; r++) {
		pthread_barrier_wait(&handed);
		if (r == TRIMMED)
			malloc_trim(0);
		else
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
	pthread_barrier_init(&round_done, NULL, 2);
	pthread_barrier_init(&done, NULL, 6);
	pthread_t t[4], b;
	HK_CHECK(pthread_create(&b, NULL, freer, NULL) == 0, "pthread_create");
	for (int r = OWN; r <= TRIMMED; r++) { /* one round at a time: they share blocks[] */
		HK_CHECK(pthread_create(&t[r], NULL, heap_thread, (void *)(intptr_t)r) == 0, "pthread_create");
		pthread_barrier_wait(&round_done);
	}
	pthread_barrier_wait(&done);
	for (int r = OWN; r <= TRIMMED; r++)
		HK_CHECK(pthread_join(t[r], NULL) == 0, "pthread_join");
	HK_CHECK(pthread_join(b, NULL) == 0, "pthread_join");
	return 0;
}
