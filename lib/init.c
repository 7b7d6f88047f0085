/*
 * init.c — process-wide set-up and tear-down: knobs, class tables, the free
 * key, fork handlers and the stats report at exit.  malloc may run before
 * any constructor (the loader and libc allocate early), so the first slow
 * path initialises too.
 */
#include <pthread.h>
#include <time.h>
#include "api.h"
#include "config.h"
#include "heap.h"
#include "chunks.h"
#include "large.h"
#include "lock.h"
#include "pool.h"
#include "region.h"
#include "runs.h"
#include "segment.h"
#include "stats.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Unpredictable enough to tell a freed block from user data: the clock and
 * the addresses ASLR chose. */
static uint64_t seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t local = 0;
	return mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)&local ^
		     ((uintptr_t)&seed << 16));
}

static void init_once(void)
{
	hk_size_class_init();
	hk_config_load();
	uint64_t s = seed();
	hk_free_key = (uintptr_t)(mix64(s) | 1);
	hk_pool_secret = (uint32_t)(mix64(s + 1) >> 32);
	hk_heap_global_init();
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}

void hk_init(void)
{
	if (__builtin_expect(!__atomic_load_n(&ready, __ATOMIC_ACQUIRE), 0))
		pthread_once(&once, init_once);
}

__thread int hk_tl_fork_holds __attribute__((tls_model("initial-exec")));

/* Between fork_prepare and fork_parent or fork_child, the forking thread
 * takes none of the locks it holds (lock.h): other libraries' fork
 * handlers that run then may allocate and free. */
static void fork_prepare(void)
{
	hk_heap_atfork_prepare();
	/* runs takes the span cache's lock (hk_chunks_take), the registry's and
	 * the region's under its own */
	hk_runs_atfork_prepare();
	hk_large_atfork_prepare();
	hk_chunks_atfork_prepare();
	hk_registry_atfork_prepare();
	hk_region_atfork_prepare(); /* innermost: taken under the heap lock */
	hk_tl_fork_holds = 1;
}

/* The locks fork_prepare took, except the heaps' (parent and child differ there). */
static void fork_release(void)
{
	hk_tl_fork_holds = 0;
	hk_region_atfork_release();
	hk_registry_atfork_release();
	hk_chunks_atfork_release();
	hk_large_atfork_release();
	hk_runs_atfork_release();
}

static void fork_parent(void)
{
	fork_release();
	hk_heap_atfork_parent();
}

static void fork_child(void)
{
	fork_release();
	hk_heap_atfork_child();
	hk_stats_atfork_child();
}

__attribute__((constructor)) static void hk_constructor(void)
{
	hk_init();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

__attribute__((destructor)) static void hk_destructor(void)
{
	hk_stats_at_exit();
}
