/*
 * bench_larson — larson-style server churn (our own implementation).
 *
 * THREADS lineages run concurrently.  A lineage owns a pool of SLOTS blocks
 * of random sizes in [MIN, MAX]; its current thread replaces random slots
 * ROUNDS times, then hands the whole pool (and its PRNG state) to a fresh
 * thread, which continues — so blocks allocated by a thread that has exited
 * are freed by its successor, as in a server that retires worker threads.
 * The run stops after SECONDS; the last thread of each lineage frees the pool.
 * SECONDS 0 selects fixed work instead: each lineage runs exactly GENERATIONS
 * threads, so every allocator does the same work and makes the same number of
 * thread exits (glibc's pthread madvises each exited thread's stack, so in a
 * timed run a faster allocator also makes more madvise calls).
 * One op == one slot replacement (free + malloc).  ops/s = ops / wall time.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "bench_slots.h"

#define CHUNK 64 /* replacements between looks at the stop flag */

static const char usage[] =
	"usage: bench_larson [THREADS [SECONDS [SLOTS [ROUNDS [SEED [MIN MAX [GENERATIONS]]]]]]]\n"
	"  THREADS concurrent lineages of threads (default 2)\n"
	"  SECONDS run time, may be fractional (default 1); 0 = fixed work:\n"
	"          every lineage runs exactly GENERATIONS threads, no timer\n"
	"  SLOTS   blocks in each lineage's pool (default 1000)\n"
	"  ROUNDS  replacements a thread does before handing its pool to a new\n"
	"          thread, rounded up to a multiple of 64 (default 50000)\n"
	"  SEED    PRNG seed; lineage i uses stream i (default 42)\n"
	"  MIN MAX block size range in bytes, uniform (default 16 4096)\n"
	"  GENERATIONS threads per lineage when SECONDS is 0 (default 100)\n"
	"One op = one slot replacement (free + malloc).  Last line:\n"
	"RESULT name=larson ... extra: threads=N generations=N\n";

static atomic_int stop_flag;

struct lineage {
	struct slot_set pool;
	struct rng rng;
	uint64_t rounds;
	uint64_t max_generations; /* 0: until the timer stops the run */
	uint64_t ops, generations, sum; /* generations = threads the lineage ran */
	char pad[64];
};

static bool stopped(void)
{
	return atomic_load_explicit(&stop_flag, memory_order_relaxed);
}

/* The running generation is the lineage's last one: the timer fired, or it
 * is generation number GENERATIONS.  generations counts the finished ones. */
static bool last_generation(const struct lineage *l)
{
	if (l->max_generations)
		return l->generations + 1 == l->max_generations;
	return stopped();
}

/* One generation: churn until ROUNDS are done or the run is over.  With no
 * timer the stop flag stays clear, so a fixed-work generation does all ROUNDS. */
static void *generation_main(void *arg)
{
	struct lineage *l = arg;
	for (uint64_t done = 0; done < l->rounds; done += CHUNK) {
		if (stopped())
			break;
		l->sum += slots_churn(&l->pool, CHUNK, &l->rng);
		l->ops += CHUNK;
	}
	if (last_generation(l))
		l->sum += slots_destroy(&l->pool);
	return NULL;
}

/* A lineage's driver: starts each generation once the previous one exited,
 * so the pool always moves to a brand-new thread. */
static void *lineage_main(void *arg)
{
	struct lineage *l = arg;
	while (l->pool.slots) {
		pthread_t tid;
		bench_thread_start(&tid, generation_main, l);
		bench_thread_join(tid);
		l->generations++;
	}
	return NULL;
}

static void *timer_main(void *arg)
{
	double secs = *(double *)arg;
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop_flag, 1);
	return NULL;
}

/* Runs all lineages (and the timer unless secs is 0); returns the wall time. */
static uint64_t run_lineages(struct lineage *ls, int threads, double *secs)
{
	pthread_t timer;
	pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
	if (!tids)
		bench_die(usage, "out of memory");
	uint64_t t0 = now_ns();
	if (*secs > 0)
		bench_thread_start(&timer, timer_main, secs);
	for (int i = 0; i < threads; i++)
		bench_thread_start(&tids[i], lineage_main, &ls[i]);
	for (int i = 0; i < threads; i++)
		bench_thread_join(tids[i]);
	uint64_t elapsed = now_ns() - t0;
	if (*secs > 0)
		bench_thread_join(timer);
	free(tids);
	return elapsed;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	int threads = arg_u64(argc, argv, 1, 2, 1, 1024, "THREADS", usage);
	double secs = arg_double(argc, argv, 2, 1.0, 0, 3600, "SECONDS", usage);
	if (secs > 0 && secs < 0.01)
		bench_die(usage, "SECONDS: %g out of range: 0 or [0.01, 3600]", secs);
	uint64_t nslots = arg_u64(argc, argv, 3, 1000, 1, 1u << 24, "SLOTS", usage);
	uint64_t rounds = arg_u64(argc, argv, 4, 50000, CHUNK, UINT64_MAX / 2, "ROUNDS", usage);
	rounds = (rounds + CHUNK - 1) / CHUNK * CHUNK; /* what the threads do: whole chunks */
	uint64_t seed = arg_u64(argc, argv, 5, 42, 0, UINT64_MAX, "SEED", usage);
	struct size_range sizes = arg_size_range(argc, argv, 6, 16, 4096, 1ull << 30, usage);
	size_t min = sizes.min, max = sizes.max;
	if (argc > 8 && secs > 0) /* a timed run would silently ignore it */
		bench_die(usage, "GENERATIONS needs SECONDS 0");
	uint64_t gens = secs > 0 ? 0 : arg_u64(argc, argv, 8, 100, 1, UINT64_MAX, "GENERATIONS", usage);

	printf("bench_larson: threads=%d seconds=%g slots=%" PRIu64 " rounds=%" PRIu64 " seed=%" PRIu64
	       " size=%zu..%zu",
	       threads, secs, nslots, rounds, seed, min, max);
	if (gens)
		printf(" generations/lineage=%" PRIu64 " (fixed work)", gens);
	printf("\n");
	struct lineage *ls = calloc((size_t)threads, sizeof(*ls));
	if (!ls)
		bench_die(usage, "out of memory");
	for (int i = 0; i < threads; i++) {
		ls[i] = (struct lineage){ .pool = slots_make(nslots, min, max), .rng = rng_make(seed, (uint64_t)i),
					  .rounds = rounds, .max_generations = gens };
		ls[i].sum = slots_churn(&ls[i].pool, nslots, &ls[i].rng); /* fill the pool, untimed */
	}

	uint64_t elapsed = run_lineages(ls, threads, &secs);
	uint64_t ops = 0, generations = 0, sum = 0;
	for (int i = 0; i < threads; i++) {
		ops += ls[i].ops;
		generations += ls[i].generations;
		sum += ls[i].sum;
	}
	free(ls);
	char extra[64];
	snprintf(extra, sizeof(extra), "threads=%d generations=%" PRIu64, threads, generations);
	bench_report("larson", ops, elapsed, sum, extra);
	return 0;
}
