/*
 * Invariants after 1M+ random mixed operations (malloc, calloc, realloc,
 * free; sizes across tiny and pool, 1 % large runs), checked every CHECK_EVERY operations:
 *   - every live block: hakmem_ptr_info knows it, its tier and class match
 *     its size, a tiny block sits at offset % stride == 0 inside its slab,
 *     and its owner is this thread's heap;
 *   - hakmem_census (which also checks the large tier's run chunks): for every class carved - free_local - remote_pending
 *     equals the live blocks this test holds of that class (plus what was
 *     live before the test began);
 *   - the content of every live block is intact.
 * Every REMOTE_EVERY operations a helper thread frees a batch of our blocks,
 * so the census also has to account for blocks in the remote queue.
 */
#include <pthread.h>

#include "hk_test.h"

#define SLOTS 8192
#define CHECK_EVERY 200000
#define REMOTE_EVERY 150000
#define REMOTE_BATCH 600

struct slot {
	void *p;
	size_t size;
	int cls;
	int tier;
	uint64_t seed;
};

static struct slot slots[SLOTS];
static uint64_t baseline[HAKMEM_MAX_CLASSES];
static struct hakmem_census census;
static uint64_t heap_id;

/* Hand-off to the helper thread (mutex + condvar: no allocation). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static void *batch[REMOTE_BATCH];
static int batch_len = -1; /* -1 idle, >= 0 pending, -2 stop */

static void *helper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (batch_len == -1)
			pthread_cond_wait(&cv, &mu);
		if (batch_len == -2)
			break;
		for (int i = 0; i < batch_len; i++)
			free(batch[i]);
		/* remote frees are batched per owner and class: hand them over now,
		 * so the census sees them queued rather than still live */
		hakmem_flush();
		batch_len = -1;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void helper_run(int n)
{
	pthread_mutex_lock(&mu);
	batch_len = n;
	pthread_cond_broadcast(&cv);
	while (batch_len != -1)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

/* 85 % tiny, 14 % pool, 1 % large runs (which hakmem_census checks too). */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = hk_rand(rng) % 100;
	if (r < 85)
		return hk_rand_range(rng, 1, HK_TINY_MAX);
	if (r < 99)
		return hk_rand_range(rng, HK_TINY_MAX + 1, HK_POOL_MAX);
	return hk_rand_range(rng, HK_POOL_MAX + 1, 300000);
}


static void check_block(const struct slot *s)
{
	struct hakmem_ptr_info info;
	uintptr_t a = (uintptr_t)s->p;
	HK_CHECK(hakmem_ptr_info(s->p, &info) == 0, "ptr_info(%p) unknown for live block", s->p);
	HK_CHECK(info.tier == s->tier, "%p size %zu: tier changed %d -> %d", s->p, s->size, s->tier, info.tier);
	HK_CHECK(info.size_class == s->cls, "%p: class changed %d -> %d", s->p, s->cls, info.size_class);
	/* large blocks belong to no heap: any thread frees them directly */
	uint64_t owner = info.tier == 2 ? 0 : heap_id;
	HK_CHECK(info.owner == owner, "%p: owner %" PRIx64 " != %" PRIx64, s->p, info.owner, owner);
	HK_CHECK(info.usable >= s->size, "%p: usable %zu < %zu", s->p, info.usable, s->size);
	HK_CHECK(a >= info.region && info.offset == a - info.region, "%p: region %#lx offset %zu inconsistent", s->p,
		 (unsigned long)info.region, info.offset);
	HK_CHECK(info.tier != 0 || (info.stride > 0 && info.offset % info.stride == 0),
		 "tiny %p: offset %zu not a multiple of stride %zu", s->p, info.offset, info.stride);
	HK_CHECK(info.tier != 2 || info.usable % HK_PAGE == 0, "large %p: usable %zu not whole pages", s->p,
		 info.usable);
	HK_CHECK_PATTERN(s->p, s->size, s->seed, "live block");
}

