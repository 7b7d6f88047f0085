#!/usr/bin/env bash
# Under LD_PRELOAD, glibc's other names for its allocator are hakmem's too:
# a block from malloc handed to cfree (glibc's old free, still exported as
# cfree@GLIBC_2.2.5 for binaries linked long ago) or to __libc_free, and
# one from __libc_malloc handed to free.  Each went to the other allocator
# and aborted with "free(): invalid pointer".  (test_libc_names checks the
# __libc_ names linked statically; a versioned reference like cfree's
# binds only at load time, so it is checked here.)
. "$(dirname "$0")/common.sh"
echo "test_preload_libc_names: cfree and __libc_* under LD_PRELOAD take and give hakmem's blocks"
cat >"$T/names.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
__asm__(".symver cfree_old, cfree@GLIBC_2.2.5");
void cfree_old(void *p);
void *__libc_malloc(size_t n);
void __libc_free(void *p);

int main(void)
{
	static const size_t sizes[] = {24, 3000, 40000, 300000, (size_t)3 << 20};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cfree_old(malloc(sizes[i]));
		__libc_free(malloc(sizes[i]));
		free(__libc_malloc(sizes[i]));
	}
	puts("ok");
	return 0;
}
C
cc -O2 -Wall -Wextra -Werror "$T/names.c" -o "$T/names" || fail "cannot build names.c"
[ "$("$T/names")" = ok ] || fail "names.c fails under glibc alone"
out=$(LD_PRELOAD=$LIB "$T/names" 2>&1) || fail "under hakmem: $out"
[ "$out" = ok ] || fail "under hakmem: $out"
echo "PASS"
