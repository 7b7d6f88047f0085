/*
 * More live large blocks than hakmem's reserved regions hold chunks for
 * (every large block has a 2 MiB chunk of address space; the regions hold
 * 8 k chunks): every malloc still succeeds, each block keeps its content,
 * and they all free cleanly — an allocator must not say ENOMEM while the
 * machine has memory to spare.
 */
#include "hk_test.h"

#define BLOCKS 9000
#define SIZE 100000

int main(void)
{
	hk_test_begin("test_many_large", "9000 live 100 KB blocks (more than the regions' 8 k chunks)");
	static void *p[BLOCKS];
	for (int i = 0; i < BLOCKS; i++) {
		p[i] = malloc(SIZE);
		HK_CHECK(p[i] != NULL, "malloc(%d) #%d returned NULL (errno %d)", SIZE, i, errno);
		memcpy(p[i], &i, sizeof(i));
		memcpy((char *)p[i] + SIZE - sizeof(i), &i, sizeof(i));
	}
	for (int i = 0; i < BLOCKS; i++) {
		int head, tail;
		memcpy(&head, p[i], sizeof(head));
		memcpy(&tail, (char *)p[i] + SIZE - sizeof(tail), sizeof(tail));
		HK_CHECK(head == i && tail == i, "block #%d holds %d / %d", i, head, tail);
	}
	for (int i = 0; i < BLOCKS; i++)
		free(p[i]);
	/* and the address space comes back: a second round succeeds too */
	for (int i = 0; i < BLOCKS; i++) {
		p[i] = malloc(SIZE);
		HK_CHECK(p[i] != NULL, "second round: malloc(%d) #%d returned NULL", SIZE, i);
	}
	for (int i = 0; i < BLOCKS; i++)
		free(p[i]);
	hk_pass("9000 live, freed, and 9000 again");
	return 0;
}
