/*
 * 1000+ short-lived threads, four at a time: each allocates a mix of tiny,
 * pool and large blocks, frees most of them itself, frees the orphans that
 * earlier (already exited) threads left behind, and leaves orphans of its
 * own.  Memory must not grow without bound: what hakmem holds from the OS
 * after 2N threads must be close to what it held after N.  Every exited
 * thread must be counted (thread_inits/thread_exits) and every block's
 * content survives its owner's exit.
 */
#include "hk_queue.h"

#define CONCURRENT 4
#define PER_THREAD 96
#define ORPHANS 12
/* Growth allowed between N and 2N threads: slack for caches, not for a
 * per-thread leak (a leaked 1 MiB arena per thread would be ~1 GiB). */
#define SLACK_BYTES (16u << 20)

static struct hk_queue orphans;
static uint64_t seeds;

static void *short_lived(void *arg)
{
	uint64_t rng = (uintptr_t)arg * 0x9E3779B97F4A7C15ULL + 1;
	void *blocks[PER_THREAD];
	for (int i = 0; i < PER_THREAD; i++)
		blocks[i] = hk_block_new(hk_stress_size(&rng), hk_rand(&rng));
	/* Free orphans of exited threads (remote frees into dead heaps). */
	for (int i = 0; i < ORPHANS; i++) {
		void *p = hk_queue_pop(&orphans, 0);
		if (!p)
			break;
		hk_block_check(p, "orphan from an exited thread", 0);
		free(p);
	}
	for (int i = 0; i < PER_THREAD; i++) {
		if (i < ORPHANS && hk_queue_push(&orphans, blocks[i], 0))
			continue;
		hk_block_check(blocks[i], "own block", 1);
		free(blocks[i]);
	}
	return NULL;
}

static void run_threads(long count)
{
	for (long done = 0; done < count; done += CONCURRENT) {
		pthread_t th[CONCURRENT];
		for (int i = 0; i < CONCURRENT; i++)
			HK_CHECK(pthread_create(&th[i], NULL, short_lived, (void *)(uintptr_t)++seeds) == 0,
				 "pthread_create #%ld", done + i);
		for (int i = 0; i < CONCURRENT; i++)
			pthread_join(th[i], NULL);
	}
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(void)
{
	hk_test_begin("stress_thread_churn", "1000+ short-lived threads, orphans freed after exit, bounded memory");
	free(malloc(1));
	hk_queue_init(&orphans);
	struct hakmem_stats st0, st;
	hakmem_stats_get(&st0);
	long n = hk_scale(1000, 2);
	run_threads(n);
	int64_t mapped_n = hk_mapped_bytes();
	long rss_n = rss_kib();
	run_threads(n);
	int64_t mapped_2n = hk_mapped_bytes();
	long rss_2n = rss_kib();
	printf("after %ld threads: mapped %" PRId64 " KiB, rss %ld KiB; after %ld: mapped %" PRId64
	       " KiB, rss %ld KiB\n",
	       n, mapped_n >> 10, rss_n, 2 * n, mapped_2n >> 10, rss_2n);
	HK_CHECK(mapped_2n <= mapped_n + mapped_n / 4 + (int64_t)SLACK_BYTES,
		 "memory grows with thread count: %" PRId64 " KiB after %ld threads, %" PRId64 " KiB after %ld",
		 mapped_n >> 10, n, mapped_2n >> 10, 2 * n);
	HK_CHECK(rss_2n <= rss_n + rss_n / 4 + (long)(SLACK_BYTES >> 10), "RSS grows with thread count: %ld -> %ld KiB",
		 rss_n, rss_2n);
	hakmem_stats_get(&st);
	HK_CHECK(st.thread_inits - st0.thread_inits == (uint64_t)(2 * n), "thread_inits grew by %" PRIu64 ", expected %ld",
		 st.thread_inits - st0.thread_inits, 2 * n);
	HK_CHECK(st.thread_exits - st0.thread_exits == (uint64_t)(2 * n), "thread_exits grew by %" PRIu64 ", expected %ld",
		 st.thread_exits - st0.thread_exits, 2 * n);
	hk_queue_free_all(&orphans, "last orphans", 0);
	hk_pass("thread churn");
	return 0;
}
