/*
 * pool.h — the Pool tier (<= 52 KiB).  Each heap carves pool blocks from its
 * own arenas, which grow geometrically (1 -> 2 -> 4 -> 8 MiB by default), and
 * from stretches of them it found free (pool.c).  Every block has a 16-byte
 * header (its class and a check word), which is part of the class stride;
 * so do the stretches and the padding of aligned blocks, so that an arena
 * can be walked from header to header.
 */
#ifndef HK_POOL_H
#define HK_POOL_H

#include "heap.h"
#include "segment.h"

struct hk_pool_hdr {
	uint32_t check; /* hk_pool_check(hdr): tells a block start from anything else */
	uint32_t cls; /* a pool class, or HK_POOL_GAP / HK_POOL_EXTENT(_RETURNED) */
	uint64_t aux; /* a gap's or extent's bytes; a block's mark while reclaiming */
};

/* Not classes: an aligned block's padding, a free stretch, and one whose
 * inner pages went back to the OS (pool.c). */
#define HK_POOL_GAP 0xfffeu
#define HK_POOL_EXTENT 0xffffu
#define HK_POOL_EXTENT_RETURNED 0xfffdu

struct hk_arena {
	struct hk_segment seg;
	uintptr_t data; /* first block header */
	uintptr_t carved; /* end of carved blocks (atomic: read by any thread) */
	uintptr_t end;
	struct hk_arena *next; /* the heap's arenas */
	/* For reclaiming (pool.c): its pieces at its last walk, whether it held
	 * a stretch then, and whether the next must walk it (blocks of it sit
	 * in the lists, or stretches may join) */
	uint32_t pieces;
	uint16_t has_stretch, walk;
};

/* Bytes of arena header: blocks start there (data), 16-aligned; free checks
 * a pointer against it as a constant instead of loading data. */
#define HK_ARENA_HDR 64u
_Static_assert(sizeof(struct hk_arena) <= HK_ARENA_HDR, "the arena header fits");

extern uint32_t hk_pool_secret __attribute__((visibility("hidden")));

static inline uint32_t hk_pool_check(const struct hk_pool_hdr *hdr)
{
	return (uint32_t)((uintptr_t)hdr >> 4) ^ hk_pool_secret;
}

/* Class of the pool block whose user pointer is p inside arena a, or -1. */
static inline int hk_pool_block_class(const struct hk_arena *a, const void *p)
{
	uintptr_t u = (uintptr_t)p;
	const struct hk_pool_hdr *hdr = (const struct hk_pool_hdr *)(u - HK_POOL_HDR);
	if ((u & (HK_ALIGN - 1)) || u < (uintptr_t)a + HK_ARENA_HDR + HK_POOL_HDR ||
	    u >= __atomic_load_n(&a->carved, __ATOMIC_RELAXED))
		return -1;
	if (hdr->check != hk_pool_check(hdr) || hdr->cls < HK_TINY_CLASSES || hdr->cls >= HK_CLASSES)
		return -1;
	return (int)hdr->cls;
}

/* Carve up to want blocks of class cls (at least one, growing the arena when
 * needed); *source says where from. */
struct hk_block *hk_pool_carve(struct hk_heap *h, unsigned cls, unsigned want, unsigned *got,
			       int *source);
/* One block of class cls whose user pointer is aligned to align, or NULL. */
void *hk_pool_carve_aligned(struct hk_heap *h, unsigned cls, size_t align);
/* HAKMEM_POOL_TLS_PREWARM for a new heap. */
void hk_pool_prewarm(struct hk_heap *h);

#endif
