/*
 * heap.h — a thread's allocator state.  A heap is owned by one thread at a
 * time: the fast paths touch only its free lists, without atomics.  Other
 * threads reach it only through its remote queues.  When a thread exits its
 * heap is abandoned whole (free lists, slabs, arenas, queues) and a new thread
 * adopts it, one on the same CPU first, so threads that come and go leak
 * nothing.
 */
#ifndef HK_HEAP_H
#define HK_HEAP_H

#include <stdint.h>
#include "hakmem_probes.h"
#include "size_class.h"

/* A free block: the list link, and the free key that marks it free. */
struct hk_block {
	struct hk_block *next;
	uintptr_t key;
};

/* Lock-free MPSC queue of blocks freed by other threads (see remote.c). */
struct hk_remote_queue {
	uintptr_t head; /* first block | blocks in the queue << 48 (see remote.c) */
	long depth;
};

/* Blocks this heap's thread freed for one owner in one class, not yet
 * queued: remote frees are pushed a chain at a time, one CAS per chain. */
#define HK_REMOTE_BATCH_MAX 32
struct hk_remote_batch {
	struct hk_heap *owner; /* NULL when empty */
	unsigned n;
	unsigned full; /* the n at which the chain is pushed (remote.c: chain_len) */
	struct hk_block *head, *tail;
};

struct hk_slab_meta;
struct hk_superslab;
struct hk_arena;

/* Large runs this thread freed, kept for its next large mallocs without the
 * runs lock (run_stash.c): up to 4 MiB.  The last one freed waits apart,
 * for the common free-then-malloc of one size.  The others sit in a ring in
 * the order they came, which evicts the oldest first and any run still there
 * 128 frees later; each is also on a list of its page count, and a bitmap of
 * the non-empty lists finds a run in constant time.  All of it lives here,
 * not in the runs: a freed block's memory is written once (its free key). */
#define HK_RUN_STASH_PAGES 1024u
#define HK_RUN_STASH_SIZES 256u /* page counts 1..256: runs are at most 1 MiB */
#define HK_RUN_STASH_RING 128u
struct hk_run_stash {
	struct hk_stashed_run {
		void *run; /* NULL once taken */
		uint16_t pages;
		uint8_t next, prev; /* on the list of its page count: slot + 1, 0 for none */
	} ring[HK_RUN_STASH_RING]; /* [n % RING] for n in [oldest, next) */
	uint8_t head[HK_RUN_STASH_SIZES]; /* [pages - 1]: the newest of that size, slot + 1 or 0 */
	uint64_t present[HK_RUN_STASH_SIZES / 64]; /* bit pages - 1: head[pages - 1] set */
	unsigned oldest, next; /* next - oldest <= RING */
	unsigned total; /* pages stashed, the last one's included */
	unsigned counted; /* of them, the pages counted in the global total (run_stash.c) */
	unsigned last_pages;
	uintptr_t *last; /* the last run freed, or NULL */
};

/* Per-heap counters behind HAKMEM_STATS; bumped on slow paths only. */
struct hk_heap_counters {
	/* first: a new thread's first malloc touches these (see struct hk_heap) */
	uint64_t thread_inits, thread_exits; /* of the threads that used this heap */
	uint64_t cold_starts[HK_TIER_COUNT];
	uint64_t refills[HK_TIER_COUNT], refill_blocks[HK_TIER_COUNT];
	uint64_t drains[HK_TIER_COUNT], drained_blocks[HK_TIER_COUNT];
	uint64_t remote_frees[HK_TIER_COUNT], remote_pushes[HK_TIER_COUNT]; /* blocks, chains */
	uint64_t arena_grows, arena_releases;
	uint64_t reclaims, reclaim_blocks, reclaim_ms;
};

