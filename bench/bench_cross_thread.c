/*
 * bench_cross_thread — frees by a thread that did not allocate the block.
 *
 * pc  (producer -> consumer): THREADS/2 producer/consumer pairs.  Each
 *     producer allocates CYCLES blocks and hands them over a lock-free SPSC
 *     ring to its consumer, which checks and frees them: 100 % remote frees.
 * sym (symmetric): THREADS threads in a ring.  Each allocates CYCLES blocks;
 *     every other block is kept in a local working set (replacing, and
 *     freeing locally, the slot's previous block), the others are sent to the
 *     next thread, which frees them: exactly 50 % of all frees are remote.
 *
 * Each thread has a CPU of its own when the machine has enough
 * (bench_pin_cpus): two threads on one CPU pass no block between cores.
 *
 * One op == one block allocated and freed (by whichever thread); ops/s is
 * THREADS_ALLOCATING * CYCLES over the wall time between the start and end
 * gates (the end gate is passed once every block sent has been freed).
 */
#include "bench_ring.h"
#include "bench_slots.h"

#define LOCAL_SLOTS 64

static const char usage[] =
	"usage: bench_cross_thread [MODE [THREADS [CYCLES [SEED [MIN MAX]]]]]\n"
	"  MODE    pc  producers allocate, consumers free (100 % remote frees)\n"
	"          sym every thread allocates and frees, 50 % of frees remote\n"
	"          (default pc)\n"
	"  THREADS total threads; pc needs an even number (default 2)\n"
	"  CYCLES  blocks allocated per allocating thread (default 5000000)\n"
	"  SEED    PRNG seed; thread i uses stream i (default 42)\n"
	"  MIN MAX block size range in bytes, uniform (default 16 1024)\n"
	"One op = one block allocated and freed.  Last line:\n"
	"RESULT name=cross_thread_<mode> ... extra: threads=N remote_frees=N\n"
	"  pinned=0|1 ring_fill_pct=N ring_peak_pct=N, the rings' mean and highest\n"
	"  occupancy as their senders saw it every 64 blocks (the blocks in flight\n"
	"  count in the peak RSS: a full ring holds 4096 blocks, 2.1 MB at 16..1024 B)\n"
	"Thread i runs on the i-th CPU the process may use, when there are THREADS\n"
	"of them (pinned=1), so that every remote free crosses a core;\n"
	"BENCH_PIN=0 leaves the threads to the scheduler.\n";

struct worker {
	struct ring *in, *out; /* blocks to free / blocks sent away */
	uint64_t cycles, seed, index;
	size_t min, max;
	uint64_t sum;
	uint64_t fill_sum, fill_samples, fill_max; /* sender: its out ring's occupancy, sampled */
	const cpu_set_t *cpus; /* one CPU per thread (bench_pin_cpus), or NULL */
	char pad[64];
};

struct config {
	int sym, threads, pinned;
	cpu_set_t cpus;
	uint64_t cycles, seed;
	size_t min, max;
};

/* Free everything waiting in the ring; returns how many blocks. */
static uint64_t drain(struct ring *in, uint64_t *sum)
{
	struct ring_item it;
	uint64_t n = 0;
	while (ring_pop(in, &it)) {
		*sum += block_read(it.p, it.size);
		free(it.p);
		n++;
	}
	return n;
}

/* After the n-th block sent: one read of the consumer's index per 64. */
static void sample_fill(struct worker *w, uint64_t n)
{
	if (n % 64)
		return;
	uint64_t fill = ring_fill(w->out);
	w->fill_sum += fill;
	w->fill_samples++;
	if (fill > w->fill_max)
		w->fill_max = fill;
}

static void *producer_main(void *arg)
{
	struct worker *w = arg;
	struct rng r = rng_make(w->seed, w->index);
	bench_gate_wait();
	for (uint64_t i = 0; i < w->cycles; i++) {
		size_t size = rng_range(&r, w->min, w->max);
		void *p = bench_malloc(size);
		block_stamp(p, size, i);
		for (unsigned spins = 0; !ring_push(w->out, p, size);)
			ring_backoff(&spins);
		sample_fill(w, i);
	}
	bench_gate_wait();
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct worker *w = arg;
	bench_gate_wait();
	for (uint64_t got = 0, spins = 0; got < w->cycles;) {
		uint64_t n = drain(w->in, &w->sum);
		got += n;
		if (!n)
			ring_backoff((unsigned *)&spins);
	}
	bench_gate_wait();
	return NULL;
}

/* sym: send one block to the next thread; while its ring is full, free
 * what the previous thread sent us, so that a full cycle of rings cannot
 * deadlock. */
static uint64_t send_block(struct worker *w, void *p, size_t size)
{
	uint64_t got = 0;
	for (unsigned spins = 0; !ring_push(w->out, p, size);) {
		uint64_t n = drain(w->in, &w->sum);
		got += n;
		if (!n)
			ring_backoff(&spins);
	}
	return got;
}

