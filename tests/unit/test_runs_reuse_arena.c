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

static void fill_pool(const char *when)
{
	for (int i = 0; i < POOL_N; i++) {
		pool[i] = malloc(POOL_SIZE);
		HK_CHECK(pool[i] != NULL, "malloc(%d) %s", POOL_SIZE, when);
		memset(pool[i], 0x5a, POOL_SIZE);
	}
}

int main(void)
{
	hk_test_begin("test_runs_reuse_arena", "runs take the chunk of the arena the pool was carving, once wholly free");
	fill_pool("before the runs");
	struct hk_addr_set carving = {0}; /* the last carved: the arena being carved */
	hk_addr_set_add(&carving, hk_chunk_of(pool[POOL_N - 1]));
	HK_CHECK(hk_ptr_info(pool[POOL_N - 1]).tier == 1 /* pool */, "the last %d B block is not a pool block",
		 POOL_SIZE);
	for (int i = 0; i < POOL_N; i++)
		free(pool[i]);
	int in_carving = hk_stamped_in(runs, RUN_N, RUN_SIZE, &carving);
	HK_CHECK(in_carving > 0, "none of %d runs of %d B went in the chunk of the arena the pool was carving", RUN_N,
		 RUN_SIZE);
	hk_stamped_free(runs, RUN_N);
	fill_pool("after the runs"); /* a new arena to carve */
	for (int i = 0; i < POOL_N; i++) {
		HK_CHECK(*(volatile char *)pool[i] == 0x5a, "pool block %d lost its first byte", i);
		free(pool[i]);
	}
	char msg[128];
	snprintf(msg, sizeof(msg), "%d of %d runs in the carving arena's chunk; pool blocks carved again after", in_carving,
		 RUN_N);
	hk_pass(msg);
	return 0;
}
