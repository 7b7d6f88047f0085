/*
 * Under a finite RLIMIT_AS or RLIMIT_DATA a region reserves a 16th of the
 * limit, not 256 MiB: a reservation counts in full against both, touched or
 * not, and with `ulimit -v 300000` a program started 4 threads of 8 MiB
 * stacks where glibc starts 36.  Each child process here sets a limit
 * before its first allocation, 320 MiB past what it maps already,
 * allocates in every tier, and starts 32 threads of default stacks
 * (256 MiB), alive together; glibc runs it too.
 */
#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "hk_test.h"

#define THREADS 32
#define HEADROOM_KB (320L << 10)
#define BIG_KB (24L << 10) /* past a region reserved under HEADROOM_KB */

static sem_t go;

static void *waits(void *arg)
{
	sem_wait(&go);
	return arg;
}

/* Blocks of every tier, written and freed; 0 when all were served. */
static int allocates(void)
{
	static const size_t sizes[] = {16, 900, 8000, 50000, 200000, (size_t)3 << 20};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = malloc(sizes[i]);
		if (!p)
			return -1;
		memset(p, 1, sizes[i]);
		free(p);
	}
	return 0;
}

/* Blocks larger than a region reserved under the limit get mappings of
 * their own; one that first reserved a region it could not use kept a 16th
 * of the limit for nothing each time: 24 MiB blocks, 6 held where glibc
 * holds 13.  Whether at least half the headroom's worth are held. */
static int holds_big_blocks(const char *field)
{
	static void *big[HEADROOM_KB / BIG_KB];
	size_t n = 0;
	while (n < sizeof(big) / sizeof(big[0]) && (big[n] = malloc((size_t)BIG_KB << 10)))
		n++;
	printf("%s limit: %zu blocks of %ld MiB held\n", field, n, BIG_KB >> 10);
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		free(big[i]);
	return (long)n * BIG_KB >= HEADROOM_KB / 2;
}

/* In a child: limit resource, allocate, start the threads, then hold big
 * blocks; exit 0 when all went well. */
static void child(int resource, const char *field)
{
	struct rlimit rl;
	rl.rlim_cur = rl.rlim_max = (rlim_t)(hk_status_kb(field) + HEADROOM_KB) * 1024;
	if (setrlimit(resource, &rl) != 0 || allocates() != 0)
		_exit(2);
	sem_init(&go, 0, 0);
	pthread_t t[THREADS];
	int started = 0;
	for (; started < THREADS; started++)
		if (pthread_create(&t[started], NULL, waits, NULL) != 0)
			break;
	for (int i = 0; i < started; i++)
		sem_post(&go);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	printf("%s limit: %d of %d threads started\n", field, started, THREADS);
	fflush(stdout);
	if (started != THREADS || allocates() != 0)
		_exit(1);
	_exit(holds_big_blocks(field) ? 0 : 3);
}

static void run(int resource, const char *field)
{
	fflush(stdout);
	pid_t pid = fork();
	HK_CHECK(pid >= 0, "fork");
	if (pid == 0)
		child(resource, field);
	int status;
	HK_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	HK_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "under a %s limit 320 MiB past the start, %s (status %#x)", field,
		 WIFEXITED(status) && WEXITSTATUS(status) == 3 ? "24 MiB blocks held under 160 MiB"
								: "the threads could not all start",
		 status);
}

int main(void)
{
	hk_test_begin("test_region_rlimit", "a finite RLIMIT_AS/RLIMIT_DATA leaves room for thread stacks");
	if (HK_SANITIZED) { /* their shadow makes any limit past it terabytes */
		hk_pass("not under sanitizers");
		return 0;
	}
	run(RLIMIT_AS, "VmSize:");
	run(RLIMIT_DATA, "VmData:");
	hk_pass("32 threads of 8 MiB stacks, and 24 MiB blocks to half the headroom, under each limit");
	return 0;
}
