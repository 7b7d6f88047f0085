/*
 * bitmap.h — bit arrays of uint64_t words: the region's chunks, a run
 * chunk's pages, a run stash's non-empty lists.  Ranges are [first,
 * first + n); the caller keeps them inside the array.
 */
#ifndef HK_BITMAP_H
#define HK_BITMAP_H

#include <stdint.h>

static inline int hk_bit(const uint64_t *map, unsigned i)
{
	return (int)((map[i / 64] >> (i % 64)) & 1);
}

/* n (1..64) bits from bit first (first + n <= 64) of a word. */
static inline uint64_t hk_word_mask(unsigned first, unsigned n)
{
	return (n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << first;
}

/* The bits of the range's first word, and how many bits of the range it holds. */
static inline uint64_t hk_range_head(unsigned first, unsigned n, unsigned *k)
{
	*k = 64 - first % 64 < n ? 64 - first % 64 : n;
	return hk_word_mask(first % 64, *k);
}

static inline void hk_bits_set(uint64_t *map, unsigned first, unsigned n, int on)
{
	for (unsigned k; n; first += k, n -= k) {
		uint64_t m = hk_range_head(first, n, &k);
		map[first / 64] = on ? map[first / 64] | m : map[first / 64] & ~m;
	}
}

static inline int hk_bits_any(const uint64_t *map, unsigned first, unsigned n)
{
	for (unsigned k; n; first += k, n -= k)
		if (map[first / 64] & hk_range_head(first, n, &k))
			return 1;
	return 0;
}

static inline unsigned hk_bits_count(const uint64_t *map, unsigned first, unsigned n)
{
	unsigned count = 0;
	for (unsigned k; n; first += k, n -= k)
		count += (unsigned)__builtin_popcountll(map[first / 64] & hk_range_head(first, n, &k));
	return count;
}

/* The first bit at or after i of an array of nbits (a multiple of 64) that
 * is want, or nbits. */
static inline unsigned hk_bits_next(const uint64_t *map, unsigned nbits, unsigned i, int want)
{
	while (i < nbits) {
		uint64_t w = (want ? map[i / 64] : ~map[i / 64]) >> (i % 64);
		if (w)
			return i + (unsigned)__builtin_ctzll(w);
		i = (i / 64 + 1) * 64;
	}
	return nbits;
}

#endif
