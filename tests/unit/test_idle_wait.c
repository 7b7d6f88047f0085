/*
 * Arenas a heap handed back wait HAKMEM_LARGE_PURGE_MS before they go back
 * to the OS; when a heap then has to take fresh memory within that wait,
 * the next ones wait twice as long.  A program whose phases alternate
 * faster than the wait otherwise faulted the same memory in at every phase
 * (four threads through seven size bands, a round every 130 ms: 1.7 M
 * page faults and 8.7 s; 0.4 M and 7.0 s waiting longer).
 *
 * One thread, a wait of 300 ms: it frees 32 MiB of pool blocks, and at the
 * refills after idling 330 ms hands its arenas back, then returns them to
 * the OS (330 ms waited).  It carves 32 MiB at once: fresh memory, soon
 * after.  Freed and handed back again, they have not gone back after 330
 * ms; they have after 660.  Once no fresh memory was taken for twice that
 * wait, the next ones go after 330 ms again.  The wait is long enough that
 * carving 32 MiB under ASan on a loaded machine still comes "soon after":
 * with 100 ms it failed 3 runs in 4 beside two busy loops.
 */
#include "hakmem_probes.h"
#include "hk_test.h"

#define PURGE_MS "300"
#define IDLE_MS 330 /* a little more than HAKMEM_LARGE_PURGE_MS */
#define MiB ((size_t)1 << 20)
#define BYTES (32 * MiB)
#define ARENA (8 * MiB) /* HAKMEM_POOL_TLS_ARENA_MB_MAX: arenas grow to it */
#define SMALL 40000 /* tiny blocks: refills enough for a reclaim to be due */

static void *blocks[BYTES / 12288], *small[SMALL];

static void carve_and_free(size_t size)
{
	hk_fill_then_free(blocks, BYTES / size, size);
}

static uint64_t advised(void)
{
	return hk_stats().os_advise_bytes[HK_PURPOSE_ARENA];
}

/* Idle, refill (the heap reclaims), and return the arena bytes that went
 * back to the OS meanwhile.  Each time in another class: the blocks the
 * last time freed would serve it without a refill. */
static uint64_t idle_then_refill(void)
{
	static size_t size;
	uint64_t before = advised();
	size += 16;
	hk_idle_then_refill(small, SMALL, size, IDLE_MS);
	return advised() - before;
}

/* The freed arenas are handed back at the next refill after idling. */
static void hand_back(void)
{
	uint64_t released = hk_stats().arena_releases;
	idle_then_refill();
	released = hk_stats().arena_releases - released;
	HK_CHECK(released >= 3, "32 MiB of pool blocks freed: %" PRIu64 " arenas handed back", released);
}

int main(int argc, char **argv)
{
	(void)argc;
	hk_rerun_with(argv, "HAKMEM_LARGE_PURGE_MS", PURGE_MS);
	hk_test_begin("test_idle_wait",
		      "handed-back arenas wait longer when fresh memory is taken soon after some went back");
	carve_and_free(16384);
	hand_back();
	uint64_t gone = idle_then_refill();
	HK_CHECK(gone >= BYTES / 2, "%" PRIu64 " KiB went back to the OS after %d ms", gone / 1024, IDLE_MS);
	hk_pass("arenas handed back go back to the OS after the wait");

	carve_and_free(12288); /* fresh memory, at once */
	hand_back();
	gone = idle_then_refill();
	/* the arena being carved may give back pages of its free stretches */
	HK_CHECK(gone < ARENA, "%" PRIu64 " KiB went back to the OS after %d ms, though fresh memory was taken %s",
		 gone / 1024, IDLE_MS, "right after the last went back");
	gone = idle_then_refill();
	HK_CHECK(gone >= BYTES / 2, "%" PRIu64 " KiB went back to the OS after %d ms", gone / 1024, 2 * IDLE_MS);
	hk_pass("after fresh memory was taken right after some went back, arenas wait twice as long");

	hk_sleep_ms(4 * IDLE_MS); /* no fresh memory taken for twice the wait */
	carve_and_free(20480);
	hand_back();
	gone = idle_then_refill();
	HK_CHECK(gone >= BYTES / 2, "%" PRIu64 " KiB went back to the OS after %d ms, with no fresh memory "
		 "taken for %d ms before", gone / 1024, IDLE_MS, 4 * IDLE_MS);
	hk_pass("once no fresh memory was taken for twice the wait, arenas wait as long as first again");
	return 0;
}
