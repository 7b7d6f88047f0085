/*
 * large.h — the Large tier (> 52 KiB): blocks up to 1 MiB are runs of pages
 * in shared chunks (runs.h); a larger one gets a span of whole 2 MiB chunks
 * of its own, behind a small header.  Freed spans wait in a cache that cuts
 * them to fit smaller blocks and joins neighbours for larger ones, which
 * keeps alloc/free loops away from the kernel and its page faults.
 */
#ifndef HK_LARGE_H
#define HK_LARGE_H

#include <stddef.h>
#include "segment.h"

struct hk_large {
	struct hk_segment seg; /* seg.size: bytes mapped */
	uintptr_t user; /* the pointer handed out */
	size_t usable;
	size_t dirty; /* bytes from the span start that may be non-zero (touched) */
	size_t charged; /* dirty bytes beyond the block counted in the slack budget */
	int huge; /* in address space for transparent huge pages (region.h) */
};

/* n bytes aligned to align (0 for the default), or NULL when out of memory.
 * *dirty (when not NULL) gets how many bytes from the returned pointer may
 * hold old data: calloc clears only those, the rest is known zero.  Such a
 * block (calloc's: sparse tables) never gets huge pages. */
void *hk_large_alloc(size_t n, size_t align, size_t *dirty);
/* For realloc moving a block up to n bytes: a reused span keeps its dirty
 * pages, since a buffer that grows will soon touch them again. */
void *hk_large_alloc_growing(size_t n);

/* A large block lives in a span (HK_SEG_LARGE, this file) or in a run chunk
 * (HK_SEG_RUNS, runs.h); callers ask the tier, which tells them apart. */
static inline int hk_segment_is_large(const struct hk_segment *s)
{
	return hk_segment_kind(s) == HK_SEG_LARGE || hk_segment_kind(s) == HK_SEG_RUNS;
}
/* Usable bytes of the live large block p in s (a page at least), or 0 when p is none. */
size_t hk_large_usable(const struct hk_segment *s, const void *p);
/* Free the large block p in s; aborts naming func when p is not a live one. */
void hk_large_dealloc(struct hk_segment *s, void *p, const char *func);
/* Resize the live large block p in s to n bytes without moving it; 0 on success. */
int hk_large_resize(struct hk_segment *s, void *p, size_t n);

/* size bytes (rounded up to whole chunks, chunk aligned, zero-filled) cut
 * from a cached span for another tier, or NULL when none is that large:
 * memory a program freed as large blocks then serves what it allocates
 * next, instead of staying resident beside fresh chunks. */
void *hk_large_lend(size_t size);

/* Spans cached for HAKMEM_LARGE_IDLE_MS go back, within the budget too, and
 * so do the free pages of idle run arenas and the chunks that have waited
 * their time idle (chunks.h): a program that stopped using large blocks
 * (Python parsing JSON into pymalloc's own mappings) does not keep what it
 * freed.  One look a millisecond at most (config.h); now: ms.
 * Called at every span free, and at small-tier refills (reclaim.c), since
 * a program that now asks for small blocks alone makes no large-tier call. */
void hk_large_idle(uint64_t now);

/* Give back the cached spans past the budget now, not after
 * HAKMEM_LARGE_PURGE_MS (hakmem_flush); all: every cached span
 * (malloc_trim). */
void hk_large_purge(int all);

void hk_large_atfork_prepare(void);
void hk_large_atfork_release(void);

#endif
