/*
 * Death tests: free() of pointers hakmem did not hand out, and double frees,
 * must abort (SIGABRT) with hakmem's message on stderr — never continue with
 * a corrupted heap.  Each case runs in a forked child whose stderr we read.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "hk_test.h"

#define INVALID "hakmem: free(): invalid pointer 0x"
#define DOUBLE "double free"

typedef void (*case_fn)(size_t n);

/* The frees below are exactly the bugs under test; keep the compiler from
 * seeing through them. */
static void *volatile sink;

static void free_stack(size_t n)
{
	char buf[64];
	(void)n;
	sink = buf;
	free(sink);
}

static void free_middle(size_t n)
{
	char *p = malloc(n);
	memset(p, 1, n);
	sink = p + n / 2;
	free(sink);
}

static void free_plus16(size_t n)
{
	char *p = malloc(n);
	memset(p, 1, n);
	sink = p + 16;
	free(sink);
}

/* A page into a run or span: page aligned, as a block start would be. */
static void free_plus_page(size_t n)
{
	char *p = malloc(n);
	memset(p, 1, n);
	sink = p + 4096;
	free(sink);
}

/* The slab's last block start: a block of the class, but not carved yet
 * (a refill carves a few dozen). */
static void free_uncarved(size_t n)
{
	char *p = malloc(n);
	struct hakmem_ptr_info in;
	if (hakmem_ptr_info(p, &in) != 0 || in.tier != 0)
		return; /* survived: the parent reports it */
	sink = (char *)in.region + in.stride * (65536 / in.stride - 1);
	free(sink);
}

static void double_free(size_t n)
{
	void *p = malloc(n);
	memset(p, 1, n);
	/* Keep other blocks of the class around so the check cannot rely on
	 * the block being the only one on the free list. */
	void *q = malloc(n);
	free(p);
	sink = p;
	free(sink);
	free(q);
}

/* The bad free below made by a thread with a heap of its own, that did not
 * allocate the block: free()'s path for other heaps' blocks. */
struct foreign_free {
	char *p;
	int twice;
};

static void *foreign_free_main(void *arg)
{
	struct foreign_free *f = arg;
	free(malloc(32));
	sink = f->p;
	free(sink);
	if (f->twice)
		free(sink);
	return NULL;
}

static void free_in_thread(char *p, int twice)
{
	struct foreign_free f = { p, twice };
	pthread_t t;
	if (pthread_create(&t, NULL, foreign_free_main, &f) == 0)
		pthread_join(t, NULL);
}

static void free_plus16_elsewhere(size_t n)
{
	char *p = malloc(n);
	memset(p, 1, n);
	free_in_thread(p + 16, 0);
}

static void double_free_elsewhere(size_t n)
{
	char *p = malloc(n), *q = malloc(n);
	memset(p, 1, n);
	free_in_thread(p, 1);
	free(q);
}

static void free_global(size_t n)
{
	static char global[256];
	(void)n;
	sink = global + 16;
	free(sink);
}

/* The first arena, full of n-byte blocks all freed, is handed back at
 * malloc_trim (and its chunks given to the OS): a stale pointer into it
 * is no block any more. */
static void free_released_arena(size_t n)
{
	enum { BLOCKS = 96 }; /* 3 MiB of 32 KiB blocks: past the first 1 MiB arena */
	char *p[BLOCKS];
	for (int i = 0; i < BLOCKS; i++)
		p[i] = malloc(n);
	for (int i = 0; i < BLOCKS; i++)
		free(p[i]);
	malloc_trim(0);
	sink = p[0];
	free(sink);
}

/* A mapping of the program's own in the regions' window (lib/os.h), at the
 * last region's place: the window's table must not know it. */
static void free_in_window(size_t n)
{
	char *m = hk_map_at(HK_WINDOW_BASE + HK_WINDOW_SIZE - HK_REGION_SIZE, n);
	if (!m)
		return; /* survived: the parent reports it */
	memset(m, 1, n);
	sink = m + 64;
	free(sink);
}

/* Free a span's old pointer once its chunks serve a pool arena: freed
 * large blocks left alone 100 ms, with the cache past 64 MiB, are lent to
 * the other tiers (test_large_lend). */
static void free_lent_span(size_t n)
{
	enum { SPANS = 5 };
	char *p[SPANS];
	sink = malloc((size_t)256 << 20); /* spans in use: the cache may keep 75 MiB */
	for (int i = 0; i < SPANS; i++) {
		p[i] = malloc(n);
		memset(p[i], 1, n);
	}
	for (int i = 0; i < SPANS; i++)
		free(p[i]);
	struct timespec ts = {0, 200 * 1000000L};
	nanosleep(&ts, NULL);
	for (int k = 0; k < 2000; k++) {
		struct hakmem_ptr_info in;
		if (hakmem_ptr_info(malloc(32768), &in) != 0)
			return;
		for (int i = 0; i < SPANS; i++)
			if (in.region == (uintptr_t)p[i] - 64) { /* an arena at the span's start */
				sink = p[i];
				free(sink);
				return;
			}
	}
}

/* A run freed into the thread's stash is still a run to the chunks: the
 * stash's mark in it is what realloc and malloc_usable_size must see. */
static void realloc_freed(size_t n)
{
	void *p = malloc(n);
	memset(p, 1, n);
	free(p);
	sink = p;
	sink = realloc(sink, n + n / 2);
}

static void usable_freed(size_t n)
{
	void *p = malloc(n);
	free(p);
	sink = p;
	sink = (void *)malloc_usable_size(sink);
}

