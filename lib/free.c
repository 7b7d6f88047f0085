/*
 * free.c — free.  The fast path finds the owner and kind of the block's
 * segment with one load (hk_window_kind), checks that this thread owns it
 * and that p is a block start, and pushes it on the thread's list.  A tiny
 * block of another heap goes to its owner from there; everything else —
 * pool blocks of other heaps, large spans, invalid pointers and double
 * frees — goes to the slow path.
 */
#include "api.h"
#include "block.h"
#include "large.h"
#include "out.h"
#include "remote.h"

/* pulls api.o in with this file from libhakmem.a (see api.h) */
static const char *const link_api __attribute__((used)) = &hk_api_linked;

/* head: the list of b's class, NULL when b is no block start of this heap. */
static inline void push_if_valid(struct hk_block **head, struct hk_block *b)
{
	if (__builtin_expect(head && b->key != hk_free_key, 1))
		hk_free_head_push(head, b);
	else
		hk_dealloc_slow(b, "free");
}

static inline struct hk_block **tiny_head(const struct hk_superslab *ss, const void *p)
{
	const struct hk_slab_meta *m = hk_tiny_block_meta(ss, p);
	if (!m)
		return NULL;
	if (!m->head) /* set with the class, before the limit: no second test */
		__builtin_unreachable();
	return m->head;
}

static inline struct hk_block **pool_head(struct hk_heap *h, const struct hk_arena *a, const void *p)
{
	int cls = hk_pool_block_class(a, p);
	return cls >= 0 ? &h->free[cls] : NULL;
}

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

/* A tiny block of another heap (kind: its superslab's owner_kind ^ h, the
 * heaps 64-byte aligned): the fast path's one load already names the owner,
 * so a remote free need not look the segment up again as the slow path
 * does, and a thread with a heap batches it at once, without asking for
 * its heap again (cross-thread pc: 21 % fewer instructions in the library,
 * sym 15 %).  A pointer that is no block start, or a double free, goes to
 * the slow path, which says so. */
static __attribute__((noinline)) void tiny_elsewhere(struct hk_heap *h, uintptr_t kind,
						     const struct hk_superslab *ss, void *p)
{
	const struct hk_slab_meta *m = hk_tiny_block_meta(ss, p);
	struct hk_block *b = p;
	if (!m || b->key == hk_free_key) {
		hk_dealloc_slow(p, "free");
		return;
	}
	struct hk_heap *owner = hk_owner_of(kind ^ (uintptr_t)h);
	if (h == &hk_heap_none) /* no heap yet, or past the thread's exit */
		free_elsewhere(owner, m->cls, b);
	else /* kind is not HK_SEG_TINY: owner is not h */
		hk_remote_free(h, owner, m->cls, b);
}

/* kind: the owner_kind of p's segment ^ h.  Heaps are 64-byte aligned: only
 * a segment of this thread's heap leaves just its kind, and one compare
 * tells its tiny ones from the rest.  ss: p's superslab if it is tiny;
 * *seg is read for a pool block only (relaxed, as every reader of
 * hk_window: set_range writes it while other threads free). */
static inline void free_owned(struct hk_heap *h, uintptr_t kind, struct hk_superslab *ss,
			      struct hk_segment *const *seg, void *p)
{
	if (__builtin_expect(kind == HK_SEG_TINY, 1))
		push_if_valid(tiny_head(ss, p), p);
	else if (kind == HK_SEG_POOL) {
		struct hk_arena *a = (struct hk_arena *)__atomic_load_n(seg, __ATOMIC_RELAXED);
		push_if_valid(pool_head(h, a, p), p);
	} else if (hk_kind_of(kind) == HK_SEG_TINY)
		tiny_elsewhere(h, kind, ss, p);
	else
		hk_dealloc_slow(p, "free");
}

/* A segment mapped outside the window (the window was full), NULL or an
 * invalid pointer: the two-level registry. */
static __attribute__((noinline)) void dealloc_outside(struct hk_heap *h, void *p)
{
	struct hk_segment *s = hk_segment_of(p);
	free_owned(h, s ? s->owner_kind ^ (uintptr_t)h : 0, hk_superslab_of(p), &s, p);
}

void hk_dealloc(void *p)
{
	struct hk_heap *h = hk_tl_heap;
	uintptr_t chunk = (uintptr_t)p >> HK_CHUNK_SHIFT;
	/* kept: the superslab is chunk << HK_CHUNK_SHIFT, one shift where
	 * p & ~(HK_CHUNK - 1), GCC's choice, takes a copy and a mask */
	__asm__("" : "+r"(chunk));
	uintptr_t w = chunk - (HK_WINDOW_BASE >> HK_CHUNK_SHIFT);
	if (__builtin_expect(w >= HK_WINDOW_CHUNKS, 0)) {
		dealloc_outside(h, p);
		return;
	}
	uintptr_t kind = __atomic_load_n(&hk_window_kind[w], __ATOMIC_RELAXED) ^ (uintptr_t)h;
	free_owned(h, kind, (struct hk_superslab *)(chunk << HK_CHUNK_SHIFT), &hk_window[w], p);
}
HK_EXPORT void HK_API(free)(void *p) __attribute__((alias("hk_dealloc")));

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
