/*
 * A large block in a span of its own (over 1 MiB) sits behind a 64-byte
 * header, so a request within a page of a chunk multiple ends within a page
 * of the span's end.  What malloc_usable_size reports must stop there: the
 * program may write all of it, and hakmem marks it dirty and, when the span
 * is reused for a smaller block, madvises the slack past the new block up
 * to that mark.  Rounding it up to a page ran 64 bytes into the next span:
 * mimalloc-bench's malloc-large pattern (20 slots of 5-25 MiB) had that
 * madvise zero the next span's header, and its free aborted as "invalid
 * pointer" after 471 replacements.  Both cases below fail on that code.
 */
#include "hk_test.h"

static struct hakmem_ptr_info info(void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "hakmem_ptr_info(%p) failed", p);
	return in;
}

/* Blocks ending in a span's last page: usable stays inside the span, and
 * writing all of it leaves a neighbour allocated next intact. */
static void usable_within_span(void)
{
	static const size_t tails[] = {64, 65, 100, 2048, 4095, 4096 + 63};
	static const size_t aligns[] = {0, 4096, 8192, 1u << 20};
	for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++)
		for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
			size_t n = (4u << 20) - tails[t];
			void *p = aligns[a] ? memalign(aligns[a], n) : malloc(n);
			void *next = malloc(3u << 20);
			HK_CHECK(p && next, "malloc(%zu) align %zu", n, aligns[a]);
			struct hakmem_ptr_info in = info(p);
			size_t usable = malloc_usable_size(p);
			HK_CHECK(usable >= n && in.offset + usable <= in.stride,
				 "malloc(%zu) align %zu: usable %zu at offset %zu of a %zu-byte span", n, aligns[a],
				 usable, (size_t)in.offset, (size_t)in.stride);
			hk_fill(next, 4096, 3);
			memset(p, 0xa5, usable);
			HK_CHECK_PATTERN(next, 4096, 3, "the block allocated after one filled to its usable size");
			free(next);
			free(p);
		}
	hk_pass("usable size of a span's block ends at the span's end, whatever the alignment");
}

/* mimalloc-bench's malloc-large: 20 slots, blocks of 5-25 MiB replaced at
 * random, each touched at both ends.  With this generator (xorshift64,
 * seed 42) the 421st block asks for 12 MiB less 2455 bytes; on the old
 * rounding its span's dirty mark went 64 bytes past its end, the span's
 * reuse for a smaller block madvised that far, into the next span's
 * header, and the 472nd replacement's free aborted.  Run first, so that
 * the sequence is the one that did. */
static void malloc_large(void)
{
	void *slot[20] = {0};
	uint64_t s = 42;
	for (int i = 0; i < 2000; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		int k = (int)(s % 20);
		size_t n = (5u << 20) + (size_t)((s >> 8) % (20u << 20));
		free(slot[k]);
		slot[k] = malloc(n);
		HK_CHECK(slot[k] != NULL, "malloc(%zu)", n);
		((char *)slot[k])[0] = 1;
		((char *)slot[k])[n - 1] = 1;
	}
	for (int k = 0; k < 20; k++)
		free(slot[k]);
	hk_pass("2000 replacements of 5-25 MiB blocks in 20 slots");
}

static uint64_t regions_mapped(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.os_map_calls[4]; /* purpose 4: region */
}

/* Freed spans side by side are joined for a larger block, but never across
 * two reservations that happen to be side by side (the next one's hint
 * follows the last): each goes back to its own.  Blocks of 1.5 MB take a
 * chunk each, so they fill the first reservation to its last chunk, and the
 * first one after the next reservation starts that.  Freed, the two wait
 * side by side in the span cache; a block of two chunks must not get both.
 * Run first: nothing is cached yet. */
static void no_join_across_regions(void)
{
	static void *p[512];
	free(malloc(16)); /* the first reservation is made by the first malloc */
	uint64_t maps0 = regions_mapped();
	int n = 0;
	while (n < 512 && regions_mapped() == maps0) {
		p[n] = malloc(1500000);
		HK_CHECK(p[n] != NULL, "malloc(1.5 MB)");
		n++;
	}
	HK_CHECK(n >= 2 && n < 512, "%d blocks of 1.5 MB, and no second reservation", n);
	struct hakmem_ptr_info last = info(p[n - 2]), first = info(p[n - 1]);
	int side_by_side = last.region + last.stride == first.region;
	if (side_by_side) {
		free(p[n - 2]);
		free(p[n - 1]);
		p[n - 2] = malloc(3u << 20); /* two chunks */
		p[n - 1] = NULL;
		HK_CHECK(p[n - 2] != NULL && info(p[n - 2]).region != last.region,
			 "malloc(3 MiB) joined the last span of a reservation (%#lx) and the first of the next (%#lx)",
			 (unsigned long)last.region, (unsigned long)first.region);
	}
	for (int i = 0; i < n; i++)
		free(p[i]);
	hk_pass(side_by_side ? "the last span of a reservation and the first of the next are not joined"
			     : "(skipped: the next reservation is not side by side) spans of two reservations");
}

int main(void)
{
	hk_test_begin("test_span_bounds", "a span's block never reaches past the span");
	no_join_across_regions();
	malloc_large();
	usable_within_span();
	return 0;
}