/* realloc to a size the freed block holds where it is: the block stayed on
 * its free list and was handed back, to be handed out again by malloc. */
static void realloc_freed_in_place(size_t n)
{
	void *p = malloc(n);
	memset(p, 1, n);
	free(p);
	sink = p;
	sink = realloc(sink, n - n / 4);
}

struct death_case {
	const char *name;
	case_fn fn;
	size_t n;
	const char *expect;
	const char *also; /* a second acceptable message, or NULL */
};

static const struct death_case cases[] = {
	{ "free(stack pointer)", free_stack, 0, INVALID, NULL },
	{ "free(global pointer)", free_global, 0, INVALID, NULL },
	{ "free(own mapping in the regions' window)", free_in_window, 4096, INVALID, NULL },
	{ "free(middle of tiny block)", free_middle, 256, INVALID, NULL },
	{ "free(middle of pool block)", free_middle, 16384, INVALID, NULL },
	{ "free(middle of large block)", free_middle, 300000, INVALID, NULL },
	{ "free(malloc(64)+16)", free_plus16, 64, INVALID, NULL },
	{ "free(a tiny block start not carved yet)", free_uncarved, 48, INVALID, NULL },
	{ "free(a 1024-byte block start not carved yet)", free_uncarved, 1024, INVALID, NULL },
	{ "free(malloc(8192)+16)", free_plus16, 8192, INVALID, NULL },
	{ "free(malloc(200000)+16)", free_plus16, 200000, INVALID, NULL },
	{ "free(malloc(200000)+4096)", free_plus_page, 200000, INVALID, NULL },
	{ "double free tiny", double_free, 48, DOUBLE, INVALID },
	{ "double free pool", double_free, 20000, DOUBLE, INVALID },
	{ "double free large", double_free, 500000, DOUBLE, INVALID },
	{ "free(middle of large span)", free_middle, 2000000, INVALID, NULL },
	{ "free(malloc(2000000)+16)", free_plus16, 2000000, INVALID, NULL },
	{ "free(malloc(2000000)+4096)", free_plus_page, 2000000, INVALID, NULL },
	{ "double free large span", double_free, 2000000, DOUBLE, INVALID },
	{ "free(malloc(64)+16) by another thread", free_plus16_elsewhere, 64, INVALID, NULL },
	{ "free(malloc(8192)+16) by another thread", free_plus16_elsewhere, 8192, INVALID, NULL },
	{ "double free tiny, both by another thread", double_free_elsewhere, 48, DOUBLE, NULL },
	{ "double free pool, both by another thread", double_free_elsewhere, 20000, DOUBLE, NULL },
	{ "free of a span lent to a pool arena", free_lent_span, (size_t)15 << 20, INVALID, NULL },
	{ "free of a block in an arena handed back", free_released_arena, 32768, INVALID, NULL },
	{ "realloc of a run freed into the stash", realloc_freed, 100000, "hakmem: realloc(): invalid pointer 0x",
	  NULL },
	{ "malloc_usable_size of a run freed into the stash", usable_freed, 100000,
	  "hakmem: malloc_usable_size(): invalid pointer 0x", NULL },
	{ "realloc of a freed tiny block, in place", realloc_freed_in_place, 48, "hakmem: realloc(): invalid pointer 0x",
	  NULL },
	{ "realloc of a freed pool block, in place", realloc_freed_in_place, 20000,
	  "hakmem: realloc(): invalid pointer 0x", NULL },
	{ "malloc_usable_size of a freed tiny block", usable_freed, 48,
	  "hakmem: malloc_usable_size(): invalid pointer 0x", NULL },
	{ "malloc_usable_size of a freed pool block", usable_freed, 20000,
	  "hakmem: malloc_usable_size(): invalid pointer 0x", NULL },
};

static void run_child(const struct death_case *c, int errfd)
{
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	dup2(errfd, STDERR_FILENO);
	free(malloc(32)); /* an initialised heap, like a real program's */
	c->fn(c->n);
	_exit(0); /* survived: the parent reports it */
}

static void run_case(const struct death_case *c)
{
	int fds[2];
	HK_CHECK(pipe(fds) == 0, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	HK_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(fds[0]);
		run_child(c, fds[1]);
	}
	close(fds[1]);
	char err[4096];
	size_t len = 0;
	ssize_t r;
	while ((r = read(fds[0], err + len, sizeof(err) - 1 - len)) > 0)
		len += (size_t)r;
	err[len] = 0;
	close(fds[0]);
	int st;
	HK_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	HK_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "%s: child %s %d, expected SIGABRT; stderr: %s", c->name,
		 WIFSIGNALED(st) ? "killed by signal" : "exited with", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
		 err);
	/* A large double free may find its span already unmapped: then hakmem
	 * can only say "invalid pointer", which is still a correct diagnosis. */
	const char *hit = strstr(err, c->expect) ? c->expect : c->also && strstr(err, c->also) ? c->also : NULL;
	HK_CHECK(hit != NULL, "%s: stderr lacks \"%s\": %s", c->name, c->expect, err);
	printf("ok: %s -> SIGABRT, \"%s\"\n", c->name, hit);
}

int main(int argc, char **argv)
{
	(void)argc;
	/* spans in normal memory, which is lent; huge ones: test_large_huge */
	hk_rerun_with(argv, "HAKMEM_LARGE_HUGE_MB", "0");
	hk_test_begin("test_death", "invalid and double free abort with hakmem's message");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	hk_pass("death tests");
	return 0;
}
