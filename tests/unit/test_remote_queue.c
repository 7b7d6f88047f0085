/*
 * The remote queue's block count (kept in its head word, saturating at 65535
 * pending blocks, past which the owner counts by walking): for N blocks a
 * helper thread frees while the owner waits, the owner's next refill of the
 * class drains exactly N blocks (drained_blocks, census remote_pending), and
 * hands out exactly those N blocks again.  N runs below, at and past the
 * saturation point.
 */
#include <pthread.h>

#include "hk_test.h"

#define SIZE 16 /* one tiny class */
#define MAX_N 70000

static void *blocks[MAX_N];
static int count;

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

static void *free_all(void *arg)
{
	(void)arg;
	for (int i = 0; i < count; i++)
		free(blocks[i]);
	hakmem_flush(); /* push the last batch */
	return NULL;
}

static uint64_t drained(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.drained_blocks[0];
}

static uint64_t pending(int cls)
{
	struct hakmem_census c;
	hakmem_census(&c);
	return c.remote_pending[cls];
}

/* Empty this thread's free list of the class, so that the next malloc
 * refills from the queue; the blocks taken go to held (static: an array
 * from malloc could itself be a block of the class). */
static void *held[2 * MAX_N];

static int empty_free_list(int cls)
{
	struct hakmem_census c;
	hakmem_census(&c);
	int n = (int)c.free_local[cls];
	HK_CHECK(n <= 2 * MAX_N, "free list of %d blocks", n);
	for (int i = 0; i < n; i++)
		held[i] = malloc(SIZE);
	hakmem_census(&c);
	HK_CHECK(c.free_local[cls] == 0, "free list not empty: %" PRIu64, c.free_local[cls]);
	return n;
}

static void round_of(int n, int cls)
{
	count = n;
	for (int i = 0; i < n; i++)
		HK_CHECK((blocks[i] = malloc(SIZE)), "malloc");
	int held_n = empty_free_list(cls);
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, free_all, NULL) == 0, "pthread_create");
	pthread_join(t, NULL);
	HK_CHECK(pending(cls) == (uint64_t)n, "queued %" PRIu64 ", want %d", pending(cls), n);

	uint64_t before = drained();
	static void *again[MAX_N];
	for (int i = 0; i < n; i++)
		again[i] = malloc(SIZE);
	HK_CHECK(drained() - before == (uint64_t)n, "drained %" PRIu64 ", want %d", drained() - before, n);
	qsort(blocks, (size_t)n, sizeof(void *), cmp_ptr);
	qsort(again, (size_t)n, sizeof(void *), cmp_ptr);
	HK_CHECK(memcmp(blocks, again, (size_t)n * sizeof(void *)) == 0,
		 "the %d blocks handed out after the drain are not the %d freed", n, n);
	for (int i = 0; i < n; i++)
		free(again[i]);
	for (int i = 0; i < held_n; i++)
		free(held[i]);
	printf("  %d remote frees: queued %d, drained %d, handed out again\n", n, n, n);
}

int main(void)
{
	hk_test_begin("test_remote_queue", "remote queue counts below, at and past saturation");
	struct hakmem_ptr_info info;
	void *probe = malloc(SIZE);
	HK_CHECK(hakmem_ptr_info(probe, &info) == 0, "ptr_info");
	free(probe);
	int cls = info.size_class;
	round_of(1000, cls);
	round_of(65534, cls);
	round_of(65535, cls);
	round_of(MAX_N, cls);
	hk_pass("drained counts equal the blocks queued, saturated or not");
	return 0;
}
