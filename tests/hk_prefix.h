/*
 * hk_prefix.h — force-included (-include) when a test is built against a
 * sanitizer variant of hakmem (build/{asan,tsan}/libhakmem.a, built with
 * -DHAKMEM_PREFIX=1).  There the sanitizer owns malloc and hakmem exports the
 * same API as hk_malloc, hk_free, ...; mapping the names here lets one test
 * source exercise hakmem in both modes.
 *
 * The system headers are included first, so their declarations of the libc
 * functions keep their names (their include guards stop re-declaration
 * later); only the test's own calls are renamed.  Consequence for test
 * authors: never hand memory from libc (strdup, getline, asprintf) to free(),
 * nor hakmem memory to a libc function that frees it.
 */
#ifndef HK_PREFIX_H
#define HK_PREFIX_H

#include <stddef.h>
#include <stdlib.h>
#include <malloc.h>

#define HK_PREFIX_MODE 1

void *hk_malloc(size_t size);
void hk_free(void *ptr);
void *hk_calloc(size_t nmemb, size_t size);
void *hk_realloc(void *ptr, size_t size);
void *hk_reallocarray(void *ptr, size_t nmemb, size_t size);
int hk_posix_memalign(void **memptr, size_t alignment, size_t size);
void *hk_aligned_alloc(size_t alignment, size_t size);
void *hk_memalign(size_t alignment, size_t size);
int hk_malloc_trim(size_t pad);
void *hk_valloc(size_t size);
void *hk_pvalloc(size_t size);
size_t hk_malloc_usable_size(void *ptr);

#define malloc hk_malloc
#define free hk_free
#define calloc hk_calloc
#define realloc hk_realloc
#define reallocarray hk_reallocarray
#define posix_memalign hk_posix_memalign
#define aligned_alloc hk_aligned_alloc
#define memalign hk_memalign
#define malloc_trim hk_malloc_trim
#define valloc hk_valloc
#define pvalloc hk_pvalloc
#define malloc_usable_size hk_malloc_usable_size

#endif
