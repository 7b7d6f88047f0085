/*
 * free() cannot fail: a new thread whose first act is to free another
 * thread's block, when memory is exhausted (RLIMIT_AS) and no heap waits
 * for a thread, gets no heap (its metadata chunk cannot be mapped).  It
 * aborted with "free(): no memory for a heap to free"; the block now goes
 * to its owner's remote queue, as after a thread's exit.  Nor may such a
 * free change errno (POSIX.1-2024, glibc >= 2.33): it left the refused
 * mmap's ENOMEM there.
 *
 * Whether any thread goes without a heap is not certain: the first one
 * refused retries after what malloc_trim does (lib/oom.h), which may find a
 * chunk to give back, whole, by how the threads ran, and then the metadata
 * holds a heap for every later thread (1 run in 6 on a loaded machine).  So
 * each attempt runs in a child of its own, and an attempt in which every
 * thread got a heap is made again, up to ATTEMPTS times.
 */
#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>
#include "hk_test.h"

#define THREADS 1500 /* more heaps than a metadata chunk holds */
#define STACK (64 << 10)
#define HOLD_MAX ((size_t)1 << 20)
#define ATTEMPTS 5
#define NO_HEAPLESS 2 /* an attempt's exit status when every thread got a heap */

static void *blocks[THREADS];
static int errno_changed; /* frees that changed errno: none may */
static sem_t go;

static void *frees_first(void *arg)
{
	errno = EINTR;
	free(blocks[(long)arg]);
	if (errno != EINTR)
		__atomic_fetch_add(&errno_changed, 1, __ATOMIC_RELAXED);
	sem_wait(&go); /* alive: its heap, if any, waits for no other thread */
	return NULL;
}

/* Allocate n-byte blocks into hold until memory runs out; keep the last
 * spare of them free, for what glibc allocates per thread (its DTV). */
static size_t fill(void **hold, size_t count, size_t n, size_t spare)
{
	size_t first = count;
	while (count < HOLD_MAX && (hold[count] = malloc(n)))
		count++;
	for (size_t i = 0; i < spare && count > first; i++)
		free(hold[--count]);
	return count;
}

/* One attempt, in a child: exits 0, NO_HEAPLESS, or 1 at a failed check. */
static void attempt(void)
{
	sem_init(&go, 0, 0);
	for (int i = 0; i < THREADS; i++)
		blocks[i] = malloc(16);
	char *stacks = mmap(NULL, (size_t)THREADS * STACK, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void **hold = mmap(NULL, HOLD_MAX * sizeof(void *), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	HK_CHECK(stacks != MAP_FAILED && hold != MAP_FAILED, "mmap");
	struct rlimit rl;
	rl.rlim_cur = rl.rlim_max = (rlim_t)(hk_status_kb("VmSize:") + 1024) * 1024;
	HK_CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit(RLIMIT_AS)");
	size_t held = fill(hold, 0, (size_t)3 << 20, 0);
	held = fill(hold, held, 65536, 0);
	for (size_t n = HK_TINY_MAX; n >= 16; n -= 16) /* every tiny class */
		held = fill(hold, held, n, THREADS + 100);
	pthread_t t[THREADS];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	uint64_t inits = hk_stats().thread_inits;
	int started = 0;
	for (; started < THREADS; started++) {
		pthread_attr_setstack(&attr, stacks + (size_t)started * STACK, STACK);
		int r = pthread_create(&t[started], &attr, frees_first, (void *)(long)started);
		if (r) { /* glibc's own memory for a thread: a clean failure */
			HK_CHECK(r == EAGAIN || r == ENOMEM, "pthread_create: %s", strerror(r));
			break;
		}
	}
	for (int i = 0; i < started; i++)
		sem_post(&go);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	while (held)
		free(hold[--held]);
	for (int i = started; i < THREADS; i++)
		free(blocks[i]);
	printf("%d threads freed a block of the main thread's first\n", started);
	HK_CHECK(started > 300, "only %d threads started: the test never ran out of heaps", started);
	HK_CHECK(errno_changed == 0, "%d frees changed errno (glibc's free never does)", errno_changed);
	void *p = malloc(100);
	HK_CHECK(p != NULL, "malloc after the frees");
	free(p);
	inits = hk_stats().thread_inits - inits;
	printf("%d of them freed without a heap\n", started - (int)inits);
	fflush(stdout);
	_exit(inits < (uint64_t)started ? 0 : NO_HEAPLESS);
}

int main(void)
{
	hk_test_begin("test_oom_free_heapless", "out of memory, a new thread's first free is another's block");
	if (HK_SANITIZED) { /* the sanitizers' own per-thread memory would fail first */
		hk_pass("not under sanitizers");
		return 0;
	}
	hk_attempts(ATTEMPTS, attempt, NO_HEAPLESS, "every thread got a heap, none freed without one");
	hk_pass("no abort, memory served again");
	return 0;
}
