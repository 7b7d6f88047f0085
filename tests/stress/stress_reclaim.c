/*
 * Reclaiming under thread traffic: four threads each allocate a round's
 * worth of blocks in a size band that changes every round (tiny, pool and
 * both), hand half of them to the next thread, which checks and frees them
 * (remote frees, some still in batches when the owner reclaims), and check
 * and free the other half themselves.  Heaps carve hundreds of MiB across
 * rounds, so they reclaim often: slabs and pool runs change class, free
 * superslabs and stretch pages go back to the OS.  Every block is checked
 * (pattern, usable size, owner) before it is freed; a block handed out twice
 * or lost to a reclaimed slab fails the check.
 */
#include "hk_queue.h"

#define THREADS 4
#define ROUNDS 24

static const size_t bands[][2] = {
	{16, 256}, {1024, 4096}, {300, 1000}, {8192, 20000}, {16, 64}, {20000, 52000}, {100, 2000},
};
#define BANDS (sizeof(bands) / sizeof(bands[0]))

static long per_round;
static struct hk_handoff handoff;

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t rng = (uint64_t)me * 0x9E3779B97F4A7C15ULL + 1;
	void **mine = malloc((size_t)per_round * sizeof(void *));
	HK_CHECK(mine != NULL, "malloc(list)");
	for (int r = 0; r < ROUNDS; r++) {
		const size_t *b = bands[(size_t)(r + me) % BANDS];
		hk_blocks_new(mine, per_round, b[0] + 32, b[1], &rng);
		hk_handoff_round(&handoff, me, mine, per_round);
	}
	free(mine);
	return NULL;
}

int main(void)
{
	hk_test_begin("stress_reclaim", "reclaiming while threads pass blocks on and change size bands");
	per_round = hk_scale(6000, 2);
	hk_handoff_init(&handoff, THREADS, per_round);
	struct hakmem_stats st0, st1;
	hakmem_stats_get(&st0);
	hk_run_threads(THREADS, worker);
	hakmem_stats_get(&st1);
	uint64_t advised = hk_sum(st1.os_advise_calls, HAKMEM_PURPOSES) - hk_sum(st0.os_advise_calls, HAKMEM_PURPOSES);
	printf("%s: %d rounds of %ld blocks per thread; %" PRIu64 " madvise calls\n", hk_test_name, ROUNDS, per_round,
	       advised);
	HK_CHECK(st1.remote_frees[0] + st1.remote_frees[1] > st0.remote_frees[0] + st0.remote_frees[1],
		 "no remote frees");
	HK_CHECK(advised > 0, "nothing went back to the OS: the heaps never reclaimed");
	hk_pass("every block intact through reclaims");
	return 0;
}
