/*
 * probe_churn.c — a small deterministic workload that drives every slow path
 * hakmem has a probe for, for the probe tests (tests/bpf/test_probe_*.sh):
 *
 *   probe_churn [THREADS] [ROUNDS]
 *
 * Each round starts THREADS fresh threads (thread_init / thread_exit, cold
 * starts).  Every thread allocates a batch of blocks of every tier (tiny,
 * pool, large) and enough of them to refill its caches and grow its pool
 * arena; then the threads swap batches and each frees its neighbour's blocks
 * (remote_push), and allocates again so the owners drain their queues.
 * Large blocks map and unmap memory (os_map / os_unmap).  At the end
 * another thread frees a batch of the main thread's blocks, and the main
 * thread fills more than its first pool arena, frees it all and calls
 * malloc_trim(0): its walk drains that batch (a drain outside any refill),
 * and the full arena goes back (arena_release).
 *
 * Runs in well under a second; exits 0 when every block read back what its
 * allocator wrote.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16
/* Blocks per thread and batch: several refills' worth of each small class,
 * ~2.6 MiB of pool blocks (the arena grows past its first MiB), a few
 * large ones and one huge one (only its ends are written, so peak memory
 * stays small). */
static const struct {
	size_t size, count;
} mix[] = {
	{16, 64}, {24, 64}, {48, 64}, {64, 64}, {100, 64}, {128, 64}, {256, 64},
	{512, 64}, {1000, 64}, {1024, 64}, /* tiny */
	{1100, 16}, {2048, 16}, {4096, 16}, {8192, 16}, {16384, 16}, {32768, 16},
	{49152, 16}, {53248, 16}, /* pool */
	{65536, 4}, {200000, 2}, {1 << 20, 2}, /* large */
	{128 << 20, 1}, /* past hakmem's regions: mapped and unmapped on its own */
};
#define NMIX (sizeof(mix) / sizeof(mix[0]))
#define BATCH 1024 /* >= the sum of the counts above */

struct worker {
	pthread_t thread;
	unsigned id;
	unsigned char *blocks[BATCH];
	size_t size[BATCH];
	int failed;
};

static struct worker workers[MAX_THREADS];
static unsigned nthreads;
static pthread_barrier_t swap_barrier;

/* Keep the compiler from eliding a malloc/free pair. */
static inline void escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static void fill(struct worker *w)
{
	size_t i = 0;
	for (size_t m = 0; m < NMIX; m++) {
		for (size_t k = 0; k < mix[m].count && i < BATCH; k++, i++) {
			unsigned char *p = malloc(mix[m].size);
			if (!p) {
				w->failed = 1;
				continue;
			}
			p[0] = (unsigned char)w->id;
			p[mix[m].size - 1] = (unsigned char)i;
			escape(p);
			w->blocks[i] = p;
			w->size[i] = mix[m].size;
		}
	}
}

/* Frees blocks allocated by worker `from`, which mostly belong to another
 * thread: these are the remote frees. */
static void release(struct worker *self, struct worker *from)
{
	for (size_t i = 0; i < BATCH; i++) {
		unsigned char *p = from->blocks[i];
		if (!p)
			continue;
		if (p[0] != (unsigned char)from->id || p[from->size[i] - 1] != (unsigned char)i)
			self->failed = 1;
		free(p);
		from->blocks[i] = NULL;
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;
	fill(w);
	pthread_barrier_wait(&swap_barrier);
	release(w, &workers[(w->id + 1) % nthreads]);
	pthread_barrier_wait(&swap_barrier);
	fill(w); /* allocating again drains what the neighbour queued */
	release(w, w);
	return NULL;
}

static int round_of_threads(void)
{
	int failed = 0;
	pthread_barrier_init(&swap_barrier, NULL, nthreads);
	for (unsigned i = 0; i < nthreads; i++) {
		workers[i].id = i;
		if (pthread_create(&workers[i].thread, NULL, run, &workers[i]) != 0) {
			fprintf(stderr, "probe_churn: pthread_create failed\n");
			exit(1);
		}
	}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(workers[i].thread, NULL);
		failed |= workers[i].failed;
	}
	pthread_barrier_destroy(&swap_barrier);
	return failed;
}

#define REMOTE 64

static void *free_all(void *arg)
{
	unsigned char **p = arg;
	for (int i = 0; i < REMOTE; i++)
		free(p[i]);
	return NULL;
}

/* Blocks of the main thread freed by another, which exits: its chains go to
 * the main thread's queue then, for malloc_trim's walk to drain. */
static int freed_elsewhere(void)
{
	static unsigned char *p[REMOTE];
	pthread_t t;
	for (int i = 0; i < REMOTE; i++) {
		p[i] = malloc(100);
		if (!p[i])
			return 1;
		escape(p[i]);
	}
	if (pthread_create(&t, NULL, free_all, p) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	return 0;
}

/* ~3 MiB of pool blocks: past the first 1 MiB arena and its 2 MiB successor's start. */
static int trim_arenas(void)
{
	enum { N = 96, SIZE = 32768 };
	static unsigned char *p[N];
	int failed = 0;
	for (int i = 0; i < N; i++) {
		p[i] = malloc(SIZE);
		if (!p[i])
			return 1;
		p[i][0] = (unsigned char)i;
	}
	for (int i = 0; i < N; i++) {
		failed |= p[i][0] != (unsigned char)i;
		free(p[i]);
	}
	malloc_trim(0);
	return failed;
}

int main(int argc, char **argv)
{
	nthreads = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
	if (nthreads < 2 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: probe_churn [THREADS 2..%d] [ROUNDS]\n", MAX_THREADS);
		return 2;
	}
	int failed = 0;
	for (unsigned r = 0; r < rounds; r++)
		failed |= round_of_threads();
	failed |= freed_elsewhere();
	failed |= trim_arenas();
	if (failed)
		fprintf(stderr, "probe_churn: a block did not read back what was written\n");
	return failed;
}
