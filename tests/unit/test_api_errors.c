/*
 * The error and edge cases of the malloc API: overflow in calloc and
 * reallocarray, impossible sizes, bad alignments, malloc(0), free(NULL).
 * Sizes go through volatile variables so the compiler cannot fold or warn
 * them away.
 */
#include "hk_test.h"

static volatile size_t v_size_max = SIZE_MAX;
static volatile size_t v_ptrdiff_max1 = (size_t)PTRDIFF_MAX + 1;
static volatile size_t v_2p32 = (size_t)1 << 32;

static void expect_error(void *p, int want, const char *what)
{
	int e = errno;
	HK_CHECK(p == NULL, "%s returned %p, expected NULL", what, p);
	HK_CHECK(e == want, "%s set errno %d, expected %d", what, e, want);
}

/* errno is cleared first: a stale ENOMEM must not pass for a fresh one.
 * WHAT is a string made before the call, so nothing runs between the call
 * and the read of errno. */
#define EXPECT_ERROR(call, want, what)              \
	do {                                        \
		errno = 0;                          \
		expect_error((call), (want), what); \
	} while (0)
#define EXPECT_ENOMEM(call, what) EXPECT_ERROR(call, ENOMEM, what)

/* "memalign(4611686018427387905, 16)": the call with the value it failed on. */
static void call_name(char *buf, size_t len, const char *fn, size_t align, size_t size)
{
	snprintf(buf, len, "%s(%zu, %zu)", fn, align, size);
}

static void overflow_cases(void)
{
	EXPECT_ENOMEM(calloc(v_size_max / 2, 3), "calloc(SIZE_MAX/2, 3)");
	EXPECT_ENOMEM(calloc(v_size_max, v_size_max), "calloc(SIZE_MAX, SIZE_MAX)");
	EXPECT_ENOMEM(calloc(v_2p32, v_2p32), "calloc(2^32, 2^32)");
	void *p = malloc(64);
	memset(p, 7, 64);
	EXPECT_ENOMEM(reallocarray(hk_launder(p), v_size_max / 8, 16), "reallocarray(p, SIZE_MAX/8, 16)");
	HK_CHECK(((unsigned char *)p)[63] == 7, "reallocarray overflow damaged the block");
	void *q = reallocarray(p, 100, 16);
	HK_CHECK(q != NULL && malloc_usable_size(q) >= 1600, "reallocarray(p, 100, 16) failed");
	HK_CHECK(((unsigned char *)q)[63] == 7, "reallocarray lost content");
	free(q);
}

/* realloc of a span's block to a size past what any span holds, from
 * offset off: ENOMEM, and the block as it was (off + n wrapped around). */
static void realloc_wraps(size_t align, size_t n)
{
	size_t size = (size_t)3 << 20;
	unsigned char *p = align ? memalign(align, size) : malloc(size);
	HK_CHECK(p != NULL, "memalign(%zu, 3 MiB) failed", align);
	hk_fill(p, size, align + n);
	EXPECT_ENOMEM(realloc(hk_launder(p), n), "realloc(3 MiB span block, near SIZE_MAX)");
	HK_CHECK_PATTERN(p, size, align + n, "realloc near SIZE_MAX");
	HK_CHECK(malloc_usable_size(p) >= size, "the block shrank to %zu", malloc_usable_size(p));
	free(p);
}

static void huge_cases(void)
{
	realloc_wraps(0, v_size_max);
	realloc_wraps((size_t)1 << 20, v_size_max);
	realloc_wraps((size_t)1 << 20, v_size_max - ((size_t)1 << 19));
	EXPECT_ENOMEM(malloc(v_size_max), "malloc(SIZE_MAX)");
	EXPECT_ENOMEM(malloc(v_ptrdiff_max1), "malloc(PTRDIFF_MAX+1)");
	EXPECT_ENOMEM(malloc(v_size_max - 4096), "malloc(SIZE_MAX-4096)");
	EXPECT_ENOMEM(calloc(1, v_ptrdiff_max1), "calloc(1, PTRDIFF_MAX+1)");
	EXPECT_ENOMEM(realloc(NULL, v_size_max), "realloc(NULL, SIZE_MAX)");
	EXPECT_ENOMEM(memalign(64, v_size_max), "memalign(64, SIZE_MAX)");
	EXPECT_ENOMEM(aligned_alloc(4096, v_ptrdiff_max1), "aligned_alloc(4096, PTRDIFF_MAX+1)");
	EXPECT_ENOMEM(valloc(v_size_max), "valloc(SIZE_MAX)");
	EXPECT_ENOMEM(pvalloc(v_size_max - 10), "pvalloc(SIZE_MAX-10)");
	void *p = (void *)1;
	int rc = posix_memalign(&p, 64, v_size_max);
	HK_CHECK(rc == ENOMEM, "posix_memalign(64, SIZE_MAX) = %d, expected ENOMEM", rc);
}

