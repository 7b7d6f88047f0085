/*
 * calloc returns zeroed memory — fresh, and when it reuses blocks and large
 * spans that were dirtied and freed just before (the thread caches are LIFO
 * and the large tier caches spans, so the reuse really happens).
 */
#include "hk_test.h"

#define K 16

static void dirty_then_calloc(size_t n)
{
	void *p[K];
	for (int i = 0; i < K; i++) {
		p[i] = malloc(n);
		HK_CHECK(p[i] != NULL, "malloc(%zu)", n);
		memset(p[i], 0xAA, malloc_usable_size(p[i]));
	}
	for (int i = K - 1; i >= 0; i--)
		free(p[i]);
	for (int i = 0; i < K; i++) {
		p[i] = i & 1 ? calloc(n, 1) : calloc(1, n);
		HK_CHECK(p[i] != NULL, "calloc(%zu)", n);
		hk_check_zero(p[i], n, "after reuse");
		memset(p[i], 0xAA, n);
	}
	for (int i = 0; i < K; i++)
		free(p[i]);
}

/* A span cut from a block's span (the block reaching over in's bytes into
 * the rest), then joined again for a calloc twice as large: the rest's
 * header bytes, written by the block before the cut, are zero too. */
static void cut_then_joined(size_t over)
{
	const size_t mib = 1 << 20;
	malloc_trim(0); /* no cached span: these three take the same one */
	unsigned char *a = malloc(2 * mib - 64 + over);
	HK_CHECK(a != NULL, "malloc(2 MiB - 64 + %zu)", over);
	memset(a, 0xAB, 2 * mib - 64 + over);
	free(a);
	unsigned char *b = malloc(3 * mib / 2);
	HK_CHECK(b != NULL, "malloc(1.5 MiB)");
	memset(b, 0xCD, 3 * mib / 2);
	free(b);
	unsigned char *c = calloc(1, 4 * mib - 64);
	HK_CHECK(c != NULL, "calloc(4 MiB - 64)");
	hk_check_zero(c, 4 * mib - 64, "a span cut, then joined");
	free(c);
}

int main(void)
{
	hk_test_begin("test_calloc", "calloc zeroes fresh and reused (dirtied) blocks in every tier");
	free(malloc(1));
	struct hakmem_census census;
	hakmem_census(&census);
	int sizes = 0;
	for (int c = 0; c < census.classes; c++, sizes++)
		dirty_then_calloc(census.class_size[c]);
	static const size_t large[] = { 53249, 65536, 100000, 1 << 20, (2 << 20) + 1 };
	for (size_t i = 0; i < sizeof(large) / sizeof(large[0]); i++, sizes++)
		dirty_then_calloc(large[i]);
	/* Element-count form: 1000 x 24 B, 3 x 40000 B (pool), 7 x 30000 B (large). */
	size_t nm[][2] = { { 1000, 24 }, { 3, 40000 }, { 7, 30000 } };
	for (int i = 0; i < 3; i++) {
		void *p = calloc(nm[i][0], nm[i][1]);
		HK_CHECK(p != NULL, "calloc(%zu, %zu)", nm[i][0], nm[i][1]);
		hk_check_zero(p, nm[i][0] * nm[i][1], "nmemb form");
		free(p);
	}
	for (size_t over = 1; over <= 72; over += 7)
		cut_then_joined(over);
	printf("%d sizes dirtied, freed and calloc'ed again\n", sizes);
	hk_pass("calloc zeroes");
	return 0;
}
