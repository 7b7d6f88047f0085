/*
 * size_class.h — size classes of the Tiny (<= 1 KiB) and Pool (<= 52 KiB)
 * tiers.  The stride of a class is the one definition used by carve, refill,
 * capacity and pointer validation alike: for tiny it is the class size, for
 * pool it is the class size plus the block header.
 */
#ifndef HK_SIZE_CLASS_H
#define HK_SIZE_CLASS_H

#include <stddef.h>
#include <stdint.h>

#define HK_TINY_MAX 1024u
#define HK_POOL_MAX 53248u /* 52 KiB */
#define HK_TINY_CLASSES 24
#define HK_POOL_CLASSES 23
#define HK_CLASSES (HK_TINY_CLASSES + HK_POOL_CLASSES)
/* hk_tl_cold and remote batch_used keep one bit per class; hakmem_census()
 * reports at most HAKMEM_MAX_CLASSES (64). */
_Static_assert(HK_CLASSES <= 64, "a class bitmask is one uint64_t");
#define HK_POOL_HDR 16u /* bytes of header in front of every pool block */
#define HK_ALIGN 16u /* malloc's guaranteed alignment */

extern uint8_t hk_class_of16[HK_POOL_MAX / 16 + 1] __attribute__((visibility("hidden")));
extern const uint32_t hk_class_size[HK_CLASSES] __attribute__((visibility("hidden")));
extern uint32_t hk_class_stride[HK_CLASSES] __attribute__((visibility("hidden")));

void hk_size_class_init(void);

/* n <= HK_POOL_MAX */
static inline unsigned hk_size_class(size_t n)
{
	return hk_class_of16[(n + 15) >> 4];
}

static inline int hk_class_tier(unsigned cls)
{
	return cls < HK_TINY_CLASSES ? 0 : 1;
}

/* Smallest tiny class whose stride is a multiple of align and holds n, or -1. */
int hk_tiny_class_aligned(size_t n, size_t align);

#endif
