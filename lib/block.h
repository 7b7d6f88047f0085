/* block.h — from a pointer inside a small-tier segment to its size class. */
#ifndef HK_BLOCK_H
#define HK_BLOCK_H

#include "pool.h"
#include "tiny.h"

/* Class of the tiny or pool block at p in segment s, or -1 when p is not a
 * block hakmem carved there (large segments are never small blocks). */
static inline int hk_small_class(const struct hk_segment *s, const void *p)
{
	if (hk_segment_kind(s) == HK_SEG_TINY)
		return hk_tiny_block_class((const struct hk_superslab *)s, p);
	if (hk_segment_kind(s) == HK_SEG_POOL)
		return hk_pool_block_class((const struct hk_arena *)s, p);
	return -1;
}

/* Link n blocks of stride bytes starting at first into a free list. */
static inline struct hk_block *hk_link_blocks(uintptr_t first, uint32_t stride, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct hk_block *b = (struct hk_block *)(first + (uintptr_t)i * stride);
		b->next = i + 1 < n ? (struct hk_block *)((uintptr_t)b + stride) : NULL;
		b->key = hk_free_key;
	}
	return (struct hk_block *)first;
}

#endif
