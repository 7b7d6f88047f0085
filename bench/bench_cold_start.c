/*
 * bench_cold_start — latency of the FIRST malloc in a fresh thread.
 *
 * Half of the THREADS threads are created one after another (create, join);
 * the other half in batches of BATCH threads started together behind a
 * barrier, so that their first mallocs race.  Each thread times its first
 * malloc(SIZE) with clock_gettime(CLOCK_MONOTONIC) around it.  The figures
 * include one clock read (timer_ns, measured and printed, not subtracted).
 *
 * ops/s is 1e9 / mean first-malloc ns (first mallocs per second of time
 * spent in them); p50/p90/max ns are in the RESULT line's extra fields.
 */
#include "bench_common.h"

static const char usage[] =
	"usage: bench_cold_start [THREADS [SIZE [BATCH]]]\n"
	"  THREADS fresh threads, half sequential, half concurrent (default 1000)\n"
	"  SIZE    bytes of each thread's first malloc (default 64)\n"
	"  BATCH   threads started together in the concurrent half (default 4)\n"
	"Prints p50/p90/max ns of the first malloc.  Last line:\n"
	"RESULT name=cold_start ops_per_sec=<1e9/mean_ns> ... extra: p50_ns=N\n"
	"p90_ns=N max_ns=N mean_ns=N timer_ns=N threads=N\n";

struct probe {
	size_t size;
	pthread_barrier_t *start; /* NULL for the sequential half */
	uint64_t ns, sum;
};

static void *first_malloc(void *arg)
{
	struct probe *pr = arg;
	if (pr->start)
		pthread_barrier_wait(pr->start);
	uint64_t t0 = now_ns();
	void *p = malloc(pr->size);
	uint64_t t1 = now_ns();
	if (!p) {
		fprintf(stderr, "error: first malloc(%zu) failed\n", pr->size);
		exit(1);
	}
	block_stamp(p, pr->size, t1);
	pr->sum = block_read(p, pr->size);
	free(p);
	pr->ns = t1 - t0;
	return NULL;
}

static void run_sequential(struct probe *pr, int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t tid;
		bench_thread_start(&tid, first_malloc, &pr[i]);
		bench_thread_join(tid);
	}
}

static void run_batches(struct probe *pr, int n, int batch)
{
	pthread_t tids[batch];
	for (int base = 0; base < n; base += batch) {
		int k = n - base < batch ? n - base : batch;
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, (unsigned)k);
		for (int i = 0; i < k; i++) {
			pr[base + i].start = &start;
			bench_thread_start(&tids[i], first_malloc, &pr[base + i]);
		}
		for (int i = 0; i < k; i++)
			bench_thread_join(tids[i]);
		pthread_barrier_destroy(&start);
	}
}

/* Cost of one clock read: the smallest back-to-back difference. */
static uint64_t timer_cost(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 1000; i++) {
		uint64_t t0 = now_ns(), t1 = now_ns();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return best;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static uint64_t percentile(const uint64_t *sorted, int n, int pct)
{
	int idx = (int)(((int64_t)n * pct + 99) / 100) - 1; /* nearest rank */
	return sorted[idx < 0 ? 0 : idx];
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	int threads = arg_u64(argc, argv, 1, 1000, 2, 1000000, "THREADS", usage);
	size_t size = arg_u64(argc, argv, 2, 64, 16, 1ull << 30, "SIZE", usage);
	int batch = arg_u64(argc, argv, 3, 4, 1, 64, "BATCH", usage);
	printf("bench_cold_start: threads=%d (%d sequential, %d in batches of %d) size=%zu\n", threads,
	       threads / 2, threads - threads / 2, batch, size);

	struct probe *pr = calloc((size_t)threads, sizeof(*pr));
	uint64_t *ns = calloc((size_t)threads, sizeof(*ns));
	if (!pr || !ns)
		bench_die(usage, "out of memory");
	for (int i = 0; i < threads; i++)
		pr[i].size = size;
	run_sequential(pr, threads / 2);
	run_batches(pr + threads / 2, threads - threads / 2, batch);

	uint64_t total = 0, sum = 0;
	for (int i = 0; i < threads; i++) {
		ns[i] = pr[i].ns;
		total += pr[i].ns;
		sum += pr[i].sum;
	}
	qsort(ns, (size_t)threads, sizeof(*ns), cmp_u64);
	uint64_t p50 = percentile(ns, threads, 50), p90 = percentile(ns, threads, 90), max = ns[threads - 1];
	printf("first malloc: p50 %" PRIu64 " ns  p90 %" PRIu64 " ns  max %" PRIu64 " ns\n", p50, p90, max);
	char extra[160];
	snprintf(extra, sizeof(extra),
		 "p50_ns=%" PRIu64 " p90_ns=%" PRIu64 " max_ns=%" PRIu64 " mean_ns=%" PRIu64 " timer_ns=%" PRIu64
		 " threads=%d",
		 p50, p90, max, total / (uint64_t)threads, timer_cost(), threads);
	free(pr);
	free(ns);
	bench_report("cold_start", (uint64_t)threads, total, sum, extra);
	return 0;
}
