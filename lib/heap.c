/* heap.c — heap creation, adoption and hand-over (see heap.h). */
#include <string.h>
#include <unistd.h>
#include "heap.h"
#include "lock.h"
#include "os.h"
#include "pool.h"
#include "reclaim.h"
#include "chunks.h"
#include "remote.h"
#include "runs.h"
#include "stats.h"

struct hk_heap hk_heap_none; /* never written: nothing owns or refills it */
__thread struct hk_heap *hk_tl_heap __attribute__((tls_model("initial-exec"))) = &hk_heap_none;
__thread uint64_t hk_tl_cold __attribute__((tls_model("initial-exec")));
__thread int hk_tl_exited __attribute__((tls_model("initial-exec")));
uintptr_t hk_free_key;

/* Every heap made, and the metadata they are made of, under heaps_lock. */
static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hk_heap *all_heaps;
static pthread_key_t heap_key;

/*
 * A heap not in use waits on the slot of the CPU its last thread left on,
 * and a new thread adopts one left on its own CPU: that CPU's caches still
 * hold the lines the first malloc touches (the slot, the heap, its free list
 * and first block).  Here, when threads started one after another alternate
 * CPUs, that cuts a first malloc from ~680 cycles to ~400.  A slot keeps
 * its last heap for its CPU's next thread; other CPUs take only the ones
 * beyond it, so a CPU whose slot is empty makes a new heap rather than pull
 * one from under another CPU, and at most one heap per slot waits unused
 * because of it.  Unless that heap holds much (its thread left it 1 MiB of
 * blocks or more): then the new heap would grow as large while it waits,
 * and warm caches are not worth megabytes (four threads a round, 50 rounds,
 * bench_thread_churn: 5 heaps of ~7 MB; 4 heaps, peak RSS 45 -> 40 MB).
 */
#define HEAP_SLOTS 16u
static struct heap_slot {
	pthread_mutex_t lock;
	struct hk_heap *head, *tail; /* newest first, doubly linked: any heap leaves in O(1) */
	unsigned count;
} __attribute__((aligned(64))) slots[HEAP_SLOTS] = {
	[0 ... HEAP_SLOTS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER },
};

/* Metadata bump allocator, under heaps_lock.  Its chunks come from the
 * region, which the first allocation maps anyway: metadata costs no syscall
 * of its own. */
static char *meta_pos, *meta_end;

static void *meta_alloc_locked(size_t size)
{
	size = hk_align_up(size, 64);
	if (meta_end - meta_pos < (ptrdiff_t)size) {
		size_t len = hk_align_up(size, HK_CHUNK);
		char *p = hk_chunks_take(len, HK_PURPOSE_METADATA);
		if (!p)
			return NULL;
		meta_pos = p;
		meta_end = p + len;
	}
	void *p = meta_pos;
	meta_pos += size;
	return p;
}

void *hk_meta_alloc(size_t size)
{
	hk_lock(&heaps_lock);
	void *p = meta_alloc_locked(size);
	hk_unlock(&heaps_lock);
	return p;
}

static struct hk_heap *heap_new(void)
{
	hk_lock(&heaps_lock);
	struct hk_heap *h = meta_alloc_locked(sizeof(*h));
	if (h) {
		h->in_use = 1;
		h->next_all = all_heaps;
		all_heaps = h;
	}
	hk_unlock(&heaps_lock);
	return h;
}

static void slot_push_locked(struct heap_slot *s, struct hk_heap *h)
{
	h->in_use = 0;
	__atomic_store_n(&h->slot, (unsigned)(s - slots), __ATOMIC_RELAXED);
	h->prev_abandoned = NULL;
	h->next_abandoned = s->head;
	if (s->head)
		s->head->prev_abandoned = h;
	else
		s->tail = h;
	s->head = h;
	__atomic_store_n(&s->count, s->count + 1, __ATOMIC_RELAXED);
}

static void slot_remove_locked(struct heap_slot *s, struct hk_heap *h)
{
	if (h->prev_abandoned)
		h->prev_abandoned->next_abandoned = h->next_abandoned;
	else
		s->head = h->next_abandoned;
	if (h->next_abandoned)
		h->next_abandoned->prev_abandoned = h->prev_abandoned;
	else
		s->tail = h->prev_abandoned;
	__atomic_store_n(&s->count, s->count - 1, __ATOMIC_RELAXED);
	h->in_use = 1;
}

/* Whether the heap h, alone on another CPU's slot, stays there for that
 * CPU's next thread: unless it holds much. */
static int kept_locked(const struct heap_slot *s, const struct hk_heap *h)
{
	return s->count == 1 && !h->left_much;
}

/* A heap from slot s: for its own CPU the newest; for another CPU the
 * oldest (the coldest in s's CPU's caches), and not the one s keeps.
 * The count is peeked first, so that empty slots are read, never locked. */
static struct hk_heap *slot_take(struct heap_slot *s, int own)
{
	if (!__atomic_load_n(&s->count, __ATOMIC_RELAXED))
		return NULL;
	hk_lock(&s->lock);
	struct hk_heap *h = own ? s->head : s->tail;
	if (h && !own && kept_locked(s, h))
		h = NULL;
	if (h)
		slot_remove_locked(s, h);
	hk_unlock(&s->lock);
	return h;
}

/* h itself when it waits on a slot.  Its slot is read before the lock, so
 * it is checked again under it: h may have been adopted and left elsewhere. */
