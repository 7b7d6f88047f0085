/*
 * Out of address space (RLIMIT_AS): every allocator of the family returns
 * NULL with errno ENOMEM (posix_memalign: ENOMEM as its result), and once
 * the blocks are freed, any size of any tier is served again, as glibc
 * does.  Before the relief (lib/oom.h), memory freed as 1 KiB blocks stayed
 * in their class's list: malloc(16) then failed with nothing live.  And a
 * realloc that shrinks cannot fail, full as memory is.
 */
#include <sys/resource.h>
#include "hk_test.h"

#define EXTRA_KB (16L << 10) /* the limit: what is mapped now, and 16 MiB */

static void **slots;
static size_t slot_cap;

/* One allocation of n bytes by api; *err: errno, or posix_memalign's result. */
static void *alloc_by(int api, size_t n, int *err)
{
	void *p = NULL;
	errno = 0;
	switch (api) {
	case 0: p = malloc(n); break;
	case 1: p = calloc(1, n); break;
	case 2: p = realloc(NULL, n); break;
	case 3: {
		int r = posix_memalign(&p, 64, n);
		if (r)
			errno = r, p = NULL;
		break;
	}
	case 4: p = aligned_alloc(256, n); break;
	case 5: p = memalign(4096, n); break;
	case 6: p = valloc(n); break;
	case 7: p = pvalloc(n); break;
	default: p = reallocarray(NULL, n / 8 + 1, 8); break;
	}
	*err = errno;
	return p;
}
#define APIS 9
static const char *const api_name[APIS] = {"malloc", "calloc", "realloc", "posix_memalign",
					   "aligned_alloc", "memalign", "valloc", "pvalloc", "reallocarray"};

/* Memory is full of count n-byte blocks: full of 16-byte ones too, the
 * first block shrinks to 16 bytes all the same, as glibc's does in place
 * (it failed with ENOMEM: shrinking moves a block to a smaller class).
 * Returns the blocks now held. */
static size_t shrink_when_full(size_t count, size_t n)
{
	size_t all = count;
	while (all < slot_cap && (slots[all] = malloc(16)))
		all++;
	memset(slots[0], 7, 16);
	errno = 0;
	void *q = realloc(slots[0], 16);
	HK_CHECK(q != NULL, "memory full: realloc of a %zu-byte block to 16 bytes failed (errno %d)", n, errno);
	HK_CHECK(errno == 0, "realloc shrinking in place set errno %d", errno);
	HK_CHECK(((unsigned char *)q)[15] == 7, "realloc shrinking lost the content");
	slots[0] = q;
	return all;
}

/* Fill memory with n-byte blocks from api until it fails (it must, with
 * ENOMEM), then free them all. */
static void fill_and_free(int api, size_t n)
{
	size_t count = 0;
	int err = 0;
	void *p;
	while (count < slot_cap && (p = alloc_by(api, n, &err))) {
		((char *)p)[0] = ((char *)p)[n - 1] = 1; /* it is memory */
		slots[count++] = p;
	}
	HK_CHECK(count < slot_cap, "%s(%zu) never failed", api_name[api], n);
	HK_CHECK(err == ENOMEM, "%s(%zu) failed with errno %d after %zu blocks", api_name[api], n, err, count);
	count = shrink_when_full(count, n);
	while (count)
		free(slots[--count]);
}

static const size_t sizes[] = {1000, 30000, 100000, (size_t)3 << 20};
#define SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* After the fill, each API serves a size of each tier. */
static void all_serve_again(size_t filled)
{
	static const size_t asks[] = {16, 200, 4000, 52000, 300000, (size_t)5 << 20};
	for (int api = 0; api < APIS; api++) {
		for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
			int err;
			void *p = alloc_by(api, asks[i], &err);
			HK_CHECK(p != NULL, "after %zu-byte blocks were all freed, %s(%zu) failed (errno %d)",
				 filled, api_name[api], asks[i], err);
			memset(p, 2, asks[i]);
			free(p);
		}
	}
}

int main(void)
{
	hk_test_begin("test_oom_reuse", "RLIMIT_AS: ENOMEM from every API, then every size served again");
	free(malloc(1));
	slot_cap = (size_t)(hk_status_kb("VmSize:") + EXTRA_KB) * 1024 / 16;
	slots = mmap(NULL, slot_cap * sizeof(void *), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	HK_CHECK(slots != MAP_FAILED, "mmap of the slots");
	struct rlimit rl;
	rl.rlim_cur = rl.rlim_max = (rlim_t)(hk_status_kb("VmSize:") + EXTRA_KB) * 1024;
	HK_CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit(RLIMIT_AS)");
	for (size_t i = 0; i < SIZES; i++) {
		int api = (int)(i * 2 % APIS);
		fill_and_free(api, sizes[i]);
		all_serve_again(sizes[i]);
	}
	for (int api = 0; api < APIS; api++) /* each API's own ENOMEM, in blocks quick to fill */
		fill_and_free(api, sizes[2 + api % 2]);
	all_serve_again(0);
	hk_pass("ENOMEM at the limit, everything served after the frees");
	return 0;
}
