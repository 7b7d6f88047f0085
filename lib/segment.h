/*
 * segment.h — the header every hakmem mapping starts with, and the registry
 * that maps any address to the segment holding it in O(1).
 *
 * Segments (tiny superslabs, pool arenas, large spans) are 2 MiB aligned and
 * never share a 2 MiB chunk, so a table indexed by address >> 21 finds the
 * owner of any pointer, and an address hakmem did not hand out finds
 * nothing: one flat table for the window the regions are reserved in (one
 * load: free's fast path), a two-level one for mappings elsewhere.
 */
#ifndef HK_SEGMENT_H
#define HK_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include "hakmem_probes.h"
#include "os.h"

#define HK_CHUNK_SHIFT 21
#define HK_CHUNK ((size_t)1 << HK_CHUNK_SHIFT)
#define HK_REG_L2_BITS 17 /* one leaf covers 256 GiB */
#define HK_REG_L1_BITS (47 - HK_CHUNK_SHIFT - HK_REG_L2_BITS)

enum hk_seg_kind { HK_SEG_TINY = 1, HK_SEG_POOL = 2, HK_SEG_LARGE = 3, HK_SEG_RUNS = 4 };

struct hk_heap;

/* Owner and kind share one word (heaps are 64-byte aligned): free's fast
 * path tells "a tiny segment of this thread's heap" with one compare. */
#define HK_SEG_KIND_MASK ((uintptr_t)63)

struct hk_segment {
	uintptr_t owner_kind; /* owner (NULL for large spans: any thread frees them) | kind */
	size_t size; /* bytes mapped */
};

static inline uintptr_t hk_owner_kind(const struct hk_heap *owner, enum hk_seg_kind kind)
{
	return (uintptr_t)owner | kind;
}

/* The two halves of an owner_kind word (a header's, or hk_window_kind's). */
static inline enum hk_seg_kind hk_kind_of(uintptr_t owner_kind)
{
	return (enum hk_seg_kind)(owner_kind & HK_SEG_KIND_MASK);
}

static inline struct hk_heap *hk_owner_of(uintptr_t owner_kind)
{
	return (struct hk_heap *)(owner_kind & ~HK_SEG_KIND_MASK);
}

static inline enum hk_seg_kind hk_segment_kind(const struct hk_segment *s)
{
	return hk_kind_of(s->owner_kind);
}

static inline struct hk_heap *hk_segment_owner(const struct hk_segment *s)
{
	return hk_owner_of(s->owner_kind);
}

#define HK_WINDOW_CHUNKS (HK_WINDOW_SIZE >> HK_CHUNK_SHIFT)
extern struct hk_segment *hk_window[HK_WINDOW_CHUNKS] __attribute__((visibility("hidden")));
/* The owner_kind of each window chunk's segment, 0 for none: free's fast
 * path tells "a tiny segment of this thread's heap" with this one load, no
 * NULL check and no load of the header behind it (a tiny segment is its
 * chunk).  Set with hk_window, from the header written before. */
extern uintptr_t hk_window_kind[HK_WINDOW_CHUNKS] __attribute__((visibility("hidden")));

typedef struct hk_segment *hk_reg_leaf[1u << HK_REG_L2_BITS];
extern hk_reg_leaf *hk_registry[1u << HK_REG_L1_BITS] __attribute__((visibility("hidden")));

/* The window's chunk holding address u, or HK_WINDOW_CHUNKS or more. */
static inline uintptr_t hk_window_chunk(uintptr_t u)
{
	return (u >> HK_CHUNK_SHIFT) - (HK_WINDOW_BASE >> HK_CHUNK_SHIFT);
}

static inline struct hk_segment *hk_segment_of(const void *p)
{
	uintptr_t chunk = (uintptr_t)p >> HK_CHUNK_SHIFT;
	uintptr_t w = hk_window_chunk((uintptr_t)p);
	if (__builtin_expect(w < HK_WINDOW_CHUNKS, 1))
		return __atomic_load_n(&hk_window[w], __ATOMIC_RELAXED);
	uintptr_t i1 = chunk >> HK_REG_L2_BITS;
	if (i1 >= (1u << HK_REG_L1_BITS))
		return NULL;
	hk_reg_leaf *leaf = __atomic_load_n(&hk_registry[i1], __ATOMIC_ACQUIRE);
	if (!leaf)
		return NULL;
	return __atomic_load_n(&(*leaf)[chunk & ((1u << HK_REG_L2_BITS) - 1)], __ATOMIC_RELAXED);
}

/* Map a new segment of size bytes aligned to align (>= HK_CHUNK), with its
 * header filled in and every chunk registered (huge: in address space for
 * transparent huge pages, hk_region_take_huge); NULL when out of memory. */
void *hk_segment_new(size_t size, size_t align, enum hk_seg_kind kind, struct hk_heap *owner,
		     enum hk_purpose purpose, int huge);

/* The same, *size bytes (or fewer, min at least: *size says) from what the
 * small tiers handed back first (hk_chunks_reuse_upto, which counts a fresh
 * take in *fresh): its contents past the header are stale. */
void *hk_segment_reuse(size_t min, size_t *size, enum hk_seg_kind kind, struct hk_heap *owner,
		       enum hk_purpose purpose, uint64_t *fresh);

/* Fill in the header of a segment at base and register it. 0 on success. */
int hk_segment_init(void *base, size_t size, enum hk_seg_kind kind, struct hk_heap *owner);

/* Point every chunk of [seg, seg + len) at seg (or at NULL). 0 on success. */
int hk_registry_set(struct hk_segment *seg, size_t len);
void hk_registry_clear(void *base, size_t len);


/* fork(): hold the registry lock across it. */
void hk_registry_atfork_prepare(void);
void hk_registry_atfork_release(void);

#endif
