/*
 * Which heap a new thread gets.  A thread whose first act is to free a block
 * of an exited thread takes over that thread's heap (even when another heap
 * was abandoned since), so that its frees are local, not remote; a thread
 * that starts with a malloc takes the most recently abandoned heap; a block
 * of a heap still in use never hands that heap over.  All on one CPU: which
 * CPU's heap a thread gets is test_heap_cpu's.
 */
#include <pthread.h>

#include "hk_test.h"

#define N 64

static void *blocks[N]; /* a tiny and a pool block in turn, allocated by one thread */
static uint64_t id_a, id_b, id_c, id_d;
/* A and B both hold a heap at the first barrier; B exits after A, at the second */
static pthread_barrier_t both_have_heaps, a_gone;

static pthread_t start(void *(*fn)(void *))
{
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, fn, NULL) == 0, "pthread_create");
	return t;
}

static void join(pthread_t t)
{
	HK_CHECK(pthread_join(t, NULL) == 0, "pthread_join");
}

static void run(void *(*fn)(void *))
{
	join(start(fn));
}

static void *allocate_blocks(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++)
		HK_CHECK((blocks[i] = malloc(i % 2 ? 4000 : 100)), "malloc");
	id_a = hakmem_heap_id();
	pthread_barrier_wait(&both_have_heaps);
	return NULL;
}

static void *allocate_one(void *arg)
{
	(void)arg;
	free(malloc(100));
	id_b = hakmem_heap_id();
	pthread_barrier_wait(&both_have_heaps);
	pthread_barrier_wait(&a_gone);
	return NULL;
}

/* Frees the exited thread's blocks first thing. */
static void *free_blocks(void *arg)
{
	(void)arg;
	uint64_t remote_before = hk_remote_frees();
	for (int i = 0; i < N; i++)
		free(blocks[i]);
	id_c = hakmem_heap_id();
	HK_CHECK(hk_remote_frees() == remote_before, "%" PRIu64 " of the frees were remote",
		 hk_remote_frees() - remote_before);
	/* heap A held only these blocks: now every block it carved is on its lists */
	struct hakmem_census c;
	hakmem_census(&c);
	for (int k = 0; k < c.classes; k++)
		HK_CHECK(c.free_local[k] == c.carved[k] && c.remote_pending[k] == 0,
			 "class %d: %" PRIu64 " carved, %" PRIu64 " on the free list, %" PRIu64 " queued", k,
			 c.carved[k], c.free_local[k], c.remote_pending[k]);
	return NULL;
}

static void *malloc_first(void *arg)
{
	(void)arg;
	free(malloc(100));
	id_d = hakmem_heap_id();
	return NULL;
}

static void *block_of_main;
static uint64_t id_main, id_e;

static void *free_live_heaps_block(void *arg)
{
	(void)arg;
	free(block_of_main);
	id_e = hakmem_heap_id();
	return NULL;
}

int main(void)
{
	hk_test_begin("test_heap_handover", "a new thread's heap");
	int cpu = sched_getcpu();
	HK_CHECK(cpu >= 0 && hk_pin(cpu) == 0, "pinning to CPU %d", cpu);
	HK_CHECK((block_of_main = malloc(100)), "malloc");
	id_main = hakmem_heap_id();

	HK_CHECK(pthread_barrier_init(&both_have_heaps, NULL, 3) == 0 && pthread_barrier_init(&a_gone, NULL, 2) == 0,
		 "pthread_barrier_init");
	pthread_t a = start(allocate_blocks), b = start(allocate_one);
	pthread_barrier_wait(&both_have_heaps);
	join(a); /* heap A abandoned */
	pthread_barrier_wait(&a_gone);
	join(b); /* heap B abandoned after A: the list's head */
	HK_CHECK(id_a && id_b && id_a != id_b, "heaps A %" PRIx64 " and B %" PRIx64, id_a, id_b);

	run(free_blocks);
	HK_CHECK(id_c == id_a, "the freeing thread got heap %" PRIx64 ", not the blocks' heap A %" PRIx64,
		 id_c, id_a);
	run(malloc_first);
	HK_CHECK(id_d == id_c, "a malloc-first thread got heap %" PRIx64 ", not the last abandoned %" PRIx64,
		 id_d, id_c);

	run(free_live_heaps_block);
	HK_CHECK(id_e && id_e != id_main, "a thread freeing the main thread's block got heap %" PRIx64
		 " (main's is %" PRIx64 ")", id_e, id_main);
	hk_pass("a freeing thread takes the blocks' abandoned heap, a malloc-first one the last abandoned, "
		"a heap in use stays");
	return 0;
}
