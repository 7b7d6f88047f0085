/*
 * config.h — the HAKMEM_* environment knobs, read once at initialisation
 * (never on a fast path).  A bad value gets a one-line warning and the default.
 */
#ifndef HK_CONFIG_H
#define HK_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "size_class.h"

struct hk_config {
	int stats; /* HAKMEM_STATS */
	char stats_file[512]; /* HAKMEM_STATS_FILE, "" when unset */
	size_t arena_init; /* HAKMEM_POOL_TLS_ARENA_MB_INIT, bytes */
	size_t arena_max; /* HAKMEM_POOL_TLS_ARENA_MB_MAX, bytes */
	unsigned growth_levels; /* HAKMEM_POOL_TLS_ARENA_GROWTH_LEVELS */
	unsigned prewarm[HK_POOL_CLASSES]; /* HAKMEM_POOL_TLS_PREWARM, blocks per pool class */
	int prewarm_on;
	size_t large_cache; /* HAKMEM_LARGE_CACHE_MB, bytes */
	unsigned large_purge_ms; /* HAKMEM_LARGE_PURGE_MS */
	unsigned large_idle_ms; /* HAKMEM_LARGE_IDLE_MS; 0: never */
	size_t large_huge; /* HAKMEM_LARGE_HUGE_MB, bytes; 0: no huge pages */
};

extern struct hk_config hk_config __attribute__((visibility("hidden")));

void hk_config_load(void);

/* Bytes of freed large blocks a tier keeps resident for reuse:
 * HAKMEM_LARGE_CACHE_MB, or its share of the bytes it has in use when that
 * is more (runs: a quarter; spans: as much again, see large.c), so that a
 * program turning over hundreds of megabytes of large blocks does not fault
 * most of each one in afresh. */
static inline size_t hk_large_keep(size_t share)
{
	return share > hk_config.large_cache ? share : hk_config.large_cache;
}

/* Whether what has been free (or past a budget) since that hk_os_now_ms()
 * has waited HAKMEM_LARGE_PURGE_MS by now: then it goes back to the OS. */
static inline int hk_waited(uint64_t since, uint64_t now)
{
	return now - since >= hk_config.large_purge_ms;
}

/* Freed memory past a tier's budget goes back once it has been past it for
 * HAKMEM_LARGE_PURGE_MS (runs.c, large.c).  *since is when it went past, 0
 * while within; atomic, as runs.c keeps it under any arena's lock. */
static inline int hk_purge_due(uint64_t *since, uint64_t now)
{
	uint64_t s = __atomic_load_n(since, __ATOMIC_RELAXED);
	if (!s)
		__atomic_store_n(since, s = now, __ATOMIC_RELAXED);
	return hk_waited(s, now);
}

/* Whether a tier should look now for memory nothing has asked for in
 * HAKMEM_LARGE_IDLE_MS (never when that is 0), which goes back within the
 * budget too: a program that stopped using large blocks (Python parsing JSON
 * into pymalloc's own mappings) does not keep what it freed.  One look a
 * millisecond at most among all threads; *checked: when the last was. */
static inline int hk_idle_check_due(uint64_t *checked, uint64_t now)
{
	uint64_t last = __atomic_load_n(checked, __ATOMIC_RELAXED);
	return hk_config.large_idle_ms && now >= hk_config.large_idle_ms && now != last &&
	       __atomic_compare_exchange_n(checked, &last, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Within the budget again (or just purged): the next excess waits anew.
 * Read first: most frees find it 0, and need not write a shared line. */
static inline void hk_purge_reset(uint64_t *since)
{
	if (__atomic_load_n(since, __ATOMIC_RELAXED))
		__atomic_store_n(since, 0, __ATOMIC_RELAXED);
}

#endif
