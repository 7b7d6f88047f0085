/*
 * lat_sleep.c — known latencies for hakmem-lat (tests/bpf/test_lat_sleep.sh).
 *
 *   lat_sleep [N]
 *
 * Linked with lib/libhakmem.a, so the executable itself carries hakmem's
 * probes; it fires the probe pairs hakmem-lat times around sleeps of known
 * length, N times each, all as tier 2 (large), which real hakmem never uses
 * for cold starts, refills, drains or grows, so the test can tell these
 * samples from the allocator's own (hakmem-lat -C keys them by tier):
 *
 *   cold    class 0: cold_start, sleep 1.1 ms, cold_done
 *   cold    class 1: cold_start, sleep 10 ms, cold_done
 *   refill  class 0: refill_start, sleep 1.1 ms, refill_done
 *   drain   class 1: refill_start, sleep 10 ms, drain, refill_done (also a refill)
 *   grow         -: arena_grow_start, sleep 1.1 ms, arena_grow
 *
 * The done probes carry the interval's ns as hakmem times it (the clock
 * read after the start probe and before the done one).  Built with
 * -DLAT_SLEEP_OLD they have no ns, as in a hakmem before 2026-12, and
 * hakmem-lat times the intervals between the hits.
 *
 * A warm-up round first fires every probe once as tier 3 without sleeping:
 * the first hit of a uprobe in a process costs milliseconds of set-up, which
 * must not land in the measured samples.
 *
 * 1.1 ms and 10 ms sit well inside the log2 buckets (2^20, 2^21] and
 * (2^23, 2^24] ns, so scheduling slack does not move a sample.  For every
 * sample it prints "KIND CLASS SLEEP_NS MEASURED_NS", MEASURED_NS being
 * clock_gettime(CLOCK_MONOTONIC) around the probes: hakmem-lat's duration
 * lies in [SLEEP_NS, MEASURED_NS].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hakmem_probes.h"

#define SHORT_NS 1100000L
#define LONG_NS 10000000L
#define TIER 2
#define WARM_TIER 3
#define GROW_LEN (1L << 20)
#define GROW_ADDR 0x200000000000L /* any: nothing reads it */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleeps at least ns (nanosleep resumes after interruptions). */
static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* The done probes' ns: the time since t1, read right after the start probe. */
static long since(uint64_t t1)
{
	return (long)(now_ns() - t1);
}

#ifdef LAT_SLEEP_OLD
/* The done probes as an older hakmem fires them: without ns. */
static void cold_done(long tier, long cls, long ptr, long ns)
{
	(void)ns;
	HK_SDT3(cold_done, tier, cls, ptr);
}

static void refill_done(long tier, long cls, long got, long source, long ns)
{
	(void)ns;
	HK_SDT4(refill_done, tier, cls, got, source);
}

static void arena_grow(long tier, long old, long len, long addr, long ns)
{
	(void)ns;
	HK_SDT4(arena_grow, tier, old, len, addr);
}
#else /* hakmem's own */
#define cold_done hk_probe_cold_done
#define refill_done hk_probe_refill_done
#define arena_grow hk_probe_arena_grow
#endif

static void report(const char *kind, int cls, long sleep, uint64_t t0)
{
	printf("%s %d %ld %llu\n", kind, cls, sleep, (unsigned long long)(now_ns() - t0));
}

static void cold(int cls, long ns)
{
	uint64_t t0 = now_ns();

	hk_probe_cold_start(TIER, cls, 64);
	uint64_t t1 = now_ns();
	sleep_ns(ns);
	cold_done(TIER, cls, 0, since(t1));
	report("cold", cls, ns, t0);
}

static void refill(int cls, long ns, int drained)
{
	uint64_t t0 = now_ns();

	hk_probe_refill_start(TIER, cls, 8);
	uint64_t t1 = now_ns();
	sleep_ns(ns);
	if (drained)
		hk_probe_drain(TIER, cls, 8, 8);
	refill_done(TIER, cls, 8, drained ? HK_SRC_REMOTE : HK_SRC_EXISTING, since(t1));
	report(drained ? "drain" : "refill", cls, ns, t0);
}

static void grow(long ns)
{
	uint64_t t0 = now_ns();

	hk_probe_arena_grow_start(TIER, 0, GROW_LEN);
	uint64_t t1 = now_ns();
	sleep_ns(ns);
	arena_grow(TIER, 0, GROW_LEN, GROW_ADDR, since(t1));
	report("grow", 0, ns, t0);
}

/* Every probe once, outside the measured tier (see the top comment). */
static void warm_up(void)
{
	uint64_t t1 = now_ns();

	hk_probe_cold_start(WARM_TIER, 0, 64);
	cold_done(WARM_TIER, 0, 0, since(t1));
	hk_probe_refill_start(WARM_TIER, 0, 8);
	hk_probe_drain(WARM_TIER, 0, 8, 8);
	refill_done(WARM_TIER, 0, 8, HK_SRC_REMOTE, since(t1));
	hk_probe_arena_grow_start(WARM_TIER, 0, GROW_LEN);
	arena_grow(WARM_TIER, 0, GROW_LEN, GROW_ADDR, since(t1));
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	if (n <= 0) {
		fprintf(stderr, "usage: lat_sleep [N]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	warm_up();
	for (int i = 0; i < n; i++) {
		cold(0, SHORT_NS);
		cold(1, LONG_NS);
		refill(0, SHORT_NS, 0);
		refill(1, LONG_NS, 1);
		grow(SHORT_NS);
	}
	return 0;
}
