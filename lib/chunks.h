/*
 * chunks.h — where the tiers get the chunks they build on (superslabs, pool
 * arenas, run chunks, metadata, large spans): from a span the large tier
 * keeps cached, before fresh ones from the region.  Those pages are resident
 * already; a program that frees large blocks and then allocates small ones
 * would otherwise hold both.
 */
#ifndef HK_CHUNKS_H
#define HK_CHUNKS_H

#include <stddef.h>
#include "hakmem_probes.h"

/* size bytes, chunk aligned, zero-filled, alone in the chunks they touch;
 * NULL when out of memory.  They go back with hk_region_give. */
void *hk_chunks_take(size_t size, enum hk_purpose purpose);

#endif
