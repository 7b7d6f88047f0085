#!/usr/bin/env bash
# A program linked with lib/libhakmem.a (the README's `cc app.c lib/libhakmem.a`)
# that calls only malloc and free gets hakmem's whole malloc family, not just
# those two: libc calls calloc, realloc and the rest on its own, and a block
# from glibc's calloc passed to hakmem's free is an "invalid pointer" abort
# (pthread_attr_setaffinity_np + pthread_attr_destroy do exactly that).
. "$(dirname "$0")/common.sh"
echo "test_static_link: malloc and free alone link hakmem's whole malloc family from libhakmem.a"
[ -f "$ROOT/lib/libhakmem.a" ] || fail "lib/libhakmem.a is not built (run make)"
cat >"$T/app.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the first definition of name the loader sees lives. */
static const char *home(const char *name)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, name);
	if (!sym || !dladdr(sym, &info) || !info.dli_fname)
		return "?";
	return info.dli_fname;
}

static void *run(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	(void)argc;
	void *volatile p = malloc(100); /* volatile: not a pair the compiler may drop */
	free(p);
	static const char *const family[] = { "malloc", "free", "calloc", "realloc", "reallocarray",
		"posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size" };
	int bad = 0;
	for (size_t i = 0; i < sizeof(family) / sizeof(family[0]); i++) {
		const char *where = home(family[i]);
		int ours = strstr(where, "libc.so") == NULL && strcmp(where, "?") != 0;
		printf("%-18s %s\n", family[i], ours ? "the program (hakmem)" : where);
		bad += !ours;
	}
	fflush(stdout);
	/* libc's own calloc and free of a thread attribute's CPU set */
	pthread_attr_t attr;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	pthread_t t;
	if (pthread_attr_init(&attr) || pthread_attr_setaffinity_np(&attr, sizeof(set), &set) ||
	    pthread_create(&t, &attr, run, NULL) || pthread_join(t, NULL))
		perror("pthread");
	pthread_attr_destroy(&attr);
	printf("%s: %d of the family not hakmem's\n", argv[0], bad);
	return bad != 0;
}
C
cc -O1 -Iinclude "$T/app.c" -o "$T/app" lib/libhakmem.a -pthread
"$T/app" || fail "the program linked with lib/libhakmem.a does not have hakmem's whole malloc family"
echo "PASS"
