/*
 * tiny.h — the Tiny tier (<= 1 KiB).  A superslab is a 2 MiB aligned segment
 * of 32 slabs of 64 KiB; slab 0 holds the header, each other slab serves one
 * class for life.  Blocks sit at stride multiples from their slab's start.
 */
#ifndef HK_TINY_H
#define HK_TINY_H

#include "heap.h"
#include "segment.h"

#define HK_SLAB_SHIFT 16
#define HK_SLAB_SIZE ((uint32_t)1 << HK_SLAB_SHIFT)
#define HK_SLABS_PER_SUPERSLAB ((uint32_t)(HK_CHUNK >> HK_SLAB_SHIFT))

struct hk_slab_meta {
	uint16_t cls1; /* class + 1; 0 while the slab is unassigned */
	uint16_t stride;
	uint32_t recip; /* ceil(2^32 / stride): offset / stride without a divide */
	uint32_t carved; /* bytes carved from the slab start (atomic: read by any thread) */
	uint32_t capacity; /* blocks that fit: HK_SLAB_SIZE / stride */
};

struct hk_superslab {
	struct hk_segment seg;
	uint32_t next_slab; /* next unassigned slab index */
	struct hk_superslab *next; /* the heap's superslabs */
	struct hk_slab_meta slabs[HK_SLABS_PER_SUPERSLAB];
};

/* Class of the tiny block at p inside ss, or -1 if p is not a block start
 * that was carved. */
static inline int hk_tiny_block_class(const struct hk_superslab *ss, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)ss;
	const struct hk_slab_meta *m = &ss->slabs[off >> HK_SLAB_SHIFT];
	uint32_t o = (uint32_t)off & (HK_SLAB_SIZE - 1);
	uint32_t q = (uint32_t)(((uint64_t)o * m->recip) >> 32);
	if (q * m->stride != o || o >= __atomic_load_n(&m->carved, __ATOMIC_RELAXED))
		return -1;
	return (int)m->cls1 - 1;
}

/* Carve up to want blocks of class cls into a list; *source says where from. */
struct hk_block *hk_tiny_carve(struct hk_heap *h, unsigned cls, unsigned want, unsigned *got,
			       int *source);

#endif
