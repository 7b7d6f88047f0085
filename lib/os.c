/*
 * os.c — the OS boundary (see os.h).  Aligned mappings first try a hint in a
 * private address range with MAP_FIXED_NOREPLACE, which costs one syscall when
 * it lands; only when it does not do we over-map and trim (up to three).
 */
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include "os.h"

static struct hk_os_counters counters;
static uint64_t refusals; /* mmap's ENOMEM: a taken hint place is EEXIST */

/* Hint range for aligned mappings: past the regions' window to 64 TiB. */
#define HINT_BASE (HK_WINDOW_BASE + HK_WINDOW_SIZE)
#define HINT_END ((uintptr_t)0x400000000000ull)
static uintptr_t hint_next = HINT_BASE;

static void count(uint64_t *calls, uint64_t *bytes, enum hk_purpose purpose, size_t len)
{
	__atomic_fetch_add(&calls[purpose], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&bytes[purpose], len, __ATOMIC_RELAXED);
}

/* A failed call leaves errno as the program had it: free() must not change
 * it (POSIX.1-2024, glibc since 2.33), yet a free that needs a heap maps one
 * and may be refused; the API sets ENOMEM itself where a call fails. */
static void *sys_map(void *hint, size_t len, int extra_flags, enum hk_purpose purpose)
{
	int saved = errno;
	void *p = mmap(hint, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra_flags, -1, 0);
	if (p == MAP_FAILED && errno == ENOMEM)
		__atomic_fetch_add(&refusals, 1, __ATOMIC_RELAXED);
	errno = saved;
	count(counters.map_calls, counters.map_bytes, purpose, len);
	hk_probe_os_map((long)p, (long)len, purpose);
	return p == MAP_FAILED ? NULL : p;
}

uint64_t hk_os_refusals(void)
{
	return __atomic_load_n(&refusals, __ATOMIC_RELAXED);
}

void *hk_os_map(size_t len, enum hk_purpose purpose)
{
	return sys_map(NULL, len, 0, purpose);
}

void hk_os_unmap(void *p, size_t len, enum hk_purpose purpose)
{
	int saved = errno; /* as sys_map's */
	munmap(p, len);
	errno = saved;
	count(counters.unmap_calls, counters.unmap_bytes, purpose, len);
	hk_probe_os_unmap((long)p, (long)len, purpose);
}

void hk_os_advise(void *p, size_t len, int advice, enum hk_purpose purpose)
{
	int saved = errno; /* as sys_map's */
	madvise(p, len, advice);
	errno = saved;
	count(counters.advise_calls, counters.advise_bytes, purpose, len);
	hk_probe_os_advise((long)p, (long)len, purpose, advice);
}

static uintptr_t next_hint(size_t len, size_t align)
{
	size_t step = hk_align_up(len, align);
	uintptr_t h = __atomic_fetch_add(&hint_next, step, __ATOMIC_RELAXED);
	if (h < HINT_BASE || h + step > HINT_END) { /* wrapped: start over */
		__atomic_store_n(&hint_next, HINT_BASE + step, __ATOMIC_RELAXED);
		h = HINT_BASE;
	}
	return hk_align_up(h, align);
}

/* TSan keeps programs out of our hint range. */
#if defined(__SANITIZE_THREAD__)
#define HINTS_ALLOWED 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HINTS_ALLOWED 0
#endif
#endif
#ifndef HINTS_ALLOWED
#define HINTS_ALLOWED 1
#endif

/* A mapping at hint, where a kernel before 4.17 (no MAP_FIXED_NOREPLACE) may
 * place it elsewhere; NULL when hints are off or the place is taken. */
static void *map_near(void *hint, size_t len, enum hk_purpose purpose)
{
	return HINTS_ALLOWED ? sys_map(hint, len, MAP_FIXED_NOREPLACE, purpose) : NULL;
}

void *hk_os_map_at(void *addr, size_t len, enum hk_purpose purpose)
{
	void *p = map_near(addr, len, purpose);
	if (p && p != addr) {
		hk_os_unmap(p, len, purpose);
		return NULL;
	}
	return p;
}

static void *map_hinted(size_t len, size_t align, enum hk_purpose purpose)
{
	for (int tries = 0; tries < 2; tries++) {
		void *p = map_near((void *)next_hint(len, align), len, purpose);
		if (p && ((uintptr_t)p & (align - 1)) == 0)
			return p;
		if (p) /* elsewhere, and not aligned */
			hk_os_unmap(p, len, purpose);
	}
	return NULL;
}

static void *map_trimmed(size_t len, size_t align, enum hk_purpose purpose)
{
	size_t over = len + align - HK_PAGE;
	char *raw = sys_map(NULL, over, 0, purpose);
	if (!raw)
		return NULL;
	char *start = (char *)hk_align_up((uintptr_t)raw, align);
	size_t head = (size_t)(start - raw), tail = over - head - len;
	if (head)
		hk_os_unmap(raw, head, purpose);
	if (tail)
		hk_os_unmap(start + len, tail, purpose);
	return start;
}

void *hk_os_map_aligned(size_t len, size_t align, enum hk_purpose purpose)
{
	void *p = map_hinted(len, align, purpose);
	return p ? p : map_trimmed(len, align, purpose);
}

uint64_t hk_os_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t hk_os_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned hk_os_cpu(void)
{
	int cpu = sched_getcpu(); /* glibc reads it from rseq or the vDSO */
	return cpu > 0 ? (unsigned)cpu : 0;
}

void hk_os_counters_reset(void)
{
	counters = (struct hk_os_counters){0};
}

void hk_os_counters_get(struct hk_os_counters *out)
{
	uint64_t *src = (uint64_t *)&counters, *dst = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(counters) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
