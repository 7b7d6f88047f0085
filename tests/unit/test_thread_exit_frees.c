/*
 * Frees a thread makes after its heap was released at its exit.  glibc
 * frees the thread's own state (strerror's buffer for an unknown errno,
 * dlerror's...) in __libc_thread_freeres, after every key destructor ran:
 * a heap acquired for such a free was never released again, so each such
 * thread kept a heap and its arena (1000 threads: 1000 MiB of arenas,
 * 656 MB resident).  A key destructor that runs after hakmem's (a key made
 * later) frees small blocks and runs the same way.  Such frees now go to
 * the blocks' owners without a heap (hk_remote_free_one, the chunks),
 * each counted as a remote free and push of one block, in this process's
 * stats only (a fork child starts from 0).
 */
#include <pthread.h>
#include <sys/wait.h>

#include "hk_test.h"

#define THREADS 300
#define BLOCKS 400
#define RUN_SIZE 100000

static pthread_key_t late_key; /* made after hakmem's: its destructor runs after hakmem's */

static void late_destructor(void *arg)
{
	void **v = arg;
	free(v[0]); /* a small block */
	free(v[1]); /* a run */
	free(v);
}

static void *thread_main(void *arg)
{
	(void)arg;
	void *v[BLOCKS];
	for (int i = 0; i < BLOCKS; i++) {
		size_t n = i % 2 ? 3000 : 200;
		v[i] = malloc(n);
		HK_CHECK(v[i] != NULL, "malloc(%zu) failed", n);
		memset(v[i], 1, n);
	}
	for (int i = 0; i < BLOCKS; i++)
		free(v[i]);
	(void)strerror(12345); /* glibc mallocs a buffer it frees past our exit */
	void **late = malloc(2 * sizeof(void *));
	late[0] = malloc(100);
	late[1] = malloc(RUN_SIZE);
	HK_CHECK(late[0] && late[1], "malloc for the late destructor failed");
	memset(late[1], 2, RUN_SIZE);
	pthread_setspecific(late_key, late);
	return NULL;
}

/* A fork child counts its own events only: none yet. */
static void check_child_stats(void)
{
	pid_t pid = fork();
	HK_CHECK(pid >= 0, "fork failed");
	if (pid == 0) {
		struct hakmem_stats s = hk_stats();
		_exit(s.remote_pushes[0] == 0 && s.remote_frees[0] == 0 ? 0 : 1);
	}
	int status;
	HK_CHECK(waitpid(pid, &status, 0) == pid, "waitpid failed");
	HK_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fork child inherited the parent's pushes");
}

int main(void)
{
	hk_test_begin("test_thread_exit_frees", "frees after a thread's heap was released at its exit");
	free(malloc(16)); /* hakmem's key first */
	HK_CHECK(pthread_key_create(&late_key, late_destructor) == 0, "pthread_key_create failed");
	struct hakmem_stats before = hk_stats();
	for (int i = 0; i < THREADS; i++) {
		pthread_t t;
		HK_CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0, "pthread_create failed");
		HK_CHECK(pthread_join(t, NULL) == 0, "pthread_join failed");
	}
	struct hakmem_stats after = hk_stats();
	uint64_t inits = after.thread_inits - before.thread_inits;
	uint64_t exits = after.thread_exits - before.thread_exits;
	printf("%d threads: %" PRIu64 " heaps acquired, %" PRIu64 " released, arenas %" PRIu64 " KiB\n", THREADS,
	       inits, exits, after.arena_bytes >> 10);
	HK_CHECK(inits == THREADS && exits == THREADS, "a heap per thread, each released: %" PRIu64 " and %" PRIu64,
		 inits, exits);
	HK_CHECK(after.arena_bytes <= ((uint64_t)8 << 20), "arenas grew to %" PRIu64 " KiB: heaps leaked",
		 after.arena_bytes >> 10);
	/* the late destructor's two small blocks, glibc's buffer: one push each */
	uint64_t pushes = after.remote_pushes[0] - before.remote_pushes[0];
	uint64_t frees = after.remote_frees[0] - before.remote_frees[0];
	HK_CHECK(pushes == frees && pushes >= 2 * THREADS, "tiny remote pushes %" PRIu64 ", frees %" PRIu64, pushes,
		 frees);
	check_child_stats();
	hk_pass("thread exit frees");
	return 0;
}
