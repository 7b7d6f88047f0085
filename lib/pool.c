/* pool.c — per-heap arenas and block carving for the Pool tier (see pool.h). */
#include "block.h"
#include "config.h"
#include "os.h"
#include "pool.h"
#include "stats.h"

uint32_t hk_pool_secret;

/* Arena sizes run init, 2*init, 4*init ... for growth_levels steps, capped at max. */
static size_t next_arena_size(const struct hk_heap *h)
{
	unsigned level = h->arena_level < hk_config.growth_levels ? h->arena_level
								  : hk_config.growth_levels - 1;
	size_t size = hk_config.arena_init << level;
	return size < hk_config.arena_max ? size : hk_config.arena_max;
}

static struct hk_arena *arena_grow(struct hk_heap *h, size_t need)
{
	size_t size = next_arena_size(h);
	if (size < need + HK_PAGE)
		size = hk_align_up(need + HK_PAGE, HK_CHUNK);
	hk_probe_arena_grow_start(HK_TIER_POOL, (long)h->arena_bytes, (long)size);
	struct hk_arena *a = hk_segment_new(size, HK_CHUNK, HK_SEG_POOL, h, HK_PURPOSE_ARENA);
	if (!a)
		return NULL;
	a->data = (uintptr_t)a + 64; /* header is 64 bytes; blocks stay 16-aligned */
	a->carved = a->data;
	a->end = (uintptr_t)a + size;
	a->next = h->arena;
	size_t old = h->arena_bytes;
	h->arena = a;
	h->arena_bytes += size;
	h->arena_level++;
	h->counters.arena_grows++;
	hk_probe_arena_grow(HK_TIER_POOL, (long)old, (long)h->arena_bytes, (long)a);
	return a;
}

static void write_header(uintptr_t block, unsigned cls)
{
	struct hk_pool_hdr *hdr = (struct hk_pool_hdr *)block;
	hdr->check = hk_pool_check(hdr);
	hdr->cls = cls;
}

/* Room for n more blocks of stride in the current arena, growing if none. */
static struct hk_arena *arena_with_room(struct hk_heap *h, uint32_t stride, int *source)
{
	struct hk_arena *a = h->arena;
	if (a && a->end - a->carved >= stride)
		return a;
	*source = HK_SRC_OS;
	return arena_grow(h, stride);
}

struct hk_block *hk_pool_carve(struct hk_heap *h, unsigned cls, unsigned want, unsigned *got,
			       int *source)
{
	uint32_t stride = hk_class_stride[cls];
	*source = HK_SRC_EXISTING;
	struct hk_arena *a = arena_with_room(h, stride, source);
	if (!a)
		return NULL;
	unsigned room = (unsigned)((a->end - a->carved) / stride);
	unsigned n = want < room ? want : room;
	uintptr_t first = a->carved;
	for (unsigned i = 0; i < n; i++)
		write_header(first + (uintptr_t)i * stride, cls);
	/* the free list links user pointers, just past each header */
	struct hk_block *list = hk_link_blocks(first + HK_POOL_HDR, stride, n);
	__atomic_store_n(&a->carved, first + (uintptr_t)n * stride, __ATOMIC_RELEASE);
	h->carved[cls] += n;
	*got = n;
	return list;
}

void *hk_pool_carve_aligned(struct hk_heap *h, unsigned cls, size_t align)
{
	uint32_t stride = hk_class_stride[cls];
	int source;
	struct hk_arena *a = arena_with_room(h, stride + (uint32_t)align, &source);
	if (!a)
		return NULL;
	/* room for stride + align guarantees the padded block fits */
	uintptr_t user = hk_align_up(a->carved + HK_POOL_HDR, align);
	write_header(user - HK_POOL_HDR, cls);
	__atomic_store_n(&a->carved, user - HK_POOL_HDR + stride, __ATOMIC_RELEASE);
	h->carved[cls]++;
	((struct hk_block *)user)->key = 0;
	return (void *)user;
}

void hk_pool_prewarm(struct hk_heap *h)
{
	if (!hk_config.prewarm_on)
		return;
	for (unsigned i = 0; i < HK_POOL_CLASSES; i++) {
		unsigned cls = HK_TINY_CLASSES + i, left = hk_config.prewarm[i], got;
		int source;
		while (left) {
			struct hk_block *list = hk_pool_carve(h, cls, left, &got, &source);
			if (!list)
				return;
			struct hk_block *tail = list;
			while (tail->next)
				tail = tail->next;
			tail->next = h->free[cls];
			h->free[cls] = list;
			left -= got;
		}
	}
}
