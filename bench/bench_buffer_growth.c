/*
 * bench_buffer_growth — buffers grown by small appends, the way CPython's
 * bytearray, string builders and most dynamic arrays grow them.
 *
 * BUFS buffers start empty.  Each op appends a random 1..APPEND bytes to a
 * random buffer, writing them; when the buffer's capacity is exceeded it is
 * realloc'd to size + size/8 + 6 (CPython's bytearray over-allocation).  A
 * buffer past MAX is shrunk back to 16 bytes with realloc, as clearing one
 * does.  So realloc sees many small growth steps of many buffers at once:
 * an allocator that must move a buffer to grow it leaves a hole of its old
 * size behind, which bench_realloc's larger, rarer steps hide.
 *
 * After each realloc the first and the last bytes written are checked.
 */
#include "bench_common.h"

static const char usage[] =
	"usage: bench_buffer_growth [OPS [BUFS [SEED [MAX [APPEND]]]]]\n"
	"  OPS     appends (default 2000000); one op = one append\n"
	"  BUFS    buffers (default 64)\n"
	"  SEED    PRNG seed (default 42)\n"
	"  MAX     size past which a buffer is cleared (default 1048576)\n"
	"  APPEND  largest append in bytes (default 2000)\n"
	"Last line: RESULT name=buffer_growth ... extra: reallocs=N\n";

struct buf {
	unsigned char *p;
	size_t size, cap;
};

static void die_lost(size_t size)
{
	fprintf(stderr, "error: realloc of a %zu-byte buffer lost its contents\n", size);
	exit(1);
}

/* Realloc b to cap bytes, checking the first and last bytes it held. */
static void resize(struct buf *b, size_t cap)
{
	unsigned char first = b->size ? b->p[0] : 0, last = b->size ? b->p[b->size - 1] : 0;
	unsigned char *p = realloc(b->p, cap);
	if (!p) {
		fprintf(stderr, "error: realloc(%zu) failed\n", cap);
		exit(1);
	}
	size_t kept = b->size < cap ? b->size : cap;
	if (kept && (p[0] != first || (kept == b->size && p[kept - 1] != last)))
		die_lost(b->size);
	b->p = p;
	b->cap = cap;
	b->size = kept;
}

/* Append n bytes of value v to b; 1 when that took a realloc. */
static int append(struct buf *b, size_t n, unsigned char v)
{
	int grew = 0;
	if (b->size + n > b->cap) {
		size_t want = b->size + n;
		resize(b, want + want / 8 + 6);
		grew = 1;
	}
	memset(b->p + b->size, v, n);
	b->size += n;
	return grew;
}

int main(int argc, char **argv)
{
	bench_usage_check(argc, argv, usage);
	uint64_t ops = arg_u64(argc, argv, 1, 2000000, 1, UINT64_MAX / 2, "OPS", usage);
	size_t nbufs = arg_u64(argc, argv, 2, 64, 1, 1u << 20, "BUFS", usage);
	uint64_t seed = arg_u64(argc, argv, 3, 42, 0, UINT64_MAX, "SEED", usage);
	size_t max = arg_u64(argc, argv, 4, 1u << 20, 64, 1ull << 32, "MAX", usage);
	size_t most = arg_u64(argc, argv, 5, 2000, 1, 1u << 20, "APPEND", usage);
	printf("bench_buffer_growth: ops=%" PRIu64 " bufs=%zu seed=%" PRIu64 " max=%zu append=1..%zu\n", ops, nbufs,
	       seed, max, most);

	struct buf *bufs = calloc(nbufs, sizeof(*bufs));
	if (!bufs) {
		fprintf(stderr, "error: cannot allocate %zu buffers\n", nbufs);
		return 1;
	}
	struct rng r = rng_make(seed, 0);
	uint64_t reallocs = 0, sum = 0;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++) {
		struct buf *b = &bufs[rng_range(&r, 0, nbufs - 1)];
		reallocs += append(b, rng_range(&r, 1, most), (unsigned char)i);
		if (b->size <= max)
			continue;
		sum += b->p[b->size - 1];
		resize(b, 16);
		b->size = 0;
		reallocs++;
	}
	uint64_t elapsed = now_ns() - t0;

	for (size_t i = 0; i < nbufs; i++) {
		sum += bufs[i].size ? bufs[i].p[bufs[i].size - 1] : 0;
		free(bufs[i].p);
	}
	free(bufs);
	char extra[48];
	snprintf(extra, sizeof(extra), "reallocs=%" PRIu64, reallocs);
	bench_report("buffer_growth", ops, elapsed, sum, extra);
	return 0;
}
