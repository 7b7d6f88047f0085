/* region.c — reserved address space, carved into chunk runs (see region.h). */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include "bitmap.h"
#include "lock.h"
#include "os.h"
#include "region.h"
#include "segment.h"

#define REGION_CHUNKS 128 /* 256 MiB of address space per reservation */
#define REGION_SIZE (REGION_CHUNKS * HK_CHUNK)
#define MAX_REGIONS 64
/* Bigger requests get a mapping of their own: they would strand the rest of a
 * region, and a mapping that size is rare enough to pay its own syscall. */
#define DIRECT_MIN (REGION_SIZE / 4)

struct region {
	uintptr_t base;
	size_t size; /* REGION_SIZE, or less under a limit (reserve_size) */
	int huge; /* advised MADV_HUGEPAGE: for hk_region_take_huge only */
	uint64_t used[REGION_CHUNKS / 64]; /* bit i: chunk i is handed out */
};

static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static struct region regions[MAX_REGIONS];
static unsigned region_count;

static unsigned chunks(size_t size)
{
	return (unsigned)(hk_align_up(size, HK_CHUNK) / HK_CHUNK);
}

/* First fit: the lowest aligned run of n free chunks, or -1. */
static int find_run(const struct region *r, unsigned n, size_t align)
{
	unsigned step = (unsigned)(align / HK_CHUNK);
	unsigned first = (unsigned)((hk_align_up(r->base, align) - r->base) / HK_CHUNK);
	for (unsigned i = first; i + n <= REGION_CHUNKS; i += step)
		if (!hk_bits_any(r->used, i, n))
			return (int)i;
	return -1;
}

static void *take_from(struct region *r, unsigned n, size_t align)
{
	int i = find_run(r, n, align);
	if (i < 0)
		return NULL;
	hk_bits_set(r->used, (unsigned)i, n, 1);
	return (void *)(r->base + (uintptr_t)i * HK_CHUNK);
}

_Static_assert(MAX_REGIONS * REGION_SIZE == HK_WINDOW_SIZE, "the window holds every region");

/* Region i goes to its place in the window; anywhere if that is taken (the
 * registry finds it all the same, with a load more). */
static void *reserve_space(unsigned i, size_t size)
{
	void *base = hk_os_map_at((void *)(HK_WINDOW_BASE + (uintptr_t)i * REGION_SIZE), size,
				  HK_PURPOSE_REGION);
	return base ? base : hk_os_map_aligned(size, HK_CHUNK, HK_PURPOSE_REGION);
}

/* A reservation counts in full against RLIMIT_AS and RLIMIT_DATA, touched
 * or not (MAP_NORESERVE spares the commit charge only): under `ulimit -v
 * 300000` or `ulimit -d 300000` a program started 4 threads of 8 MiB
 * stacks, where glibc starts 36.  Under a finite limit a region reserves a
 * 16th of the lower one (a chunk at least), and its chunks past that are
 * marked handed out for good. */
#define LIMIT_SHARE 16

static size_t reserve_size(void)
{
	rlim_t limit = RLIM_INFINITY;
	struct rlimit r;
	if (getrlimit(RLIMIT_AS, &r) == 0)
		limit = r.rlim_cur;
	if (getrlimit(RLIMIT_DATA, &r) == 0 && r.rlim_cur < limit)
		limit = r.rlim_cur;
	if (limit == RLIM_INFINITY || limit / LIMIT_SHARE >= REGION_SIZE)
		return REGION_SIZE;
	size_t size = (size_t)(limit / LIMIT_SHARE) & ~(size_t)(HK_CHUNK - 1);
	return size > HK_CHUNK ? size : HK_CHUNK;
}

