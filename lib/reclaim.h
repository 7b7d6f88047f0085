/*
 * reclaim.h — a heap's free small blocks for its other classes.  A thread
 * that frees what it allocated in some classes and then allocates in others
 * (a program parsing, then computing) would otherwise keep every block it
 * ever carved for its first class and map memory beside them.  Before a
 * small tier maps memory, when due, both tiers of the heap look for what
 * sits wholly free in its lists (tiny.c: slabs; pool.c: runs of blocks):
 * the asking tier carves it again for any class; the other one hands back
 * its wholly free superslabs or arenas, which any heap takes next
 * (chunks.h), and the pages of stretches free a while go to the OS.  A heap
 * also reclaims for the others' sake at its refills (reclaim.c).
 */
#ifndef HK_RECLAIM_H
#define HK_RECLAIM_H

#include "heap.h"

/* Whether h has carved another quarter (and 8 MiB) of small blocks since
 * it last reclaimed (as much again after one that walked many free blocks
 * and freed few of them): the walks cost as much as the lists are long. */
int hk_reclaim_due(const struct hk_heap *h);
/* Reclaim for tier (HK_TIER_TINY or HK_TIER_POOL), about to map memory. */
void hk_reclaim(struct hk_heap *h, int tier);
/* Whether h should reclaim, giving back, for other heaps' sake (reclaim.c);
 * asked at each refill, of class cls.  When it reads the clock it also lets
 * the large tier look for idle memory (hk_large_idle). */
int hk_reclaim_for_others_due(struct hk_heap *h, unsigned cls);
void hk_reclaim_for_others(struct hk_heap *h);
/* The large tier is about to map a chunk for runs: the calling thread's
 * heap gives back what it holds wholly free, when due (reclaim.c). */
void hk_reclaim_before_runs(void);
/* Reclaim, and both tiers give back all that is wholly free now
 * (hakmem_flush, malloc_trim). */
void hk_reclaim_all(struct hk_heap *h);
/* h's thread exits (heap.c): if h holds much, what sits wholly free goes
 * back for any heap, the superslab and arena it carves included.  Returns
 * whether it still holds much. */
int hk_reclaim_leaving(struct hk_heap *h);

/* What a tier's walk gives back to the OS of what is wholly free. */
enum hk_give_back {
	HK_KEEP, /* nothing: the tier itself is about to carve */
	HK_GIVE_AGED, /* wholly free superslabs and arenas; stretch pages free HAKMEM_LARGE_PURGE_MS */
	HK_GIVE_WHOLE, /* the same, for other heaps: empty slabs of superslabs in use stay as they are */
	HK_GIVE_ALL,
	HK_GIVE_LEAVING, /* HK_GIVE_WHOLE, and the slabs, superslab and arena it carves when wholly free */
	HK_GIVE_CARVING, /* pool only: HK_GIVE_WHOLE, and the arena it carves when wholly free */
};

/* The tiers' own walks: free blocks of whole slabs (runs) leave the lists
 * for any class, and give back as asked.  They return how many free blocks
 * they walked; the pool's also counts, in *next_walk, what its next walk
 * would visit at most (the blocks left in its lists, the pieces of the
 * arenas it kept: it skips those none of whose blocks was freed since). */
size_t hk_tiny_reclaim(struct hk_heap *h, enum hk_give_back give);
size_t hk_pool_reclaim(struct hk_heap *h, enum hk_give_back give, size_t *next_walk);

#endif
