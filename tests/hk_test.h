/*
 * hk_test.h — the small harness every C test shares: failure reporting,
 * a deterministic RNG, content patterns, and a few hakmem helpers.
 *
 * Tests print through a static stdio buffer (hk_test_begin) so that stdio
 * never allocates from hakmem: census-based tests compare exact block counts
 * and a stray stdout buffer would be one block too many.
 */
#ifndef HK_TEST_H
#define HK_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hakmem.h"

/* Tier limits from the spec: tiny <= 1 KiB, pool <= 52 KiB, large above. */
#define HK_TINY_MAX 1024u
#define HK_POOL_MAX 53248u
#define HK_PAGE 4096u

/* The regions' window (lib/os.h): region i is reserved at HK_WINDOW_BASE +
 * i * HK_REGION_SIZE when that place is free. */
#define HK_WINDOW_BASE ((uintptr_t)0x200000000000ull)
#define HK_WINDOW_SIZE ((uintptr_t)16 << 30)
#define HK_REGION_SIZE ((size_t)256 << 20)

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define HK_SANITIZED 1
#else
#define HK_SANITIZED 0
#endif

static const char *hk_test_name = "test";

/* len bytes of the test's own at addr exactly, or NULL (the place is taken). */
static inline char *hk_map_at(uintptr_t addr, size_t len)
{
	void *m = mmap((void *)addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	return m == (void *)addr ? m : NULL;
}

/* Scale an iteration count down under sanitizers (5-20x slower). */
static inline long hk_scale(long n, long divisor)
{
	return HK_SANITIZED ? (n / divisor > 0 ? n / divisor : 1) : n;
}

static inline void hk_test_begin(const char *name, const char *what)
{
	static char outbuf[1 << 14];
	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
	hk_test_name = name;
	printf("%s: %s%s\n", name, what, HK_SANITIZED ? " [sanitizer build]" : "");
}

__attribute__((format(printf, 3, 4), noreturn)) static inline void hk_fail_at(const char *file, int line,
									    const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "FAIL %s (%s:%d): ", hk_test_name, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define HK_FAIL(...) hk_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define HK_CHECK(cond, ...)               \
	do {                              \
		if (!(cond))              \
			HK_FAIL(__VA_ARGS__); \
	} while (0)

static inline void hk_pass(const char *detail)
{
	printf("%s: PASS %s\n", hk_test_name, detail);
	fflush(stdout);
}

/* Pin the calling thread (and the threads it starts after) to cpu; 0 on success. */
static inline int hk_pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* xorshift64*: deterministic, seedable, good enough for workloads. */
static inline uint64_t hk_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t hk_rand_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + hk_rand(s) % (hi - lo + 1);
}

static inline uint8_t hk_pat_byte(uint64_t seed, size_t i)
{
	uint64_t h = (seed + i / 64) * 0x9E3779B97F4A7C15ULL;
	return (uint8_t)((h >> 32) ^ i);
}

/*
 * Which offsets carry the pattern: all of a small block; for big blocks the
 * first and last KiB plus one byte every 509 (a prime, so the probes walk
 * across pages and cache lines) — full fills of 52 KiB blocks a million
 * times would dominate the run time.
 */
static inline size_t hk_pat_next(size_t i, size_t n)
{
	if (n <= 4096 || i < 1024 || i + 1024 >= n)
		return i + 1;
	return i + 509 < n - 1024 ? i + 509 : n - 1024;
}

static inline void hk_fill(void *p, size_t n, uint64_t seed)
{
	uint8_t *b = p;
	for (size_t i = 0; i < n; i = hk_pat_next(i, n))
		b[i] = hk_pat_byte(seed, i);
}

/* Offset of the first byte below limit that lost the pattern hk_fill(p, n,
 * seed) wrote, or -1.  limit < n checks what a shrinking realloc keeps. */
static inline long hk_verify_prefix(const void *p, size_t n, size_t limit, uint64_t seed)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n && i < limit; i = hk_pat_next(i, n))
		if (b[i] != hk_pat_byte(seed, i))
			return (long)i;
	return -1;
}

static inline long hk_verify(const void *p, size_t n, uint64_t seed)
{
	return hk_verify_prefix(p, n, n, seed);
}

