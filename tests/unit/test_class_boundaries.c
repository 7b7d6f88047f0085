/*
 * Every size-class boundary (n-1, n, n+1 for each tiny/pool class from
 * hakmem_census), the tiny/pool/large edges and a few large sizes: many live
 * blocks of each size, every byte written, usable size >= n, the block lands
 * in the tier the spec names and in the smallest class that fits, and no two
 * live blocks overlap (each keeps its own pattern while the others are live).
 */
#include "hk_test.h"

#define PER_SIZE 48

static struct hakmem_census census;

static void check_placement(void *p, size_t n)
{
	struct hakmem_ptr_info info;
	HK_CHECK(hakmem_ptr_info(p, &info) == 0, "hakmem_ptr_info(%p) for malloc(%zu) says unknown", p, n);
	HK_CHECK(info.tier == hk_tier_of_size(n), "malloc(%zu): tier %d, expected %d", n, info.tier,
		 hk_tier_of_size(n));
	HK_CHECK(info.usable >= n, "malloc(%zu): ptr_info usable %zu", n, info.usable);
	if (info.tier == 2)
		return;
	int c = info.size_class;
	HK_CHECK(c >= 0 && c < census.classes, "malloc(%zu): class %d out of [0,%d)", n, c, census.classes);
	HK_CHECK(census.class_size[c] >= n, "malloc(%zu): class %d holds only %zu", n, c, census.class_size[c]);
	HK_CHECK(c == 0 || census.class_size[c - 1] < n, "malloc(%zu): class %d (%zu) but class %d (%zu) fits",
		 n, c, census.class_size[c], c - 1, census.class_size[c - 1]);
	HK_CHECK((c < census.tiny_classes) == (info.tier == 0), "malloc(%zu): class %d vs tier %d mismatch", n,
		 c, info.tier);
}

/* Every byte malloc_usable_size reports is the caller's to write: the
 * patterns fill it whole. */
static void exercise_size(size_t n, int count)
{
	void *blocks[PER_SIZE];
	size_t usable[PER_SIZE];
	for (int i = 0; i < count; i++) {
		blocks[i] = malloc(n);
		hk_touch_all(blocks[i], n, "boundary");
		check_placement(blocks[i], n);
		usable[i] = malloc_usable_size(blocks[i]);
		hk_fill(blocks[i], usable[i], (uint64_t)n * 1000 + (uint64_t)i);
	}
	for (int i = 0; i < count; i++)
		HK_CHECK_PATTERN(blocks[i], usable[i], (uint64_t)n * 1000 + (uint64_t)i, "overlap check");
	for (int i = 0; i < count; i++)
		free(blocks[i]);
}

static void check_class_table(void)
{
	HK_CHECK(census.classes > 0 && census.classes <= HAKMEM_MAX_CLASSES, "census.classes=%d", census.classes);
	HK_CHECK(census.tiny_classes > 0 && census.tiny_classes < census.classes, "census.tiny_classes=%d",
		 census.tiny_classes);
	for (int c = 1; c < census.classes; c++)
		HK_CHECK(census.class_size[c] > census.class_size[c - 1], "class sizes not increasing at %d", c);
	HK_CHECK(census.class_size[census.tiny_classes - 1] == HK_TINY_MAX, "last tiny class is %zu, not %u",
		 census.class_size[census.tiny_classes - 1], HK_TINY_MAX);
	HK_CHECK(census.class_size[census.classes - 1] == HK_POOL_MAX, "last pool class is %zu, not %u",
		 census.class_size[census.classes - 1], HK_POOL_MAX);
}

int main(void)
{
	hk_test_begin("test_class_boundaries", "n-1/n/n+1 at every class, 52 KiB edge, large sizes");
	free(malloc(1)); /* the census describes an initialised heap */
	hakmem_census(&census);
	check_class_table();
	int sizes = 0;
	for (int c = 0; c < census.classes; c++)
		for (size_t n = census.class_size[c] - 1; n <= census.class_size[c] + 1; n++, sizes++)
			exercise_size(n ? n : 1, PER_SIZE);
	static const size_t large[] = { 65535, 65536, 65537, 131072, 262145, 1 << 20, (4 << 20) + 1, 16 << 20 };
	for (size_t i = 0; i < sizeof(large) / sizeof(large[0]); i++, sizes++)
		exercise_size(large[i], 4);
	printf("%d classes (%d tiny), %d sizes checked\n", census.classes, census.tiny_classes, sizes);
	hk_pass("all boundaries");
	return 0;
}