static struct hk_heap *take_preferred(struct hk_heap *h)
{
	struct heap_slot *s = &slots[__atomic_load_n(&h->slot, __ATOMIC_RELAXED)];
	hk_lock(&s->lock);
	int waiting = !h->in_use && &slots[h->slot] == s;
	if (waiting)
		slot_remove_locked(s, h);
	hk_unlock(&s->lock);
	return waiting ? h : NULL;
}

static struct hk_heap *heap_take(struct hk_heap *prefer, int *fresh)
{
	struct hk_heap *h = prefer ? take_preferred(prefer) : NULL;
	unsigned home = hk_os_cpu() % HEAP_SLOTS;
	if (!h)
		h = slot_take(&slots[home], 1);
	for (unsigned i = 1; !h && i < HEAP_SLOTS; i++)
		h = slot_take(&slots[(home + i) % HEAP_SLOTS], 0);
	*fresh = h == NULL;
	return h ? h : heap_new();
}

/*
 * The kernel tid of the heap's thread is only a probe argument (thread_init,
 * thread_exit, and remote_push's owner), and gettid() is a real syscall that
 * costs ~1 us here, most of a new thread's first malloc.  So it is taken only
 * while a tracer is attached to one of those probes, by the heap's own thread
 * (here and at its refills); 0 means "not known yet".
 */
static int tid_wanted(void)
{
	return HK_PROBE_ACTIVE(thread_init) || HK_PROBE_ACTIVE(thread_exit) ||
	       HK_PROBE_ACTIVE(remote_push);
}

long hk_heap_tid(struct hk_heap *h)
{
	long tid = __atomic_load_n(&h->tid, __ATOMIC_RELAXED);
	if (tid || !tid_wanted())
		return tid;
	tid = gettid();
	__atomic_store_n(&h->tid, tid, __ATOMIC_RELAXED); /* read by remote frees */
	return tid;
}

struct hk_heap *hk_heap_acquire(struct hk_heap *prefer)
{
	int fresh;
	struct hk_heap *h = heap_take(prefer, &fresh);
	if (!h)
		return NULL;
	__atomic_store_n(&h->tid, 0, __ATOMIC_RELAXED); /* a new thread: not known yet */
	hk_tl_heap = h;
	pthread_setspecific(heap_key, h);
	h->counters.thread_inits++;
	hk_probe_thread_init(hk_heap_tid(h));
	if (fresh)
		hk_pool_prewarm(h);
	return h;
}

static long free_blocks(const struct hk_heap *h)
{
	long n = 0;
	for (unsigned c = 0; c < HK_CLASSES; c++) {
		for (const struct hk_block *b = h->free[c]; b; b = b->next)
			n++;
		n += __atomic_load_n(&h->remote[c].depth, __ATOMIC_RELAXED);
	}
	return n;
}

void hk_heap_release(void *heap)
{
	struct hk_heap *h = heap;
	hk_remote_flush_all(h);
	hk_runs_stash_flush(h);
	h->left_much = hk_reclaim_leaving(h);
	long blocks = HK_PROBE_ACTIVE(thread_exit) ? free_blocks(h) : 0;
	hk_probe_thread_exit(hk_heap_tid(h), blocks);
	h->counters.thread_exits++;
	hk_tl_heap = &hk_heap_none;
	hk_tl_cold = 0;
	hk_tl_exited = 1;
	struct heap_slot *s = &slots[hk_os_cpu() % HEAP_SLOTS];
	pthread_mutex_lock(&s->lock);
	slot_push_locked(s, h);
	pthread_mutex_unlock(&s->lock);
}

void hk_heap_for_each(void (*fn)(struct hk_heap *, void *), void *arg)
{
	hk_lock(&heaps_lock);
	for (struct hk_heap *h = all_heaps; h; h = h->next_all)
		fn(h, arg);
	hk_unlock(&heaps_lock);
}

void hk_heap_global_init(void)
{
	pthread_key_create(&heap_key, hk_heap_release);
}

void hk_heap_atfork_prepare(void)
{
	pthread_mutex_lock(&heaps_lock);
	for (unsigned i = 0; i < HEAP_SLOTS; i++)
		pthread_mutex_lock(&slots[i].lock);
}

void hk_heap_atfork_parent(void)
{
	for (unsigned i = 0; i < HEAP_SLOTS; i++)
		pthread_mutex_unlock(&slots[i].lock);
	pthread_mutex_unlock(&heaps_lock);
}

/* In the child only the forking thread lives on.  The heaps waiting on the
 * slots were left whole by their last threads (slot_push_locked, under the
 * slot locks fork holds): they wait on.  A heap in use by another thread is
 * never adopted nor walked in the child: its thread changes it without
 * locks and may have been half-way when fork copied it (a reclaim with its
 * free blocks marked, half of them off its lists and on the thread's stack).
 * It stays in use, out of the slots, for good: the memory it holds is not
 * reused in the child, and the child's frees of its blocks go to its remote
 * queues (atomic pushes), which nobody drains.  Leaked, never handed out
 * twice.  Its counters may still be read (stats). */
void hk_heap_atfork_child(void)
{
	pthread_mutex_init(&heaps_lock, NULL);
	for (unsigned i = 0; i < HEAP_SLOTS; i++)
		pthread_mutex_init(&slots[i].lock, NULL);
	struct hk_heap *mine = hk_heap_current();
	if (mine)
		__atomic_store_n(&mine->tid, 0, __ATOMIC_RELAXED);
}