#define HK_CHECK_PATTERN(p, n, seed, ctx) HK_CHECK_PREFIX(p, n, n, seed, ctx)
#define HK_CHECK_PREFIX(p, n, limit, seed, ctx)                                                      \
	do {                                                                                         \
		long bad_ = hk_verify_prefix((p), (n), (limit), (seed));                             \
		HK_CHECK(bad_ < 0, "%s: block %p size %zu corrupted at offset %ld", (ctx), (void *)(p), \
			 (size_t)(n), bad_);                                                         \
	} while (0)

/* realloc(p, n) of a block holding hk_fill(p, old, seed): the result is not
 * NULL, keeps the first min(old, n) bytes, has n usable, and is filled anew. */
static inline void *hk_realloc_checked(void *p, size_t old, size_t n, uint64_t seed)
{
	void *q = realloc(p, n);
	HK_CHECK(q != NULL, "realloc(%p, %zu) returned NULL", p, n);
	HK_CHECK_PREFIX(q, old, n, seed, "realloc content");
	HK_CHECK(malloc_usable_size(q) >= n, "realloc(%zu): usable %zu", n, malloc_usable_size(q));
	hk_fill(q, n, seed);
	return q;
}

/* Every byte of the calloc'd block p of n bytes is zero. */
static inline void hk_check_zero(const void *p, size_t n, const char *ctx)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		HK_CHECK(b[i] == 0, "%s: calloc(%zu) block %p has byte 0x%02x at offset %zu", ctx, n, p, b[i], i);
}

/* Write every byte (catches a block shorter than asked for, under ASan or
 * when it overlaps metadata) and check the usable size. */
static inline void hk_touch_all(void *p, size_t n, const char *ctx)
{
	HK_CHECK(p != NULL, "%s: allocation of %zu bytes returned NULL", ctx, n);
	memset(p, 0xA5, n);
	size_t u = malloc_usable_size(p);
	HK_CHECK(u >= n, "%s: malloc_usable_size(%p)=%zu < requested %zu", ctx, p, u, n);
}

static inline int hk_tier_of_size(size_t n)
{
	return n <= HK_TINY_MAX ? 0 : n <= HK_POOL_MAX ? 1 : 2;
}

static inline uint64_t hk_sum(const uint64_t *v, int n)
{
	uint64_t s = 0;
	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* field ("VmSize:", "VmData:") of /proc/self/status in KiB, or -1; read
 * without stdio: a test about to set a memory limit must not allocate. */
static inline long hk_status_kb(const char *field)
{
	static char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *at = strstr(buf, field);
	return at ? atol(at + strlen(field)) : -1;
}

/* The HAKMEM_STATS counters now. */
static inline struct hakmem_stats hk_stats(void)
{
	struct hakmem_stats st;
	hakmem_stats_get(&st);
	return st;
}

/* What hakmem_ptr_info says of p, which must be hakmem's. */
static inline struct hakmem_ptr_info hk_ptr_info(const void *p)
{
	struct hakmem_ptr_info in;
	HK_CHECK(hakmem_ptr_info(p, &in) == 0, "hakmem_ptr_info(%p) failed", p);
	return in;
}

/* madvise calls and bytes so far, all purposes together. */
static inline uint64_t hk_advised_calls(void)
{
	return hk_sum(hk_stats().os_advise_calls, HAKMEM_PURPOSES);
}

static inline uint64_t hk_advised_bytes(void)
{
	return hk_sum(hk_stats().os_advise_bytes, HAKMEM_PURPOSES);
}

/* Bytes hakmem currently holds from the OS (mapped minus unmapped). */
static inline int64_t hk_mapped_bytes(void)
{
	struct hakmem_stats st = hk_stats();
	return (int64_t)(hk_sum(st.os_map_bytes, HAKMEM_PURPOSES) - hk_sum(st.os_unmap_bytes, HAKMEM_PURPOSES));
}

/* Blocks freed by a thread that did not own them, process-wide. */
static inline uint64_t hk_remote_frees(void)
{
	return hk_sum(hk_stats().remote_frees, HAKMEM_TIERS);
}

static inline void hk_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
	nanosleep(&ts, NULL);
}

/* Runs attempt() (it must _exit) in a forked child, up to n times, and
 * returns once one exits 0.  One that exits `again` found its precondition
 * missing this time (a test at the mercy of the clock or the scheduler) and
 * is run anew; any other end fails the test, and so do n attempts that all
 * exited `again` (why: what happened). */
