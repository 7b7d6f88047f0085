/*
 * introspect.c — hakmem_version, hakmem_ptr_info, hakmem_heap_id and
 * hakmem_census: what tests and tools may ask about hakmem's own state;
 * and hakmem_flush (malloc_trim), which hands back what waits.  Never on a
 * hot path.
 */
#include "api.h"
#include "block.h"
#include "chunks.h"
#include "hakmem.h"
#include "introspect.h"
#include "large.h"
#include "os.h"
#include "out.h"
#include "reclaim.h"
#include "remote.h"
#include "runs.h"

HK_EXPORT const char *hakmem_version(void)
{
	return HAKMEM_VERSION_STRING;
}

/* Another thread's heap is its own to walk: it reclaims for the others at
 * its next refills instead (reclaim.c), unless it takes back blocks freed
 * to it then. */
static void ask_reclaim(struct hk_heap *h, void *self)
{
	if (h != self)
		hk_heap_set_asked(h, 1);
}

/* all: the large tier's free pages go back too, not only those past
 * HAKMEM_LARGE_CACHE_MB. */
void hk_flush(int all)
{
	struct hk_heap *h = hk_heap_current();
	hk_heap_for_each(ask_reclaim, h);
	if (h) {
		hk_remote_flush_all(h);
		hk_runs_stash_flush(h);
		hk_reclaim_all(h);
	}
	hk_chunks_purge(1); /* whichever heap left them */
	hk_runs_purge(all); /* whichever thread freed the runs */
	hk_large_purge(all);
}

HK_EXPORT void hakmem_flush(void)
{
	hk_flush(0);
}

static uint64_t returned_calls(void)
{
	struct hk_os_counters c;
	hk_os_counters_get(&c);
	uint64_t n = 0;
	for (int p = 0; p < HK_PURPOSE_COUNT; p++)
		n += c.unmap_calls[p] + c.advise_calls[p];
	return n;
}

/* glibc's: 1 when memory went back to the OS.  A program calls it to
 * shrink now, so the large tier's free pages go too, the ones its budget
 * would keep for reuse included (runs and small blocks freed, then
 * malloc_trim(0): 7 MB resident after it, where 70 stayed).  pad is
 * ignored. */
HK_EXPORT int HK_API(malloc_trim)(size_t pad)
{
	(void)pad;
	uint64_t before = returned_calls();
	hk_flush(1);
	return returned_calls() != before;
}

HK_EXPORT uint64_t hakmem_heap_id(void)
{
	return (uint64_t)(uintptr_t)hk_heap_current();
}

/* A large block's stride is its span, or its run (a run chunk holds many). */
static int large_info(const struct hk_segment *s, const void *p, struct hakmem_ptr_info *out)
{
	size_t usable = hk_large_usable(s, p);
	if (!usable)
		return -1;
	*out = (struct hakmem_ptr_info){
		.tier = HK_TIER_LARGE, .size_class = -1, .usable = usable,
		.stride = hk_segment_kind(s) == HK_SEG_RUNS ? usable : s->size,
		.region = (uintptr_t)s, .offset = (uintptr_t)p - (uintptr_t)s,
	};
	return 0;
}

static void small_info(const struct hk_segment *s, const void *p, int cls,
		       struct hakmem_ptr_info *out)
{
	uintptr_t region = (uintptr_t)s, u = (uintptr_t)p;
	if (hk_segment_kind(s) == HK_SEG_TINY)
		region = u & ~(uintptr_t)(HK_SLAB_SIZE - 1);
	*out = (struct hakmem_ptr_info){
		.tier = hk_class_tier((unsigned)cls), .size_class = cls,
		.usable = hk_class_size[cls], .stride = hk_class_stride[cls], .region = region,
		.offset = u - region, .owner = (uint64_t)(uintptr_t)hk_segment_owner(s),
	};
}

HK_EXPORT int hakmem_ptr_info(const void *p, struct hakmem_ptr_info *out)
{
	const struct hk_segment *s = p ? hk_segment_of(p) : NULL;
	if (!s)
		return -1;
	if (hk_segment_is_large(s))
		return large_info(s, p, out);
	int cls = hk_small_class(s, p);
	if (cls < 0)
		return -1;
	small_info(s, p, cls, out);
	return 0;
}

/* Count a free list, checking each entry belongs to h and class cls. */
static uint64_t walk_list(const struct hk_heap *h, unsigned cls)
{
	uint64_t n = 0;
	for (const struct hk_block *b = h->free[cls]; b; b = b->next, n++) {
		const struct hk_segment *s = hk_segment_of(b);
		if (!s || hk_segment_owner(s) != h || hk_small_class(s, b) != (int)cls || b->key != hk_free_key)
			hk_fatal_ptr("hakmem_census", "corrupt free list entry", b);
	}
	return n;
}

HK_EXPORT void hakmem_census(struct hakmem_census *out)
{
	hk_init();
	hk_runs_check("hakmem_census");
	*out = (struct hakmem_census){.classes = HK_CLASSES, .tiny_classes = HK_TINY_CLASSES};
	const struct hk_heap *h = hk_heap_current();
	for (unsigned c = 0; c < HK_CLASSES; c++) {
		out->class_size[c] = hk_class_size[c];
		if (!h)
			continue;
		out->carved[c] = h->carved[c];
		out->free_local[c] = walk_list(h, c);
		out->remote_pending[c] = (uint64_t)__atomic_load_n(&h->remote[c].depth, __ATOMIC_RELAXED);
	}
}
