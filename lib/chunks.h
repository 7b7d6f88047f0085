/*
 * chunks.h — where the tiers get the chunks they build on (superslabs, pool
 * arenas, run chunks, metadata, large spans): from a span the large tier
 * keeps cached, before fresh ones from the region.  Those pages are resident
 * already; a program that frees large blocks and then allocates small ones
 * would otherwise hold both.
 *
 * The small tiers also hand back here what a heap found wholly free (a pool
 * arena, an empty superslab): it waits, resident, for any heap's next arena
 * or superslab; it goes back to the OS at the next reclaim, release or idle
 * look (hk_large_idle) once it has waited HAKMEM_LARGE_PURGE_MS, longer while
 * heaps take fresh memory soon after such chunks went back (or at
 * hakmem_flush).  A heap's memory would otherwise serve that heap only: four
 * threads passing blocks on and changing sizes held 3.3 GB where 1.2 GB sufficed.
 */
#ifndef HK_CHUNKS_H
#define HK_CHUNKS_H

#include <stddef.h>
#include <stdint.h>
#include "hakmem_probes.h"

/* size bytes, chunk aligned, zero-filled, alone in the chunks they touch;
 * NULL when out of memory.  They go back with hk_region_give. */
void *hk_chunks_take(size_t size, enum hk_purpose purpose);
/* The same, for a tier that looked for an idle chunk first and found none:
 * if that came soon after chunks went back, they had waited too little,
 * and the wait doubles (chunks.c).  Large spans and metadata never take
 * idle chunks, so their takes say nothing of it. */
void *hk_chunks_take_fresh(size_t size, enum hk_purpose purpose);

/* For a small tier: size bytes a heap handed back (hk_chunks_idle), whose
 * contents are stale, or NULL when nothing that large waits.  The caller
 * clears what it reads before writing. */
void *hk_chunks_take_idle(size_t size);
/* The same, or else what hk_chunks_take gives; then it adds 1 to *fresh
 * (the caller's count of its fresh takes: reclaim.c tells them from other
 * heaps'). */
void *hk_chunks_reuse(size_t size, enum hk_purpose purpose, uint64_t *fresh);
/* The same for *size bytes, or fewer but min at least (then *size says how
 * many) when that is the most that waits. */
void *hk_chunks_reuse_upto(size_t min, size_t *size, enum hk_purpose purpose, uint64_t *fresh);
/* What hk_chunks_reuse or hk_chunks_take gave, wholly free again (resident):
 * it waits for the next hk_chunks_reuse, then goes back to the region. */
void hk_chunks_idle(void *base, size_t size, enum hk_purpose purpose);
/* What a tier frees past its budget, wholly free (dirty: the bytes from
 * base that may be resident): back to the OS at once, or, while phases
 * alternate (chunks.c) or when lent (it stands for idle chunks the tier
 * took: runs.c), idle as with hk_chunks_idle. */
void hk_chunks_release(void *base, size_t size, size_t dirty, enum hk_purpose purpose, int lent);
/* Give back to the region what waited long enough (all: all of it). */
void hk_chunks_purge(int all);
/* How many hk_chunks_reuse found nothing waiting: another heap had to take
 * fresh memory (reclaim.c). */
uint64_t hk_chunks_fresh_takes(void);

/* fork(): hold the lock of what waits across it. */
void hk_chunks_atfork_prepare(void);
void hk_chunks_atfork_release(void);

#endif
