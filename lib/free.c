/*
 * free.c — free.  The fast path finds the block's segment with two loads,
 * checks that this thread owns it and that p is a block start, and pushes it
 * on the thread's list.  Everything else — remote frees, large spans, invalid
 * pointers and double frees — goes to the slow path.
 */
#include "api.h"
#include "block.h"
#include "large.h"
#include "out.h"
#include "remote.h"

/* pulls api.o in with this file from libhakmem.a (see api.h) */
static const char *const link_api __attribute__((used)) = &hk_api_linked;

/* cls: the block's class, or -1 when p is no block start of this heap. */
static inline void push_if_valid(struct hk_heap *h, int cls, struct hk_block *b)
{
	if (__builtin_expect(cls >= 0 && b->key != hk_free_key, 1))
		hk_free_list_push(h, (unsigned)cls, b);
	else
		hk_dealloc_slow(b, "free");
}

void hk_dealloc(void *p)
{
	struct hk_segment *s = hk_segment_of(p);
	struct hk_heap *h = hk_tl_heap;
	if (__builtin_expect(s == NULL, 0)) {
		hk_dealloc_slow(p, "free");
		return;
	}
	/* heaps are 64-byte aligned: only a segment of this thread's heap leaves
	 * just its kind, and one compare tells its tiny ones from the rest */
	uintptr_t kind = s->owner_kind ^ (uintptr_t)h;
	if (__builtin_expect(kind == HK_SEG_TINY, 1))
		push_if_valid(h, hk_tiny_block_class((struct hk_superslab *)s, p), p);
	else if (kind == HK_SEG_POOL)
		push_if_valid(h, hk_pool_block_class((struct hk_arena *)s, p), p);
	else
		hk_dealloc_slow(p, "free");
}
HK_EXPORT void HK_API(free)(void *p) __attribute__((alias("hk_dealloc")));

/* A block of another heap.  A thread that only frees still gets a heap: its
 * outgoing batches and counters live there (and it is the very heap that owns
 * the block when that one was abandoned: adopted just now).  Past its exit,
 * or when there is no memory for a heap (RLIMIT_AS reached, the metadata
 * chunk full), the block goes to its owner alone: free cannot fail, and a
 * new thread's first free of another's block aborted there. */
static void free_elsewhere(struct hk_heap *owner, unsigned cls, struct hk_block *b)
{
	struct hk_heap *h = hk_heap_current();
	if (!h && (hk_tl_exited || !(h = hk_heap_acquire(owner)))) {
		hk_remote_free_one(owner, cls, b);
		return;
	}
	if (owner != h) {
		hk_remote_free(h, owner, cls, b);
		return;
	}
	hk_free_list_push(h, cls, b);
}

void hk_dealloc_slow(void *p, const char *func)
{
	if (!p)
		return;
	struct hk_segment *s = hk_segment_of(p);
	if (!s)
		hk_fatal_ptr(func, "invalid pointer", p);
	if (hk_segment_is_large(s)) {
		hk_large_dealloc(s, p, func);
		return;
	}
	int cls = hk_small_class(s, p);
	if (cls < 0)
		hk_fatal_ptr(func, "invalid pointer", p);
	struct hk_block *b = p;
	if (b->key == hk_free_key)
		hk_fatal_ptr(func, "double free", p);
	/* the fast path took every valid block of this thread's heap */
	free_elsewhere(hk_segment_owner(s), (unsigned)cls, b);
}
