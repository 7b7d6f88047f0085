/*
 * fork() while another thread walks its heap: a walker thread keeps every
 * 44th of many pool blocks live, frees the rest and calls hakmem_flush,
 * whose reclaim walks its lists, over and over, while the main thread forks.
 * A heap's thread changes it without locks, so the child must never adopt
 * the heap of a thread that was running at the fork: in each child a new
 * thread's first act is to free one of the walker's blocks (which adopts
 * the heap that owns it when that heap waits for a thread), and then it
 * allocates, frees and flushes in that class, checking contents.  An
 * adopted half-walked heap handed out blocks twice or aborted valid frees
 * ("double free", "invalid pointer").  A failure in any child fails the test.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "hk_queue.h"

#define BLOCKS 20000
#define SIZE 1500 /* pool tier */
#define KEEP_EVERY 44
#define FORKS 16
#define CHILD_BLOCKS 4000

static void *blocks[BLOCKS];
static void *kept[BLOCKS / KEEP_EVERY + 1]; /* the walker's live blocks */
static atomic_uint_fast64_t walker_heap;
static atomic_int stop;
static atomic_long walks;
static atomic_int walking; /* the walker is in hakmem_flush */

static void refill(void)
{
	for (int i = 0; i < BLOCKS; i++)
		if (i % KEEP_EVERY && !blocks[i]) {
			blocks[i] = malloc(SIZE);
			HK_CHECK(blocks[i] != NULL, "walker: malloc");
			memset(blocks[i], 0x11, 64);
		}
}

static void *walker(void *arg)
{
	for (int i = 0; i < BLOCKS; i += KEEP_EVERY)
		kept[i / KEEP_EVERY] = hk_block_new(SIZE, (uint64_t)i);
	atomic_store(&walker_heap, hakmem_heap_id());
	while (!atomic_load(&stop)) {
		refill();
		for (int i = 0; i < BLOCKS; i++) {
			free(blocks[i]);
			blocks[i] = NULL;
		}
		atomic_store(&walking, 1);
		hakmem_flush(); /* the reclaim walks every free block */
		atomic_store(&walking, 0);
		atomic_fetch_add(&walks, 1);
	}
	return arg;
}

/* The child's new thread: its first free adopts the heap owning the block
 * when that heap waits for a thread. */
static void *child_user(void *arg)
{
	free(kept[0]);
	HK_CHECK(hakmem_heap_id() != atomic_load(&walker_heap),
		 "child adopted the heap of the walker, a thread running at the fork");
	struct hakmem_census c;
	hakmem_census(&c); /* checks every entry of its lists */
	static unsigned char *a[CHILD_BLOCKS];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < CHILD_BLOCKS; i++)
			if (!a[i]) {
				a[i] = malloc(SIZE);
				HK_CHECK(a[i] != NULL, "child: malloc");
				hk_fill(a[i], SIZE, (uint64_t)i);
			}
		for (int i = round % 2; i < CHILD_BLOCKS; i += 2) {
			free(a[i]);
			a[i] = NULL;
		}
		hakmem_flush();
		for (int i = 0; i < CHILD_BLOCKS; i++)
			if (a[i])
				HK_CHECK_PATTERN(a[i], SIZE, (uint64_t)i, "child block");
	}
	for (int i = 1; i < BLOCKS / KEEP_EVERY; i++) /* the walker's, all remote */
		free(kept[i]);
	return arg;
}

static void child(void)
{
	alarm(30);
#ifdef __SANITIZE_THREAD__
	child_user(NULL); /* TSan starts no thread after a multi-threaded fork */
#else
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, child_user, NULL) == 0, "child: pthread_create");
	pthread_join(t, NULL);
#endif
	_exit(0);
}

int main(void)
{
	hk_test_begin("stress_fork_walk", "fork while a thread walks its heap; the child adopts none in use");
	pthread_t t;
	HK_CHECK(pthread_create(&t, NULL, walker, NULL) == 0, "pthread_create");
	while (!atomic_load(&walker_heap))
		usleep(1000);
	uint64_t rng = 1;
	int forks = (int)hk_scale(FORKS, 4), failed = 0;
	for (int i = 0; i < forks; i++) {
		while (!atomic_load(&walking))
			sched_yield();
		usleep((useconds_t)(hk_rand(&rng) % 2000)); /* somewhere in the walk */
		fflush(stdout);
		pid_t pid = fork();
		HK_CHECK(pid >= 0, "fork #%d", i);
		if (pid == 0)
			child();
		int st;
		HK_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("fork #%d: child %s %d\n", i, WIFEXITED(st) ? "exited with" : "killed by signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			failed++;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	HK_CHECK(failed == 0, "%d of %d children failed", failed, forks);
	for (int i = 0; i < BLOCKS / KEEP_EVERY; i++) {
		hk_block_check(kept[i], "walker's block after the forks", 1);
		free(kept[i]);
	}
	printf("%d forks, %ld walks\n", forks, atomic_load(&walks));
	hk_pass("fork while walking");
	return 0;
}
