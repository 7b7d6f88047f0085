/*
 * glibc's second names for its allocator (__libc_malloc, __libc_free, ...)
 * are hakmem's too: a block from __libc_malloc goes to free, and one from
 * malloc to __libc_free.  A block from glibc's __libc_malloc reaching
 * hakmem's free aborted with "free(): invalid pointer".
 */
#include "hk_test.h"

void *__libc_malloc(size_t n);
void __libc_free(void *p);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void *__libc_valloc(size_t n);
void *__libc_pvalloc(size_t n);

static void check_ours(void *p, size_t n, const char *what)
{
	struct hakmem_ptr_info info;
	HK_CHECK(p != NULL, "%s returned NULL", what);
	HK_CHECK(hakmem_ptr_info(p, &info) == 0 && info.usable >= n, "%s: %p is not a hakmem block", what, p);
}

int main(void)
{
	hk_test_begin("test_libc_names", "__libc_malloc and the rest are hakmem's");
	if (HK_SANITIZED) { /* prefix mode: the sanitizer owns every name of the allocator */
		hk_pass("not under sanitizers");
		return 0;
	}
	static const size_t sizes[] = {24, 3000, 40000, 300000, (size_t)3 << 20};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char *p = __libc_malloc(n);
		check_ours(p, n, "__libc_malloc");
		memset(p, 3, n);
		p = __libc_realloc(p, 2 * n);
		check_ours(p, 2 * n, "__libc_realloc");
		HK_CHECK(p[n - 1] == 3, "__libc_realloc lost the content");
		free(p);
		char *z = __libc_calloc(1, n);
		check_ours(z, n, "__libc_calloc");
		hk_check_zero(z, n, "__libc_calloc");
		free(z);
		void *a = __libc_memalign(4096, n);
		check_ours(a, n, "__libc_memalign");
		HK_CHECK(((uintptr_t)a & 4095) == 0, "__libc_memalign(4096): %p", a);
		free(a);
		free(__libc_valloc(n));
		free(__libc_pvalloc(n));
		__libc_free(malloc(n));
	}
	__libc_free(NULL);
	hk_pass("every __libc_ name serves and takes hakmem's blocks");
	return 0;
}