static struct region *reserve_locked(int huge, size_t size)
{
	void *base = reserve_space(region_count, size);
	if (!base)
		return NULL;
	if (huge) /* one call for the whole reservation: no syscall per block */
		hk_os_advise(base, size, MADV_HUGEPAGE, HK_PURPOSE_REGION);
	struct region *r = &regions[region_count];
	*r = (struct region){.base = (uintptr_t)base, .size = size, .huge = huge};
	unsigned reserved = (unsigned)(size / HK_CHUNK);
	if (reserved < REGION_CHUNKS) /* not ours: never handed out */
		hk_bits_set(r->used, reserved, REGION_CHUNKS - reserved, 1);
	__atomic_store_n(&region_count, region_count + 1, __ATOMIC_RELEASE);
	return r;
}

static void *take_locked(unsigned n, size_t align, int huge)
{
	for (unsigned i = 0; i < region_count; i++) {
		void *p = regions[i].huge == huge ? take_from(&regions[i], n, align) : NULL;
		if (p)
			return p;
	}
	/* Under a limit a new region may be too small for the block: it then
	 * gets a mapping of its own (take) without first reserving a region it
	 * cannot use, which would keep that much of the limit for nothing
	 * (24 MiB blocks under 320 MiB of RLIMIT_AS: 6 held, glibc 13). */
	if (region_count == MAX_REGIONS) /* asked at every take once all are full */
		return NULL;
	size_t size = reserve_size();
	if ((size_t)n * HK_CHUNK > size)
		return NULL;
	struct region *r = reserve_locked(huge, size);
	return r ? take_from(r, n, align) : NULL;
}

static void *map_own(size_t size, size_t align, enum hk_purpose purpose, int huge)
{
	void *p = hk_os_map_aligned(size, align, purpose);
	if (p && huge)
		hk_os_advise(p, size, MADV_HUGEPAGE, purpose);
	return p;
}

static void *take(size_t size, size_t align, enum hk_purpose purpose, int huge)
{
	if (size >= DIRECT_MIN || align >= DIRECT_MIN)
		return map_own(size, align, purpose, huge);
	hk_lock(&region_lock);
	void *p = take_locked(chunks(size), align, huge);
	hk_unlock(&region_lock);
	/* Every region full (MAX_REGIONS of them: 8 k live large blocks, say):
	 * a mapping of its own, unmapped when given back, rather than ENOMEM
	 * with memory to spare. */
	return p ? p : map_own(size, align, purpose, huge);
}

void *hk_region_take(size_t size, size_t align, enum hk_purpose purpose)
{
	return take(size, align, purpose, 0);
}

void *hk_region_take_huge(size_t size, size_t align)
{
	return take(size, align, HK_PURPOSE_LARGE, 1);
}

static struct region *region_of(uintptr_t p)
{
	unsigned n = __atomic_load_n(&region_count, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++)
		if (p - regions[i].base < regions[i].size)
			return &regions[i];
	return NULL;
}

uintptr_t hk_region_base(const void *p)
{
	const struct region *r = region_of((uintptr_t)p);
	return r ? r->base : 0;
}

int hk_region_same(const void *a, const void *b)
{
	uintptr_t r = hk_region_base(a);
	return r && r == hk_region_base(b);
}

void hk_region_give(void *base, size_t size, size_t dirty, enum hk_purpose purpose)
{
	struct region *r = region_of((uintptr_t)base);
	if (!r) {
		hk_os_unmap(base, size, purpose);
		return;
	}
	dirty = hk_align_up(dirty < size ? dirty : size, HK_PAGE);
	if (dirty) /* before the chunks are free: nobody else may see old data */
		hk_os_advise(base, dirty, MADV_DONTNEED, purpose);
	hk_lock(&region_lock);
	hk_bits_set(r->used, (unsigned)(((uintptr_t)base - r->base) / HK_CHUNK), chunks(size), 0);
	hk_unlock(&region_lock);
}

void hk_region_atfork_prepare(void)
{
	pthread_mutex_lock(&region_lock);
}

void hk_region_atfork_release(void)
{
	pthread_mutex_unlock(&region_lock);
}
