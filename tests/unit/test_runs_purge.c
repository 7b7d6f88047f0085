/*
 * When freed runs go back to the OS.  Free pages past the budget (64 MiB
 * here) in chunks that still hold a live run wait HAKMEM_LARGE_PURGE_MS
 * before they are madvised run by run; a chunk that empties goes back at
 * once, whole, in one call.  So a program freeing everything (its exit)
 * makes a call per chunk, not one per run, and memory freed after a peak
 * still leaves the process once the delay has passed, or at hakmem_flush.
 * But once fresh chunks follow soon after such a give, phases are
 * alternating: empty chunks then wait resident, idle, for the next phase;
 * and so do as many bytes of them as the runs took of chunks the heaps had
 * handed back (a pool phase's arenas).
 * Each case runs in a child with its own HAKMEM_LARGE_PURGE_MS.
 */
#include <sys/resource.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hk_test.h"

#define RUNS 2000
#define RUN_BYTES 100000 /* 25 pages: 20 runs to a chunk */
#define RUN_PAGES 25

static void *runs[RUNS];

static void advised(uint64_t *calls, uint64_t *bytes)
{
	*calls = hk_advised_calls();
	*bytes = hk_advised_bytes();
}

static void allocate_all(void)
{
	hakmem_flush();
	for (int i = 0; i < RUNS; i++) {
		runs[i] = malloc(RUN_BYTES);
		HK_CHECK(runs[i] != NULL, "malloc(%d)", RUN_BYTES);
		memset(runs[i], 1, RUN_BYTES);
	}
}

/* HAKMEM_LARGE_PURGE_MS=60000: every run freed in a shuffled order. */
static void free_everything(void)
{
	allocate_all();
	uint64_t s = 42;
	for (int i = RUNS - 1; i > 0; i--) { /* Fisher-Yates */
		int j = (int)hk_rand_range(&s, 0, (uint64_t)i);
		void *t = runs[i];
		runs[i] = runs[j];
		runs[j] = t;
	}
	uint64_t calls0, bytes0, calls, bytes;
	advised(&calls0, &bytes0);
	for (int i = 0; i < RUNS; i++)
		free(runs[i]);
	advised(&calls, &bytes);
	uint64_t chunks = RUNS / 20 + 1;
	HK_CHECK(calls - calls0 <= chunks, "freeing %d runs in %" PRIu64 " chunks made %" PRIu64 " madvise calls",
		 RUNS, chunks, calls - calls0);
	hakmem_flush();
	advised(&calls, &bytes);
	uint64_t freed = (uint64_t)RUNS * RUN_PAGES * HK_PAGE, keep = 64u << 20;
	HK_CHECK(bytes - bytes0 >= freed - keep, "freed %" PRIu64 " MiB, gave back %" PRIu64 " MiB after hakmem_flush",
		 freed >> 20, (bytes - bytes0) >> 20);
	hk_pass("2000 runs freed in any order: one madvise per chunk at most, the rest at hakmem_flush");
}

/* Free 19 of each chunk's 20 runs: what is freed stays in open chunks. */
static uint64_t free_all_but_one_per_chunk(void)
{
	for (int i = 0; i < RUNS; i++)
		if (i % 20)
			free(runs[i]);
	return (uint64_t)(RUNS - RUNS / 20) * RUN_PAGES * HK_PAGE;
}

static void *flush_only(void *arg)
{
	(void)arg;
	hakmem_flush();
	return NULL;
}

/* hakmem_flush from a thread that has no heap still returns the runs. */
static void flush_from_idle_thread(void)
{
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, flush_only, NULL) == 0, "pthread_create");
	pthread_join(t, NULL);
}

/* HAKMEM_LARGE_PURGE_MS=50 (purge) or 60000 (hold): after a peak, each
 * chunk keeps a live run; later frees past the delay return the rest. */
