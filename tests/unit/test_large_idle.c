/*
 * Freed large memory that nothing asks for in HAKMEM_LARGE_IDLE_MS (200 ms)
 * goes back to the OS, within HAKMEM_LARGE_CACHE_MB too: cached spans, and
 * the free pages of run arenas that handed out no run meanwhile.  A program
 * that stopped using large blocks (Python parsing JSON into pymalloc's own
 * mappings) then does not keep what it freed.  The next span free looks
 * (one look a millisecond at most); memory freed just now stays.  So do a
 * thread's small refills, for a program that now asks for small blocks
 * alone.  The look also gives back the chunks heaps handed back wholly free
 * once they have waited HAKMEM_LARGE_PURGE_MS.  With HAKMEM_LARGE_IDLE_MS=0
 * everything within the budget stays.
 */
#include <pthread.h>

#include "hakmem_probes.h"
#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define SPANS 4
#define SPAN_SIZE (6 * MiB) /* > 1 MiB: a span of its own */
#define RUNS 64
#define RUN_SIZE (256 * 1024) /* 16 MiB of runs: past a thread's 4 MiB stash */
#define IDLE_WAIT_MS 350 /* past the default 200 */
/* Small blocks carved before, freed by another thread: refills that drain
 * them take no memory, which would come from the freed spans and runs. */
#define QUEUED_CLASSES 20 /* the first tiny classes: a refill a round */
#define QUEUED 1100 /* of each: past a heap's first 1024 refilled blocks, when
		     * its refills start to read the clock (reclaim.c) */
/* resident, written whole: the spans with their header page, half the runs */
#define ALL_SPAN_PAGES (SPANS * (SPAN_SIZE / HK_PAGE + 1))
#define ALL_RUN_PAGES (RUNS / 2 * (RUN_SIZE / HK_PAGE))

struct freed {
	char *p[RUNS];
	size_t size;
	int n;
};

/* n blocks of size bytes, each written whole, then freed. */
static void free_written(struct freed *f, int n, size_t size)
{
	f->n = n;
	f->size = size;
	for (int i = 0; i < n; i++) {
		f->p[i] = malloc(size);
		HK_CHECK(f->p[i] != NULL, "malloc(%zu)", size);
		memset(f->p[i], 0x5a, size);
	}
	for (int i = 0; i < n; i++)
		free(f->p[i]);
}

/* Resident pages among the first n blocks of f (mincore: the region stays
 * mapped, so freed addresses can be asked about). */
static size_t resident_pages(const struct freed *f, int n)
{
	size_t pages = 0;
	for (int i = 0; i < n; i++) {
		uintptr_t lo = (uintptr_t)f->p[i] & ~(uintptr_t)(HK_PAGE - 1);
		size_t len = (uintptr_t)f->p[i] + f->size - lo;
		unsigned char vec[SPAN_SIZE / HK_PAGE + 2];
		HK_CHECK(len / HK_PAGE + 1 <= sizeof(vec), "block of %zu bytes", f->size);
		HK_CHECK(mincore((void *)lo, len, vec) == 0, "mincore: %s", strerror(errno));
		for (size_t k = 0; k < (len + HK_PAGE - 1) / HK_PAGE; k++)
			pages += vec[k] & 1;
	}
	return pages;
}

/* Spans and runs written and freed, left idle, then a span free: with the
 * default their pages go back; off (HAKMEM_LARGE_IDLE_MS=0), they stay. */
