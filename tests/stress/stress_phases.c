/*
 * Phases across tiers under thread traffic: four threads each allocate a
 * round's worth of blocks (~40 MB; 10 under sanitizers) in a band that moves
 * from tiny to pool to runs and back every round, hand half of them to the
 * next thread, which checks and frees them, and check and free the other
 * half themselves.  The runs' emptied chunks go back past their budget, then,
 * as phases alternate, wait idle for any tier; small tiers' arenas and
 * superslabs go back before the runs map chunks, and runs are built in
 * them, stale (chunks.c, runs.c, reclaim.c).  Every block is checked
 * (pattern, usable size, owner) before it is freed: a chunk handed to two
 * tiers at once, or a page a tier still uses, fails the check.
 */
#include "hk_queue.h"

#define THREADS 4
#define ROUNDS 12

static const size_t bands[][2] = {
	{16, 1024}, {20000, 52000}, {53300, 200000}, {1024, 16384}, {60000, 120000},
};
#define BANDS (sizeof(bands) / sizeof(bands[0]))

static long round_bytes;
static struct hk_handoff handoff;

static long blocks_of(const size_t *band)
{
	return round_bytes / (long)((band[0] + band[1]) / 2);
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t rng = (uint64_t)me * 0x9E3779B97F4A7C15ULL + 7;
	for (int r = 0; r < ROUNDS; r++) {
		const size_t *b = bands[(size_t)r % BANDS]; /* one band a round: n is the same for all */
		long n = blocks_of(b);
		void **mine = malloc((size_t)n * sizeof(void *));
		HK_CHECK(mine != NULL, "malloc(list)");
		hk_blocks_new(mine, n, b[0] + 32, b[1], &rng);
		hk_handoff_round(&handoff, me, mine, n);
		free(mine);
	}
	return NULL;
}

int main(void)
{
	hk_test_begin("stress_phases", "tiers sharing chunks while threads pass blocks on and change bands");
	round_bytes = hk_scale(40 << 20, 4);
	long most = 0;
	for (size_t b = 0; b < BANDS; b++)
		most = blocks_of(bands[b]) > most ? blocks_of(bands[b]) : most;
	hk_handoff_init(&handoff, THREADS, most);
	struct hakmem_stats st0, st1;
	hakmem_stats_get(&st0);
	hk_run_threads(THREADS, worker);
	hakmem_stats_get(&st1);
	printf("%s: %d rounds of ~%ld MB per thread; %" PRIu64 " arenas handed back, %" PRIu64 " chunk grows\n",
	       hk_test_name, ROUNDS, round_bytes >> 20, st1.arena_releases - st0.arena_releases,
	       st1.arena_grows - st0.arena_grows);
	HK_CHECK(st1.arena_releases > st0.arena_releases, "no pool arena went back: the heaps never gave to the runs");
	hk_pass("every block intact while tiers shared chunks");
	return 0;
}
