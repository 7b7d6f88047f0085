/*
 * hakmem.h — the public API beyond the standard malloc family: version,
 * ground-truth counters and pointer introspection.  The malloc family itself
 * is declared by <stdlib.h> and <malloc.h>; link with -lhakmem or preload
 * libhakmem.so to get hakmem's definitions.
 */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HAKMEM_VERSION_MAJOR 0
#define HAKMEM_VERSION_MINOR 1
#define HAKMEM_VERSION_PATCH 0
#define HAKMEM_VERSION_STRING "0.1.0"

const char *hakmem_version(void);

/* Tier indices used by the per-tier counters (same as the probes' tier). */
#define HAKMEM_TIERS 3 /* 0 tiny, 1 pool, 2 large */
#define HAKMEM_PURPOSES 5 /* 0 superslab, 1 arena, 2 large, 3 metadata, 4 region */

/*
 * Every counter the probes also report, summed over all threads (live and
 * exited).  These are the ground truth the tools are tested against.
 */
struct hakmem_stats {
	uint64_t refills[HAKMEM_TIERS];
	uint64_t refill_blocks[HAKMEM_TIERS];
	uint64_t drains[HAKMEM_TIERS];
	uint64_t drained_blocks[HAKMEM_TIERS];
	uint64_t remote_frees[HAKMEM_TIERS]; /* blocks freed by a thread not owning them */
	uint64_t remote_pushes[HAKMEM_TIERS]; /* chains of them queued (remote_push hits) */
	uint64_t cold_starts[HAKMEM_TIERS];
	uint64_t arena_grows; /* pool arenas heaps took, and chunks the large tier took for runs */
	uint64_t arena_bytes; /* all pool arenas now */
	uint64_t arena_releases; /* pool arenas heaps found wholly free and handed back */
	uint64_t thread_inits;
	uint64_t thread_exits;
	uint64_t os_map_calls[HAKMEM_PURPOSES];
	uint64_t os_map_bytes[HAKMEM_PURPOSES];
	uint64_t os_unmap_calls[HAKMEM_PURPOSES];
	uint64_t os_unmap_bytes[HAKMEM_PURPOSES];
	uint64_t os_advise_calls[HAKMEM_PURPOSES];
	uint64_t os_advise_bytes[HAKMEM_PURPOSES];
	uint64_t large_cache_hits;
	uint64_t large_cache_misses;
	uint64_t reclaims; /* walks of a heap's free lists for what sits wholly free */
	uint64_t reclaim_blocks; /* free blocks they visited */
	uint64_t reclaim_ms; /* time they took (coarse clock) */
};

/* Fill *out with the current totals. */
void hakmem_stats_get(struct hakmem_stats *out);

/* Write the HAKMEM_STATS table to fd, or the HAKMEM_STATS_FILE JSON object. */
void hakmem_stats_print(int fd);
int hakmem_stats_write_json(const char *path);

/* What hakmem knows about a pointer it handed out. */
struct hakmem_ptr_info {
	int tier; /* 0 tiny, 1 pool, 2 large */
	int size_class; /* class index within hakmem's table; -1 for large */
	size_t usable; /* malloc_usable_size */
	size_t stride; /* distance between neighbouring blocks of the class */
	uintptr_t region; /* start of the slab (tiny), arena (pool) or span (large) */
	size_t offset; /* block start - region; a multiple of stride for tiny */
	uint64_t owner; /* opaque id of the owning heap; 0 for large */
};

/* 0 and *out filled when p is a live or free block hakmem handed out;
 * -1 when hakmem does not know p. */
int hakmem_ptr_info(const void *p, struct hakmem_ptr_info *out);

/*
 * Hand the calling thread's pending remote frees to their owners now.  Blocks
 * freed by a thread that does not own them are queued to the owner in chains
 * of up to 32 blocks or 8 KiB per owner and class; a chain is pushed when
 * full, when the thread refills a class, and when it exits.  Likewise the
 * last few large blocks (up to 1 MiB) a thread freed wait for its next large
 * mallocs until it exits, free large-block pages past the budget wait
 * HAKMEM_LARGE_PURGE_MS before they go back to the OS, and the small blocks
 * of the calling thread's heap go back only when that heap needs memory in
 * another tier; this hands them back now (tiny superslabs and pool pages
 * whose blocks are all free).  The other threads' heaps, theirs alone to
 * walk, hand back what is wholly free at their next refills (unless they
 * are taking back blocks freed to them then), and when their thread exits
 * (if it carved 1 MiB or more and refilled since).  Call this where a thread
 * that freed other threads' blocks, or many blocks, goes idle for long.
 * malloc_trim() does the same.
 */
void hakmem_flush(void);

/* Opaque id of the calling thread's heap (0 before its first allocation). */
uint64_t hakmem_heap_id(void);

/*
 * Census of the calling thread's heap, per size class: blocks carved from
 * slabs/arenas, blocks sitting in the thread's free lists and blocks waiting
 * in its remote queues.  carved - free_local - remote_pending == live blocks
 * of that class owned by this heap, counting as live the blocks other
 * threads freed but still hold in their batches (see hakmem_flush).  Walking the lists also validates every
 * entry (class, stride offset, owner); a corrupt list aborts.
 */
#define HAKMEM_MAX_CLASSES 64
struct hakmem_census {
	int classes; /* number of small classes (tiny + pool) */
	int tiny_classes; /* classes [0, tiny_classes) are tiny */
	size_t class_size[HAKMEM_MAX_CLASSES];
	uint64_t carved[HAKMEM_MAX_CLASSES];
	uint64_t free_local[HAKMEM_MAX_CLASSES];
	uint64_t remote_pending[HAKMEM_MAX_CLASSES];
};
void hakmem_census(struct hakmem_census *out);

#ifdef __cplusplus
}
#endif
#endif