static inline void hk_attempts(int n, void (*attempt)(void), int again, const char *why)
{
	for (int i = 1; i <= n; i++) {
		fflush(stdout);
		pid_t pid = fork();
		HK_CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			attempt();
		int status;
		HK_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		HK_CHECK(WIFEXITED(status), "attempt %d died of signal %d", i, WTERMSIG(status));
		if (WEXITSTATUS(status) == 0)
			return;
		HK_CHECK(WEXITSTATUS(status) == again, "attempt %d failed", i);
		printf("attempt %d: %s; again\n", i, why);
	}
	HK_FAIL("in %d attempts: %s, every time", n, why);
}

/* hakmem reads its knobs at the first malloc: unless name is set, run this
 * program again with name=value (argv: main's). */
static inline void hk_rerun_with(char **argv, const char *name, const char *value)
{
	if (getenv(name))
		return;
	setenv(name, value, 1);
	execv("/proc/self/exe", argv);
	HK_CHECK(0, "execv /proc/self/exe");
}

/* Wait ms, then take n blocks of size bytes into slots and free them: a
 * heap that idled refills (the reclaim tests). */
static inline void hk_idle_then_refill(void **slots, int n, size_t size, long ms)
{
	hk_sleep_ms(ms);
	for (int i = 0; i < n; i++) {
		slots[i] = malloc(size);
		HK_CHECK(slots[i] != NULL, "malloc(%zu)", size);
	}
	for (int i = 0; i < n; i++)
		free(slots[i]);
}

/* Take n blocks of size bytes into slots, touching all of each, then free
 * them all (a heap's lists then hold them; the reclaim tests). */
static inline void hk_fill_then_free(void **slots, size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		slots[i] = malloc(size);
		HK_CHECK(slots[i] != NULL, "malloc(%zu)", size);
		memset(slots[i], 0x5a, size);
	}
	for (size_t i = 0; i < n; i++)
		free(slots[i]);
}

/* Hide a pointer's provenance from the compiler: tests deliberately use a
 * block after a realloc that failed (the block is still valid then), which
 * gcc's -Wuse-after-free cannot know. */
static inline void *hk_launder(void *p)
{
	void *volatile v = p;
	return v;
}

/* A set of 2 MiB chunks (or of any addresses: hk_addr_set_*), for tests
 * asking whether blocks came from memory others left. */
#define HK_ADDR_SET_MAX 64
struct hk_addr_set {
	uintptr_t v[HK_ADDR_SET_MAX];
	int n;
};

static inline int hk_addr_set_has(const struct hk_addr_set *s, uintptr_t x)
{
	for (int i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return 1;
	return 0;
}

static inline void hk_addr_set_add(struct hk_addr_set *s, uintptr_t x)
{
	if (hk_addr_set_has(s, x))
		return;
	HK_CHECK(s->n < HK_ADDR_SET_MAX, "more than %d addresses in a set", HK_ADDR_SET_MAX);
	s->v[s->n++] = x;
}

static inline uintptr_t hk_chunk_of(const void *p)
{
	return (uintptr_t)p >> 21;
}

/* n blocks of size bytes into p, each with its index in its first byte
 * only (the rest of a run is never written); returns how many lie in the
 * chunks of set. */
static inline int hk_stamped_in(void **p, int n, size_t size, const struct hk_addr_set *set)
{
	int in = 0;
	for (int i = 0; i < n; i++) {
		p[i] = malloc(size);
		HK_CHECK(p[i] != NULL, "malloc(%zu)", size);
		*(volatile char *)p[i] = (char)i;
		in += hk_addr_set_has(set, hk_chunk_of(p[i]));
	}
	return in;
}

/* Every one of the n blocks at p is a block of tier (0 tiny, 1 pool, 2
 * large) as hakmem_ptr_info sees it. */
static inline void hk_check_tier_all(void *const *p, int n, int tier)
{
	for (int i = 0; i < n; i++)
		HK_CHECK(hk_ptr_info(p[i]).tier == tier, "block %d (%p) is not of tier %d", i, p[i], tier);
}

/* Check the first bytes hk_stamped_in wrote, and free the blocks. */
static inline void hk_stamped_free(void **p, int n)
{
	for (int i = 0; i < n; i++) {
		HK_CHECK(*(volatile char *)p[i] == (char)i, "block %d lost its first byte", i);
		free(p[i]);
	}
}

static inline double hk_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