static void *sym_main(void *arg)
{
	struct worker *w = arg;
	if (w->cpus)
		bench_pin_self(w->cpus, (int)w->index);
	struct slot_set local = slots_make(LOCAL_SLOTS, w->min, w->max);
	struct rng r = rng_make(w->seed, w->index);
	uint64_t expect = w->cycles / 2, got = 0;
	bench_gate_wait();
	for (uint64_t i = 0; i < w->cycles; i++) {
		got += drain(w->in, &w->sum);
		if (i % 2 == 0) {
			w->sum += slots_churn(&local, 1, &r);
			continue;
		}
		size_t size = rng_range(&r, w->min, w->max);
		void *p = bench_malloc(size);
		block_stamp(p, size, i);
		got += send_block(w, p, size);
		sample_fill(w, i / 2);
	}
	for (unsigned spins = 0; got < expect;) {
		uint64_t n = drain(w->in, &w->sum);
		got += n;
		if (!n)
			ring_backoff(&spins);
	}
	bench_gate_wait();
	w->sum += slots_destroy(&local);
	return NULL;
}

static struct config parse(int argc, char **argv)
{
	struct config c = { 0 };
	const char *mode = argc > 1 ? argv[1] : "pc";
	if (strcmp(mode, "sym") && strcmp(mode, "pc"))
		bench_die(usage, "MODE: expected pc or sym, got '%s'", mode);
	c.sym = strcmp(mode, "sym") == 0;
	c.threads = arg_u64(argc, argv, 2, 2, 2, 1024, "THREADS", usage);
	if (!c.sym && c.threads % 2)
		bench_die(usage, "THREADS: pc needs an even number, got %d", c.threads);
	c.cycles = arg_u64(argc, argv, 3, 5000000, 2, UINT64_MAX / 2048, "CYCLES", usage);
	c.seed = arg_u64(argc, argv, 4, 42, 0, UINT64_MAX, "SEED", usage);
	struct size_range sizes = arg_size_range(argc, argv, 5, 16, 1024, 1ull << 30, usage);
	c.min = sizes.min;
	c.max = sizes.max;
	c.pinned = bench_pin_cpus(c.threads, &c.cpus);
	return c;
}

/* pc: worker 2k produces into ring k, worker 2k+1 consumes from it.
 * sym: worker i sends into ring i and frees from ring i-1. */
static void wire(struct worker *w, struct ring **rings, const struct config *c)
{
	for (int i = 0; i < c->threads; i++) {
		w[i] = (struct worker){ .cycles = c->cycles, .seed = c->seed, .index = (uint64_t)i,
					.min = c->min, .max = c->max, .cpus = c->pinned ? &c->cpus : NULL };
		if (c->sym) {
			w[i].out = rings[i];
			w[i].in = rings[(i + c->threads - 1) % c->threads];
		} else {
			w[i].out = w[i].in = rings[i / 2];
		}
	}
}

static void *pc_main(void *arg)
{
	struct worker *w = arg;
	if (w->cpus)
		bench_pin_self(w->cpus, (int)w->index);
	return w->index % 2 ? consumer_main(w) : producer_main(w);
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	struct config c = parse(argc, argv);
	printf("bench_cross_thread: mode=%s threads=%d cycles/thread=%" PRIu64 " seed=%" PRIu64
	       " size=%zu..%zu pinned=%s\n",
	       c.sym ? "sym" : "pc", c.threads, c.cycles, c.seed, c.min, c.max, c.pinned ? "yes" : "no");

	int nrings = c.sym ? c.threads : c.threads / 2;
	struct ring **rings = calloc((size_t)nrings, sizeof(*rings));
	struct worker *w = calloc((size_t)c.threads, sizeof(*w));
	if (!rings || !w)
		bench_die(usage, "out of memory");
	for (int i = 0; i < nrings; i++)
		rings[i] = ring_new();
	wire(w, rings, &c);

	uint64_t elapsed = run_threads_timed(c.threads, c.sym ? sym_main : pc_main, w, sizeof(*w));
	uint64_t sum = 0, fill_sum = 0, fill_samples = 0, fill_max = 0;
	for (int i = 0; i < c.threads; i++) {
		sum += w[i].sum;
		fill_sum += w[i].fill_sum;
		fill_samples += w[i].fill_samples;
		fill_max = w[i].fill_max > fill_max ? w[i].fill_max : fill_max;
	}
	for (int i = 0; i < nrings; i++)
		free(rings[i]);
	free(rings);
	free(w);

	uint64_t allocators = c.sym ? (uint64_t)c.threads : (uint64_t)c.threads / 2;
	uint64_t remote = c.sym ? allocators * (c.cycles / 2) : allocators * c.cycles;
	char extra[128];
	int len = snprintf(extra, sizeof(extra), "threads=%d remote_frees=%" PRIu64 " pinned=%d", c.threads, remote,
			   c.pinned);
	if (fill_samples)
		snprintf(extra + len, sizeof(extra) - (size_t)len, " ring_fill_pct=%" PRIu64 " ring_peak_pct=%" PRIu64,
			 100 * fill_sum / fill_samples / RING_SLOTS, 100 * fill_max / RING_SLOTS);
	bench_report(c.sym ? "cross_thread_sym" : "cross_thread_pc", allocators * c.cycles, elapsed, sum, extra);
	return 0;
}
