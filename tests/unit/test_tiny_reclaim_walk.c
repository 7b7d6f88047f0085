/*
 * A reclaim takes every block of the tiny lists to its slab (walking the
 * lists of all classes in step, or alone), then links the lists again slab
 * after slab, leaving out the slabs found empty.  Each class must come out
 * exact, and its list grouped by slab.
 *
 * Six classes fill slabs and keep, in turn: nothing (the whole list goes),
 * one block of the first slab (twice: once freed in order, a list walked
 * alone; once in random order, walked in step with others), one block of
 * every slab (nothing to take), one block of the slab still carving,
 * every 7th block.  The 16-byte class fills
 * two and a half superslabs, the others three and a half slabs.  The rest
 * is freed, the in-order class first, the others in a random order across
 * classes.  Then, per class, carved - free - queued must equal the
 * blocks live before plus those kept, and the census (which validates every
 * list entry) must pass:
 *   - after a refill past HAKMEM_LARGE_PURGE_MS (20 ms here), which reclaims
 *     for the other heaps: a superslab of 16-byte blocks wholly free goes,
 *     the empty slabs of superslabs in use stay their class's;
 *   - after hakmem_flush: the classes whose slabs emptied carved fewer, and
 *     the blocks of a class left in its list (every 7th kept, freed in
 *     random order) come out one slab after another.
 * The kept blocks survive new blocks of every class.
 */
#include "hk_test.h"

#define CLASSES 6
#define SLAB ((size_t)64 << 10)
#define SUPERSLAB_SLABS 31 /* but the header's */
#define MAX_BLOCKS (SLAB / 16 * SUPERSLAB_SLABS * 5 / 2)
#define PURGE_MS "20"
#define WAIT_MS 60
#define REFILL 32 /* bytes: a class none of the six */
/* blocks a round takes: a heap reclaims for others only after refilling
 * 1024 blocks since it last did (reclaim.c), and one may have just done so
 * while the test allocated (a slow machine: a sanitizer build in CI) */
#define PER_REFILL 1100
#define TRIES 30 /* reclaims that find nothing free wait longer: 20 ms << 6 at most */

enum keep { KEEP_NONE, KEEP_FIRST, KEEP_EACH_SLAB, KEEP_LAST, KEEP_7TH };

static const size_t size[CLASSES] = { 16, 64, 128, 192, 512, 1024 };
static const enum keep rule[CLASSES] = { KEEP_NONE, KEEP_FIRST, KEEP_FIRST, KEEP_EACH_SLAB, KEEP_LAST, KEEP_7TH };
static const int in_order[CLASSES] = { 0, 0, 1, 0, 0, 0 };
static void *block[CLASSES][MAX_BLOCKS];
static size_t count[CLASSES];
static int cls_of[CLASSES];
static void *refill_block[TRIES * PER_REFILL];
#define MAX_GROUPED 4096
static void *grouped_block[MAX_GROUPED];

struct ref {
	unsigned c;
	size_t i;
};
static struct ref order[CLASSES * MAX_BLOCKS];

static int kept(unsigned c, size_t i)
{
	size_t per_slab = SLAB / size[c];
	switch (rule[c]) {
	case KEEP_NONE:
		return 0;
	case KEEP_FIRST:
		return i == 0;
	case KEEP_EACH_SLAB:
		return i % per_slab == 0;
	case KEEP_LAST:
		return i == count[c] - 1;
	case KEEP_7TH:
		return i % 7 == 0;
	}
	return 0;
}

static uint64_t live(const struct hakmem_census *cs, int cls)
{
	return cs->carved[cls] - cs->free_local[cls] - cs->remote_pending[cls];
}

static void allocate_all(void)
{
	for (unsigned c = 0; c < CLASSES; c++) {
		count[c] = c == 0 ? MAX_BLOCKS : SLAB / size[c] * 7 / 2;
		for (size_t i = 0; i < count[c]; i++) {
			block[c][i] = malloc(size[c]);
			HK_CHECK(block[c][i] != NULL, "malloc(%zu)", size[c]);
			hk_fill(block[c][i], size[c], c * MAX_BLOCKS + i);
		}
		cls_of[c] = hk_ptr_info(block[c][0]).size_class;
	}
}

/* Free all but the kept blocks, the in-order classes in order, the others in
 * a random order across them; how many kept per class. */
static void free_all_but_kept(uint64_t kept_n[CLASSES])
{
	size_t n = 0;
	uint64_t seed = 42;
	for (unsigned c = 0; c < CLASSES; c++) {
		kept_n[c] = 0;
		for (size_t i = 0; i < count[c]; i++)
			if (kept(c, i))
				kept_n[c]++;
			else if (in_order[c])
				free(block[c][i]);
			else
				order[n++] = (struct ref){ c, i };
	}
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = hk_rand_range(&seed, 0, i);
		struct ref t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		free(block[order[i].c][order[i].i]);
}

static void verify_kept(const char *when)
{
	for (unsigned c = 0; c < CLASSES; c++)
		for (size_t i = 0; i < count[c]; i++)
			if (kept(c, i))
				HK_CHECK(hk_verify(block[c][i], size[c], c * MAX_BLOCKS + i) < 0,
					 "kept %zu-byte block %zu changed %s", size[c], i, when);
}

/* The n blocks of c's list, taken in turn, come from one slab after another:
 * the slab changes as often as there are slabs, less one. */
