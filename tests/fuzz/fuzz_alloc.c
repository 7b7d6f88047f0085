/*
 * libFuzzer harness: the input is a program of allocator operations over 64
 * slots (malloc, calloc, realloc, reallocarray, the aligned family, free,
 * usable-size queries) with sizes in every tier and at class edges.  Every
 * live block carries a pattern that must survive; at the end of each input
 * all blocks are freed and hakmem's census must show no small block held.
 *
 * Built with clang -fsanitize=fuzzer against hakmem in prefix mode
 * (-include tests/hk_prefix.h), so libFuzzer's own allocations stay with
 * the sanitizer's malloc and the census sees only this harness's blocks.
 */
#include "hk_test.h"

#define SLOTS 64

struct slot {
	unsigned char *p;
	size_t n;
	uint64_t seed;
};

struct reader {
	const uint8_t *d;
	size_t len, pos;
};

static struct slot slots[SLOTS];

static unsigned next(struct reader *r)
{
	return r->pos < r->len ? r->d[r->pos++] : 0;
}

static void die(const char *what, const void *p, size_t n)
{
	fprintf(stderr, "fuzz_alloc: %s (ptr %p size %zu)\n", what, p, n);
	abort();
}

/* Sizes: tiny, pool, large, or an edge of the tier table. */
static size_t decode_size(struct reader *r)
{
	/* ... and spans: a block ending in its span's last page, after the
	 * header; or reaching a few bytes into the next chunk, whose cut and
	 * joined spans (1.5, 4 MiB - 64) must come back zeroed for calloc */
	static const size_t edges[] = { 0, 1, 8, 16, 17, 1023, 1024, 1025, 4096, 8191, 8192, 53247, 53248, 53249,
					65536, 1 << 20, (1 << 20) + 1, (2 << 20) - 64, (2 << 20) - 100,
					(4 << 20) - 4096, (2 << 20) + 1, (2 << 20) - 4, 3 << 19, (4 << 20) - 64 };
	unsigned sel = next(r);
	unsigned v = next(r) | next(r) << 8;
	switch (sel & 3) {
	case 0:
		return v % (HK_TINY_MAX + 1);
	case 1:
		return HK_TINY_MAX + 1 + v % (HK_POOL_MAX - HK_TINY_MAX);
	case 2:
		return HK_POOL_MAX + 1 + (size_t)v * 2; /* up to ~180 KiB: keeps runs fast */
	default:
		return edges[v % (sizeof(edges) / sizeof(edges[0]))];
	}
}

static void check_slot(const struct slot *s)
{
	if (!s->p)
		return;
	if (hk_verify(s->p, s->n, s->seed) >= 0)
		die("block content corrupted", s->p, s->n);
	if (malloc_usable_size(s->p) < s->n)
		die("usable size below request", s->p, s->n);
}

static void set_slot(struct slot *s, void *p, size_t n, uint64_t seed)
{
	if (!p)
		die("allocation failed", NULL, n);
	s->p = p;
	s->n = n;
	s->seed = seed;
	/* all of usable is the program's to write: the tail too (then the data) */
	memset(p, 0x5a, malloc_usable_size(p));
	hk_fill(p, n, seed);
}

static void release(struct slot *s)
{
	check_slot(s);
	free(s->p);
	s->p = NULL;
}

static void *aligned_op(unsigned kind, size_t align, size_t n)
{
	void *p = NULL;
	if (kind == 0 && posix_memalign(&p, align, n) != 0)
		return NULL;
	if (kind == 1)
		p = aligned_alloc(align, n);
	if (kind == 2)
		p = memalign(align, n);
	if (p && (uintptr_t)p % align)
		die("misaligned block", p, n);
	return p;
}

static void resize(struct slot *s, size_t n, int as_array, uint64_t seed)
{
	check_slot(s);
	unsigned char *q = as_array ? reallocarray(s->p, n ? n : 1, 1) : realloc(s->p, n ? n : 1);
	if (!q)
		die("realloc failed", s->p, n);
	if (hk_verify_prefix(q, s->n, n, s->seed) >= 0)
		die("realloc lost content", q, n);
	set_slot(s, q, n, seed);
}

static void step(struct reader *r, uint64_t seed)
{
	unsigned op = next(r) % 8;
	struct slot *s = &slots[next(r) % SLOTS];
	if (op >= 2 && op <= 5 && s->p)
		release(s);
	switch (op) {
	case 0:
	case 1:
		if (s->p)
			resize(s, decode_size(r), op, seed);
		return;
	case 2:
	case 3: {
		size_t n = decode_size(r);
		unsigned char *p = op == 2 ? malloc(n) : calloc(1, n);
		for (size_t i = 0; op == 3 && p && i < n; i++)
			if (p[i])
				die("calloc block not zeroed", p, n);
		set_slot(s, p, n, seed);
		return;
	}
	case 4: {
		unsigned kind = next(r) % 3;
		size_t align = (size_t)8 << (next(r) % 14);
		size_t n = decode_size(r);
		set_slot(s, aligned_op(kind, align, n), n, seed);
		return;
	}
	case 5:
		return; /* free only */
	default:
		check_slot(s);
	}
}

static void check_census_empty(void)
{
	struct hakmem_census c;
	hakmem_census(&c);
	for (int i = 0; i < c.classes; i++)
		if (c.carved[i] != c.free_local[i] + c.remote_pending[i])
			die("census: blocks held after everything was freed", NULL, c.class_size[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size, 0 };
	uint64_t seed = 1;
	while (r.pos < r.len)
		step(&r, seed++);
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].p)
			release(&slots[i]);
	check_census_empty();
	return 0;
}
