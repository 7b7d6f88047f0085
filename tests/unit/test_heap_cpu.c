/*
 * Which CPU's heap a new thread gets.  A heap waits on the CPU its thread
 * exited on, and a new thread adopts one left on its own CPU, even when
 * another CPU's is newer: that CPU's caches still hold the heap.  A CPU
 * keeps its last heap for its own next thread (another CPU makes a heap
 * rather than take it) and gives up only the ones beyond it, oldest first,
 * unless the one it keeps holds much (1 MiB of blocks or more).
 */
#include <pthread.h>

#include "hk_test.h"

#define HEAP_SLOTS 16 /* as lib/heap.c: CPUs a multiple of this apart share a slot */

static int cpu_a, cpu_b;

/* A thread pinned to cpu that mallocs, notes its heap and then waits at
 * each barrier it is given (none, or hold, or hold then gate) before exiting. */
struct worker {
	pthread_t tid;
	int cpu;
	pthread_barrier_t *hold, *gate;
	void **kept; /* when set: KEPT blocks it leaves live here */
	uint64_t heap;
};

#define KEPT 16384 /* of 128 B: 2 MiB */

static void *work(void *arg)
{
	struct worker *w = arg;
	free(malloc(100));
	for (int i = 0; w->kept && i < KEPT; i++)
		HK_CHECK(w->kept[i] = malloc(128), "malloc(128)");
	w->heap = hakmem_heap_id();
	if (w->hold)
		pthread_barrier_wait(w->hold);
	if (w->gate)
		pthread_barrier_wait(w->gate);
	return NULL;
}

static void start_keeping(struct worker *w, int cpu, pthread_barrier_t *hold, pthread_barrier_t *gate,
			  void **kept)
{
	pthread_attr_t attr;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	*w = (struct worker){ .cpu = cpu, .hold = hold, .gate = gate, .kept = kept };
	HK_CHECK(pthread_attr_init(&attr) == 0 && pthread_attr_setaffinity_np(&attr, sizeof(set), &set) == 0,
		 "pthread_attr_setaffinity_np");
	HK_CHECK(pthread_create(&w->tid, &attr, work, w) == 0, "pthread_create");
	pthread_attr_destroy(&attr);
}

static void start(struct worker *w, int cpu, pthread_barrier_t *hold, pthread_barrier_t *gate)
{
	start_keeping(w, cpu, hold, gate, NULL);
}

static void join(struct worker *w)
{
	HK_CHECK(pthread_join(w->tid, NULL) == 0, "pthread_join");
	HK_CHECK(w->heap, "the thread on CPU %d got no heap", w->cpu);
}

/* The heap a thread on cpu gets, the thread gone (its heap left on cpu). */
static uint64_t heap_on(int cpu)
{
	struct worker w;
	start(&w, cpu, NULL, NULL);
	join(&w);
	return w.heap;
}

/* Two CPUs of ours on different slots; 0 when there are none. */
static int two_cpus(void)
{
	cpu_set_t ours;
	if (sched_getaffinity(0, sizeof(ours), &ours) != 0)
		return 0;
	cpu_a = -1;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &ours))
			continue;
		if (cpu_a < 0)
			cpu_a = c;
		else if ((c - cpu_a) % HEAP_SLOTS)
			return cpu_b = c, 1;
	}
	return 0;
}

