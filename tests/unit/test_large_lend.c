/*
 * Memory a program freed as large blocks, which the large tier has not
 * reused for HAKMEM_LARGE_PURGE_MS (100 ms), serves what the program
 * allocates next while the span cache holds more than HAKMEM_LARGE_CACHE_MB
 * (64 MiB): a new run chunk, pool arena or tiny superslab is cut from those
 * cached spans (resident already) before fresh chunks, and reads as zero.
 * Without that a program that frees big buffers and then builds small
 * objects holds both (Python: json.dumps, then json.loads, 2.1 GB peak
 * against mimalloc's 1.7).  Spans freed just now, or within the 64 MiB,
 * stay for large blocks.
 */
#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define MAX_FREED 16

struct range {
	uintptr_t lo, hi;
};
static struct range freed[MAX_FREED];
static int nfreed;

/* Whether a lies in one of the spans freed[from, to). */
static int in_freed(uintptr_t a, int from, int to)
{
	for (int i = from; i < to; i++)
		if (a >= freed[i].lo && a < freed[i].hi)
			return 1;
	return 0;
}

/* n blocks of size bytes, each written whole and then freed: cached spans,
 * every page resident; their ranges go to freed[]. */
static void free_written_spans(int n, size_t size)
{
	void *p[MAX_FREED];
	for (int i = 0; i < n; i++) {
		p[i] = malloc(size);
		HK_CHECK(p[i] != NULL, "malloc(%zu MiB)", size / MiB);
		memset(p[i], 0xab, size);
		struct hakmem_ptr_info in = hk_ptr_info(p[i]);
		freed[nfreed++] = (struct range){in.region, in.region + in.stride};
	}
	for (int i = 0; i < n; i++)
		free(p[i]);
}

/* 42 MiB cached, idle: within HAKMEM_LARGE_CACHE_MB, the first run chunk
 * is fresh, and the spans serve large blocks again (kept in use after). */
static uintptr_t within_budget_kept(void)
{
	free_written_spans(6, 7 * MiB);
	hk_sleep_ms(200);
	void *r = malloc(200000);
	HK_CHECK(r != NULL, "malloc(200000)");
	uintptr_t chunk = hk_ptr_info(r).region;
	HK_CHECK(!in_freed(chunk, 0, 6), "run chunk %#lx was cut from a cache within HAKMEM_LARGE_CACHE_MB",
		 (unsigned long)chunk);
	for (int i = 0; i < 6; i++) {
		void *p = malloc(7 * MiB);
		HK_CHECK(p != NULL && in_freed(hk_ptr_info(p).region, 0, 6), "7 MiB block %d: not a cached span", i);
	}
	nfreed = 0; /* in use again */
	hk_pass("idle spans within HAKMEM_LARGE_CACHE_MB are not lent");
	return chunk;
}

/* 120 MiB more, with 256 MiB of spans in use (the cache's budget): the
 * next run chunk is not cut from what was freed just now. */
static uintptr_t just_freed_kept(uintptr_t first)
{
	free_written_spans(8, 15 * MiB);
	void *a = malloc(MiB), *b = malloc(MiB); /* the second fits no more in the first chunk */
	HK_CHECK(a && b, "malloc(1 MiB)");
	HK_CHECK(hk_ptr_info(a).region == first && hk_ptr_info(b).region != first,
		 "1 MiB runs: not in the chunks expected");
	HK_CHECK(!in_freed(hk_ptr_info(b).region, 0, nfreed), "run chunk %#lx was cut from spans freed just now",
		 (unsigned long)hk_ptr_info(b).region);
	hk_pass("spans freed just now are not lent");
	return hk_ptr_info(b).region;
}

