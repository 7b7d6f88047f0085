/*
 * Cross-thread traffic with content checks:
 *   1. producer -> consumer: two pairs; every block is freed by a thread
 *      that does not own it (100 % remote frees);
 *   2. all-to-all: four threads send blocks to each other and free what
 *      they receive, while keeping long-lived blocks of their own intact.
 * Every received block is verified (pattern, owner) before it is freed, and
 * hakmem's remote_frees counter must show the traffic.
 */
#include "hk_queue.h"

#define PAIRS 2
#define MESH 4
#define KEEP 256

static long items;
static struct hk_queue pc_queue[PAIRS];
static struct hk_queue inbox[MESH];
static pthread_barrier_t mesh_sent, mesh_done;
/* Producers stay alive until their consumer is done, so the owner of every
 * block is a live heap when it is checked and freed. */
static pthread_barrier_t pair_done[PAIRS];

static void *producer(void *arg)
{
	struct hk_queue *q = arg;
	uint64_t rng = (uintptr_t)arg | 1;
	for (long i = 0; i < items; i++)
		hk_queue_push(q, hk_block_new(hk_stress_size(&rng), hk_rand(&rng)), 1);
	hk_queue_push(q, NULL, 1); /* end of stream */
	pthread_barrier_wait(&pair_done[q - pc_queue]);
	return NULL;
}

static void *consumer(void *arg)
{
	struct hk_queue *q = arg;
	long got = 0;
	for (void *p; (p = hk_queue_pop(q, 1)) != NULL; got++) {
		hk_block_check(p, "consumer", 1);
		free(p);
	}
	HK_CHECK(got == items, "consumer got %ld of %ld blocks", got, items);
	pthread_barrier_wait(&pair_done[q - pc_queue]);
	return NULL;
}

static void *mesh_member(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t rng = 0x9E37 + (uint64_t)me;
	void *keep[KEEP];
	for (int i = 0; i < KEEP; i++)
		keep[i] = hk_block_new(hk_stress_size(&rng), hk_rand(&rng));
	for (long i = 0; i < items; i++) {
		int to = (me + 1 + (int)(hk_rand(&rng) % (MESH - 1))) % MESH;
		void *p = hk_block_new(hk_stress_size(&rng), hk_rand(&rng));
		if (!hk_queue_push(&inbox[to], p, 0))
			free(p); /* receiver busy: a local free instead */
		if (i % 8 == 0)
			hk_queue_free_all(&inbox[me], "mesh receiver", 1);
	}
	pthread_barrier_wait(&mesh_sent);
	hk_queue_free_all(&inbox[me], "mesh receiver", 1);
	for (int i = 0; i < KEEP; i++) {
		hk_block_check(keep[i], "long-lived block", 1);
		free(keep[i]);
	}
	pthread_barrier_wait(&mesh_done);
	return NULL;
}

static void run_pairs(void)
{
	pthread_t th[2 * PAIRS];
	for (int i = 0; i < PAIRS; i++) {
		hk_queue_init(&pc_queue[i]);
		pthread_barrier_init(&pair_done[i], NULL, 2);
		HK_CHECK(pthread_create(&th[2 * i], NULL, producer, &pc_queue[i]) == 0, "pthread_create");
		HK_CHECK(pthread_create(&th[2 * i + 1], NULL, consumer, &pc_queue[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < 2 * PAIRS; i++)
		pthread_join(th[i], NULL);
}

static void run_mesh(void)
{
	pthread_barrier_init(&mesh_sent, NULL, MESH);
	pthread_barrier_init(&mesh_done, NULL, MESH);
	for (int i = 0; i < MESH; i++)
		hk_queue_init(&inbox[i]);
	hk_run_threads(MESH, mesh_member);
	pthread_barrier_destroy(&mesh_sent);
	pthread_barrier_destroy(&mesh_done);
}

int main(void)
{
	hk_test_begin("stress_threads", "producer->consumer and all-to-all cross-thread frees, content checked");
	items = hk_scale(50000, 5);
	double t0 = hk_now();
	run_pairs();
	uint64_t r1 = hk_remote_frees();
	/* ~97 % of the blocks are tiny/pool and all are freed remotely. */
	HK_CHECK(r1 >= (uint64_t)(PAIRS * items * 9 / 10), "producer->consumer: remote_frees %" PRIu64 " < 90%% of %ld",
		 r1, PAIRS * items);
	printf("producer->consumer: %d pairs x %ld blocks, remote_frees %" PRIu64 ", %.2fs\n", PAIRS, items, r1,
	       hk_now() - t0);
	t0 = hk_now();
	run_mesh();
	uint64_t r2 = hk_remote_frees() - r1;
	HK_CHECK(r2 > 0, "all-to-all: remote_frees did not increase");
	printf("all-to-all: %d threads x %ld blocks, remote_frees %" PRIu64 ", %.2fs\n", MESH, items, r2, hk_now() - t0);
	hk_pass("cross-thread stress");
	return 0;
}