static void check_grouped(unsigned c, uint64_t n)
{
	struct hk_addr_set slabs = { .n = 0 };
	int switches = 0;
	uintptr_t last = 0;
	HK_CHECK(n <= MAX_GROUPED, "%" PRIu64 " blocks to take, over %d", n, MAX_GROUPED);
	for (uint64_t i = 0; i < n; i++) {
		void *p = malloc(size[c]);
		HK_CHECK(p != NULL && hk_ptr_info(p).size_class == cls_of[c], "malloc(%zu)", size[c]);
		uintptr_t slab = hk_ptr_info(p).region;
		switches += i > 0 && slab != last;
		last = slab;
		hk_addr_set_add(&slabs, slab);
		grouped_block[i] = p; /* held till all are taken */
	}
	printf("%s: %zu B: %" PRIu64 " free blocks came from %d slabs, changing slab %d times\n", hk_test_name,
	       size[c], n, slabs.n, switches);
	HK_CHECK(slabs.n > 1 && switches == slabs.n - 1, "%zu B: %d slab changes over %d slabs: the list is not grouped",
		 size[c], switches, slabs.n);
	for (uint64_t i = 0; i < n; i++)
		free(grouped_block[i]);
}

/* New blocks of every class, filled, take the emptied slabs; the kept ones must not move. */
static void churn(void)
{
	for (unsigned c = 0; c < CLASSES; c++)
		for (size_t i = 0; i < count[c]; i++)
			if (!kept(c, i)) {
				block[c][i] = malloc(size[c]);
				HK_CHECK(block[c][i] != NULL, "malloc(%zu)", size[c]);
				memset(block[c][i], 0xa5, size[c]);
			}
	verify_kept("after new blocks took the emptied slabs");
	for (unsigned c = 0; c < CLASSES; c++)
		for (size_t i = 0; i < count[c]; i++)
			free(block[c][i]);
}

/* Rounds of refills past the purge delay until one reclaimed for the others
 * (the 16-byte class lost blocks: reclaims that found nothing while the test
 * allocated make it wait longer); the census then in *out, the rounds taken
 * returned. */
static int refill_until_reclaimed(const struct hakmem_census *freed, struct hakmem_census *out)
{
	for (int t = 0; t < TRIES; t++) {
		hk_sleep_ms(WAIT_MS);
		for (int i = 0; i < PER_REFILL; i++) {
			refill_block[t * PER_REFILL + i] = malloc(REFILL);
			HK_CHECK(refill_block[t * PER_REFILL + i] != NULL, "malloc(%d)", REFILL);
		}
		hakmem_census(out);
		if (out->carved[cls_of[0]] != freed->carved[cls_of[0]])
			return t + 1;
	}
	HK_FAIL("no refill in %d reclaimed the 16-byte blocks, all free", TRIES);
}

/* Every class exact from census a to b, the blocks live before the test plus those kept. */
static void check_exact(const char *what, const struct hakmem_census *before, const struct hakmem_census *a,
			const struct hakmem_census *b, const uint64_t kept_n[CLASSES])
{
	for (unsigned c = 0; c < CLASSES; c++) {
		int k = cls_of[c];
		uint64_t want = live(before, k) + kept_n[c];
		printf("%s: %s: %4zu B: kept %5" PRIu64 ", carved %6" PRIu64 " -> %6" PRIu64 ", free %6" PRIu64
		       " -> %6" PRIu64 "\n",
		       hk_test_name, what, size[c], kept_n[c], a->carved[k], b->carved[k], a->free_local[k],
		       b->free_local[k]);
		HK_CHECK(live(a, k) == want, "%zu B: %" PRIu64 " live before %s, not %" PRIu64, size[c], live(a, k),
			 what, want);
		HK_CHECK(live(b, k) == want, "%zu B: %" PRIu64 " live after %s, not %" PRIu64, size[c], live(b, k),
			 what, want);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	hk_rerun_with(argv, "HAKMEM_LARGE_PURGE_MS", PURGE_MS);
	hk_test_begin("test_tiny_reclaim_walk", "a reclaim's shortcuts leave every tiny class exact");
	struct hakmem_census before, freed, refilled, after;
	hakmem_census(&before);
	allocate_all();
	uint64_t kept_n[CLASSES];
	free_all_but_kept(kept_n);
	hakmem_census(&freed);
	int rounds = refill_until_reclaimed(&freed, &refilled);
	printf("%s: the refill of round %d reclaimed for the others\n", hk_test_name, rounds);
	check_exact("the refill", &before, &freed, &refilled, kept_n);
	uint64_t gone = freed.carved[cls_of[0]] - refilled.carved[cls_of[0]];
	HK_CHECK(gone >= SLAB / 16 * SUPERSLAB_SLABS, "16 B: %" PRIu64 " blocks went at the refill, not a superslab's",
		 gone);
	hakmem_flush();
	hakmem_census(&after);
	check_exact("the flush", &before, &refilled, &after, kept_n);
	for (unsigned c = 0; c < CLASSES; c++) {
		int k = cls_of[c];
		int emptied = rule[c] != KEEP_EACH_SLAB && rule[c] != KEEP_7TH;
		HK_CHECK(emptied ? after.carved[k] < refilled.carved[k] : after.carved[k] == refilled.carved[k],
			 "%zu B: carved %" PRIu64 " -> %" PRIu64 ", %s", size[c], refilled.carved[k], after.carved[k],
			 emptied ? "its emptied slabs stayed" : "though none of its slabs was empty");
	}
	HK_CHECK(after.carved[cls_of[0]] == live(&before, cls_of[0]),
		 "16 B: %" PRIu64 " blocks still carved, not the %" PRIu64 " live before", after.carved[cls_of[0]],
		 live(&before, cls_of[0]));
	verify_kept("by the flush");
	check_grouped(CLASSES - 1, after.free_local[cls_of[CLASSES - 1]]);
	for (int i = 0; i < TRIES * PER_REFILL; i++)
		free(refill_block[i]);
	churn();
	hk_pass("each class exact after the walk; emptied slabs left their lists, kept blocks intact");
	return 0;
}
