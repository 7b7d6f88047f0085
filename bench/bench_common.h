/*
 * bench_common.h — what every workload shares: a seeded PRNG, a clock, peak
 * RSS, strict argument parsing, block stamping/checksums and the RESULT line.
 *
 * The workloads call plain malloc/free; the allocator under test is chosen
 * with LD_PRELOAD.  To keep the compiler from deleting malloc/free pairs,
 * every block is stamped when allocated and its stamp is read back into a
 * checksum before it is freed; the checksum is printed.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- PRNG: xorshift64* — tiny, fast, deterministic for a given seed. ---- */

struct rng {
	uint64_t s;
};

/* Distinct streams per thread come from mixing the stream id into the seed
 * (splitmix64), so that thread 0 and thread 1 never share a sequence. */
static inline struct rng rng_make(uint64_t seed, uint64_t stream)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (struct rng){ .s = z ? z : 1 };
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t x = r->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [lo, hi] (inclusive); the multiply-shift avoids a division. */
static inline uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo + 1;
	return lo + (uint64_t)(((unsigned __int128)(rng_next(r) >> 11) * span) >> 53);
}

/* ---- time and memory ---- */

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Peak resident set in KiB.  VmHWM from /proc/self/status is preferred over
 * getrusage()'s ru_maxrss: ru_maxrss survives execve, so a benchmark started
 * by a big parent (python, a BPF tool) would report the parent's peak.
 * Read with open/read, not stdio, to stay off the allocator under test.
 */
static inline long peak_rss_kb(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	char *hwm = NULL;
	if (n > 0) {
		buf[n] = 0;
		hwm = strstr(buf, "VmHWM:");
	}
	if (hwm)
		return strtol(hwm + 6, NULL, 10);
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* ---- arguments ---- */

/* Every program takes positional arguments; --help/-h prints the usage. */
static inline void bench_usage_check(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s", usage);
			exit(0);
		}
	}
}

static inline void bench_die(const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n%s", usage);
	va_end(ap);
	exit(2);
}

/* Positional argument idx (1-based) as an unsigned integer in [min, max],
 * or def when absent.  Anything but a whole number in range is an error. */
static inline uint64_t arg_u64(int argc, char **argv, int idx, uint64_t def, uint64_t min, uint64_t max,
			       const char *name, const char *usage)
{
	if (idx >= argc)
		return def;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(argv[idx], &end, 0);
	if (errno || end == argv[idx] || *end || argv[idx][0] == '-')
		bench_die(usage, "%s: not a number: '%s'", name, argv[idx]);
	if (v < min || v > max)
		bench_die(usage, "%s: %llu out of range [%" PRIu64 ", %" PRIu64 "]", name, v, min, max);
	return v;
}

static inline double arg_double(int argc, char **argv, int idx, double def, double min, double max,
				const char *name, const char *usage)
{
	if (idx >= argc)
		return def;
	char *end;
	errno = 0;
	double v = strtod(argv[idx], &end);
	if (errno || end == argv[idx] || *end)
		bench_die(usage, "%s: not a number: '%s'", name, argv[idx]);
	if (!(v >= min && v <= max))
		bench_die(usage, "%s: %g out of range [%g, %g]", name, v, min, max);
	return v;
}

/* A block size range: MIN and MAX at argv[idx] and argv[idx + 1], both or
 * neither; MIN is 16 bytes at least (a block holds two stamped words). */
struct size_range {
	size_t min, max;
};

static inline struct size_range arg_size_range(int argc, char **argv, int idx, size_t def_min, size_t def_max,
					       size_t limit, const char *usage)
{
	if (argc == idx + 1)
		bench_die(usage, "MIN needs MAX");
	struct size_range r;
	r.min = arg_u64(argc, argv, idx, def_min, 16, limit, "MIN", usage);
	r.max = arg_u64(argc, argv, idx + 1, def_max, r.min, limit, "MAX", usage);
	return r;
}

/* ---- block stamping: defeats dead-code elimination ---- */

/* Write a tag into the first and the last word of a block (blocks are at
 * least 16 bytes in every workload).  Touching only the ends keeps the
 * figure about the allocator, not about memset bandwidth. */
static inline void block_stamp(void *p, size_t size, uint64_t tag)
{
	unsigned char *b = p;
	memcpy(b, &tag, sizeof(tag));
	memcpy(b + size - sizeof(tag), &tag, sizeof(tag));
}

/* Read the stamp back; the sum of both words goes into the checksum. */
static inline uint64_t block_read(const void *p, size_t size)
{
	const unsigned char *b = p;
	uint64_t head, tail;
	memcpy(&head, b, sizeof(head));
	memcpy(&tail, b + size - sizeof(tail), sizeof(tail));
	return head + tail;
}

/* A block the allocator could not provide ends the run: a benchmark that
 * continued would measure something else. */
static inline void *bench_malloc(size_t size)
{
	void *p = malloc(size);
	if (!p) {
		fprintf(stderr, "error: malloc(%zu) failed\n", size);
		exit(1);
	}
	return p;
}

/* ---- threads ---- */

static inline void bench_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(tid, NULL, fn, arg);
	if (rc) {
		fprintf(stderr, "error: pthread_create: %s\n", strerror(rc));
		exit(1);
	}
}

