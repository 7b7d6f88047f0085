/*
 * posix_memalign, aligned_alloc and memalign for every power of two from
 * 8 B to 64 KiB, at sizes in every tier and 0 (still a block, with a usable
 * size); valloc and pvalloc page alignment.
 * All blocks of one alignment stay live together and keep their patterns
 * (an aligned block carved wrongly overlaps its neighbour).
 */
#include "hk_test.h"

static const size_t sizes[] = { 0, 1, 24, 100, 512, 1000, 1024, 1025, 3000, 8192, 20000, 53248, 53249, 100000,
				(1 << 20) + 3 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
enum { POSIX_MEMALIGN, ALIGNED_ALLOC, MEMALIGN, NFUNCS };
static const char *fname[NFUNCS] = { "posix_memalign", "aligned_alloc", "memalign" };

static void *aligned(int fn, size_t align, size_t n)
{
	void *p = NULL;
	switch (fn) {
	case POSIX_MEMALIGN: {
		int rc = posix_memalign(&p, align, n);
		HK_CHECK(rc == 0, "posix_memalign(%zu, %zu) = %d", align, n, rc);
		return p;
	}
	case ALIGNED_ALLOC:
		return aligned_alloc(align, n);
	default:
		return memalign(align, n);
	}
}

static void check_alignment(size_t align)
{
	void *p[NFUNCS][NSIZES];
	for (int f = 0; f < NFUNCS; f++)
		for (size_t s = 0; s < NSIZES; s++) {
			p[f][s] = aligned(f, align, sizes[s]);
			HK_CHECK(p[f][s] != NULL, "%s(%zu, %zu) returned NULL", fname[f], align, sizes[s]);
			HK_CHECK((uintptr_t)p[f][s] % align == 0, "%s(%zu, %zu) = %p not aligned", fname[f], align,
				 sizes[s], p[f][s]);
			HK_CHECK(malloc_usable_size(p[f][s]) >= sizes[s], "%s(%zu, %zu): usable %zu", fname[f], align,
				 sizes[s], malloc_usable_size(p[f][s]));
			hk_touch_all(p[f][s], sizes[s], fname[f]);
			/* every usable byte is the caller's: the pattern fills them all */
			hk_fill(p[f][s], malloc_usable_size(p[f][s]), align * 131 + (uint64_t)f * 17 + s);
		}
	for (int f = 0; f < NFUNCS; f++)
		for (size_t s = 0; s < NSIZES; s++) {
			HK_CHECK_PATTERN(p[f][s], malloc_usable_size(p[f][s]), align * 131 + (uint64_t)f * 17 + s,
					 fname[f]);
			free(p[f][s]);
		}
}

static void check_page_allocs(void)
{
	long page = sysconf(_SC_PAGESIZE);
	static const size_t vs[] = { 0, 1, 100, 4095, 4096, 4097, 60000, 300000 };
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		void *v = valloc(vs[i]);
		HK_CHECK(v && (uintptr_t)v % page == 0, "valloc(%zu) = %p not page aligned", vs[i], v);
		hk_touch_all(v, vs[i], "valloc");
		void *pv = pvalloc(vs[i]);
		size_t want = (vs[i] + page - 1) / page * page;
		HK_CHECK(pv && (uintptr_t)pv % page == 0, "pvalloc(%zu) = %p not page aligned", vs[i], pv);
		HK_CHECK(malloc_usable_size(pv) >= want, "pvalloc(%zu): usable %zu < %zu", vs[i],
			 malloc_usable_size(pv), want);
		memset(pv, 0x5A, want);
		free(v);
		free(pv);
	}
}

int main(void)
{
	hk_test_begin("test_alignment", "posix_memalign/aligned_alloc/memalign 8 B..8 MiB, valloc/pvalloc");
	int n = 0;
	/* up to 8 MiB: from 2 MiB on, the block starts a span's whole
	 * alignment in, and size 0 once pointed past its span */
	for (size_t align = 8; align <= (8u << 20); align *= 2, n++)
		check_alignment(align);
	check_page_allocs();
	printf("%d alignments x %zu sizes x %d functions\n", n, NSIZES, NFUNCS);
	hk_pass("alignment");
	return 0;
}