static void after_peak(int purge)
{
	allocate_all();
	uint64_t calls0, bytes0, calls, bytes;
	advised(&calls0, &bytes0);
	uint64_t freed = free_all_but_one_per_chunk();
	struct timespec pause = {.tv_nsec = 150 * 1000000L};
	nanosleep(&pause, NULL);
	void *fresh[60]; /* 20 MB: past the 4 MiB stash, their frees reach the chunks */
	for (int i = 0; i < 60; i++)
		fresh[i] = malloc(RUN_BYTES + 8192 * (size_t)i);
	for (int i = 0; i < 60; i++)
		free(fresh[i]);
	advised(&calls, &bytes);
	uint64_t budget = 64u << 20, given = bytes - bytes0;
	if (purge)
		HK_CHECK(given + budget >= freed, "freed %" PRIu64 " MiB in open chunks, 150 ms later %" PRIu64
			 " MiB given back", freed >> 20, given >> 20);
	else {
		HK_CHECK(given < budget, "HAKMEM_LARGE_PURGE_MS=60000, yet %" PRIu64 " MiB given back", given >> 20);
		flush_from_idle_thread();
		advised(&calls, &bytes);
		given = bytes - bytes0;
		HK_CHECK(given + budget >= freed, "hakmem_flush in a thread that never allocated: %" PRIu64
			 " MiB of %" PRIu64 " MiB given back", given >> 20, freed >> 20);
	}
	for (int i = 0; i < RUNS; i += 20)
		free(runs[i]);
	hakmem_flush();
	hk_pass(purge ? "after a peak, free runs of open chunks go back once the excess has lasted 50 ms"
		      : "with HAKMEM_LARGE_PURGE_MS=60000 they wait, till hakmem_flush in any thread");
}

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* What one phase (below) cost: the madvise calls and bytes its frees made,
 * and the page faults of its allocations. */
struct phase {
	uint64_t calls, bytes;
	long faults;
};

/* One phase: every run allocated (with calloc: checked zero) and written,
 * then all freed in order. */
static struct phase phase(int zeroed)
{
	struct phase ph;
	long f0 = minor_faults();
	for (int i = 0; i < RUNS; i++) {
		runs[i] = zeroed ? calloc(1, RUN_BYTES) : malloc(RUN_BYTES);
		HK_CHECK(runs[i] != NULL, "%s(%d)", zeroed ? "calloc" : "malloc", RUN_BYTES);
		if (zeroed)
			hk_check_zero(runs[i], RUN_BYTES, "a reused chunk's run");
		memset(runs[i], 1, RUN_BYTES);
	}
	ph.faults = minor_faults() - f0;
	uint64_t calls0, bytes0;
	advised(&calls0, &bytes0);
	for (int i = 0; i < RUNS; i++)
		free(runs[i]);
	advised(&ph.calls, &ph.bytes);
	ph.calls -= calls0;
	ph.bytes -= bytes0;
	return ph;
}

/* What a phase frees, and what may stay of it: the budget, the thread's
 * 4 MiB run stash, and a chunk's rounding. */
#define PHASE_FREED ((uint64_t)RUNS * RUN_PAGES * HK_PAGE)
#define PHASE_KEEP ((uint64_t)70 << 20)

/* The first phase: a peak freed once goes back at once. */
static struct phase first_phase(void)
{
	struct phase first = phase(0);
	HK_CHECK(first.bytes + PHASE_KEEP >= PHASE_FREED, "a first peak of %" PRIu64 " MiB freed: only %" PRIu64
		 " MiB went back at once", PHASE_FREED >> 20, first.bytes >> 20);
	return first;
}

/* HAKMEM_LARGE_PURGE_MS=60000: the same 195 MiB of runs, phase after phase. */
static void phases(void)
{
	uint64_t freed = PHASE_FREED, keep = PHASE_KEEP;
	struct phase first = first_phase();
	for (int i = 2; i <= 4; i++) {
		struct phase ph = phase(i == 4);
		HK_CHECK(ph.calls == 0, "phase %d: %" PRIu64 " madvise calls (%" PRIu64 " MiB) after fresh chunks "
			 "followed the first phase's give", i, ph.calls, ph.bytes >> 20);
		if (i > 2)
			HK_CHECK(ph.faults * 4 < first.faults, "phase %d took %ld page faults, the first %ld: "
				 "the held chunks were not reused", i, ph.faults, first.faults);
	}
	uint64_t calls0, bytes0, calls, bytes;
	advised(&calls0, &bytes0);
	hakmem_flush();
	advised(&calls, &bytes);
	HK_CHECK(bytes - bytes0 + keep >= freed, "hakmem_flush gave back %" PRIu64 " MiB of the %" PRIu64
		 " MiB held", (bytes - bytes0) >> 20, freed >> 20);
	hk_pass("phases of 195 MiB: the first gives back at once; once fresh chunks follow, the next ones wait resident");
}

/* HAKMEM_LARGE_PURGE_MS=200: large spans taken right after a first peak
 * went back are no sign of phases (spans never take idle chunks), so the
 * next runs phase, 250 ms later, gives back at once too. */
