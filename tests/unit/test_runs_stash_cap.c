/*
 * The runs threads keep in their stashes (up to 4 MiB each) are bounded
 * all together by HAKMEM_LARGE_CACHE_MB (64 MiB by default).  24 threads
 * alive, started one after another, each allocate four 1 MiB runs (a chunk
 * each) and free them: the first 16 fill 64 MiB of stashes; each of the 8
 * after them keeps its last run and gives three back, which the next thread
 * takes instead of making chunks.  75 chunks in all where an unbounded stash
 * makes 96, one per run.  Its own process: no chunk may be free beforehand.
 */
#include <pthread.h>

#include "hk_test.h"

#define THREADS 24
#define RUN (256 * HK_PAGE) /* 1 MiB: the largest run, a chunk's 511 pages hold one */

static pthread_barrier_t ready, release;

static uint64_t arena_grows(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.arena_grows;
}

/* Free four 1 MiB runs (into this thread's stash), then stay alive. */
static void *stash_four(void *arg)
{
	(void)arg;
	void *p[4];
	for (int i = 0; i < 4; i++)
		HK_CHECK((p[i] = malloc(RUN)), "malloc(1 MiB)");
	for (int i = 0; i < 4; i++)
		free(p[i]);
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&release);
	return NULL;
}

int main(void)
{
	hk_test_begin("test_runs_stash_cap", "all threads' run stashes together keep at most 64 MiB");
	HK_CHECK(pthread_barrier_init(&ready, NULL, 2) == 0 && pthread_barrier_init(&release, NULL, THREADS + 1) == 0,
		 "pthread_barrier_init");
	pthread_t t[THREADS];
	uint64_t grows0 = arena_grows();
	for (int i = 0; i < THREADS; i++) { /* one at a time: each sees the stashes before it */
		HK_CHECK(pthread_create(&t[i], NULL, stash_four, NULL) == 0, "pthread_create");
		pthread_barrier_wait(&ready);
	}
	uint64_t grows = arena_grows() - grows0;
	/* 16 threads fill the budget, 4 chunks each; the 17th makes 4 and gives 3
	 * back; each after it takes those 3 and makes 1 */
	uint64_t want = 16 * 4 + 4 + (THREADS - 17);
	HK_CHECK(grows == want, "%d threads holding four freed 1 MiB runs each made %" PRIu64
		 " chunks, not %" PRIu64 " (unbounded stashes: %d)", THREADS, grows, want, THREADS * 4);
	pthread_barrier_wait(&release);
	for (int i = 0; i < THREADS; i++)
		HK_CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	printf("%s: %" PRIu64 " chunks for %d runs\n", hk_test_name, grows, THREADS * 4);
	hk_pass("24 threads stashing 4 MiB each: stashes past 64 MiB give runs back, and the next threads reuse them");
	return 0;
}