static void idle_freed(int off)
{
	static struct freed spans, runs;
	void *trigger = malloc(SPAN_SIZE); /* live while the rest idles: its free looks */
	HK_CHECK(trigger != NULL, "malloc(%zu)", SPAN_SIZE);
	memset(trigger, 1, SPAN_SIZE);
	free_written(&spans, SPANS, SPAN_SIZE);
	free_written(&runs, RUNS, RUN_SIZE);
	/* the runs freed first left the stash for the chunks' free pages */
	size_t span_pages = resident_pages(&spans, SPANS), run_pages = resident_pages(&runs, RUNS / 2);
	HK_CHECK(span_pages == ALL_SPAN_PAGES, "%zu pages of the freed spans resident", span_pages);
	HK_CHECK(run_pages == ALL_RUN_PAGES, "%zu pages of the freed runs resident", run_pages);
	uint64_t advised = hk_advised_calls();
	hk_sleep_ms(IDLE_WAIT_MS);
	HK_CHECK(hk_advised_calls() == advised, "memory went back with no call into hakmem");
	free(trigger);
	uint64_t calls = hk_advised_calls() - advised;
	span_pages = resident_pages(&spans, SPANS);
	run_pages = resident_pages(&runs, RUNS / 2);
	printf("%s: after %d ms idle and a span free: %" PRIu64 " madvise calls, %zu pages of the spans and %zu of "
	       "the runs resident\n",
	       hk_test_name, IDLE_WAIT_MS, calls, span_pages, run_pages);
	if (off) {
		HK_CHECK(calls == 0, "%" PRIu64 " madvise calls within the budget", calls);
		HK_CHECK(span_pages == ALL_SPAN_PAGES && run_pages == ALL_RUN_PAGES, "idle memory went back");
		hk_pass("idle spans and run pages within HAKMEM_LARGE_CACHE_MB stay");
		return;
	}
	HK_CHECK(span_pages == 0, "%zu pages of spans idle for %d ms still resident", span_pages, IDLE_WAIT_MS);
	HK_CHECK(run_pages == 0, "%zu free run pages idle for %d ms still resident", run_pages, IDLE_WAIT_MS);
	HK_CHECK(resident_pages(&(struct freed){.p = {trigger}, .size = SPAN_SIZE}, 1) == SPAN_SIZE / HK_PAGE + 1,
		 "the span freed just now went back too");
	hk_pass("idle spans and free run pages go back at the next span free; one freed just now stays");
}

/* Runs allocated, left live through an idle spell, then freed in a burst
 * with a span free 5 ms into it (a program's exit): their arena is taking
 * runs back, so it keeps their pages, and a chunk that empties goes back
 * whole later, in one call, not run by run now. */
static void burst_kept(void)
{
	static struct freed live;
	live.size = RUN_SIZE;
	for (int i = 0; i < RUNS; i++) {
		live.p[i] = malloc(RUN_SIZE);
		HK_CHECK(live.p[i] != NULL, "malloc(%d)", RUN_SIZE);
		memset(live.p[i], 0x6b, RUN_SIZE);
	}
	void *trigger = malloc(SPAN_SIZE);
	HK_CHECK(trigger != NULL, "malloc(%zu)", SPAN_SIZE);
	hk_sleep_ms(IDLE_WAIT_MS);
	uint64_t advised = hk_advised_calls();
	for (int i = 0; i < RUNS; i++) {
		if (i == RUNS / 2) { /* a later millisecond than the last run's: a look is due */
			hk_sleep_ms(5);
			free(trigger);
		}
		free(live.p[i]);
	}
	uint64_t calls = hk_advised_calls() - advised;
	size_t pages = resident_pages(&live, RUNS / 4);
	printf("%s: %d runs freed after %d ms live: %" PRIu64 " madvise calls, %zu of the first %d runs' pages "
	       "resident\n",
	       hk_test_name, RUNS, IDLE_WAIT_MS, calls, pages, RUNS / 4);
	HK_CHECK(calls == 0, "%" PRIu64 " madvise calls while the runs' arena took them back", calls);
	HK_CHECK(pages == RUNS / 4 * (RUN_SIZE / HK_PAGE), "the runs freed in the burst went back");
	hk_pass("runs freed in a burst after an idle spell keep their pages");
}

static void *queued[QUEUED_CLASSES][QUEUED];

static size_t queued_size[QUEUED_CLASSES]; /* tiny class k's blocks, from hakmem's own table */

static void *free_queued(void *arg)
{
	(void)arg;
	for (int k = 0; k < QUEUED_CLASSES; k++)
		for (int i = 0; i < QUEUED; i++)
			free(queued[k][i]);
	return NULL; /* the thread's exit pushes its chains */
}

/* Spans and runs freed, left idle, then small blocks alone: no large-tier
 * call comes, and the look comes with the small refills, one a round, 20 ms
 * apart: the run chunks the look empties wait idle for
 * HAKMEM_LARGE_PURGE_MS more (chunks.h). */
