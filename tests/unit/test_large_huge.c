/*
 * With HAKMEM_LARGE_HUGE_MB=4 (the default, 0, is off), a large block of
 * 4 MiB or more that fills its span to within an eighth gets the span from
 * address space advised for transparent huge pages (MADV_HUGEPAGE, one call
 * per 256 MiB region): its chunks fault in 2 MiB at a time.  Nothing else
 * lies there, since a huge page is resident whole once any byte of it is
 * touched: not a block that ends just past a chunk boundary (malloc(8 MiB),
 * behind its header), not a smaller span, a run or a small tier's chunk, nor
 * a block aligned so far past its header that the header's chunk holds
 * nothing else, nor a block calloc asks for; and freed huge spans are never
 * lent to the other tiers.  Without the variable there are no huge pages.
 *
 * The advice shows as "hg" in the VmFlags of /proc/self/smaps whatever the
 * system's THP setting, so the test does not depend on it.
 */
#include <fcntl.h>

#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define HUGE_N 6
#define HUGE_SIZE (15 * MiB) /* a 16 MiB span: 1 MiB to spare, within an eighth */

static char smaps[1 << 20]; /* static: reading it must not allocate */

static size_t read_smaps(void)
{
	int fd = open("/proc/self/smaps", O_RDONLY);
	HK_CHECK(fd >= 0, "open /proc/self/smaps: %s", strerror(errno));
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(smaps) - 1 && (n = read(fd, smaps + len, sizeof(smaps) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	smaps[len] = '\0';
	return len;
}

static char *next_line(char *line)
{
	char *end = strchr(line, '\n');
	return end ? end + 1 : NULL;
}

/* Whether the mapping holding p was advised MADV_HUGEPAGE. */
static int advised_huge(const void *p)
{
	read_smaps();
	uintptr_t a = (uintptr_t)p;
	for (char *line = smaps; line && *line; line = next_line(line)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) != 2 || a < lo || a >= hi)
			continue;
		char *flags = strstr(line, "VmFlags:");
		HK_CHECK(flags != NULL, "no VmFlags for %p in /proc/self/smaps", p);
		char *end = strchr(flags, '\n');
		if (end)
			*end = '\0';
		return strstr(flags, " hg") != NULL;
	}
	HK_CHECK(0, "%p is in no mapping of /proc/self/smaps", p);
	return 0;
}

static void *written(size_t n)
{
	void *p = malloc(n);
	hk_touch_all(p, n, "malloc");
	return p;
}

static uint64_t region_advice(void)
{
	return hk_stats().os_advise_calls[4];
}

/* Huge blocks share one advised region: one madvise for all of them. */
static void huge_blocks_advised(void **huge)
{
	uint64_t before = region_advice();
	for (int i = 0; i < HUGE_N; i++) {
		huge[i] = written(HUGE_SIZE);
		HK_CHECK(advised_huge(huge[i]), "malloc(15 MiB) at %p is not in MADV_HUGEPAGE memory", huge[i]);
	}
	uint64_t calls = region_advice() - before;
	HK_CHECK(calls == 1, "%d blocks of 15 MiB: %" PRIu64 " madvise calls for their region (expected 1)",
		 HUGE_N, calls);
	hk_pass("blocks that fill their spans get huge pages: one madvise for their region");
}

/* Nothing that would leave most of a huge page untouched lies there. */
static void others_not_advised(void)
{
	static const size_t sizes[] = { 100, 40000, 200000, 3 * MiB, 8 * MiB };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = written(sizes[i]);
		HK_CHECK(!advised_huge(p), "malloc(%zu) at %p is in MADV_HUGEPAGE memory", sizes[i], p);
		free(p);
	}
	void *a = NULL; /* 16 MiB 4 MiB past its header: the header's chunk holds nothing else */
	HK_CHECK(posix_memalign(&a, 4 * MiB, 16 * MiB) == 0, "posix_memalign(4 MiB, 16 MiB)");
	hk_touch_all(a, 16 * MiB, "posix_memalign");
	HK_CHECK(!advised_huge(a), "16 MiB aligned to 4 MiB at %p is in MADV_HUGEPAGE memory", a);
	free(a);
	hk_pass("small blocks, runs, spans under 4 MiB, malloc(8 MiB) and 16 MiB aligned to 4 MiB stay in normal memory");
}

/* calloc makes sparse tables (xz's 16 MiB hash, written here and there):
 * in huge pages each place written would hold 2 MiB, so calloc's big
 * blocks stay in normal memory, fresh or from the cache, even where a
 * freed huge span would fit them. */
static void calloc_not_advised(void **huge)
{
	free(huge[0]); /* a cached huge span of the size calloc asks for */
	for (int i = 0; i < 2; i++) { /* the second after the first was cached */
		char *p = calloc(1, HUGE_SIZE);
		HK_CHECK(p != NULL, "calloc(1, 15 MiB)");
		p[HUGE_SIZE / 2] = 1;
		HK_CHECK(!advised_huge(p), "calloc(1, 15 MiB) at %p is in MADV_HUGEPAGE memory", p);
		free(p);
	}
	huge[0] = written(HUGE_SIZE);
	hk_pass("calloc's big blocks (sparse tables) stay in normal memory");
}

/* Freed huge spans, idle and past HAKMEM_LARGE_CACHE_MB (90 MiB cached,
 * with 256 MiB in use: all kept), serve no other tier: the pool arenas and
 * run chunks taken next are not in advised memory (test_large_lend: normal
 * spans are lent). */
static void huge_spans_not_lent(void **huge)
{
	enum { TAKES = 300 };
	static void *pool[TAKES], *run[TAKES];
	void *held = malloc(256 * MiB);
	HK_CHECK(held != NULL, "malloc(256 MiB)");
	for (int i = 0; i < HUGE_N; i++)
		free(huge[i]);
	hk_sleep_ms(200); /* past HAKMEM_LARGE_PURGE_MS */
	for (int k = 0; k < TAKES; k++) { /* ~10 MiB of pool arenas, 60 MiB of run chunks */
		pool[k] = written(32768);
		run[k] = written(200000);
	}
	for (int k = 0; k < TAKES; k++)
		HK_CHECK(!advised_huge(pool[k]) && !advised_huge(run[k]),
			 "after 90 MiB of huge spans went idle, a pool block (%p) or a run (%p) is in MADV_HUGEPAGE memory",
			 pool[k], run[k]);
	free(held);
	hk_pass("idle huge spans are not lent to the other tiers");
}

int main(int argc, char **argv)
{
	(void)argc;
	/* idle huge spans stay cached, not given back (test_large_idle): the
	 * other tiers must find them and pass them by */
	hk_rerun_with(argv, "HAKMEM_LARGE_IDLE_MS", "0");
	hk_test_begin("test_large_huge",
		      "none by default; with HAKMEM_LARGE_HUGE_MB, blocks that fill whole chunks get transparent huge pages");
	if (!getenv("HAKMEM_LARGE_HUGE_MB")) { /* the default: off; then the rerun below */
		void *p = written(HUGE_SIZE);
		HK_CHECK(!advised_huge(p) && region_advice() == 0,
			 "by default: malloc(15 MiB) is in MADV_HUGEPAGE memory, or a region was advised");
		hk_pass("by default: no huge pages");
		hk_rerun_with(argv, "HAKMEM_LARGE_HUGE_MB", "4");
	}
	void *huge[HUGE_N];
	huge_blocks_advised(huge);
	others_not_advised();
	calloc_not_advised(huge);
	huge_spans_not_lent(huge);
	return 0;
}
