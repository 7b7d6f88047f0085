/*
 * Reclaiming for other heaps hands back what is wholly free (pool arenas,
 * superslabs) but leaves the empty slabs of a superslab still in use to
 * their class: shuffling them between the heap's own classes gains the
 * others nothing, and each shuffle may carve a fuller slab past pages the
 * other class never reached (cross-thread producer-consumer, reclaiming
 * every 100 ms: 5.2 MB peak instead of 4.9).  The heap's own reclaims do
 * hand such slabs to its other classes (test_tiny_reclaim).
 *
 * One thread fills 7 slabs with 64-byte blocks, keeps the first slab's,
 * frees the rest and 4 MiB of pool blocks, waits HAKMEM_LARGE_PURGE_MS (200
 * ms here) and allocates a 256-byte block: that refill reclaims for the
 * others, which hands back all but one of the pool arenas (so it ran), and
 * the block comes from a slab never carved, not from the 6 emptied ones.
 * On a loaded machine the setup can outlast that wait, and a refill in it
 * walks first; the refill under test may then not be due (0 arenas went
 * back: 9 runs in 12 beside three busy loops with 20 ms), so each attempt
 * runs in a child of its own, and one whose heap walked before the refill
 * under test is retried.
 */
#include <unistd.h>

#include "hk_test.h"

#define SLAB ((size_t)64 << 10)
#define SMALL 64
#define PER_SLAB (SLAB / SMALL)
#define SLABS 7
#define POOL_SIZE 16384
#define POOL_N 256 /* 4 MiB: more than the first arenas */
#define PURGE_MS "200"
#define WAIT_MS 600
#define ATTEMPTS 5
#define EARLY_WALK 2 /* an attempt's exit status when the heap walked too soon */

static void *small[PER_SLAB * SLABS], *pool[POOL_N];

static unsigned slab_index(const void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0 && in.tier == 0, "%p is no tiny block", p);
	return (unsigned)((in.region & (((uintptr_t)2 << 20) - 1)) / SLAB); /* within its 2 MiB superslab */
}

/* One attempt, in a child: exits 0, or EARLY_WALK when the heap walked
 * before the refill under test (its walk then is not due), or 1 at a
 * failed check. */
static void attempt(void)
{
	uint64_t walks = hk_stats().reclaims;
	for (size_t i = 0; i < PER_SLAB * SLABS; i++) {
		small[i] = malloc(SMALL);
		HK_CHECK(small[i] != NULL, "malloc(%d)", SMALL);
	}
	unsigned first = slab_index(small[0]), last = slab_index(small[PER_SLAB * SLABS - 1]);
	HK_CHECK(last == first + SLABS - 1 && hk_chunk_of(small[0]) == hk_chunk_of(small[PER_SLAB * SLABS - 1]),
		 "64-byte blocks in slabs %u..%u, not %d in a row of one superslab", first, last, SLABS);
	uint64_t grown = hk_stats().arena_grows;
	for (size_t i = 0; i < POOL_N; i++) {
		pool[i] = malloc(POOL_SIZE);
		HK_CHECK(pool[i] != NULL, "malloc(%d)", POOL_SIZE);
	}
	for (size_t i = PER_SLAB; i < PER_SLAB * SLABS; i++)
		free(small[i]);
	grown = hk_stats().arena_grows - grown;
	for (size_t i = 0; i < POOL_N; i++)
		free(pool[i]);

	if (hk_stats().reclaims != walks)
		_exit(EARLY_WALK);
	uint64_t released = hk_stats().arena_releases;
	hk_sleep_ms(WAIT_MS);
	void *p = malloc(256);
	HK_CHECK(p != NULL, "malloc(256)");
	released = hk_stats().arena_releases - released;
	unsigned at = slab_index(p);
	printf("%s: slabs %u..%u emptied but %u; the reclaim handed back %" PRIu64
	       " of %" PRIu64 " arenas; a 256-byte block then came from slab %u\n",
	       hk_test_name, first + 1, last, first, released, grown, at);
	/* all but the one it carves, exactly (HAKMEM_STATS): the refill reclaimed for the others */
	HK_CHECK(grown >= 2 && released == grown - 1, "%" PRIu64 " of %" PRIu64 " arenas went back, not all but one",
		 released, grown);
	HK_CHECK(hk_chunk_of(p) != hk_chunk_of(small[0]) || at > last,
		 "the 256-byte block took slab %u, one the 64-byte class emptied (%u..%u)", at, first + 1, last);
	hk_pass("empty slabs of a superslab in use stay their class's when reclaiming for others");
	free(p);
	for (size_t i = 0; i < PER_SLAB; i++)
		free(small[i]);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	(void)argc;
	hk_rerun_with(argv, "HAKMEM_LARGE_PURGE_MS", PURGE_MS);
	hk_test_begin("test_reclaim_keeps_slabs",
		      "reclaiming for others leaves the empty slabs of a superslab in use to their class");
	hk_attempts(ATTEMPTS, attempt, EARLY_WALK, "the heap walked before the refill under test (a slow machine)");
	return 0;
}
