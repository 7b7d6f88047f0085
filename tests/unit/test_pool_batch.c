/*
 * A pool class carves no more than its heap holds of it already: one block
 * at its first refill, then as many as were carved before (doubling), up to
 * the 16 KiB batch (lib/alloc.c, refill_batch).  A class a program uses for
 * a block or two then touches a page or two, not 16 KiB of its own:
 * malloc_thread 1t's pool arenas held 140 KiB resident, 72 KiB after.
 *
 * In a fresh thread (a heap that never carved), each class here is
 * allocated one block at a time; after every malloc the census's carved
 * count must equal what that rule gives.
 */
#include <pthread.h>

#include "hk_test.h"

#define BATCH_BYTES 16384
#define ROUNDS 3 /* full batches past the ramp */

static const size_t sizes[] = { 1100, 3000, 9000, 30000 };
static void *held[64];

static uint64_t carved(int cls)
{
	struct hakmem_census c;
	hakmem_census(&c);
	return c.carved[cls];
}

/* What a refill of a class with carved blocks adds, its full batch cap. */
static uint64_t batch(uint64_t carved_before, uint64_t cap)
{
	if (!carved_before)
		return 1;
	return carved_before < cap ? carved_before : cap;
}

static void check_class(size_t size)
{
	HK_CHECK((held[0] = malloc(size)) != NULL, "malloc(%zu)", size);
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(held[0], &in) == 0 && in.tier == 1, "%zu B is not a pool block", size);
	uint64_t cap = BATCH_BYTES / in.stride > 2 ? BATCH_BYTES / in.stride : 2;
	uint64_t want = 1, n = cap * ROUNDS + 5;
	HK_CHECK(n <= sizeof(held) / sizeof(held[0]), "too many blocks for %zu B", size);
	HK_CHECK(carved(in.size_class) == want, "%zu B: the first malloc carved %llu blocks, not 1", size,
		 (unsigned long long)carved(in.size_class));
	for (uint64_t i = 1; i < n; i++) {
		HK_CHECK((held[i] = malloc(size)) != NULL, "malloc(%zu)", size);
		if (i == want) /* the list was empty: one refill */
			want += batch(want, cap);
		uint64_t got = carved(in.size_class);
		HK_CHECK(got == want, "%zu B, block %llu: %llu carved, the rule gives %llu", size,
			 (unsigned long long)i + 1, (unsigned long long)got, (unsigned long long)want);
	}
	for (uint64_t i = 0; i < n; i++)
		free(held[i]);
}

static void *fresh_thread(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_class(sizes[i]);
	return NULL;
}

int main(void)
{
	hk_test_begin("test_pool_batch", "a pool class's refills carve 1 block, then double up to 16 KiB");
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, fresh_thread, NULL) == 0, "pthread_create");
	pthread_join(t, NULL);
	hk_pass("4 classes, each refill as the rule gives");
	return 0;
}
