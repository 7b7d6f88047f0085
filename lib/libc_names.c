/*
 * libc_names.c — glibc exports its allocator under a second set of names,
 * __libc_malloc, __libc_free and the rest.  A program or a preloaded
 * library that calls them directly (a malloc wrapper, a debugging shim)
 * and hands the block to free aborted ("free(): invalid pointer"): the
 * block was glibc's.  They are hakmem's too, so that nothing falls
 * through to glibc's allocator.  Not in prefix mode: there the sanitizer
 * owns every name of libc's allocator.
 */
#include <malloc.h>
#include <stdlib.h>
#include "api.h"

#if !HAKMEM_PREFIX
HK_EXPORT void *__libc_malloc(size_t n)
{
	return hk_alloc(n);
}

HK_EXPORT void __libc_free(void *p)
{
	hk_dealloc(p);
}

/* glibc's old name for free, kept for binaries linked against it long ago
 * (cfree@GLIBC_2.2.5): an unversioned definition serves that reference. */
HK_EXPORT void cfree(void *p)
{
	hk_dealloc(p);
}

HK_EXPORT void *__libc_calloc(size_t n, size_t size)
{
	return HK_API(calloc)(n, size);
}

HK_EXPORT void *__libc_realloc(void *p, size_t n)
{
	return HK_API(realloc)(p, n);
}

HK_EXPORT void *__libc_memalign(size_t align, size_t n)
{
	return HK_API(memalign)(align, n);
}

HK_EXPORT void *__libc_valloc(size_t n)
{
	return HK_API(valloc)(n);
}

HK_EXPORT void *__libc_pvalloc(size_t n)
{
	return HK_API(pvalloc)(n);
}
#endif
