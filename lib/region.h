/*
 * region.h — address space reserved from the OS in large steps and handed
 * out as runs of 2 MiB chunks.  Superslabs, pool arenas, large spans and
 * metadata all come from here, so a typical process maps memory once: the
 * reservation is MAP_NORESERVE and untouched pages cost neither memory nor
 * commit charge.  Chunks given back have their touched pages returned
 * (MADV_DONTNEED) and read as zero when taken again.
 */
#ifndef HK_REGION_H
#define HK_REGION_H

#include <stddef.h>
#include "hakmem_probes.h"

/* size bytes starting on an align boundary (a power of two >= HK_CHUNK),
 * zero-filled, alone in the chunks they touch; NULL when out of memory. */
void *hk_region_take(size_t size, size_t align, enum hk_purpose purpose);
/* The same from address space advised for transparent huge pages
 * (MADV_HUGEPAGE, one call per reservation), which no other take gets: a
 * large block that fills whole chunks is then faulted in 2 MiB at a time,
 * where anything else would have each chunk it touches made resident whole. */
void *hk_region_take_huge(size_t size, size_t align);
/* Give back what either take returned; only the first dirty bytes may have
 * been written (they are returned to the OS, the rest is zero already). */
void hk_region_give(void *base, size_t size, size_t dirty, enum hk_purpose purpose);

/* Whether a and b both lie in one reservation (chunks given back together
 * must: a direct mapping, or the next one by chance, goes back on its own). */
int hk_region_same(const void *a, const void *b);
/* The start of the reservation holding p, 0 when p lies in none. */
uintptr_t hk_region_base(const void *p);

/* fork(): hold the region lock across it. */
void hk_region_atfork_prepare(void);
void hk_region_atfork_release(void);

#endif
