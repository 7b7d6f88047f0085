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

/* 32 bytes, so that free's checks read one cache line.
 *
 * One multiply and one compare tell a carved block's start from any other
 * offset o in the slab.  With multiple = floor(2^64 / stride) + 1, the
 * product o * multiple (mod 2^64) is k * e for the k-th block's start,
 * where e = stride * multiple (mod 2^64) is in [1, stride], and at least
 * multiple (over 2^54) for an offset between blocks (o < 2^32: Lemire,
 * Kaser and Kurz, "Faster remainder by direct computation", 2019).  So
 * with limit = (blocks carved) * e, o is a carved block's start iff
 * o * multiple < limit. */
struct hk_slab_meta {
	uint64_t multiple;
	uint32_t limit; /* atomic: read by any thread; 0 for a slab no class has */
	uint16_t cls; /* valid once limit > 0 */
	uint16_t stride;
	/* &owner->free[cls], valid with cls: free pushes there with one load
	 * (the owner's heap never moves, and a slab changes hands only
	 * through slab_assign) */
	struct hk_block **head;
} __attribute__((aligned(32)));
_Static_assert(sizeof(struct hk_slab_meta) == 32, "hk_tiny_block_meta scales by 32");

/* e above: what the limit grows by with each block carved. */
static inline uint64_t hk_slab_step(const struct hk_slab_meta *m)
{
	return m->multiple * m->stride;
}

/* Blocks carved from the slab of m. */
static inline uint32_t hk_slab_blocks(const struct hk_slab_meta *m)
{
	uint32_t limit = __atomic_load_n(&m->limit, __ATOMIC_ACQUIRE);
	return limit ? (uint32_t)(limit / hk_slab_step(m)) : 0;
}

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

/* The superslab holding p, a block of one (superslabs are one chunk). */
static inline struct hk_superslab *hk_superslab_of(const void *p)
{
	return (struct hk_superslab *)((uintptr_t)p & ~(HK_CHUNK - 1));
}

/* The meta of the slab holding p inside ss if p is a block start that was
 * carved, else NULL; then m->cls is the block's class.  Every free
 * runs this: it is kept to one multiply and one compare. */
static inline const struct hk_slab_meta *hk_tiny_block_meta(const struct hk_superslab *ss,
							   const void *p)
{
	/* superslabs are chunk aligned, so slabs are slab aligned; the meta
	 * index is scaled by 32 in the shift itself */
	uintptr_t u = (uintptr_t)p;
	uintptr_t scaled = (u >> (HK_SLAB_SHIFT - 5)) & ((HK_SLABS_PER_SUPERSLAB - 1) << 5);
	const struct hk_slab_meta *m = (const void *)((uintptr_t)ss->slabs + scaled);
	__asm__("" : "+r"(m)); /* else GCC computes m twice, for the atomic load apart */
	uint64_t o = u & (HK_SLAB_SIZE - 1);
	/* acquire: the limit is stored after the rest (release) by the owner */
	uint32_t limit = __atomic_load_n(&m->limit, __ATOMIC_ACQUIRE);
	return o * m->multiple < limit ? m : NULL;
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