struct hk_heap {
	/* First, at offset 0: the fast paths index it with no displacement. */
	struct hk_block *free[HK_CLASSES]; /* the thread cache: hot */
	/* One cache line holds all a thread touches to adopt the heap, so that a
	 * new thread's first malloc pulls in few lines from another core. */
	struct hk_heap *next_abandoned __attribute__((aligned(64)));
	struct hk_heap *prev_abandoned; /* doubly linked: any heap leaves in O(1) */
	long tid; /* kernel tid of its thread, or 0 (atomic: remote frees read it) */
	int in_use;
	unsigned slot; /* where it waits, or last waited, for a thread (heap.c) */
	int left_much; /* its last thread left it holding much (hk_reclaim_leaving) */
	struct hk_heap_counters counters;
	/* tiny tier */
	struct hk_slab_meta *slab[HK_TINY_CLASSES]; /* slab being carved per class */
	struct hk_superslab *superslab; /* superslab handing out slabs */
	uintptr_t ss_reserve, ss_reserve_end; /* mapped chunks not yet made superslabs */
	unsigned free_slab_count; /* emptied slabs in its superslabs (their free_slabs bits) */

	/* pool tier */
	struct hk_arena *arena; /* arena being carved */
	size_t arena_bytes; /* all arenas of this heap */
	unsigned arena_level;
	uintptr_t extents; /* free stretches of its arenas, for any class (pool.c) */
	size_t reclaim_at; /* small bytes carved at which to reclaim next (reclaim.c; 0: 8 MiB) */
	/* reclaiming for other heaps (reclaim.c): its own fresh takes (chunks.h);
	 * when it last reclaimed and how long that took, the other heaps' fresh
	 * takes and its blocks refilled then; what the next walk would visit at
	 * most, and how many walks in a row found little */
	uint64_t fresh_own;
	uint64_t reclaimed_ms, walk_ms, others_fresh_seen, refilled_at, walk_cost;
	unsigned idle_walks;
	uint64_t carved[HK_CLASSES]; /* blocks ever carved (census) */
	struct hk_remote_batch batch[HK_CLASSES]; /* outgoing remote frees, per class */
	uint64_t remote_fed; /* bit c: blocks of class c came back through its remote queue */
	uint64_t batch_used; /* bit c: batch[c] holds blocks */
	struct hk_heap *pushed_to; /* the owner of its last chains pushed, and their bytes (remote.c) */
	size_t pushed_bytes;
	struct hk_heap *next_all; /* every heap ever made */
	struct hk_run_stash run_stash;
	struct hk_remote_queue remote[HK_CLASSES] __attribute__((aligned(64)));
	/* Set by a thread that pushed it many bytes in a row (remote.c): a
	 * reclaim would find them free.  Its own line: written seldom. */
	int reclaim_asked __attribute__((aligned(64)));
};

/* The calling thread's heap; before its first allocation (and after its
 * exit) &hk_heap_none, a heap whose free lists are all empty, so that the
 * malloc fast path needs no NULL check.  Only the fast paths read hk_tl_heap;
 * the rest asks hk_heap_current(). */
extern __thread struct hk_heap *hk_tl_heap __attribute__((tls_model("initial-exec")));
extern struct hk_heap hk_heap_none __attribute__((visibility("hidden")));
/* Per-thread bitmap of classes whose first slow path already ran. */
extern __thread uint64_t hk_tl_cold __attribute__((tls_model("initial-exec")));
/* Set when the thread's heap was released at its exit.  glibc frees the
 * thread's own state (strerror's and dlerror's buffers...) after the key
 * destructors ran, so a heap acquired then would never be released: those
 * frees go to their owners without one (hk_remote_free_one). */
extern __thread int hk_tl_exited __attribute__((tls_model("initial-exec")));

/* Random per-process value stored in word 1 of free blocks.  Hidden, like
 * every extern here: code in the library then reads it with one instruction. */
extern uintptr_t hk_free_key __attribute__((visibility("hidden")));

/* Where h's free list of class cls starts, as an address in a register of
 * its own.  A run of mallocs (or frees) of one class loads each list head
 * right after storing it; addressed as (reg), not (h, cls, 8), those pairs
 * went 27 % faster here — likely the CPU's memory renaming, which takes only
 * a base register and a displacement (glibc's bench-malloc-simple pattern,
 * 16-byte blocks in batches of 25..1600: 1.80 s -> 1.36 s, mimalloc 1.21;
 * one lea more: random_mixed 0.97-0.99x). */
