/*
 * Memory a program freed as large blocks serves what it allocates next: a
 * new run chunk, pool arena or tiny superslab is cut from the spans the
 * large tier keeps cached (resident already) before fresh chunks, and reads
 * as zero.  Without that a program that frees big buffers and then builds
 * small objects holds both (Python: json.dumps, then json.loads, 2.1 GB peak
 * against mimalloc's 1.7).
 */
#include "hk_test.h"

#define SPANS 6
#define SPAN_BLOCK ((size_t)7 << 20) /* a span of 8 MiB: 48 MiB cached, within the 64 MiB budget */

struct range {
	uintptr_t lo, hi;
};
static struct range freed[SPANS];

static struct hakmem_ptr_info info(const void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "hakmem_ptr_info(%p) failed", p);
	return in;
}

static int in_freed(uintptr_t a)
{
	for (int i = 0; i < SPANS; i++)
		if (a >= freed[i].lo && a < freed[i].hi)
			return 1;
	return 0;
}

static struct hakmem_stats stats(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st;
}

/* SPANS spans written whole and freed: all cached, every page resident. */
static void free_written_spans(void)
{
	void *p[SPANS];
	for (int i = 0; i < SPANS; i++) {
		p[i] = malloc(SPAN_BLOCK);
		HK_CHECK(p[i] != NULL, "malloc(7 MiB)");
		memset(p[i], 0xab, SPAN_BLOCK);
		struct hakmem_ptr_info in = info(p[i]);
		freed[i] = (struct range){in.region, in.region + in.stride};
	}
	for (int i = 0; i < SPANS; i++)
		free(p[i]);
}

/* A run chunk made now is a piece of them, and a fresh run reads zero. */
static void run_chunk_from_cache(void)
{
	unsigned char *r = calloc(1, 200000);
	HK_CHECK(r != NULL, "calloc(200000)");
	HK_CHECK(in_freed(info(r).region), "the new run chunk %#lx is not one of the freed spans",
		 (unsigned long)info(r).region);
	for (size_t i = 0; i < 200000; i++)
		HK_CHECK(r[i] == 0, "calloc'd run: byte %zu is %#x", i, r[i]);
	unsigned char *m = malloc(300000); /* malloc: the chunk's pages still read zero */
	HK_CHECK(m != NULL, "malloc(300000)");
	for (size_t i = 0; i < 300000; i += 997)
		HK_CHECK(m[i] == 0, "a run in the lent chunk: byte %zu is %#x (old data)", i, m[i]);
	hk_pass("a new run chunk is cut from a freed span, zeroed");
}

/* Every pool arena made from now on is a piece of them. */
static void pool_arenas_from_cache(void)
{
	uint64_t grows = stats().arena_grows, seen = 0;
	for (int i = 0; i < 640; i++) { /* 20 MiB of 32 KiB blocks: arenas of 2..8 MiB */
		void *b = malloc(32768);
		HK_CHECK(b != NULL, "malloc(32 KiB)");
		memset(b, 0x5a, 32768);
		uint64_t now = stats().arena_grows;
		if (now == grows)
			continue;
		HK_CHECK(in_freed(info(b).region), "pool arena %#lx (grow %" PRIu64 ") is not one of the freed spans",
			 (unsigned long)info(b).region, now);
		grows = now;
		seen++;
	}
	HK_CHECK(seen >= 2, "only %" PRIu64 " new pool arenas", seen);
	printf("%s: %" PRIu64 " new pool arenas\n", hk_test_name, seen);
	hk_pass("new pool arenas are cut from freed spans");
}

/* Past the superslabs the process reserved before, tiny blocks come from them too. */
static void superslabs_from_cache(void)
{
	void *b = NULL;
	for (int i = 0; i < 20000; i++) { /* 10 MiB of 512 B blocks: past a reserve of 8 MiB */
		b = malloc(512);
		HK_CHECK(b != NULL, "malloc(512)");
		memset(b, 0x33, 512);
	}
	HK_CHECK(in_freed(info(b).region), "the last tiny slab %#lx is not in the freed spans",
		 (unsigned long)info(b).region);
	hk_pass("new superslabs are cut from freed spans");
}

int main(void)
{
	hk_test_begin("test_large_lend", "chunks for the other tiers come from cached spans first");
	free_written_spans();
	uint64_t maps = hk_sum(stats().os_map_calls, HAKMEM_PURPOSES);
	uint64_t advised = hk_sum(stats().os_advise_calls, HAKMEM_PURPOSES);
	run_chunk_from_cache();
	pool_arenas_from_cache();
	superslabs_from_cache();
	HK_CHECK(hk_sum(stats().os_map_calls, HAKMEM_PURPOSES) == maps, "a mapping was made");
	HK_CHECK(hk_sum(stats().os_advise_calls, HAKMEM_PURPOSES) == advised, "memory was advised");
	hk_pass("no syscall");
	return 0;
}