/* Once they have waited, a new run chunk is a piece of them, and reads zero. */
static void run_chunk_lent(uintptr_t first, uintptr_t second)
{
	unsigned char *c = NULL;
	for (int i = 0; i < 4 && (!c || hk_ptr_info(c).region == first || hk_ptr_info(c).region == second); i++) {
		c = calloc(1, MiB);
		HK_CHECK(c != NULL, "calloc(1 MiB)");
	}
	HK_CHECK(hk_ptr_info(c).region != first && hk_ptr_info(c).region != second,
		 "no new run chunk after 4 MiB of runs");
	HK_CHECK(in_freed(hk_ptr_info(c).region, 0, nfreed), "the new run chunk %#lx is not one of the freed spans",
		 (unsigned long)hk_ptr_info(c).region);
	for (size_t i = 0; i < MiB; i++)
		HK_CHECK(c[i] == 0, "calloc'd run: byte %zu is %#x", i, c[i]);
	unsigned char *m = malloc(900000); /* malloc: the chunk's other pages read zero too */
	HK_CHECK(m != NULL && hk_ptr_info(m).region == hk_ptr_info(c).region, "malloc(900000) not in the lent chunk");
	for (size_t i = 0; i < 900000; i += 997)
		HK_CHECK(m[i] == 0, "a run in the lent chunk: byte %zu is %#x (old data)", i, m[i]);
	hk_pass("a new run chunk is cut from a freed span, zeroed");
}

/* Every pool arena made from now on is a piece of them. */
static void pool_arenas_lent(void)
{
	uint64_t grows = hk_stats().arena_grows, seen = 0;
	for (int i = 0; i < 640; i++) { /* 20 MiB of 32 KiB blocks: arenas of 2..8 MiB */
		void *b = malloc(32768);
		HK_CHECK(b != NULL, "malloc(32 KiB)");
		memset(b, 0x5a, 32768);
		uint64_t now = hk_stats().arena_grows;
		if (now == grows)
			continue;
		HK_CHECK(in_freed(hk_ptr_info(b).region, 0, nfreed),
			 "pool arena %#lx (grow %" PRIu64 ") is not one of the freed spans",
			 (unsigned long)hk_ptr_info(b).region, now);
		grows = now;
		seen++;
	}
	HK_CHECK(seen >= 2, "only %" PRIu64 " new pool arenas", seen);
	printf("%s: %" PRIu64 " new pool arenas\n", hk_test_name, seen);
	hk_pass("new pool arenas are cut from freed spans");
}

/* Past the superslabs the process reserved before, tiny blocks come from them too. */
static void superslabs_lent(void)
{
	void *b = NULL;
	for (int i = 0; i < 20000; i++) { /* 10 MiB of 512 B blocks: past a reserve of 8 MiB */
		b = malloc(512);
		HK_CHECK(b != NULL, "malloc(512)");
		memset(b, 0x33, 512);
	}
	HK_CHECK(in_freed(hk_ptr_info(b).region, 0, nfreed), "the last tiny slab %#lx is not in the freed spans",
		 (unsigned long)hk_ptr_info(b).region);
	hk_pass("new superslabs are cut from freed spans");
}

int main(int argc, char **argv)
{
	(void)argc;
	/* spans in normal memory, which is lent; huge ones: test_large_huge */
	hk_rerun_with(argv, "HAKMEM_LARGE_HUGE_MB", "0");
	/* idle spans are lent, not given back (test_large_idle) */
	hk_rerun_with(argv, "HAKMEM_LARGE_IDLE_MS", "0");
	hk_test_begin("test_large_lend", "chunks for the other tiers come from idle cached spans first");
	uintptr_t first = within_budget_kept();
	void *held = malloc(256 * MiB); /* spans in use: the cache may keep as much */
	HK_CHECK(held != NULL, "malloc(256 MiB)");
	uint64_t maps = hk_sum(hk_stats().os_map_calls, HAKMEM_PURPOSES);
	uint64_t advised = hk_sum(hk_stats().os_advise_calls, HAKMEM_PURPOSES);
	uintptr_t second = just_freed_kept(first);
	hk_sleep_ms(200); /* past HAKMEM_LARGE_PURGE_MS */
	run_chunk_lent(first, second);
	pool_arenas_lent();
	superslabs_lent();
	HK_CHECK(hk_sum(hk_stats().os_map_calls, HAKMEM_PURPOSES) == maps, "a mapping was made");
	HK_CHECK(hk_sum(hk_stats().os_advise_calls, HAKMEM_PURPOSES) == advised, "memory was advised");
	hk_pass("no syscall");
	free(held);
	return 0;
}
