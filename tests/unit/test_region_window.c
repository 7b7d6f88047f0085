/*
 * The regions' window (lib/os.h, lib/segment.h): regions go to fixed places
 * at 32 TiB, where one table load finds a pointer's segment.  A place some
 * other mapping holds sends the region elsewhere, where the two-level
 * registry finds it; and a pointer into a mapping of the program's own
 * inside the window is no block of hakmem's.
 */
#include <sys/mman.h>

#include "hk_test.h"

#define WINDOW ((uintptr_t)0x200000000000ull)
#define WINDOW_SIZE ((uintptr_t)16 << 30)
#define REGION ((size_t)256 << 20)
#define SPAN ((size_t)15 << 20) /* a span of its own, under a direct mapping's 64 MiB */
#define SPANS 24 /* 360 MiB: past the first region */

static int in_window(uintptr_t a)
{
	return a - WINDOW < WINDOW_SIZE;
}

static uintptr_t region_of(void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "hakmem_ptr_info(%p) failed", p);
	return in.region;
}

/* Map len bytes at addr exactly, or fail the test. */
static char *occupy(uintptr_t addr, size_t len)
{
	void *m = mmap((void *)addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	HK_CHECK(m == (void *)addr, "cannot map the window's %#lx (%s)", (unsigned long)addr, strerror(errno));
	return m;
}

int main(void)
{
	hk_test_begin("test_region_window", "regions in the window, and beside it when their place is taken");
	void *first = malloc(64);
	HK_CHECK(in_window(region_of(first)), "the first region is not in the window: %#lx",
		 (unsigned long)region_of(first));

	/* The second region's place: held by a mapping of ours. */
	char *mine = occupy(WINDOW + REGION, REGION);
	mine[100] = 1;
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(mine + 64, &in) == -1, "hakmem claims a pointer into the program's own mapping");

	char *p[SPANS];
	int outside = 0;
	for (int i = 0; i < SPANS; i++) {
		p[i] = malloc(SPAN);
		HK_CHECK(p[i] != NULL, "malloc(%zu) #%d failed", SPAN, i);
		memset(p[i], i, 4096);
		p[i][SPAN - 1] = (char)i;
		uintptr_t r = region_of(p[i]);
		HK_CHECK(r - (WINDOW + REGION) >= REGION, "span %d inside the program's mapping: %#lx", i,
			 (unsigned long)r);
		HK_CHECK(malloc_usable_size(p[i]) >= SPAN, "span %d: usable %zu", i, malloc_usable_size(p[i]));
		outside += !in_window(r);
	}
	HK_CHECK(outside > 0, "all %d spans (%zu MiB) fit the first region", SPANS, SPANS * (SPAN >> 20));
	for (int i = 0; i < SPANS; i++) {
		HK_CHECK(p[i][0] == (char)i && p[i][SPAN - 1] == (char)i, "span %d lost its contents", i);
		p[i] = realloc(p[i], SPAN + 100);
		HK_CHECK(p[i] && p[i][0] == (char)i, "realloc of span %d", i);
		free(p[i]);
	}
	free(first);
	HK_CHECK(munmap(mine, REGION) == 0, "munmap");
	printf("%d of %d spans outside the window, found by the two-level registry\n", outside, SPANS);
	hk_pass("window and fallback");
	return 0;
}
