/*
 * top_remote.c — the workload of the hakmem-top tests (tests/bpf/test_top_*.sh).
 *
 *   top_remote [K [WAIT_FILE [SECONDS]]]
 *
 * Waits until WAIT_FILE exists (when given and not "-"; up to 30 s), so that
 * a tracer started just before can attach.  With SECONDS, repeats the remote
 * phase below every 20 ms for that long (a steady load for screen tests).  Then thread A (main) allocates K blocks
 * of one tiny class and hands them to thread B, which frees them all while
 * A waits in pthread_join: K remote pushes onto A's queue of that class, so
 * that queue reaches depth K exactly.  A then allocates more than a refill's
 * worth of the same class, which drains the queue.  Finally some pool blocks
 * (the arena grows), large blocks (their pages are given back, madvise, with
 * HAKMEM_LARGE_CACHE_MB=0) and a huge one (mmap and munmap of its own),
 * and last malloc_trim(0), which walks the heap's free lists (a reclaim), so
 * that every counter hakmem-top shows moves.
 * Exits 0 when every block read back what was written.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TINY 64
#define POOL (32 << 10)
#define POOL_N 96 /* 3 MiB: past the first arena */
#define LARGE (1 << 20)
#define LARGE_N 4
#define HUGE ((size_t)128 << 20) /* past hakmem's regions: a mapping of its own */

struct batch {
	unsigned char **blocks;
	size_t n;
};

static int failed;

static void *fill(size_t size, unsigned char tag)
{
	unsigned char *p = malloc(size);

	if (!p) {
		perror("malloc");
		exit(1);
	}
	memset(p, tag, size);
	return p;
}

static void check_free(unsigned char *p, size_t size, unsigned char tag)
{
	if (p[0] != tag || p[size - 1] != tag)
		failed = 1;
	free(p);
}

/* Thread B: frees every block of A's batch (remote frees). */
static void *remote_freer(void *arg)
{
	struct batch *b = arg;

	for (size_t i = 0; i < b->n; i++)
		check_free(b->blocks[i], TINY, (unsigned char)i);
	return NULL;
}

static void wait_for(const char *path)
{
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 3000 && access(path, F_OK); i++)
		nanosleep(&ten_ms, NULL);
}

/* TOP_REMOTE_HOLD_MS: how long the queue stays full before the drain, so
 * that a tracer sees intervals in which nothing touches it. */
static void hold(void)
{
	const char *ms = getenv("TOP_REMOTE_HOLD_MS");
	long n = ms ? atol(ms) : 0;
	struct timespec t = { n / 1000, n % 1000 * 1000 * 1000 };

	if (n > 0)
		nanosleep(&t, NULL);
}

/* K tiny blocks freed by another thread while we wait, then a drain. */
static void remote_phase(size_t k)
{
	struct batch b = { calloc(k, sizeof(*b.blocks)), k };
	size_t again = 2 * k + 1024;
	unsigned char **more = calloc(again, sizeof(*more));
	pthread_t t;

	if (!b.blocks || !more) {
		perror("calloc");
		exit(1);
	}
	for (size_t i = 0; i < k; i++)
		b.blocks[i] = fill(TINY, (unsigned char)i);
	if (pthread_create(&t, NULL, remote_freer, &b) || pthread_join(t, NULL)) {
		fprintf(stderr, "top_remote: cannot run the freeing thread\n");
		exit(1);
	}
	hold();
	for (size_t i = 0; i < again; i++)
		more[i] = fill(TINY, 0x5a);
	for (size_t i = 0; i < again; i++)
		check_free(more[i], TINY, 0x5a);
	free(more);
	free(b.blocks);
}

static void size_phase(size_t size, size_t n)
{
	unsigned char *p[POOL_N];

	for (size_t i = 0; i < n; i++)
		p[i] = fill(size, (unsigned char)(i + 1));
	for (size_t i = 0; i < n; i++)
		check_free(p[i], size, (unsigned char)(i + 1));
}

/* Only the ends are touched: the block costs two pages. */
static void huge_phase(void)
{
	unsigned char *p = malloc(HUGE);

	if (!p) {
		perror("malloc");
		exit(1);
	}
	p[0] = p[HUGE - 1] = 0x77;
	check_free(p, HUGE, 0x77);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The remote phase again every 20 ms until `seconds` have passed. */
static void repeat(size_t k, double seconds)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	double end = now_s() + seconds;

	while (now_s() < end) {
		remote_phase(k);
		nanosleep(&pause, NULL);
	}
}

int main(int argc, char **argv)
{
	size_t k = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;

	if (argc > 2 && strcmp(argv[2], "-"))
		wait_for(argv[2]);
	if (k == 0) {
		fprintf(stderr, "usage: top_remote [K [WAIT_FILE|- [SECONDS]]]\n");
		return 2;
	}
	remote_phase(k);
	if (argc > 3)
		repeat(k, strtod(argv[3], NULL));
	size_phase(POOL, POOL_N);
	size_phase(LARGE, LARGE_N);
	huge_phase();
	malloc_trim(0);
	if (failed)
		fprintf(stderr, "top_remote: a block did not read back what was written\n");
	return failed;
}
