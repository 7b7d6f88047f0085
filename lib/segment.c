/* segment.c — mapping segments and the address -> segment registry (see segment.h). */
#include "lock.h"
#include "os.h"
#include "chunks.h"
#include "region.h"
#include "segment.h"

/* In their own section, placed last in the writable segment: a process
 * writes a page or two of them, and no page here is read before it is
 * written (lib/bss-in-file.ld says why that matters). */
__attribute__((section(".hk_tables"))) struct hk_segment *hk_window[HK_WINDOW_CHUNKS];
__attribute__((section(".hk_tables"))) uintptr_t hk_window_kind[HK_WINDOW_CHUNKS];
hk_reg_leaf *hk_registry[1u << HK_REG_L1_BITS];
static pthread_mutex_t leaf_lock = PTHREAD_MUTEX_INITIALIZER;

static hk_reg_leaf *leaf_for(uintptr_t chunk)
{
	uintptr_t i1 = chunk >> HK_REG_L2_BITS;
	hk_reg_leaf *leaf = __atomic_load_n(&hk_registry[i1], __ATOMIC_ACQUIRE);
	if (leaf)
		return leaf;
	hk_lock(&leaf_lock);
	leaf = hk_registry[i1];
	if (!leaf) { /* a leaf covers 256 GiB: most processes need one, ever */
		leaf = hk_region_take(sizeof(hk_reg_leaf), HK_CHUNK, HK_PURPOSE_METADATA);
		if (leaf)
			__atomic_store_n(&hk_registry[i1], leaf, __ATOMIC_RELEASE);
	}
	hk_unlock(&leaf_lock);
	return leaf;
}

static int set_range(uintptr_t base, size_t len, struct hk_segment *value)
{
	uintptr_t first = base >> HK_CHUNK_SHIFT, last = (base + len - 1) >> HK_CHUNK_SHIFT;
	for (uintptr_t c = first; c <= last; c++) {
		uintptr_t w = hk_window_chunk(c << HK_CHUNK_SHIFT);
		if (w < HK_WINDOW_CHUNKS) {
			__atomic_store_n(&hk_window_kind[w], value ? value->owner_kind : 0,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&hk_window[w], value, __ATOMIC_RELEASE);
			continue;
		}
		hk_reg_leaf *leaf = leaf_for(c);
		if (!leaf)
			return -1;
		__atomic_store_n(&(*leaf)[c & ((1u << HK_REG_L2_BITS) - 1)], value, __ATOMIC_RELEASE);
	}
	return 0;
}

int hk_registry_set(struct hk_segment *seg, size_t len)
{
	return set_range((uintptr_t)seg, len, seg);
}

void hk_registry_clear(void *base, size_t len)
{
	set_range((uintptr_t)base, len, NULL);
}

void hk_registry_atfork_prepare(void)
{
	pthread_mutex_lock(&leaf_lock);
}

void hk_registry_atfork_release(void)
{
	pthread_mutex_unlock(&leaf_lock);
}

int hk_segment_init(void *base, size_t size, enum hk_seg_kind kind, struct hk_heap *owner)
{
	struct hk_segment *seg = base;
	seg->owner_kind = hk_owner_kind(owner, kind);
	seg->size = size;
	return hk_registry_set(seg, size);
}

static void *init_or_give(void *seg, size_t size, enum hk_seg_kind kind, struct hk_heap *owner,
			  size_t dirty, enum hk_purpose purpose)
{
	if (!seg || hk_segment_init(seg, size, kind, owner) == 0)
		return seg;
	hk_region_give(seg, size, dirty, purpose);
	return NULL;
}

void *hk_segment_new(size_t size, size_t align, enum hk_seg_kind kind, struct hk_heap *owner,
		     enum hk_purpose purpose, int huge)
{
	void *seg;
	if (huge)
		seg = hk_region_take_huge(size, align);
	else
		seg = align == HK_CHUNK ? hk_chunks_take(size, purpose) : hk_region_take(size, align, purpose);
	return init_or_give(seg, size, kind, owner, HK_PAGE, purpose);
}

void *hk_segment_reuse(size_t min, size_t *size, enum hk_seg_kind kind, struct hk_heap *owner,
		       enum hk_purpose purpose, uint64_t *fresh)
{
	void *seg = hk_chunks_reuse_upto(min, size, purpose, fresh);
	return init_or_give(seg, *size, kind, owner, *size, purpose);
}
