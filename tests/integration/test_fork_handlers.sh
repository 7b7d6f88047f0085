#!/usr/bin/env bash
# Other libraries' pthread_atfork handlers may allocate and free, as glibc's
# malloc allows.  A library loaded with the program registers its handlers
# in its constructor, before hakmem's (preloaded, or linked in from
# libhakmem.a): its prepare handler then runs after hakmem's has taken every
# allocator lock, and its parent and child handlers before hakmem's release
# them.  Each of them allocates and frees in every tier, registered before
# hakmem's handlers and after them, while another thread allocates; a
# deadlock is a timeout.
. "$(dirname "$0")/common.sh"
echo "test_fork_handlers: fork handlers registered before and after hakmem's allocate and free"
[ -f "$ROOT/lib/libhakmem.a" ] || fail "lib/libhakmem.a is not built (run make)"
cat >"$T/handlers.c" <<'C'
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One block of each tier: tiny, pool, a run, a span of its own. */
static const size_t sizes[] = { 100, 20000, 300000, 4 << 20 };
#define N (sizeof(sizes) / sizeof(sizes[0]))
static void *before[2][N], *during[2][N]; /* [registration][tier] */

static void fill(void **v)
{
	for (size_t i = 0; i < N; i++) {
		v[i] = malloc(sizes[i]);
		if (!v[i])
			abort();
		memset(v[i], 0x5a, 64); /* both ends: page faults are slow in VMs */
		memset((char *)v[i] + sizes[i] - 64, 0x5a, 64);
	}
}

static void drop(void **v)
{
	for (size_t i = 0; i < N; i++) {
		const unsigned char *b = v[i];
		if (b[0] != 0x5a || b[sizes[i] - 1] != 0x5a)
			abort();
		free(v[i]);
		v[i] = NULL;
	}
}

/* prepare: frees what the last fork's parent left, allocates anew */
static void prepare(int r)
{
	drop(before[r]);
	fill(during[r]);
	void *p = realloc(malloc(64), 100000);
	free(p);
}

static void parent(int r)
{
	drop(during[r]);
	fill(before[r]);
}

/* child: the parent's blocks are its copies; it allocates more */
static void child(int r)
{
	drop(during[r]);
	fill(before[r]);
	drop(before[r]);
}

static void prepare0(void) { prepare(0); }
static void parent0(void) { parent(0); }
static void child0(void) { child(0); }
static void prepare1(void) { prepare(1); }
static void parent1(void) { parent(1); }
static void child1(void) { child(1); }

/* registered in the constructor: before hakmem's handlers */
__attribute__((constructor)) static void early(void)
{
	fill(before[0]);
	pthread_atfork(prepare0, parent0, child0);
}

/* called by the program's main: after them */
void handlers_register_late(void)
{
	fill(before[1]);
	pthread_atfork(prepare1, parent1, child1);
}
C
cat >"$T/app.c" <<'C'
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void handlers_register_late(void);
static atomic_int stop;

static void *busy(void *arg)
{
	unsigned n = 0;
	while (!atomic_load(&stop))
		free(malloc(16 + (n++ * 4099) % 400000));
	return arg;
}

int main(void)
{
	handlers_register_late();
	pthread_t t;
	if (pthread_create(&t, NULL, busy, NULL))
		return 2;
	for (int i = 0; i < 10; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 3;
		if (pid == 0) {
			free(malloc(1000));
			_exit(0);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 4;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("10 forks\n");
	return 0;
}
C
cc -O1 -shared -fPIC "$T/handlers.c" -o "$T/libhandlers.so" -pthread
cc -O1 "$T/app.c" -o "$T/app" -Wl,--no-as-needed -L"$T" -lhandlers -Wl,-rpath,"$T" -pthread
cc -O1 "$T/app.c" -o "$T/app_static" -Wl,--no-as-needed -L"$T" -lhandlers -Wl,-rpath,"$T" \
	lib/libhakmem.a -pthread
# hakmem's own handlers are registered after the library's (the premise)
echo "preloaded:"
timeout 20 env LD_PRELOAD="$LIB" "$T/app" || fail "preloaded: exit $? (124: fork deadlocked)"
echo "linked with lib/libhakmem.a:"
timeout 20 "$T/app_static" || fail "static: exit $? (124: fork deadlocked)"
echo "PASS"