static void small_refills_look(void)
{
	static struct freed spans, runs;
	struct hakmem_census c;
	hakmem_census(&c);
	HK_CHECK(QUEUED_CLASSES <= c.tiny_classes, "only %d tiny classes", c.tiny_classes);
	for (int k = 0; k < QUEUED_CLASSES; k++) {
		queued_size[k] = c.class_size[k];
		for (int i = 0; i < QUEUED; i++)
			HK_CHECK((queued[k][i] = malloc(queued_size[k])) != NULL, "malloc(%zu)", queued_size[k]);
	}
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, free_queued, NULL) == 0, "pthread_create");
	pthread_join(t, NULL);
	free_written(&spans, SPANS, SPAN_SIZE);
	free_written(&runs, RUNS, RUN_SIZE);
	hk_sleep_ms(IDLE_WAIT_MS);
	size_t span_pages = resident_pages(&spans, SPANS), run_pages = resident_pages(&runs, RUNS / 2);
	HK_CHECK(span_pages == ALL_SPAN_PAGES && run_pages == ALL_RUN_PAGES,
		 "%zu span and %zu run pages resident before any call into hakmem", span_pages, run_pages);
	uint64_t advised = hk_advised_calls();
	int rounds = 0;
	while (rounds < QUEUED_CLASSES && (span_pages || run_pages)) {
		if (rounds)
			hk_sleep_ms(20);
		for (int i = 0; i < QUEUED; i++) /* the first drains the class's queue */
			HK_CHECK((queued[rounds][i] = malloc(queued_size[rounds])) != NULL, "malloc");
		rounds++;
		span_pages = resident_pages(&spans, SPANS);
		run_pages = resident_pages(&runs, RUNS / 2);
	}
	uint64_t calls = hk_advised_calls() - advised;
	printf("%s: after %d ms idle, %d rounds of small mallocs: %" PRIu64 " madvise calls, %zu pages of the "
	       "spans and %zu of the runs resident\n",
	       hk_test_name, IDLE_WAIT_MS, rounds, calls, span_pages, run_pages);
	HK_CHECK(span_pages == 0, "%zu pages of spans idle for %d ms still resident", span_pages, IDLE_WAIT_MS);
	HK_CHECK(run_pages == 0, "%zu free run pages idle for %d ms still resident", run_pages, IDLE_WAIT_MS);
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < QUEUED; i++)
			free(queued[k][i]);
	hk_pass("idle spans and free run pages go back at small refills too");
}

/* A thread's superslabs of blocks it freed, handed back at its exit: they
 * wait, resident, for any heap's next superslab or arena, and then go back
 * at a look, though no heap reclaims (python_json's run chunks, emptied at
 * once, stayed to the end: 28 MB of its peak). */
#define CHURN_BLOCKS 65536 /* of 128 B: 8 MiB of superslabs */
#define CHURN_LOOKS 40 /* 50 ms apart: past HAKMEM_LARGE_PURGE_MS, even doubled 16 times */

static void *churn(void *arg)
{
	static void *p[CHURN_BLOCKS];
	(void)arg;
	for (int i = 0; i < CHURN_BLOCKS; i++) {
		HK_CHECK((p[i] = malloc(128)) != NULL, "malloc(128)");
		memset(p[i], 0x3c, 128);
	}
	for (int i = 0; i < CHURN_BLOCKS; i++)
		free(p[i]);
	return NULL;
}

static uint64_t superslab_advised(void)
{
	return hk_stats().os_advise_calls[HK_PURPOSE_SUPERSLAB];
}

static void idle_chunks_look(void)
{
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, churn, NULL) == 0 && pthread_join(t, NULL) == 0, "a churning thread");
	uint64_t before = superslab_advised();
	int looks;
	for (looks = 0; looks < CHURN_LOOKS && superslab_advised() == before; looks++) {
		hk_sleep_ms(50);
		void *trigger = malloc(SPAN_SIZE);
		HK_CHECK(trigger != NULL, "malloc(%zu)", SPAN_SIZE);
		free(trigger); /* a span free: a look */
	}
	uint64_t calls = superslab_advised() - before;
	printf("%s: a thread's 8 MiB of superslabs, freed and handed back at its exit: %" PRIu64
	       " madvise calls after %d looks 50 ms apart\n",
	       hk_test_name, calls, looks);
	HK_CHECK(calls > 0, "the superslabs a heap handed back stayed resident through %d looks", CHURN_LOOKS);
	hk_pass("chunks handed back wholly free go back at a look once they have waited");
}

int main(int argc, char **argv)
{
	(void)argc;
	int off = getenv("HAKMEM_LARGE_IDLE_MS") != NULL; /* the rerun below */
	/* spans in normal memory: a huge page would stay resident whole */
	hk_rerun_with(argv, "HAKMEM_LARGE_HUGE_MB", "0");
	hk_test_begin("test_large_idle", off ? "with HAKMEM_LARGE_IDLE_MS=0 idle memory within the budget stays"
					     : "freed large memory left idle goes back within the budget too");
	idle_freed(off);
	if (off)
		return 0;
	burst_kept();
	small_refills_look();
	idle_chunks_look();
	hk_rerun_with(argv, "HAKMEM_LARGE_IDLE_MS", "0");
	return 0;
}
