/*
 * What one small tier frees goes back to the OS when the other one needs
 * memory: a thread that frees 24 MiB of tiny blocks and then allocates
 * 24 MiB of pool blocks gives the emptied superslabs back (madvise, purpose
 * superslab); freeing those and allocating tiny blocks again gives back the
 * pages inside the pool's free stretches (purpose arena).  The process's
 * peak then stays near one phase's bytes, not the sum of all (five 100 MB
 * phases of different sizes: 159 MB, against 560 MB; glibc 121).
 * hakmem_flush and malloc_trim give it back at once.
 */
#include "hakmem_probes.h"
#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define BYTES (24 * MiB)
#define MAX_BLOCKS (BYTES / 64) /* the smallest blocks below */

static void *blocks[MAX_BLOCKS];

/* Allocate BYTES in blocks of size, touching each, then free them all. */
static void phase(size_t size)
{
	size_t n = BYTES / size;
	HK_CHECK(n <= MAX_BLOCKS, "phase(%zu): too many blocks", size);
	for (size_t i = 0; i < n; i++) {
		blocks[i] = malloc(size);
		HK_CHECK(blocks[i] != NULL, "malloc(%zu)", size);
		memset(blocks[i], 0x5a, size);
	}
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
}

static uint64_t advised(int purpose)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.os_advise_bytes[purpose];
}

static uint64_t advise_calls(int purpose)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st.os_advise_calls[purpose];
}

/* VmHWM or VmRSS of this process, in bytes. */
static size_t status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	HK_CHECK(f != NULL, "/proc/self/status");
	char line[256];
	size_t kb = 0, len = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, len) == 0)
			kb = strtoul(line + len, NULL, 10);
	fclose(f);
	return kb * 1024;
}

/* A phase of size-byte blocks after one of the other tier gives back at
 * least 16 of the 24 MiB that one freed, advised for purpose; how many
 * calls that took. */
static uint64_t gives_back(size_t size, int purpose, const char *what)
{
	uint64_t before = advised(purpose), calls = advise_calls(purpose);
	phase(size);
	uint64_t given = advised(purpose) - before;
	calls = advise_calls(purpose) - calls;
	printf("%s: %zu MiB given back in %" PRIu64 " calls (purpose %d)\n", hk_test_name, (size_t)(given / MiB),
	       calls, purpose);
	HK_CHECK(given >= 16 * MiB, "only %" PRIu64 " KiB of 24 MiB given back: %s", given / 1024, what);
	hk_pass(what);
	return calls;
}

/* Without another tier needing memory, hakmem_flush and malloc_trim give
 * back at once what a phase freed. */
static void flush_gives_back(void)
{
	uint64_t before = advised(HK_PURPOSE_SUPERSLAB);
	phase(64);
	hakmem_flush();
	uint64_t given = advised(HK_PURPOSE_SUPERSLAB) - before;
	HK_CHECK(given >= 16 * MiB, "hakmem_flush gave back %" PRIu64 " KiB of 24 MiB of tiny blocks", given / 1024);
	before = advised(HK_PURPOSE_ARENA);
	phase(4096);
	HK_CHECK(malloc_trim(0) == 1, "malloc_trim(0) returned 0 after 24 MiB of pool blocks were freed");
	given = advised(HK_PURPOSE_ARENA) - before;
	HK_CHECK(given >= 16 * MiB, "malloc_trim gave back %" PRIu64 " KiB of 24 MiB of pool blocks", given / 1024);
	HK_CHECK(malloc_trim(0) == 0, "a second malloc_trim(0) found more to give back");
	hk_pass("hakmem_flush and malloc_trim give back what a phase freed, at once");
}

int main(void)
{
	hk_test_begin("test_reclaim_give_back", "a small tier's free memory goes back when the other needs memory");
	size_t base = status_kb("VmRSS:");
	phase(128);
	uint64_t calls = gives_back(8192, HK_PURPOSE_SUPERSLAB,
				    "superslabs emptied of tiny blocks go back when the pool needs memory");
	/* 12 superslabs, taken four at a time: side by side, they go back together */
	HK_CHECK(calls <= 3, "%" PRIu64 " madvise calls for 24 MiB of superslabs side by side", calls);
	gives_back(256, HK_PURPOSE_ARENA, "pages of the pool's free stretches go back when the tiny tier needs memory");

	flush_gives_back();

	size_t peak = status_kb("VmHWM:") - base;
	printf("%s: peak %zu MiB over the start for three 24 MiB phases\n", hk_test_name, peak / MiB);
	/* a tier gives back what was free at the heap's last reclaim already:
	 * the next phase maps some memory first (three phases: 72 MiB without) */
	HK_CHECK(peak < 2 * BYTES + BYTES / 2, "peak %zu MiB: the phases' memory added up", peak / MiB);
	hk_pass("the peak stays under two and a half phases' bytes");
	return 0;
}