static inline void bench_thread_join(pthread_t tid)
{
	int rc = pthread_join(tid, NULL);
	if (rc) {
		fprintf(stderr, "error: pthread_join: %s\n", strerror(rc));
		exit(1);
	}
}

/* Timed parallel section.  Workers call bench_gate_wait() once when ready
 * and once when their timed work is done; setup and cleanup stay outside.
 * run_threads_timed() returns the wall time between the two gates. */
static pthread_barrier_t bench_gate;

static inline void bench_gate_wait(void)
{
	pthread_barrier_wait(&bench_gate);
}

static inline uint64_t run_threads_timed(int n, void *(*fn)(void *), void *args, size_t stride)
{
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	if (!tids) {
		fprintf(stderr, "error: out of memory\n");
		exit(1);
	}
	pthread_barrier_init(&bench_gate, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++)
		bench_thread_start(&tids[i], fn, (char *)args + (size_t)i * stride);
	bench_gate_wait();
	uint64_t t0 = now_ns();
	bench_gate_wait();
	uint64_t elapsed = now_ns() - t0;
	for (int i = 0; i < n; i++)
		bench_thread_join(tids[i]);
	pthread_barrier_destroy(&bench_gate);
	free(tids);
	return elapsed;
}

/* ---- CPU pinning ---- */

/* The CPUs a workload's threads go on, one each: those this process may run
 * on, when there are at least n and BENCH_PIN is not 0; returns 0 (no
 * pinning) otherwise.  A workload that measures blocks passed between
 * threads pins them, or the scheduler sometimes puts two on one CPU and no
 * block crosses a core: cross_thread sym, 2 CPUs, ran at about 20 M ops/s
 * and, one run in three, at 50 M, under every allocator alike.  (A virtual
 * machine's host may still put its two CPUs on one core for a while.) */
static inline int bench_pin_cpus(int n, cpu_set_t *cpus)
{
	const char *env = getenv("BENCH_PIN");
	if (env && strcmp(env, "0") == 0)
		return 0;
	if (sched_getaffinity(0, sizeof(*cpus), cpus))
		return 0;
	return CPU_COUNT(cpus) >= n;
}

/* Pin the calling thread to the i-th CPU of cpus (bench_pin_cpus). */
static inline void bench_pin_self(const cpu_set_t *cpus, int i)
{
	int cpu = 0;
	for (int seen = -1; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, cpus) && ++seen == i)
			break;
	if (cpu == CPU_SETSIZE) { /* fewer CPUs than threads: bench_pin_cpus said no */
		fprintf(stderr, "error: no CPU %d of %d to pin thread %d to\n", i, CPU_COUNT(cpus), i);
		exit(1);
	}
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	int rc = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	if (rc) {
		fprintf(stderr, "error: pinning thread %d to CPU %d: %s\n", i, cpu, strerror(rc));
		exit(1);
	}
}

/* ---- report ---- */

/* Human-readable figures, then the one line scripts parse:
 *   RESULT name=<workload> ops_per_sec=<float> peak_rss_kb=<int> [extra...]
 * extra is a preformatted "key=value key=value" string or NULL. */
static inline void bench_report(const char *name, uint64_t ops, uint64_t elapsed_ns, uint64_t checksum,
				 const char *extra)
{
	double secs = (double)elapsed_ns / 1e9;
	double ops_per_sec = secs > 0 ? (double)ops / secs : 0.0;
	long rss = peak_rss_kb();
	printf("ops:         %" PRIu64 "\n", ops);
	printf("time:        %.3f s\n", secs);
	printf("ops/s:       %.0f\n", ops_per_sec);
	printf("peak RSS:    %ld KiB\n", rss);
	printf("checksum:    %016" PRIx64 "\n", checksum);
	printf("RESULT name=%s ops_per_sec=%.1f peak_rss_kb=%ld%s%s\n", name, ops_per_sec, rss, extra ? " " : "",
	       extra ? extra : "");
	fflush(stdout);
}

/* ---- workloads of independent threads ---- */

/* One thread's arguments (ws and seed where the workload has them) and
 * checksum, padded so that neighbours do not share a line. */
struct bench_worker {
	uint64_t cycles, ws, seed, index;
	uint64_t sum;
	char pad[64];
};

/* Run fn in threads workers (index 0..threads-1, the rest from tmpl), timed
 * between the gates, and print the RESULT line: ops = cycles per thread,
 * checksum = the workers' sums. */
static inline void bench_run_workers(const char *name, int threads, void *(*fn)(void *), struct bench_worker tmpl,
				     const char *usage)
{
	struct bench_worker *w = calloc((size_t)threads, sizeof(*w));
	if (!w)
		bench_die(usage, "out of memory");
	for (int i = 0; i < threads; i++) {
		w[i] = tmpl;
		w[i].index = (uint64_t)i;
	}
	uint64_t elapsed = run_threads_timed(threads, fn, w, sizeof(*w));
	uint64_t sum = 0;
	for (int i = 0; i < threads; i++)
		sum += w[i].sum;
	free(w);
	char extra[32];
	snprintf(extra, sizeof(extra), "threads=%d", threads);
	bench_report(name, tmpl.cycles * (uint64_t)threads, elapsed, sum, extra);
}

#endif
