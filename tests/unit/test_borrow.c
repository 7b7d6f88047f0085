/*
 * A tiny class whose blocks come back from other threads, its free list and
 * remote queue empty, takes a free block of the next class up before it
 * carves (lib/alloc.c, borrow): carved blocks serve their class for good,
 * and a producer whose classes' highs come at different times would carve
 * for each class's high.  An aligned allocation needs its own class's
 * stride, and never borrows.
 *
 * For a pair of neighbouring classes (lo, hi): this thread allocates 40
 * blocks of each, another thread frees them (to this thread's queues), this
 * thread allocates lo blocks until its list and queue of lo are empty (so
 * lo's blocks came back through its queue once).  Then malloc(256) is a
 * 320-byte block and carves nothing; posix_memalign(64, 64), its class
 * (64) drained alike, is a 64-byte block, carved, 64-aligned.
 */
#include <pthread.h>

#include "hk_test.h"

#define N 40
#define KEEP 256

static void *given[2 * N];

static void *free_given(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2 * N; i++)
		free(given[i]);
	return NULL; /* the thread's exit pushes its chains */
}

static int class_of(const void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "%p unknown", p);
	return in.size_class;
}

static struct hakmem_census census(void)
{
	struct hakmem_census c;
	hakmem_census(&c);
	return c;
}

/* Class lo (blocks of size lo) emptied after its blocks came back through
 * its queue; class hi holds free blocks (list or queue).  Returns lo's class. */
static int drain_pair(size_t lo, size_t hi, void **keep, int *kept)
{
	for (int i = 0; i < N; i++) {
		HK_CHECK((given[i] = malloc(lo)) && (given[N + i] = malloc(hi)), "malloc");
	}
	int cls = class_of(given[0]);
	HK_CHECK(class_of(given[N]) == cls + 1, "%zu and %zu B are not neighbouring classes", lo, hi);
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, free_given, NULL) == 0, "pthread_create");
	pthread_join(t, NULL);
	HK_CHECK(census().remote_pending[cls] == N && census().remote_pending[cls + 1] == N,
		 "the other thread's frees are not queued");
	for (struct hakmem_census c = census(); c.free_local[cls] || c.remote_pending[cls]; c = census()) {
		HK_CHECK(*kept < KEEP, "class of %zu B never runs dry", lo);
		HK_CHECK((keep[(*kept)++] = malloc(lo)) != NULL, "malloc(%zu)", lo);
	}
	return cls;
}

int main(void)
{
	hk_test_begin("test_borrow", "a remotely fed tiny class, run dry, takes the next class's free block");
	static void *keep[KEEP];
	int kept = 0;

	int cls = drain_pair(256, 320, keep, &kept);
	uint64_t carved = census().carved[cls];
	void *p = malloc(256);
	HK_CHECK(p != NULL, "malloc(256)");
	HK_CHECK(class_of(p) == cls + 1 && malloc_usable_size(p) == 320,
		 "malloc(256) with its class dry: class %d, %zu usable, want the 320-byte class %d", class_of(p),
		 malloc_usable_size(p), cls + 1);
	HK_CHECK(census().carved[cls] == carved, "carved %" PRIu64 " more 256-byte blocks",
		 census().carved[cls] - carved);
	uint64_t free_hi = census().free_local[cls + 1];
	free(p);
	HK_CHECK(census().free_local[cls + 1] == free_hi + 1, "the borrowed block went back elsewhere");

	cls = drain_pair(64, 80, keep, &kept);
	void *q = NULL;
	HK_CHECK(posix_memalign(&q, 64, 64) == 0, "posix_memalign(64, 64)");
	HK_CHECK(class_of(q) == cls && ((uintptr_t)q & 63) == 0,
		 "posix_memalign(64, 64) with its class dry: class %d at %p, want class %d, 64-aligned",
		 class_of(q), q, cls);
	free(q);

	while (kept)
		free(keep[--kept]);
	hk_pass("malloc takes the next class's free block; aligned allocations carve their own");
	return 0;
}
