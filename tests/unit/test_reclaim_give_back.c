/*
 * What one small tier frees serves the other: a thread that frees 24 MiB of
 * tiny blocks and then allocates 24 MiB of pool blocks builds its arenas in
 * the emptied superslabs' chunks; freeing those and allocating tiny blocks
 * again puts superslabs in the emptied arenas' chunks.  No syscall either
 * way: the chunks wait, resident, for the next taker (chunks.h).  The
 * process's peak then stays near one phase's bytes, not the sum of all
 * (five 100 MB phases of different sizes: 145 MB, against 560 MB; glibc
 * 121).  hakmem_flush and malloc_trim give back at once what waits.
 *
 * The chunks wait HAKMEM_LARGE_PURGE_MS for the next taker, 60 s here: at
 * the default 100 ms a phase slowed down by a loaded machine found them
 * gone to the OS (1 run in 15 beside two busy loops: "only 9272 KiB of 24
 * MiB in the chunks the last phase left").  What is tested is who takes
 * them, not the clock.
 */
#include "hakmem_probes.h"
#include "hk_test.h"

#define MiB ((size_t)1 << 20)
#define BYTES (24 * MiB)
#define PURGE_MS "60000"
#define MAX_BLOCKS (BYTES / 64) /* the smallest blocks below */

static void *blocks[MAX_BLOCKS];

/* Allocate BYTES in blocks of size, touching each, then free them all. */
static void phase(size_t size)
{
	size_t n = BYTES / size;
	HK_CHECK(n <= MAX_BLOCKS, "phase(%zu): too many blocks", size);
	hk_fill_then_free(blocks, n, size);
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

static struct hk_addr_set chunks; /* the 2 MiB chunks the last phase's blocks lay in */

static void note_chunks(size_t n)
{
	chunks.n = 0;
	for (size_t i = 0; i < n; i++)
		hk_addr_set_add(&chunks, hk_chunk_of(blocks[i]));
}

/* A phase of size-byte blocks, after one of the other tier, puts at least
 * half its 24 MiB in the chunks that one left, without a syscall (the
 * superslab or arena the heap carves stays its own: up to 8 MiB). */
static void serves(size_t size, const char *what)
{
	size_t n = BYTES / size, reused = 0;
	uint64_t calls = advise_calls(HK_PURPOSE_SUPERSLAB) + advise_calls(HK_PURPOSE_ARENA);
	for (size_t i = 0; i < n; i++) {
		blocks[i] = malloc(size);
		HK_CHECK(blocks[i] != NULL, "malloc(%zu)", size);
		memset(blocks[i], 0x5a, size);
		reused += hk_addr_set_has(&chunks, hk_chunk_of(blocks[i]));
	}
	calls = advise_calls(HK_PURPOSE_SUPERSLAB) + advise_calls(HK_PURPOSE_ARENA) - calls;
	note_chunks(n);
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
	printf("%s: %zu MiB of %zu-byte blocks in the last phase's chunks, %" PRIu64 " madvise calls\n",
	       hk_test_name, reused * size / MiB, size, calls);
	HK_CHECK(reused * size >= BYTES / 2, "only %zu KiB of 24 MiB in the chunks the last phase left: %s",
		 reused * size / 1024, what);
	HK_CHECK(calls == 0, "%" PRIu64 " madvise calls: the chunks went to the OS and back", calls);
	hk_pass(what);
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

int main(int argc, char **argv)
{
	(void)argc;
	hk_rerun_with(argv, "HAKMEM_LARGE_PURGE_MS", PURGE_MS);
	hk_test_begin("test_reclaim_give_back", "a small tier's free memory serves the other");
	size_t base = status_kb("VmRSS:");
	phase(128);
	note_chunks(BYTES / 128);
	serves(8192, "superslabs emptied of tiny blocks serve the pool's arenas");
	serves(256, "arenas emptied of pool blocks serve the tiny tier's superslabs");

	flush_gives_back();

	size_t peak = status_kb("VmHWM:") - base;
	printf("%s: peak %zu MiB over the start for three 24 MiB phases\n", hk_test_name, peak / MiB);
	/* a heap reclaims once it has carved another quarter: the next phase
	 * maps some memory first (three phases: 72 MiB without) */
	HK_CHECK(peak < 2 * BYTES + BYTES / 2, "peak %zu MiB: the phases' memory added up", peak / MiB);
	hk_pass("the peak stays under two and a half phases' bytes");
	return 0;
}