int main(void)
{
	hk_test_begin("test_heap_cpu", "a new thread adopts a heap left on its own CPU");
	if (!two_cpus()) {
		hk_pass("(skipped: fewer than two CPUs of ours) a new thread adopts a heap left on its own CPU");
		return 0;
	}
	uint64_t a = heap_on(cpu_a), b = heap_on(cpu_b);
	HK_CHECK(b != a, "a thread on CPU %d took the one heap CPU %d keeps (%" PRIx64 ")", cpu_b, cpu_a, a);
	uint64_t a2 = heap_on(cpu_a), b2 = heap_on(cpu_b);
	HK_CHECK(a2 == a, "a thread on CPU %d got %" PRIx64 ", not the heap left there, %" PRIx64
		 " (CPU %d's, %" PRIx64 ", is newer)", cpu_a, a2, a, cpu_b, b);
	HK_CHECK(b2 == b, "a thread on CPU %d got %" PRIx64 ", not the heap left there, %" PRIx64, cpu_b, b2, b);

	/* Two threads at once on CPU a: one takes its heap, the other makes a
	 * heap (CPU b keeps its one).  They exit one after the other, so CPU a
	 * then holds two heaps, the first one's the oldest. */
	pthread_barrier_t both, pair;
	HK_CHECK(pthread_barrier_init(&both, NULL, 3) == 0 && pthread_barrier_init(&pair, NULL, 2) == 0,
		 "pthread_barrier_init");
	struct worker p, q;
	start(&p, cpu_a, &both, NULL);
	start(&q, cpu_a, &both, &pair);
	pthread_barrier_wait(&both);
	join(&p);
	pthread_barrier_wait(&pair);
	join(&q);
	HK_CHECK((p.heap == a) != (q.heap == a) && p.heap != b && q.heap != b,
		 "two threads on CPU %d at once got %" PRIx64 " and %" PRIx64 " (its heap %" PRIx64
		 ", CPU %d's %" PRIx64 ")", cpu_a, p.heap, q.heap, a, cpu_b, b);

	/* While a thread on CPU b holds its heap, the next one there takes the
	 * oldest of CPU a's two; a thread on CPU a then gets the other one. */
	struct worker hold;
	start(&hold, cpu_b, &pair, &pair);
	pthread_barrier_wait(&pair);
	uint64_t pulled = heap_on(cpu_b);
	pthread_barrier_wait(&pair);
	join(&hold);
	HK_CHECK(hold.heap == b, "the thread holding CPU %d's heap got %" PRIx64 ", not %" PRIx64, cpu_b,
		 hold.heap, b);
	HK_CHECK(pulled == p.heap, "with CPU %d's heap in use, a thread there got %" PRIx64
		 ", not the oldest of CPU %d's two, %" PRIx64, cpu_b, pulled, cpu_a, p.heap);
	uint64_t a3 = heap_on(cpu_a);
	HK_CHECK(a3 == q.heap, "CPU %d, left one heap (%" PRIx64 "), gave a thread %" PRIx64, cpu_a, q.heap, a3);

	/* CPU a's one heap, left holding 2 MiB of live blocks, is not kept: of
	 * three threads at once on CPU b, two take its two heaps and the third
	 * takes that one, where it would have made a heap. */
	static void *kept[KEPT];
	struct worker big, t[3];
	start_keeping(&big, cpu_a, NULL, NULL, kept);
	join(&big);
	HK_CHECK(big.heap == q.heap, "CPU %d's thread got %" PRIx64 ", not its heap %" PRIx64, cpu_a, big.heap,
		 q.heap);
	pthread_barrier_t trio;
	HK_CHECK(pthread_barrier_init(&trio, NULL, 4) == 0, "pthread_barrier_init");
	for (int i = 0; i < 3; i++)
		start(&t[i], cpu_b, &trio, NULL);
	pthread_barrier_wait(&trio);
	int took = 0;
	for (int i = 0; i < 3; i++) {
		join(&t[i]);
		took += t[i].heap == b || t[i].heap == p.heap || t[i].heap == q.heap;
	}
	HK_CHECK(took == 3, "three threads on CPU %d got %" PRIx64 ", %" PRIx64 " and %" PRIx64
		 ", not its heaps %" PRIx64 " and %" PRIx64 " and CPU %d's one holding 2 MiB, %" PRIx64,
		 cpu_b, t[0].heap, t[1].heap, t[2].heap, b, p.heap, cpu_a, q.heap);
	for (int i = 0; i < KEPT; i++)
		free(kept[i]);
	hk_pass("a thread takes the heap left on its CPU; a CPU keeps one for itself, unless it holds "
		"much, and gives up the rest oldest first");
	return 0;
}
