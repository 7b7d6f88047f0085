/*
 * bench_mid_large_mt — the pool tier under threads: 8..52 KiB blocks.
 *
 * THREADS threads run concurrently; each has its own working set of WS slots
 * and does CYCLES random slot replacements (free the old block, allocate a
 * new one of a random size in [8 KiB, 52 KiB]).  One op == one replacement;
 * ops/s is the total over all threads divided by the wall time between the
 * start and end gates (slot setup and final frees are outside the timing).
 */
#include "bench_slots.h"

#define MID_MIN (8u * 1024)
#define MID_MAX (52u * 1024)

static const char usage[] =
	"usage: bench_mid_large_mt [THREADS [CYCLES [WS [SEED]]]]\n"
	"  THREADS concurrent threads (default 2)\n"
	"  CYCLES  slot replacements per thread (default 2000000); one op =\n"
	"          one replacement = malloc + free of the slot's previous block\n"
	"  WS      working-set slots per thread (default 256)\n"
	"  SEED    PRNG seed; thread i uses stream i (default 42)\n"
	"Block sizes are uniform in [8192, 53248] bytes.  ops/s is the total.\n"
	"Last line: RESULT name=mid_large_mt ... extra: threads=N\n";

static void *worker_main(void *arg)
{
	struct bench_worker *w = arg;
	struct slot_set set = slots_make(w->ws, MID_MIN, MID_MAX);
	struct rng r = rng_make(w->seed, w->index);
	bench_gate_wait();
	w->sum = slots_churn(&set, w->cycles, &r);
	bench_gate_wait();
	w->sum += slots_destroy(&set);
	return NULL;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	int threads = arg_u64(argc, argv, 1, 2, 1, 1024, "THREADS", usage);
	uint64_t cycles = arg_u64(argc, argv, 2, 2000000, 1, UINT64_MAX / 2048, "CYCLES", usage);
	uint64_t ws = arg_u64(argc, argv, 3, 256, 1, 1u << 20, "WS", usage);
	uint64_t seed = arg_u64(argc, argv, 4, 42, 0, UINT64_MAX, "SEED", usage);

	printf("bench_mid_large_mt: threads=%d cycles/thread=%" PRIu64 " ws/thread=%" PRIu64 " seed=%" PRIu64
	       " size=%u..%u\n",
	       threads, cycles, ws, seed, MID_MIN, MID_MAX);
	bench_run_workers("mid_large_mt", threads, worker_main,
			  (struct bench_worker){ .cycles = cycles, .ws = ws, .seed = seed }, usage);
	return 0;
}
