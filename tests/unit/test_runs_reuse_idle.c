/*
 * Runs are built in the chunks the small tiers left.  A thread frees 80 MB
 * of 1 KiB blocks, then allocates runs: before the large tier maps a fresh
 * chunk, the thread's heap hands its wholly free superslabs back
 * (reclaim.c), and the runs take those chunks, resident and stale.  A freed
 * block holds the free key in its second word, where a run stashed by its
 * thread holds it too (run_stash.c), and a 1 KiB block starts on every
 * page: a run placed there whose second word nobody writes must still free
 * as a live run, not abort as a double free.  Every run here writes its
 * first byte only.
 */
#include "hk_test.h"

#define SMALL_SIZE 1024 /* tiny tier: one block on every page */
#define SMALL_N 80000 /* 80 MB: ~40 chunks */
#define RUN_SIZE 65536 /* past the pool: a run */
#define RUN_N 2000

static void *small[SMALL_N], *runs[RUN_N];
static struct hk_addr_set small_chunks;

int main(void)
{
	hk_test_begin("test_runs_reuse_idle", "runs reuse the chunks a heap's superslabs left, stale as they are");
	for (int i = 0; i < SMALL_N; i++) {
		small[i] = malloc(SMALL_SIZE);
		HK_CHECK(small[i] != NULL, "malloc(%d)", SMALL_SIZE);
		memset(small[i], 0x5a, SMALL_SIZE);
		hk_addr_set_add(&small_chunks, hk_chunk_of(small[i]));
	}
	for (int i = 0; i < SMALL_N; i++)
		free(small[i]);
	int reused = hk_stamped_in(runs, RUN_N, RUN_SIZE, &small_chunks);
	HK_CHECK(reused > 0, "none of %d runs of %d B went in the %d chunks 80 MB of freed 1 KiB blocks left", RUN_N,
		 RUN_SIZE, small_chunks.n);
	hk_stamped_free(runs, RUN_N);
	char msg[128];
	snprintf(msg, sizeof(msg), "%d of %d runs in chunks the superslabs left; all freed as live runs", reused,
		 RUN_N);
	hk_pass(msg);
	return 0;
}
