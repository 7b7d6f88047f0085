/*
 * large.h — the Large tier (> 52 KiB): each block is its own 2 MiB aligned
 * mapping with a small header, and a small cache of recently freed spans
 * keeps alloc/free loops away from the kernel.
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
};

/* n bytes aligned to align (0 for the default), or NULL when out of memory.
 * *dirty (when not NULL) gets how many bytes from the returned pointer may
 * hold old data: calloc clears only those, the rest is known zero. */
void *hk_large_alloc(size_t n, size_t align, size_t *dirty);
/* For realloc moving a block up to n bytes: a reused span keeps its dirty
 * pages, since a buffer that grows will soon touch them again. */
void *hk_large_alloc_growing(size_t n);
void hk_large_free(struct hk_large *l);
/* Resize in place if the span allows it; 0 on success. */
int hk_large_resize(struct hk_large *l, size_t n);

static inline int hk_large_owns(const struct hk_large *l, const void *p)
{
	return l->user == (uintptr_t)p;
}

void hk_large_atfork_prepare(void);
void hk_large_atfork_release(void);

#endif