static void check_census(const char *when)
{
	uint64_t live[HAKMEM_MAX_CLASSES] = { 0 };
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].p && slots[i].cls >= 0)
			live[slots[i].cls]++;
	hakmem_census(&census);
	for (int c = 0; c < census.classes; c++) {
		int64_t held = (int64_t)(census.carved[c] - census.free_local[c] - census.remote_pending[c]);
		HK_CHECK(held == (int64_t)(live[c] + baseline[c]),
			 "%s: class %d (%zu B): carved %" PRIu64 " - free %" PRIu64 " - remote %" PRIu64
			 " = %" PRId64 ", test holds %" PRIu64 " (+%" PRIu64 " before start)",
			 when, c, census.class_size[c], census.carved[c], census.free_local[c],
			 census.remote_pending[c], held, live[c], baseline[c]);
	}
}

static void check_all(const char *when)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].p)
			check_block(&slots[i]);
	check_census(when);
}

/* fresh: p comes from malloc/calloc, so its tier is the one its size names
 * (realloc may keep a shrunk block where it is). */
static void place(struct slot *s, void *p, size_t n, uint64_t seed, int fresh)
{
	struct hakmem_ptr_info info;
	HK_CHECK(p != NULL, "allocation of %zu returned NULL", n);
	HK_CHECK(hakmem_ptr_info(p, &info) == 0, "ptr_info(%p) unknown for new %zu-byte block", p, n);
	HK_CHECK(!fresh || info.tier == hk_tier_of_size(n), "malloc(%zu) = %p in tier %d", n, p, info.tier);
	s->p = p;
	s->size = n;
	s->cls = info.size_class;
	s->tier = info.tier;
	s->seed = seed;
	hk_fill(p, n, seed);
}

static void one_op(struct slot *s, uint64_t *rng, uint64_t op)
{
	unsigned r = hk_rand(rng) % 100;
	if (!s->p) {
		size_t n = random_size(rng);
		place(s, r < 10 ? calloc(1, n) : malloc(n), n, op, 1);
		return;
	}
	HK_CHECK_PATTERN(s->p, s->size, s->seed, "block before free/realloc");
	if (r < 15) {
		size_t n = random_size(rng);
		void *q = realloc(s->p, n);
		HK_CHECK(q != NULL, "realloc to %zu", n);
		HK_CHECK_PREFIX(q, s->size, n, s->seed, "realloc kept content");
		place(s, q, n, op, 0);
		return;
	}
	free(s->p);
	s->p = NULL;
}

/* Give a batch of live blocks to the helper to free remotely, then check
 * that the census counts them as remote_pending (or drained), not live. */
static void remote_round(uint64_t *rng)
{
	int n = 0;
	for (int tries = 0; tries < SLOTS && n < REMOTE_BATCH; tries++) {
		struct slot *s = &slots[hk_rand(rng) % SLOTS];
		if (!s->p)
			continue;
		HK_CHECK_PATTERN(s->p, s->size, s->seed, "block before remote free");
		batch[n++] = s->p;
		s->p = NULL;
	}
	helper_run(n);
	check_census("after remote frees");
}

int main(void)
{
	hk_test_begin("test_invariants", "1M+ random ops: ptr_info stride/owner, census == live blocks, content");
	pthread_t th;
	HK_CHECK(pthread_create(&th, NULL, helper, NULL) == 0, "pthread_create");
	free(malloc(1));
	heap_id = hakmem_heap_id();
	HK_CHECK(heap_id != 0, "hakmem_heap_id() is 0 after an allocation");
	hakmem_census(&census);
	for (int c = 0; c < census.classes; c++)
		baseline[c] = census.carved[c] - census.free_local[c] - census.remote_pending[c];

	uint64_t rng = 0x1234567887654321ULL;
	long ops = hk_scale(1200000, 4);
	uint64_t remote_seen = 0;
	for (long op = 1; op <= ops; op++) {
		one_op(&slots[hk_rand(&rng) % SLOTS], &rng, (uint64_t)op);
		if (op % REMOTE_EVERY == 0 || op == ops / 2) {
			remote_round(&rng);
			remote_seen += hk_sum(census.remote_pending, census.classes);
		}
		if (op % CHECK_EVERY == 0)
			check_all("periodic check");
	}
	check_all("final check");
	uint64_t remote = hk_remote_frees();
	HK_CHECK(remote > 0, "helper freed our blocks but remote_frees is 0");
	printf("%ld ops, remote_pending seen %" PRIu64 ", remote frees %" PRIu64 "\n", ops, remote_seen, remote);
	pthread_mutex_lock(&mu);
	batch_len = -2;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	for (int i = 0; i < SLOTS; i++)
		free(slots[i].p);
	hk_pass("invariants");
	return 0;
}
