/*
 * fork() from a multi-threaded process: three threads keep allocating and
 * freeing (including frees of each other's blocks) while the main thread
 * forks repeatedly.  Each child allocates and frees in every tier, frees
 * blocks its parent allocated before the fork, checks content and exits 0.
 * A child that deadlocks on an allocator lock held at fork time is killed by
 * its alarm and fails the test.
 */
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "hk_queue.h"

#define BUSY 3
#define SHARED 64
#define FORKS 24
#define INHERITED 32

static _Atomic(void *) shared[SHARED];
static atomic_int stop;

/* Exchange blocks through a shared array: the block we take out was often
 * allocated by another thread, so this frees remotely. */
static void *busy(void *arg)
{
	uint64_t rng = (uintptr_t)arg + 77;
	while (!atomic_load(&stop)) {
		void *p = hk_block_new(hk_stress_size(&rng), hk_rand(&rng));
		void *old = atomic_exchange(&shared[hk_rand(&rng) % SHARED], p);
		if (old) {
			hk_block_check(old, "busy thread", 0);
			free(old);
		}
	}
	return NULL;
}

static void child_work(void **inherited, uint64_t seed)
{
	alarm(20);
	for (int i = 0; i < INHERITED; i++) {
		hk_block_check(inherited[i], "inherited block", 1);
		free(inherited[i]);
	}
	static const size_t sizes[] = { 8, 100, 1024, 2000, 16384, 53248, 70000, 1 << 20 };
	uint64_t rng = seed;
	for (int round = 0; round < 50; round++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s] < sizeof(struct hk_block_hdr) ? sizeof(struct hk_block_hdr) : sizes[s];
			void *p = hk_block_new(n, hk_rand(&rng));
			void *q = calloc(1, sizes[s]);
			HK_CHECK(q && ((unsigned char *)q)[sizes[s] - 1] == 0, "child: calloc(%zu)", sizes[s]);
			q = realloc(q, sizes[s] * 2);
			HK_CHECK(q != NULL, "child: realloc");
			hk_block_check(p, "child block", 1);
			free(p);
			free(q);
		}
	_exit(0);
}

static void fork_once(int i)
{
	void *inherited[INHERITED];
	uint64_t rng = (uint64_t)i * 1000 + 1;
	for (int k = 0; k < INHERITED; k++)
		inherited[k] = hk_block_new(hk_stress_size(&rng), hk_rand(&rng));
	fflush(stdout);
	pid_t pid = fork();
	HK_CHECK(pid >= 0, "fork #%d", i);
	if (pid == 0)
		child_work(inherited, rng);
	int st;
	HK_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	HK_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork #%d: child %s %d (SIGALRM=%d means deadlock)", i,
		 WIFEXITED(st) ? "exited with" : "killed by signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
		 SIGALRM);
	for (int k = 0; k < INHERITED; k++) {
		hk_block_check(inherited[k], "parent block after fork", 1);
		free(inherited[k]);
	}
}

int main(void)
{
	hk_test_begin("stress_fork", "fork from a multi-threaded process; child allocates in every tier");
	pthread_t th[BUSY];
	for (int i = 0; i < BUSY; i++)
		HK_CHECK(pthread_create(&th[i], NULL, busy, (void *)(uintptr_t)i) == 0, "pthread_create");
	int forks = (int)hk_scale(FORKS, 3);
	for (int i = 0; i < forks; i++)
		fork_once(i);
	atomic_store(&stop, 1);
	for (int i = 0; i < BUSY; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < SHARED; i++)
		if (shared[i]) {
			hk_block_check(shared[i], "shared leftovers", 0);
			free(shared[i]);
		}
	printf("%d forks with %d busy threads\n", forks, BUSY);
	hk_pass("fork");
	return 0;
}