static void spans_between(void)
{
	first_phase();
	void *spans[8];
	for (int i = 0; i < 8; i++) {
		spans[i] = malloc((size_t)3 << 20);
		HK_CHECK(spans[i] != NULL, "malloc(3 MiB)");
		memset(spans[i], 1, (size_t)3 << 20);
	}
	struct timespec pause = {.tv_nsec = 250 * 1000000L};
	nanosleep(&pause, NULL);
	struct phase second = phase(0);
	HK_CHECK(second.bytes + PHASE_KEEP >= PHASE_FREED, "spans taken after the first peak: the second gave back "
		 "only %" PRIu64 " MiB of %" PRIu64 " at once", second.bytes >> 20, PHASE_FREED >> 20);
	for (int i = 0; i < 8; i++)
		free(spans[i]);
	hk_pass("spans taken after a peak went back do not hold the next peak's runs idle");
}

/* HAKMEM_LARGE_PURGE_MS=60000: runs built in the chunks a pool phase left
 * give them back to the idle ones when they empty past the budget, not to
 * the OS at once (52 MiB went back before), and the pool's next phase takes
 * them again resident. */
#define POOL_BYTES 32768
#define POOL_N 5000 /* 164 MB: arenas enough for all the runs */
#define LENT_RUNS 1200 /* 117 MiB: 60 chunks, all of them the pool's */

static void *pool[POOL_N];

static long pool_phase(void)
{
	long f0 = minor_faults();
	hk_fill_then_free(pool, POOL_N, POOL_BYTES);
	return minor_faults() - f0;
}

static void lent_back(void)
{
	long first = pool_phase();
	uint64_t calls0, bytes0, calls, bytes;
	for (int i = 0; i < LENT_RUNS; i++) { /* the heap hands its arenas back before the first chunk */
		runs[i] = malloc(RUN_BYTES);
		HK_CHECK(runs[i] != NULL, "malloc(%d)", RUN_BYTES);
		memset(runs[i], 1, RUN_BYTES);
	}
	advised(&calls0, &bytes0);
	for (int i = 0; i < LENT_RUNS; i++)
		free(runs[i]);
	advised(&calls, &bytes);
	HK_CHECK(bytes - bytes0 < (8u << 20), "runs built in a pool phase's chunks: %" PRIu64 " MiB of them went "
		 "back to the OS as they emptied", (bytes - bytes0) >> 20);
	long again = pool_phase();
	HK_CHECK(again * 4 < first, "the pool's next phase took %ld page faults, its first %ld", again, first);
	advised(&calls0, &bytes0);
	hakmem_flush();
	advised(&calls, &bytes);
	HK_CHECK(bytes - bytes0 >= (64u << 20), "hakmem_flush gave back %" PRIu64 " MiB", (bytes - bytes0) >> 20);
	hk_pass("runs built in the chunks a pool phase left give them back to the idle ones, for its next phase");
}

static void run_child(const char *self, const char *mode, const char *purge_ms)
{
	pid_t pid = fork();
	HK_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		setenv("HAKMEM_LARGE_PURGE_MS", purge_ms, 1);
		execl(self, self, mode, (char *)NULL);
		_exit(127);
	}
	int status;
	HK_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	HK_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "case %s (HAKMEM_LARGE_PURGE_MS=%s) failed", mode,
		 purge_ms);
}

int main(int argc, char **argv)
{
	hk_test_begin("test_runs_purge", "freed runs go back to the OS whole chunks first, the rest after a delay");
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		free_everything();
	else if (argc > 1 && strcmp(argv[1], "purge") == 0)
		after_peak(1);
	else if (argc > 1 && strcmp(argv[1], "hold") == 0)
		after_peak(0);
	else if (argc > 1 && strcmp(argv[1], "phases") == 0)
		phases();
	else if (argc > 1 && strcmp(argv[1], "spans") == 0)
		spans_between();
	else if (argc > 1 && strcmp(argv[1], "lent") == 0)
		lent_back();
	else {
		run_child("/proc/self/exe", "exit", "60000");
		run_child("/proc/self/exe", "purge", "50");
		run_child("/proc/self/exe", "hold", "60000");
		run_child("/proc/self/exe", "phases", "60000");
		run_child("/proc/self/exe", "spans", "200");
		run_child("/proc/self/exe", "lent", "60000");
	}
	return 0;
}
