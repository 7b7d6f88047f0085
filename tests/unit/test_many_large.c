/*
 * Thousands of live large blocks.  Runs (<= 1 MiB) share chunks: 9000 live
 * 100 KB blocks take about their own size of address space, not a 2 MiB
 * chunk each.  Spans (> 1 MiB) own their chunks, and 9000 of them are more
 * than hakmem's reserved regions hold (8 k chunks): every malloc still
 * succeeds — an allocator must not say ENOMEM with memory to spare.
 */
#include "hk_test.h"

#define BLOCKS 9000

static void *p[BLOCKS];

/* BLOCKS live blocks of size bytes, each marked at both ends, checked, freed. */
static void live_round(size_t size)
{
	for (int i = 0; i < BLOCKS; i++) {
		p[i] = malloc(size);
		HK_CHECK(p[i] != NULL, "malloc(%zu) #%d returned NULL (errno %d)", size, i, errno);
		memcpy(p[i], &i, sizeof(i));
		memcpy((char *)p[i] + size - sizeof(i), &i, sizeof(i));
	}
	for (int i = 0; i < BLOCKS; i++) {
		int head, tail;
		memcpy(&head, p[i], sizeof(head));
		memcpy(&tail, (char *)p[i] + size - sizeof(tail), sizeof(tail));
		HK_CHECK(head == i && tail == i, "%zu-byte block #%d holds %d / %d", size, i, head, tail);
	}
}

static void free_all(void)
{
	for (int i = 0; i < BLOCKS; i++)
		free(p[i]);
}

int main(void)
{
	hk_test_begin("test_many_large", "9000 live 100 KB runs packed; 9000 live 1.1 MB spans (more than 8 k chunks)");
	int64_t mapped0 = hk_mapped_bytes();
	live_round(100000);
	int64_t mapped = hk_mapped_bytes() - mapped0;
	/* 900 MB of blocks; a region is 256 MiB of address space */
	HK_CHECK(mapped < ((int64_t)2 << 30), "9000 live 100 KB blocks mapped %" PRId64 " MiB", mapped >> 20);
	free_all();
	hk_pass("9000 x 100 KB live in under 2 GiB of address space");

	live_round(1100000);
	free_all();
	live_round(1100000); /* and the address space comes back */
	free_all();
	hk_pass("9000 x 1.1 MB live, freed, and 9000 again");
	return 0;
}
