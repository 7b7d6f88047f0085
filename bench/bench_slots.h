/*
 * bench_slots.h — the slot-replacement churn shared by random_mixed,
 * mid_large_mt and larson: a working set of slots, each cycle replaces the
 * block in a random slot with a new block of a random size.
 */
#ifndef BENCH_SLOTS_H
#define BENCH_SLOTS_H

#include "bench_common.h"

struct slot {
	void *p;
	size_t size;
};

struct slot_set {
	struct slot *slots;
	uint64_t n;
	size_t min, max; /* block sizes, uniform in [min, max] */
};

static inline struct slot_set slots_make(uint64_t n, size_t min, size_t max)
{
	struct slot_set set = { .slots = calloc(n, sizeof(struct slot)), .n = n, .min = min, .max = max };
	if (!set.slots) {
		fprintf(stderr, "error: cannot allocate %" PRIu64 " slots\n", n);
		exit(1);
	}
	return set;
}

/* cycles replacements; each checks and frees the slot's old block (if any)
 * and allocates and stamps a new one.  Returns the checksum of the reads. */
static inline uint64_t slots_churn(struct slot_set *set, uint64_t cycles, struct rng *r)
{
	uint64_t sum = 0;
	for (uint64_t i = 0; i < cycles; i++) {
		struct slot *s = &set->slots[rng_range(r, 0, set->n - 1)];
		if (s->p) {
			sum += block_read(s->p, s->size);
			free(s->p);
		}
		s->size = rng_range(r, set->min, set->max);
		s->p = bench_malloc(s->size);
		block_stamp(s->p, s->size, i);
	}
	return sum;
}

/* Check and free every block, then the slot array itself. */
static inline uint64_t slots_destroy(struct slot_set *set)
{
	uint64_t sum = 0;
	for (uint64_t i = 0; i < set->n; i++) {
		if (!set->slots[i].p)
			continue;
		sum += block_read(set->slots[i].p, set->slots[i].size);
		free(set->slots[i].p);
	}
	free(set->slots);
	set->slots = NULL;
	return sum;
}

#endif
