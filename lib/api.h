/*
 * api.h — names of the exported malloc family.  Sanitizer builds own malloc
 * themselves, so there hakmem exports the same functions as hk_malloc, hk_free
 * ... (HAKMEM_PREFIX=1) and the tests call those.
 */
#ifndef HK_API_H
#define HK_API_H

#include <stddef.h>

#if HAKMEM_PREFIX
#define HK_API(name) hk_##name
#else
#define HK_API(name) name
#endif
#define HK_EXPORT __attribute__((visibility("default")))

/* The internal entry points, called directly (no PLT) inside the library. */
void *hk_alloc(size_t n);
void hk_dealloc(void *p);
/* The slow paths, out of line. */
void *hk_alloc_slow(size_t n);
void hk_dealloc_slow(void *p, const char *func);
/* A block of small class cls (n bytes asked) for a thread that may have no heap yet. */
void *hk_alloc_class(unsigned cls, size_t n);

/* Defined in api.c, with the rest of the malloc family; alloc.c and free.c
 * refer to it, so that a program linked with libhakmem.a that calls only
 * malloc and free links calloc, realloc and the others too.  libc calls them
 * itself, and a block from glibc's calloc reaching our free is fatal. */
extern const char hk_api_linked;

/* Global initialisation, once, before the first allocation is served. */
void hk_init(void);

#endif
