/*
 * runs.h — large blocks up to HK_RUN_MAX as runs of whole pages, packed into
 * shared 2 MiB chunks (the rest of the Large tier, large.h, gives a block
 * chunks of its own).  A 100 KB block then costs 100 KB of address space and
 * its share of one page table, not a 2 MiB chunk and a page table each, and
 * the pages a freed run leaves resident serve the next block of any size.
 * One lock guards all chunks; each thread keeps the last runs it freed for
 * its next large mallocs (run_stash.c), so that most of them skip the lock.
 */
#ifndef HK_RUNS_H
#define HK_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include "os.h"
#include "segment.h"

/* Blocks above this get a span of their own: a run of more than half a
 * chunk would strand the rest, and realloc grows a span in place. */
#define HK_RUN_MAX ((size_t)1 << 20)

/* Pages a run of n bytes takes: one at least. */
static inline unsigned hk_run_pages(size_t n)
{
	return n ? (unsigned)(hk_align_up(n, HK_PAGE) / HK_PAGE) : 1;
}

/* Whether a run can hold n bytes aligned to align (a power of two): a chunk
 * (its header page aside) holds the run plus the pages skipped to align it. */
static inline int hk_runs_fit(size_t n, size_t align)
{
	size_t skip = align > HK_PAGE ? align / HK_PAGE - 1 : 0;
	return n <= HK_RUN_MAX && hk_run_pages(n) + skip < HK_CHUNK / HK_PAGE;
}

/* n bytes aligned to align (hk_runs_fit), page aligned at least, or NULL
 * when out of memory; *dirty (when not NULL) gets how many of its bytes may
 * hold old data. */
void *hk_runs_alloc(size_t n, size_t align, size_t *dirty);
/* Free the run at p in chunk s; aborts naming func on a pointer that is not a live run. */
void hk_runs_free(struct hk_segment *s, void *p, const char *func);
/* Usable bytes of the run at p, or 0 when p is not a live run. */
size_t hk_runs_usable(const struct hk_segment *s, const void *p);
/* The same, 0 for a run freed into a thread's stash (run_stash.c): realloc
 * and malloc_usable_size of it are a use after free. */
size_t hk_runs_live_usable(const struct hk_segment *s, const void *p);
/* Resize the run at p to n bytes without moving it; 0 on success. */
int hk_runs_resize(struct hk_segment *s, void *p, size_t n);

/* Hand the chunks holding no run to the idle ones (chunks.h), for another
 * tier about to take fresh memory; returns how many. */
size_t hk_runs_give_empty(void);

/* Return the free pages past the budget now, not once the excess has
 * lasted HAKMEM_LARGE_PURGE_MS (hakmem_flush); all: every free page
 * (malloc_trim). */
void hk_runs_purge(int all);
/* The free pages of arenas no run came from or went to for
 * HAKMEM_LARGE_IDLE_MS before now (hk_os_now_ms()) go back. */
void hk_runs_decay(uint64_t now);

struct hk_heap;
/* Give h's stashed runs back to the chunks (thread exit, hakmem_flush). */
void hk_runs_stash_flush(struct hk_heap *h);

/* Abort naming func unless every binned chunk's longest free run is what
 * its bin and its bitmap say (hakmem_census, for tests and fuzzing). */
void hk_runs_check(const char *func);

void hk_runs_atfork_prepare(void);
void hk_runs_atfork_release(void);

/* The chunks themselves (runs.c), under their lock; the entry points above
 * (run_stash.c) try the calling thread's stash first. */
void *hk_run_chunks_alloc(unsigned pages, unsigned align_pages, size_t *dirty);
void hk_run_chunks_free(struct hk_segment *s, void *p, const char *func);

#endif
