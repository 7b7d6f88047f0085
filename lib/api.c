/*
 * api.c — the rest of the malloc family on top of hk_alloc / hk_dealloc:
 * calloc, realloc, reallocarray, the aligned allocators and
 * malloc_usable_size, with the errno behaviour POSIX and glibc users expect.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "api.h"
#include "block.h"
#include "large.h"
#include "oom.h"
#include "os.h"
#include "out.h"

const char hk_api_linked; /* see api.h */

/* Usable bytes of the live block p; aborts on a pointer hakmem did not hand
 * out, or a small block it holds free (marked so, as free() checks): realloc
 * of one to a size it holds kept it where it was, on its free list, to be
 * handed out again. */
static size_t usable_size(void *p, const char *func)
{
	struct hk_segment *s = hk_segment_of(p);
	if (!s)
		hk_fatal_ptr(func, "invalid pointer", p);
	if (hk_segment_is_large(s)) {
		size_t n = hk_large_usable(s, p);
		if (!n)
			hk_fatal_ptr(func, "invalid pointer", p);
		return n;
	}
	int cls = hk_small_class(s, p);
	if (cls < 0 || ((struct hk_block *)p)->key == hk_free_key)
		hk_fatal_ptr(func, "invalid pointer", p);
	return hk_class_size[cls];
}

HK_EXPORT size_t HK_API(malloc_usable_size)(void *p)
{
	return p ? usable_size(p, "malloc_usable_size") : 0;
}

HK_EXPORT void *HK_API(calloc)(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (total <= HK_POOL_MAX) {
		void *p = hk_alloc(total);
		return p ? memset(p, 0, total) : NULL;
	}
	hk_init();
	size_t dirty;
	void *p = HK_OOM_RETRY(hk_large_alloc(total, 0, &dirty));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	return memset(p, 0, dirty < total ? dirty : total); /* beyond dirty: already zero */
}

/* Keep p when a small block still fits n without wasting more than half of
 * it, or when a large block (old > HK_POOL_MAX) resizes to a large n where
 * it is (its span's chunks, or the free pages after its run). */
static int resize_in_place(void *p, size_t old, size_t n)
{
	if (old <= HK_POOL_MAX)
		return n <= old && n >= old / 2;
	return n > HK_POOL_MAX && hk_large_resize(hk_segment_of(p), p, n) == 0;
}

HK_EXPORT void *HK_API(realloc)(void *p, size_t n)
{
	if (!p)
		return hk_alloc(n);
	if (n == 0) { /* glibc frees and returns NULL */
		hk_dealloc(p);
		return NULL;
	}
	size_t old = usable_size(p, "realloc");
	if (resize_in_place(p, old, n))
		return p;
	int saved = errno;
	void *q = n > HK_POOL_MAX && n > old ? HK_OOM_RETRY(hk_large_alloc_growing(n)) : hk_alloc(n);
	if (!q && n <= old) { /* a shrink that found no memory to move to: p holds n bytes as it is */
		errno = saved;
		return p;
	}
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(q, p, old < n ? old : n);
	hk_dealloc(p);
	return q;
}

HK_EXPORT void *HK_API(reallocarray)(void *p, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return HK_API(realloc)(p, total);
}

/* Pool block aligned to align: the list head when it happens to be aligned,
 * otherwise a block carved at an aligned spot. */
static void *pool_aligned(size_t n, size_t align)
{
	unsigned cls = hk_size_class(n > HK_TINY_MAX ? n : HK_TINY_MAX + 1);
	struct hk_heap *h = hk_heap_current();
	if (!h && !(h = hk_heap_acquire(NULL)))
		return NULL;
	struct hk_block *b = h->free[cls];
	if (b && ((uintptr_t)b & (align - 1)) == 0)
		return hk_free_list_pop(h, cls);
	return hk_pool_carve_aligned(h, cls, align);
}

/* align is a power of two. */
static void *alloc_aligned(size_t n, size_t align)
{
	if (align <= HK_ALIGN)
		return hk_alloc(n);
	hk_init();
	void *p = NULL;
	int cls = n <= HK_TINY_MAX ? hk_tiny_class_aligned(n, align) : -1;
	if (cls >= 0)
		p = hk_alloc_class((unsigned)cls, n);
	else if (n <= HK_POOL_MAX && align <= HK_PAGE)
		p = HK_OOM_RETRY(pool_aligned(n, align));
	else
		p = HK_OOM_RETRY(hk_large_alloc(n, align, NULL));
	if (!p)
		errno = ENOMEM;
	return p;
}

static int power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

HK_EXPORT int HK_API(posix_memalign)(void **out, size_t align, size_t n)
{
	if (!power_of_two(align) || align % sizeof(void *))
		return EINVAL;
	int saved = errno;
	void *p = alloc_aligned(n, align);
	errno = saved; /* posix_memalign reports through its result only */
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

HK_EXPORT void *HK_API(aligned_alloc)(size_t align, size_t n)
{
	if (!power_of_two(align)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_aligned(n, align);
}

HK_EXPORT void *HK_API(memalign)(size_t align, size_t n)
{
	if (align > SIZE_MAX / 2 + 1) { /* glibc's bound: past it no power of two fits */
		errno = EINVAL;
		return NULL;
	}
	size_t a = HK_ALIGN;
	while (a < align) /* glibc rounds a non-power-of-two alignment up */
		a <<= 1;
	return alloc_aligned(n, a);
}

HK_EXPORT void *HK_API(valloc)(size_t n)
{
	return alloc_aligned(n, HK_PAGE);
}

HK_EXPORT void *HK_API(pvalloc)(size_t n)
{
	if (n > SIZE_MAX - HK_PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_aligned(n ? hk_align_up(n, HK_PAGE) : HK_PAGE, HK_PAGE);
}
