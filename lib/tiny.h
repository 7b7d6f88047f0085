/*
 * tiny.h — the Tiny tier (<= 1 KiB).  A superslab is a 2 MiB aligned segment
 * of 32 slabs of 64 KiB; slab 0 holds the header, each other slab serves one
 * class until all its blocks sit free in its heap's lists: then a heap that
 * would map a new superslab takes them out and gives the slab to any class.
 * Blocks sit at stride multiples from their slab's start.
 */
#ifndef HK_TINY_H
#define HK_TINY_H

#include "heap.h"
#include "segment.h"

#define HK_SLAB_SHIFT 16
#define HK_SLAB_SIZE ((uint32_t)1 << HK_SLAB_SHIFT)
#define HK_SLABS_PER_SUPERSLAB ((uint32_t)(HK_CHUNK >> HK_SLAB_SHIFT))

/* 16 bytes, so that free's checks read one cache line. */
struct hk_slab_meta {
	/* ceil(2^64 / stride): an offset o < 2^32 is a multiple of stride iff
	 * o * multiple < multiple (mod 2^64) — one multiply (Lemire, Kaser and
	 * Kurz, "Faster remainder by direct computation", 2019). */
	uint64_t multiple;
	uint32_t carved; /* bytes carved from the slab start (atomic: read by any thread) */
	uint16_t cls; /* valid once carved > 0: a slab not yet assigned has carved 0 */
	uint16_t stride;
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct hk_slab_meta) == 16, "hk_tiny_block_meta scales by 16");

struct hk_superslab {
	struct hk_segment seg;
	uint32_t next_slab; /* next unassigned slab index */
	struct hk_superslab *next; /* the heap's superslabs */
	struct hk_slab_meta slabs[HK_SLABS_PER_SUPERSLAB];
	uint32_t free_slabs; /* bit i: slab i was emptied and serves any class next */
	uint32_t scratch[HK_SLABS_PER_SUPERSLAB]; /* free blocks per slab, while reclaiming */
	/* while reclaiming: each slab's free blocks, gathered from the lists */
	struct hk_block *gathered[HK_SLABS_PER_SUPERSLAB], *gathered_tail[HK_SLABS_PER_SUPERSLAB];
};

/* The meta of the slab holding p inside ss if p is a block start that was
 * carved, else NULL; then m->cls is the block's class.  Every free
 * runs this: it is kept to one multiply and one branch. */
static inline const struct hk_slab_meta *hk_tiny_block_meta(const struct hk_superslab *ss,
							   const void *p)
{
	/* superslabs are chunk aligned, so slabs are slab aligned; the meta
	 * index is scaled by 16 in the shift itself */
	uintptr_t u = (uintptr_t)p;
	uintptr_t scaled = (u >> (HK_SLAB_SHIFT - 4)) & ((HK_SLABS_PER_SUPERSLAB - 1) << 4);
	const struct hk_slab_meta *m = (const void *)((uintptr_t)ss->slabs + scaled);
	__asm__("" : "+r"(m)); /* else GCC computes m twice, for the atomic load apart */
	uint64_t o = u & (HK_SLAB_SIZE - 1);
	/* acquire: carved is stored after cls (release) by the owner */
	uint32_t carved = __atomic_load_n(&m->carved, __ATOMIC_ACQUIRE);
	if ((o * m->multiple >= m->multiple) | (o >= carved))
		return NULL;
	return m;
}

static inline int hk_tiny_block_class(const struct hk_superslab *ss, const void *p)
{
	const struct hk_slab_meta *m = hk_tiny_block_meta(ss, p);
	return m ? (int)m->cls : -1;
}

/* Carve up to want blocks of class cls into a list; *source says where from. */
struct hk_block *hk_tiny_carve(struct hk_heap *h, unsigned cls, unsigned want, unsigned *got,
			       int *source);

#endif
