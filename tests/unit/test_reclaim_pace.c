/*
 * After a walk for the other heaps that found little, a heap spends at most
 * a 16th of its time walking: a walk of a long list freed in random order
 * costs 100 ns and more a block, where a refill takes a block in a few (a
 * perl script deleting a hash of 1.5 M keys walked 350 ms three times in
 * 1.2 s for nothing).
 *
 * One thread frees 1 M blocks of 32 bytes in random order, keeping one in
 * 64 so that no slab empties: every walk finds nothing.  A helper thread
 * then frees the thread's 16-byte blocks over and over, so that its refills
 * drain them: refills come fast and carve nothing.  HAKMEM_LARGE_PURGE_MS
 * is 20 ms.  The first refill past it walks (HAKMEM_STATS reclaims); over
 * the next 12 such walks' time (0.6-2 s), walking takes at most a 16th of
 * the time, plus one walk.  Without the bound the walks come every 40, 80,
 * 160 ms...
 */
#include <pthread.h>

#include "hk_test.h"

#define BIG 1000000
#define BIG_SIZE 32
#define KEEP_EVERY 64
#define CYCLE 100000 /* 16-byte blocks the helper frees per round */
#define PURGE_MS "20"
#define SHARE 16
#define MIN_WALK_MS 20 /* a shorter first walk could not tell the bound from the clock */

static void *big[BIG], *cycle_block[CYCLE];
static pthread_barrier_t handed, freed;
static volatile int stop;

static void *helper(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&handed);
		if (stop)
			return NULL;
		for (int i = 0; i < CYCLE; i++)
			free(cycle_block[i]); /* no hakmem_flush: that would walk the helper's heap */
		pthread_barrier_wait(&freed);
	}
}

/* The thread takes CYCLE 16-byte blocks (its refills drain what the helper
 * freed last round), and the helper frees them. */
static void round_trip(void)
{
	for (int i = 0; i < CYCLE; i++) {
		cycle_block[i] = malloc(16);
		HK_CHECK(cycle_block[i] != NULL, "malloc(16)");
	}
	pthread_barrier_wait(&handed);
	pthread_barrier_wait(&freed);
}

static void free_big_shuffled(void)
{
	uint64_t seed = 7;
	for (long i = BIG - 1; i > 0; i--) {
		long j = (long)hk_rand_range(&seed, 0, (uint64_t)i);
		void *t = big[i];
		big[i] = big[j];
		big[j] = t;
	}
	for (long i = 0; i < BIG; i++)
		if (i % KEEP_EVERY)
			free(big[i]);
}

int main(int argc, char **argv)
{
	(void)argc;
	hk_rerun_with(argv, "HAKMEM_LARGE_PURGE_MS", PURGE_MS);
	hk_test_begin("test_reclaim_pace", "walks for other heaps that find little take at most a 16th of the time");
	pthread_barrier_init(&handed, NULL, 2);
	pthread_barrier_init(&freed, NULL, 2);
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, helper, NULL) == 0, "pthread_create");
	for (long i = 0; i < BIG; i++) {
		big[i] = malloc(BIG_SIZE);
		HK_CHECK(big[i] != NULL, "malloc(%d)", BIG_SIZE);
	}
	free_big_shuffled();

	struct hakmem_stats s0 = hk_stats();
	int rounds = 0;
	while (hk_stats().reclaims == s0.reclaims && rounds++ < 100) { /* the first walk */
		hk_sleep_ms(25);
		round_trip();
	}
	struct hakmem_stats s1 = hk_stats();
	uint64_t first_ms = s1.reclaim_ms - s0.reclaim_ms;
	HK_CHECK(s1.reclaims == s0.reclaims + 1, "%" PRIu64 " walks at the first refills, not 1", s1.reclaims - s0.reclaims);
	HK_CHECK(first_ms >= MIN_WALK_MS, "the first walk took %" PRIu64 " ms, too short to tell (under %d)", first_ms,
		 MIN_WALK_MS);

	double span = 12.0 * first_ms / 1000, start = hk_now();
	span = span < 0.6 ? 0.6 : span > 2 ? 2 : span;
	int trips = 0;
	for (; hk_now() - start < span; trips++)
		round_trip();
	double elapsed_ms = (hk_now() - start) * 1000;
	struct hakmem_stats s2 = hk_stats();
	uint64_t walks = s2.reclaims - s1.reclaims, walked_ms = s2.reclaim_ms - s1.reclaim_ms;
	printf("%s: the first walk: %" PRIu64 " ms over %" PRIu64 " blocks; then %d round trips in %.0f ms: %" PRIu64
	       " walks, %" PRIu64 " ms\n",
	       hk_test_name, first_ms, s1.reclaim_blocks - s0.reclaim_blocks, trips, elapsed_ms, walks, walked_ms);
	double bound = elapsed_ms / SHARE + first_ms;
	HK_CHECK(trips > 20, "only %d round trips in %.0f ms", trips, elapsed_ms);
	HK_CHECK(walked_ms <= bound, "walks took %" PRIu64 " ms of %.0f, over %.0f (a 16th, plus one walk)", walked_ms,
		 elapsed_ms, bound);
	hk_pass("after walks that found little, walking stays within a 16th of the time");

	stop = 1;
	pthread_barrier_wait(&handed);
	pthread_join(t, NULL);
	for (long i = 0; i < BIG; i += KEEP_EVERY)
		free(big[i]);
	return 0;
}
