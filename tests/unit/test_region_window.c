/*
 * The regions' window (lib/os.h, lib/segment.h): regions go to fixed places
 * at 32 TiB, where one table load finds a pointer's segment.  A place some
 * other mapping holds sends the region elsewhere, where the two-level
 * registry finds it; and a pointer into a mapping of the program's own
 * inside the window is no block of hakmem's.
 */
#include "hk_test.h"

#define SPAN ((size_t)15 << 20) /* a span of its own, under a direct mapping's 64 MiB */
#define SPANS 24 /* 360 MiB: past the first region */

static int in_window(uintptr_t a)
{
	return a - HK_WINDOW_BASE < HK_WINDOW_SIZE;
}

static uintptr_t region_of(void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "hakmem_ptr_info(%p) failed", p);
	return in.region;
}

int main(void)
{
	hk_test_begin("test_region_window", "regions in the window, and beside it when their place is taken");
	void *first = malloc(64);
	HK_CHECK(in_window(region_of(first)), "the first region is not in the window: %#lx",
		 (unsigned long)region_of(first));

	/* The second region's place: held by a mapping of ours. */
	char *mine = hk_map_at(HK_WINDOW_BASE + HK_REGION_SIZE, HK_REGION_SIZE);
	HK_CHECK(mine, "cannot map the second region's place (%s)", strerror(errno));
	mine[100] = 1;
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(mine + 64, &in) == -1, "hakmem claims a pointer into the program's own mapping");

	char *p[SPANS];
	int outside = 0;
	for (int i = 0; i < SPANS; i++) {
		errno = 0;
		p[i] = malloc(SPAN);
		HK_CHECK(p[i] != NULL, "malloc(%zu) #%d failed", SPAN, i);
		/* the taken place's EEXIST is hakmem's business, not the caller's */
		HK_CHECK(errno == 0, "malloc(%zu) #%d succeeded and set errno %d", SPAN, i, errno);
		memset(p[i], i, 4096);
		p[i][SPAN - 1] = (char)i;
		uintptr_t r = region_of(p[i]);
		HK_CHECK(r - (HK_WINDOW_BASE + HK_REGION_SIZE) >= HK_REGION_SIZE,
			 "span %d inside the program's mapping: %#lx", i, (unsigned long)r);
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
	HK_CHECK(munmap(mine, HK_REGION_SIZE) == 0, "munmap");
	printf("%d of %d spans outside the window, found by the two-level registry\n", outside, SPANS);
	hk_pass("window and fallback");
	return 0;
}
