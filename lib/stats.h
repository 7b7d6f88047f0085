/*
 * stats.h — the ground-truth counters (HAKMEM_STATS, HAKMEM_STATS_FILE).
 * Per-heap counters live in struct hk_heap and are summed on demand; the few
 * events that have no heap at hand are counted here with atomics.  Every
 * counter sits beside the probe that reports the same event.
 */
#ifndef HK_STATS_H
#define HK_STATS_H

#include "hakmem.h"

void hk_stats_large_cache(int hit);
/* The large tier took a chunk for runs: an arena growth with no heap. */
void hk_stats_run_grow(void);
/* A block a thread without a heap pushed alone to its owner (remote.c). */
void hk_stats_heapless_push(int tier);
/* In a forked child: start from zero, so each process reports its own events. */
void hk_stats_atfork_child(void);
/* Print / write at exit, as configured. */
void hk_stats_at_exit(void);

#endif
