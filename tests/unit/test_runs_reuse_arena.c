/*
 * The pool's arena being carved goes back with the others when the runs
 * need a chunk.  A thread frees 48 MB of 8 KiB blocks, then allocates runs:
 * before the large tier maps a fresh chunk, the heap hands back its wholly
 * free arenas, the one it was carving included (reclaim.c: HK_GIVE_CARVING),
 * and the runs take its chunk, resident.  Kept, it stayed resident beside
 * the runs' fresh chunks (bench_phases: 8 MB of its peak).  The heap then
 * carves pool blocks again from a new arena.
 */
#include "hk_test.h"

#define POOL_SIZE 8192 /* pool tier */
#define POOL_N 6000 /* 48 MB: the heap's arenas grow to their largest */
#define RUN_SIZE 65536 /* past the pool: a run */
#define RUN_N 2000 /* 125 MiB: more than the arenas give back */

static void *pool[POOL_N], *runs[RUN_N];


int main(void)
{
	hk_test_begin("test_runs_reuse_arena", "runs take the chunk of the arena the pool was carving, once wholly free");
	for (int i = 0; i < POOL_N; i++) { /* written whole: resident */
		pool[i] = malloc(POOL_SIZE);
		HK_CHECK(pool[i] != NULL, "malloc(%d)", POOL_SIZE);
		memset(pool[i], 0x5a, POOL_SIZE);
	}
	struct hk_addr_set carving = {0}; /* the last carved: the arena being carved */
	hk_addr_set_add(&carving, hk_chunk_of(pool[POOL_N - 1]));
	hk_check_tier_all(pool, POOL_N, 1 /* pool */);
	for (int i = 0; i < POOL_N; i++)
		free(pool[i]);
	int in_carving = hk_stamped_in(runs, RUN_N, RUN_SIZE, &carving);
	HK_CHECK(in_carving > 0, "none of %d runs of %d B went in the chunk of the arena the pool was carving", RUN_N,
		 RUN_SIZE);
	hk_stamped_in(pool, POOL_N, POOL_SIZE, &carving); /* from a new arena, with the runs live */
	hk_check_tier_all(pool, POOL_N, 1);
	hk_stamped_free(pool, POOL_N);
	hk_stamped_free(runs, RUN_N);
	char msg[128];
	snprintf(msg, sizeof(msg), "%d of %d runs in the carving arena's chunk; pool blocks carved again after", in_carving,
		 RUN_N);
	hk_pass(msg);
	return 0;
}
