/*
 * bench_random_mixed — one thread, random sizes, random slot replacement.
 *
 * Each cycle picks a random slot of the working set; if the slot holds a
 * block it is checked and freed, then a block of a random size in [MIN, MAX]
 * is allocated into it.  One op == one cycle == one malloc (+ one free once
 * the slot is occupied).  Everything left is freed at the end (not timed).
 */
#include "bench_slots.h"

static const char usage[] =
	"usage: bench_random_mixed [CYCLES [WS [SEED [MIN MAX]]]]\n"
	"  CYCLES  slot replacements (default 40000000); one op = one cycle =\n"
	"          malloc + free of the slot's previous block (if any)\n"
	"  WS      working-set slots (default 8192)\n"
	"  SEED    PRNG seed (default 42)\n"
	"  MIN MAX block size range in bytes, uniform (default 16 1040)\n"
	"Prints ops/s and peak RSS; last line: RESULT name=random_mixed ...\n";

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	uint64_t cycles = arg_u64(argc, argv, 1, 40000000, 1, UINT64_MAX / 2, "CYCLES", usage);
	uint64_t ws = arg_u64(argc, argv, 2, 8192, 1, 1u << 26, "WS", usage);
	uint64_t seed = arg_u64(argc, argv, 3, 42, 0, UINT64_MAX, "SEED", usage);
	struct size_range sizes = arg_size_range(argc, argv, 4, 16, 1040, 1ull << 30, usage);
	size_t min = sizes.min, max = sizes.max;

	printf("bench_random_mixed: cycles=%" PRIu64 " ws=%" PRIu64 " seed=%" PRIu64 " size=%zu..%zu\n", cycles, ws,
	       seed, min, max);
	struct slot_set set = slots_make(ws, min, max);
	struct rng r = rng_make(seed, 0);

	uint64_t t0 = now_ns();
	uint64_t sum = slots_churn(&set, cycles, &r);
	uint64_t elapsed = now_ns() - t0;
	sum += slots_destroy(&set);

	bench_report("random_mixed", cycles, elapsed, sum, NULL);
	return 0;
}
