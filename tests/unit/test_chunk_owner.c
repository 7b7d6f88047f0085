/*
 * A chunk's owner follows it when it changes hands.  free's fast path reads
 * the owner and kind of a pointer's chunk from a table of their own
 * (segment.h: hk_window_kind), not from the segment header; a superslab one
 * thread emptied and gave back, then carved by another, must read as the
 * other's there: the first thread's frees of its blocks are remote frees,
 * and none of them comes back from the first thread's mallocs.
 */
#include <pthread.h>
#include "hk_test.h"

#define SIZE 128
#define N (((size_t)8 << 20) / SIZE) /* 8 MiB: four superslabs */

static void *mine[N], *theirs[N];
static struct hk_addr_set main_chunks, their_chunks;
static pthread_barrier_t step;

static void *other(void *arg)
{
	(void)arg;
	size_t reused = 0;
	for (size_t i = 0; i < N; i++) {
		theirs[i] = malloc(SIZE);
		HK_CHECK(theirs[i] != NULL, "malloc(%d) in the other thread", SIZE);
		memset(theirs[i], 0x33, SIZE);
		hk_addr_set_add(&their_chunks, hk_chunk_of(theirs[i]));
		reused += hk_addr_set_has(&main_chunks, hk_chunk_of(theirs[i]));
	}
	HK_CHECK(reused > 0, "the other thread carved none of its %zu blocks in the chunks main gave back", N);
	pthread_barrier_wait(&step); /* main frees them */
	pthread_barrier_wait(&step); /* main checked its own mallocs */
	return NULL;
}

int main(void)
{
	hk_test_begin("test_chunk_owner", "a chunk given back and carved by another thread is that thread's");
	for (size_t i = 0; i < N; i++) {
		mine[i] = malloc(SIZE);
		HK_CHECK(mine[i] != NULL, "malloc(%d)", SIZE);
		memset(mine[i], 0x11, SIZE);
		hk_addr_set_add(&main_chunks, hk_chunk_of(mine[i]));
	}
	for (size_t i = 0; i < N; i++)
		free(mine[i]);
	hakmem_flush(); /* the superslabs go back: their chunks serve the next taker */

	pthread_barrier_init(&step, NULL, 2);
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, other, NULL) == 0, "pthread_create");
	pthread_barrier_wait(&step);

	uint64_t before = hk_remote_frees();
	for (size_t i = 0; i < N; i++)
		free(theirs[i]);
	uint64_t remote = hk_remote_frees() - before;
	HK_CHECK(remote == N, "%" PRIu64 " of main's %zu frees of the other thread's blocks were remote", remote, N);
	hk_pass("frees of blocks in a chunk another thread took over are remote frees");

	for (size_t i = 0; i < N; i++) {
		mine[i] = malloc(SIZE);
		HK_CHECK(mine[i] != NULL, "malloc(%d)", SIZE);
		HK_CHECK(!hk_addr_set_has(&their_chunks, hk_chunk_of(mine[i])),
			 "main's malloc returned %p, in a chunk of the other thread's", mine[i]);
	}
	hk_pass("main's mallocs return none of the other thread's blocks");
	pthread_barrier_wait(&step);
	pthread_join(t, NULL);
	for (size_t i = 0; i < N; i++)
		free(mine[i]);
	return 0;
}
