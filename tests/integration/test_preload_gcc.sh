#!/usr/bin/env bash
# gcc (driver, cc1, as, collect2, ld all preloaded) produces the same object
# with hakmem as without, and the linked program prints the same.
. "$(dirname "$0")/common.sh"
echo "test_preload_gcc: gcc -O2 output identical under LD_PRELOAD"
cat >"$T/prog.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; char name[24]; int v; };
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(void)
{
	int a[1000];
	struct node *head = NULL;
	for (int i = 0; i < 1000; i++) {
		a[i] = (i * 7919) % 1000;
		struct node *n = malloc(sizeof(*n));
		snprintf(n->name, sizeof(n->name), "n%d", a[i]);
		n->v = a[i];
		n->next = head;
		head = n;
	}
	qsort(a, 1000, sizeof(int), cmp);
	long sum = 0;
	while (head) { struct node *n = head; sum += n->v * (long)strlen(n->name); head = n->next; free(n); }
	printf("%d %d %ld\n", a[0], a[999], sum);
	return 0;
}
CEOF
(cd "$T" && gcc -O2 -c prog.c -o plain.o)
(cd "$T" && hk_preload "$T/stats.json" gcc -O2 -c prog.c -o hakmem.o)
cmp "$T/plain.o" "$T/hakmem.o" || fail "object files differ"
(cd "$T" && gcc plain.o -o plain && hk_preload "$T/stats-ld.json" gcc hakmem.o -o hakmem)
"$T/plain" >"$T/plain.out"
"$T/hakmem" >"$T/hakmem.out"
cmp "$T/plain.out" "$T/hakmem.out" || fail "program output differs"
echo "object $(stat -c %s "$T/hakmem.o") bytes identical; program prints $(cat "$T/hakmem.out")"
check_served "$T/stats.json"
check_served "$T/stats-ld.json"
echo "PASS"