static inline struct hk_block **hk_free_head(struct hk_heap *h, unsigned cls)
{
	struct hk_block **head = &h->free[cls];
	__asm__("" : "+r"(head));
	return head;
}

/* Take the first block of the free list at head (non-empty); its free key is
 * cleared so that a later free of it is not taken for a double free. */
static inline struct hk_block *hk_free_head_pop(struct hk_block **head)
{
	struct hk_block *b = *head;
	struct hk_block *next = b->next;
	*head = next;
	b->key = 0;
	/* The next block is handed out soon, and may be a line another core
	 * wrote (a remote free drained here): fetch it now (prefetcht0: x86-64
	 * has no write prefetch without -mprfchw, which measured no better).
	 * Cross-thread pc 1.5x, symmetric 1.8x faster; 1 instruction a malloc. */
	__builtin_prefetch(next, 1);
	return b;
}

static inline struct hk_block *hk_free_list_pop(struct hk_heap *h, unsigned cls)
{
	return hk_free_head_pop(hk_free_head(h, cls));
}

/* The calling thread's heap, NULL before its first allocation. */
static inline struct hk_heap *hk_heap_current(void)
{
	struct hk_heap *h = hk_tl_heap;
	return h == &hk_heap_none ? NULL : h;
}

/* Put b on the free list at head, marked free. */
static inline void hk_free_head_push(struct hk_block **head, struct hk_block *b)
{
	b->next = *head;
	b->key = hk_free_key;
	*head = b;
}

/* Put b on h's free list of class cls, marked free. */
static inline void hk_free_list_push(struct hk_heap *h, unsigned cls, struct hk_block *b)
{
	hk_free_head_push(hk_free_head(h, cls), b);
}

/* Join list (NULL-terminated, marked free) and h's free list of class cls,
 * in either order; off the fast paths.  Walking both in step, it splices at
 * the end of the shorter, so that a long list drained from other threads is
 * not walked only to find its tail (four threads passing blocks on: 3 % of
 * the time). */
static inline void hk_free_list_join(struct hk_heap *h, unsigned cls, struct hk_block *list)
{
	struct hk_block *a = list, *b = h->free[cls];
	if (!a || !b) {
		h->free[cls] = a ? a : b;
		return;
	}
	while (a->next && b->next) {
		a = a->next;
		b = b->next;
	}
	if (a->next) {
		b->next = list; /* h's list ends first: it goes in front */
		return;
	}
	a->next = h->free[cls];
	h->free[cls] = list;
}

/* Set or clear h's reclaim_asked; read first, since it is mostly as wanted
 * and a store would pull its line from the owner's core for nothing. */
static inline void hk_heap_set_asked(struct hk_heap *h, int asked)
{
	if (__atomic_load_n(&h->reclaim_asked, __ATOMIC_RELAXED) != asked)
		__atomic_store_n(&h->reclaim_asked, asked, __ATOMIC_RELAXED);
}

/* Kernel tid of h's thread, for probe arguments; call from that thread.
 * 0 when no tracer wants it (see heap.c). */
long hk_heap_tid(struct hk_heap *h);
/* The calling thread's heap, creating or adopting one; NULL when out of memory.
 * prefer (may be NULL) is taken when it is abandoned: a new thread whose
 * first act is to free an exited thread's block carries on that thread's
 * work (a server's retired worker, larson), and with its heap those frees
 * are local instead of remote to a heap nobody drains until it is adopted. */
struct hk_heap *hk_heap_acquire(struct hk_heap *prefer);
/* pthread key destructor: hands the heap over. */
void hk_heap_release(void *heap);
/* Call fn on every heap ever made (stats, census). */
void hk_heap_for_each(void (*fn)(struct hk_heap *, void *), void *arg);
/* Metadata memory (never freed), zeroed. */
void *hk_meta_alloc(size_t size);

void hk_heap_global_init(void);
void hk_heap_atfork_prepare(void);
void hk_heap_atfork_parent(void);
void hk_heap_atfork_child(void);

#endif
