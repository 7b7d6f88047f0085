/*
 * realloc growing and shrinking across all tiers keeps the content; realloc
 * of NULL allocates; a failed realloc leaves the block intact (ENOMEM).
 */
#include "hk_test.h"

static const size_t steps[] = { 1, 7, 16, 17, 100, 512, 1023, 1024, 1025, 2000, 4096, 8193, 16384, 40000,
				53248, 53249, 65536, 200000, 1 << 20, (3 << 20) + 5 };
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static void grow_and_shrink(uint64_t seed)
{
	void *p = realloc(NULL, steps[0]);
	HK_CHECK(p != NULL, "realloc(NULL, %zu) returned NULL", steps[0]);
	hk_fill(p, steps[0], seed);
	for (size_t i = 1; i < NSTEPS; i++)
		p = hk_realloc_checked(p, steps[i - 1], steps[i], seed);
	for (size_t i = NSTEPS - 1; i > 0; i--)
		p = hk_realloc_checked(p, steps[i], steps[i - 1], seed);
	free(p);
}

/* Every pair of steps, both directions, as single jumps. */
static void all_jumps(void)
{
	for (size_t a = 0; a < NSTEPS; a++)
		for (size_t b = 0; b < NSTEPS; b++) {
			uint64_t seed = a * 100 + b;
			void *p = malloc(steps[a]);
			HK_CHECK(p != NULL, "malloc(%zu)", steps[a]);
			hk_fill(p, steps[a], seed);
			free(hk_realloc_checked(p, steps[a], steps[b], seed));
		}
}

static void failed_realloc_keeps_block(void)
{
	volatile size_t huge = (size_t)PTRDIFF_MAX + 1;
	size_t sizes[] = { 100, 5000, 100000 };
	for (int i = 0; i < 3; i++) {
		void *p = malloc(sizes[i]);
		hk_fill(p, sizes[i], 42 + i);
		errno = 0;
		void *q = realloc(hk_launder(p), huge);
		HK_CHECK(q == NULL && errno == ENOMEM, "realloc(%zu-byte block, PTRDIFF_MAX+1) = %p errno %d", sizes[i],
			 q, errno);
		HK_CHECK_PATTERN(p, sizes[i], 42 + i, "block after failed realloc");
		free(p);
	}
}

int main(void)
{
	hk_test_begin("test_realloc", "realloc grow/shrink across tiers keeps content");
	for (uint64_t seed = 1; seed <= 4; seed++)
		grow_and_shrink(seed);
	all_jumps();
	failed_realloc_keeps_block();
	printf("%zu steps, %zu jumps\n", NSTEPS, NSTEPS * NSTEPS);
	hk_pass("realloc");
	return 0;
}