static void bad_alignments(void)
{
	static const size_t bad[] = { 0, 1, 2, 4, 12, 24, 48, 100, 4097, (size_t)1 << 63 | 8 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = NULL;
		int rc = posix_memalign(&p, bad[i], 64);
		HK_CHECK(rc == EINVAL, "posix_memalign(align=%zu) = %d, expected EINVAL", bad[i], rc);
	}
	static const size_t npot[] = { 3, 24, 48, 100, 4097, 65535 };
	char name[64];
	for (size_t i = 0; i < sizeof(npot) / sizeof(npot[0]); i++) {
		call_name(name, sizeof(name), "aligned_alloc", npot[i], 256);
		EXPECT_ERROR(aligned_alloc(npot[i], 256), EINVAL, name);
	}
}

/* glibc's memalign rounds an alignment up to a power of two and says EINVAL
 * only past the largest one, 2^63; below that a size it cannot serve is
 * ENOMEM.  hakmem said EINVAL from 2^62 + 1 on. */
static void memalign_bounds(void)
{
	static const size_t enomem[] = { (size_t)1 << 63, ((size_t)1 << 62) + 1, ((size_t)1 << 62) };
	char name[64];
	for (size_t i = 0; i < sizeof(enomem) / sizeof(enomem[0]); i++) {
		call_name(name, sizeof(name), "memalign", enomem[i], 16);
		EXPECT_ERROR(memalign(enomem[i], 16), ENOMEM, name);
	}
	static const size_t einval[] = { ((size_t)1 << 63) + 1, SIZE_MAX };
	for (size_t i = 0; i < sizeof(einval) / sizeof(einval[0]); i++) {
		call_name(name, sizeof(name), "memalign", einval[i], 16);
		EXPECT_ERROR(memalign(einval[i], 16), EINVAL, name);
	}
}

/* POSIX.1-2024 and glibc >= 2.33: free() leaves errno alone, in every tier,
 * also where it gives memory back (spans of their own are unmapped, cached
 * ones advised), and so do realloc and malloc_trim when they succeed. */
static void errno_kept(void)
{
	static const size_t sizes[] = { 0, 48, 20000, 100000, (size_t)3 << 20, (size_t)8 << 20, (size_t)70 << 20 };
	static const size_t aligns[] = { 0, 64, 4096, (size_t)2 << 20 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
			char *p = aligns[a] ? memalign(aligns[a], sizes[i]) : malloc(sizes[i]);
			HK_CHECK(p != NULL, "memalign(%zu, %zu) failed", aligns[a], sizes[i]);
			memset(p, 1, sizes[i] < ((size_t)4 << 20) ? sizes[i] : ((size_t)4 << 20));
			errno = EDOM;
			char *q = realloc(p, sizes[i] / 2 + 1);
			HK_CHECK(q != NULL && errno == EDOM, "realloc(%zu -> %zu) set errno %d", sizes[i],
				 sizes[i] / 2 + 1, errno);
			q = realloc(q, sizes[i] * 2 + 1);
			HK_CHECK(q != NULL && errno == EDOM, "realloc(-> %zu) set errno %d", sizes[i] * 2 + 1, errno);
			free(q);
			HK_CHECK(errno == EDOM, "free(%zu bytes, aligned %zu) set errno %d", sizes[i], aligns[a], errno);
		}
	errno = EDOM;
	malloc_trim(0);
	HK_CHECK(errno == EDOM, "malloc_trim set errno %d", errno);
}

static void zero_and_null(void)
{
	enum { N = 64 };
	void *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = malloc(0);
		HK_CHECK(p[i] != NULL, "malloc(0) returned NULL");
		for (int j = 0; j < i; j++)
			HK_CHECK(p[i] != p[j], "malloc(0) returned %p twice while both live", p[i]);
	}
	for (int i = 0; i < N; i++)
		free(p[i]);
	free(NULL);
	HK_CHECK(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) != 0");
	void *r = realloc(NULL, 0);
	free(r);
	void *c = calloc(0, 16);
	HK_CHECK(c != NULL, "calloc(0, 16) returned NULL");
	free(c);
}

int main(void)
{
	hk_test_begin("test_api_errors", "overflow, impossible sizes, bad alignment, malloc(0), free(NULL)");
	overflow_cases();
	huge_cases();
	bad_alignments();
	memalign_bounds();
	errno_kept();
	zero_and_null();
	hk_pass("api errors");
	return 0;
}
