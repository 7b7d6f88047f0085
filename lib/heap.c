/* heap.c — heap creation, adoption and hand-over (see heap.h). */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "heap.h"
#include "os.h"
#include "pool.h"
#include "region.h"
#include "remote.h"
#include "runs.h"
#include "stats.h"

struct hk_heap hk_heap_none; /* never written: nothing owns or refills it */
__thread struct hk_heap *hk_tl_heap __attribute__((tls_model("initial-exec"))) = &hk_heap_none;
__thread uint64_t hk_tl_cold __attribute__((tls_model("initial-exec")));
uintptr_t hk_free_key;

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hk_heap *all_heaps;
static struct hk_heap *abandoned;
static pthread_key_t heap_key;

/* Metadata bump allocator, under heap_lock.  Its chunks come from the
 * region, which the first allocation maps anyway: metadata costs no syscall
 * of its own. */
static char *meta_pos, *meta_end;

static void *meta_alloc_locked(size_t size)
{
	size = hk_align_up(size, 64);
	if (meta_end - meta_pos < (ptrdiff_t)size) {
		size_t len = hk_align_up(size, HK_CHUNK);
		char *p = hk_region_take(len, HK_CHUNK, HK_PURPOSE_METADATA);
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
	pthread_mutex_lock(&heap_lock);
	void *p = meta_alloc_locked(size);
	pthread_mutex_unlock(&heap_lock);
	return p;
}

static struct hk_heap *heap_new_locked(void)
{
	struct hk_heap *h = meta_alloc_locked(sizeof(*h));
	if (!h)
		return NULL;
	h->next_all = all_heaps;
	all_heaps = h;
	return h;
}

/* Every heap not in use is on the abandoned list, newest first. */
static void abandon_locked(struct hk_heap *h)
{
	h->in_use = 0;
	h->prev_abandoned = NULL;
	h->next_abandoned = abandoned;
	if (abandoned)
		abandoned->prev_abandoned = h;
	abandoned = h;
}

static void unabandon_locked(struct hk_heap *h)
{
	if (h->prev_abandoned)
		h->prev_abandoned->next_abandoned = h->next_abandoned;
	else
		abandoned = h->next_abandoned;
	if (h->next_abandoned)
		h->next_abandoned->prev_abandoned = h->prev_abandoned;
}

static struct hk_heap *heap_take_locked(struct hk_heap *prefer, int *fresh)
{
	struct hk_heap *h = prefer && !prefer->in_use ? prefer : abandoned;
	*fresh = h == NULL;
	if (!h)
		return heap_new_locked();
	unabandon_locked(h);
	return h;
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
	pthread_mutex_lock(&heap_lock);
	struct hk_heap *h = heap_take_locked(prefer, &fresh);
	if (h)
		h->in_use = 1;
	pthread_mutex_unlock(&heap_lock);
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
	long blocks = HK_PROBE_ACTIVE(thread_exit) ? free_blocks(h) : 0;
	hk_probe_thread_exit(hk_heap_tid(h), blocks);
	h->counters.thread_exits++;
	hk_tl_heap = &hk_heap_none;
	hk_tl_cold = 0;
	pthread_mutex_lock(&heap_lock);
	abandon_locked(h);
	pthread_mutex_unlock(&heap_lock);
}

void hk_heap_for_each(void (*fn)(struct hk_heap *, void *), void *arg)
{
	pthread_mutex_lock(&heap_lock);
	for (struct hk_heap *h = all_heaps; h; h = h->next_all)
		fn(h, arg);
	pthread_mutex_unlock(&heap_lock);
}

void hk_heap_global_init(void)
{
	pthread_key_create(&heap_key, hk_heap_release);
}

void hk_heap_atfork_prepare(void)
{
	pthread_mutex_lock(&heap_lock);
}

void hk_heap_atfork_parent(void)
{
	pthread_mutex_unlock(&heap_lock);
}

/* In the child only the forking thread lives on: every other heap in use
 * belonged to a thread that no longer exists, so it is handed over. */
void hk_heap_atfork_child(void)
{
	pthread_mutex_init(&heap_lock, NULL);
	struct hk_heap *mine = hk_heap_current();
	for (struct hk_heap *h = all_heaps; h; h = h->next_all) {
		if (!h->in_use || h == mine)
			continue;
		abandon_locked(h);
	}
	if (mine)
		__atomic_store_n(&mine->tid, 0, __ATOMIC_RELAXED);
}
