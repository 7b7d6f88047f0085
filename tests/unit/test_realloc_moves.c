/*
 * A buffer realloc grows past the pages its span has touched moves into a
 * cached span whose pages are resident already, instead of faulting fresh
 * ones beside them (bench_realloc: 15.1 -> 14.4 MB peak); when no cached
 * span has that many, it grows where it is.
 */
#include "hk_test.h"

#define MIB ((size_t)1 << 20)

/* A buffer grown by realloc from the pool to n bytes, written whole. */
static void *grown(size_t n, uint64_t seed)
{
	void *p = malloc(40000);
	HK_CHECK(p != NULL, "malloc(40000)");
	hk_fill(p, 40000, seed);
	return hk_realloc_checked(p, 40000, n, seed);
}

int main(void)
{
	hk_test_begin("test_realloc_moves", "a growing buffer moves to resident pages, else stays");
	void *big = grown(MIB, 1); /* its span: a mebibyte touched */
	void *small = grown(100000, 2); /* a span of its own: big's is in use */
	HK_CHECK((char *)small >= (char *)big + MIB || (char *)small + MIB <= (char *)big,
		 "two live buffers share a span: %p, %p", big, small);
	void *big_at = big;
	free(big);

	/* past its 100 kB touched, with a mebibyte resident in the cache */
	small = hk_realloc_checked(small, 100000, 300000, 2);
	HK_CHECK(small == big_at, "growing past its pages: at %p, not in the resident span at %p", small, big_at);

	/* within the pages it has now: in place */
	void *at = small;
	small = hk_realloc_checked(small, 300000, 900000, 2);
	HK_CHECK(small == at, "growing within its resident pages moved it: %p -> %p", at, small);

	/* past them, with only the 100 kB span cached: in place too */
	small = hk_realloc_checked(small, 900000, MIB + 300000, 2);
	HK_CHECK(small == at, "no cached span holds more pages, yet it moved: %p -> %p", at, small);
	free(small);
	hk_pass("moved once, then grew in place twice");
	return 0;
}
