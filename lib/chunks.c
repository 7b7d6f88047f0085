/* chunks.c — idle chunks and cached spans before fresh chunks (see chunks.h). */
#include "chunks.h"
#include "config.h"
#include "large.h"
#include "lock.h"
#include "os.h"
#include "region.h"
#include "runs.h"
#include "segment.h"

/* Idle ranges, side by side ones of one purpose joined; unordered. */
#define IDLE_MAX 64
struct idle {
	uintptr_t base;
	size_t size;
	uint64_t since; /* hk_os_now_ms() when it (the newest part) came */
	enum hk_purpose purpose;
};

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct idle idle[IDLE_MAX];
static unsigned idle_count;
static uint64_t fresh_takes;

/* How long ranges wait: HAKMEM_LARGE_PURGE_MS, doubled (up to WAIT_MAX
 * times that) when a heap takes fresh memory within the wait after ranges
 * went back, and back to HAKMEM_LARGE_PURGE_MS once no heap has taken
 * fresh memory for twice the wait.  A program whose phases alternate
 * faster than the wait faulted the same memory in at every phase (four
 * threads through seven size bands, a round every 130 ms: 5.5 GB handed
 * back and faulted in again, 1.7 M page faults, 9.3 s; adapting, 0.4 M and
 * 7.5 s, tcmalloc's 7.6, at a peak of 1.30 GB instead of 1.21, tcmalloc's
 * 1.17). */
#define WAIT_MAX 16
static uint64_t wait_ms; /* past HAKMEM_LARGE_PURGE_MS while doubled */
static uint64_t gave_at, fresh_at; /* hk_os_now_ms() of the last give (of waited ranges, or released at once), and fresh take */

static uint64_t wait_locked(uint64_t now)
{
	uint64_t base = hk_config.large_purge_ms;
	if (wait_ms > base && now - fresh_at >= 2 * wait_ms)
		wait_ms = base;
	return wait_ms > base ? wait_ms : base;
}

/* A tier takes fresh memory: soon after ranges went back, they had waited
 * too little (once per give). */
static void fresh_taken(void)
{
	uint64_t now = hk_os_now_ms();
	hk_lock(&idle_lock);
	uint64_t wait = wait_locked(now);
	if (gave_at && now - gave_at < wait && wait < (uint64_t)hk_config.large_purge_ms * WAIT_MAX) {
		wait_ms = wait * 2;
		gave_at = 0;
	}
	fresh_at = now;
	hk_unlock(&idle_lock);
}

static void *take(size_t size, enum hk_purpose purpose, int counted)
{
	void *p = hk_large_lend(size);
	if (p)
		return p;
	if (counted)
		fresh_taken();
	return hk_region_take(size, HK_CHUNK, purpose);
}

void *hk_chunks_take(size_t size, enum hk_purpose purpose)
{
	return take(size, purpose, 0);
}

void *hk_chunks_take_fresh(size_t size, enum hk_purpose purpose)
{
	return take(size, purpose, 1);
}

/*
 * What a tier frees past its budget goes back to the OS at once (runs.c:
 * an empty chunk, whole), unless phases alternate: some tier took fresh
 * memory within the wait after such a give, and the wait is doubled (see
 * above), or it is lent: it stands for idle chunks the tier took (runs.c).
 * Then it waits idle instead, where the next chunk of any tier finds it
 * resident, and goes back once it has waited there.  A program that frees
 * a peak built on fresh memory once still returns it at once.
 * bench_phases (2000 blocks of one size, written, all freed, then the next
 * of 17 sizes to 64 KiB; 5 passes) faulted every phase's runs in anew: 145
 * madvise calls, 112 k ops/s; 34 and 212 k with this, runs built in idle
 * chunks (runs.c) and the reclaims before them (reclaim.c); mimalloc 317 k;
 * 2 calls and 39 k page faults (56 k before) once lent chunks wait too.
 */
void hk_chunks_release(void *base, size_t size, size_t dirty, enum hk_purpose purpose, int lent)
{
	hk_chunks_purge(0); /* what waited long enough */
	uint64_t now = hk_os_now_ms();
	hk_lock(&idle_lock);
	int idle_it = lent || wait_locked(now) > hk_config.large_purge_ms;
	if (!idle_it)
		gave_at = now;
	hk_unlock(&idle_lock);
	if (idle_it)
		hk_chunks_idle(base, size, purpose);
	else
		hk_region_give(base, size, dirty, purpose);
}

static struct idle remove_locked(unsigned i)
{
	struct idle e = idle[i];
	unsigned n = idle_count - 1;
	idle[i] = idle[n];
	__atomic_store_n(&idle_count, n, __ATOMIC_RELAXED); /* peeked unlocked by hk_chunks_purge */
	return e;
}

static void give(struct idle e)
{
	if (e.size)
		hk_region_give((void *)e.base, e.size, e.size, e.purpose);
}

/* Best fit: the smallest range that holds size, its rest left waiting.
 * Ranges stay whole chunks: a segment starts on one. */
static struct idle take_locked(size_t size)
{
	size = hk_align_up(size, HK_CHUNK);
	unsigned best = idle_count;
	for (unsigned i = 0; i < idle_count; i++)
		if (idle[i].size >= size && (best == idle_count || idle[i].size < idle[best].size))
			best = i;
	if (best == idle_count)
		return (struct idle){0};
	struct idle e = idle[best];
	if (e.size == size)
		return remove_locked(best);
	idle[best].base += size;
	idle[best].size -= size;
	e.size = size;
	return e;
}

/* max bytes (best fit) when a range holds them, else the largest range of
 * min bytes or more, whole; its size in e.size. */
static struct idle take_upto_locked(size_t min, size_t max)
{
	unsigned largest = idle_count;
	for (unsigned i = 0; i < idle_count; i++) {
		if (idle[i].size >= max)
			return take_locked(max);
		if (idle[i].size >= min && (largest == idle_count || idle[i].size > idle[largest].size))
			largest = i;
	}
	return largest == idle_count ? (struct idle){0} : remove_locked(largest);
}

/* take_upto_locked under the lock, sizes rounded up to whole chunks. */
static struct idle take_idle(size_t min, size_t max)
{
	if (!__atomic_load_n(&idle_count, __ATOMIC_RELAXED))
		return (struct idle){0};
	hk_lock(&idle_lock);
	struct idle e = take_upto_locked(hk_align_up(min, HK_CHUNK), hk_align_up(max, HK_CHUNK));
	hk_unlock(&idle_lock);
	return e;
}

void *hk_chunks_take_idle(size_t size)
{
	return (void *)take_idle(size, size).base;
}

/* Before a small tier takes fresh memory, the runs' empty chunks (kept
 * resident for runs within their budget) join the idle ones: bench_phases
 * held the runs' 64 MiB beside the pool's arenas of the next phases, a peak
 * of 170 MB (149 with this) for phases of at most 128. */
void *hk_chunks_reuse_upto(size_t min, size_t *size, enum hk_purpose purpose, uint64_t *fresh)
{
	struct idle e = take_idle(min, *size);
	if (!e.base && hk_runs_give_empty())
		e = take_idle(min, *size);
	if (e.base) {
		*size = e.size;
		return (void *)e.base;
	}
	__atomic_fetch_add(&fresh_takes, 1, __ATOMIC_RELAXED);
	++*fresh;
	return hk_chunks_take_fresh(*size, purpose);
}

void *hk_chunks_reuse(size_t size, enum hk_purpose purpose, uint64_t *fresh)
{
	return hk_chunks_reuse_upto(size, &size, purpose, fresh);
}

/* Join e to a range it borders in the same reservation: true if it did. */
static int join_locked(struct idle e)
{
	for (unsigned i = 0; i < idle_count; i++) {
		struct idle *x = &idle[i];
		if (x->purpose != e.purpose || !hk_region_same((void *)x->base, (void *)e.base))
			continue;
		if (x->base + x->size == e.base || e.base + e.size == x->base) {
			x->base = x->base < e.base ? x->base : e.base;
			x->size += e.size;
			x->since = e.since;
			return 1;
		}
	}
	return 0;
}

void hk_chunks_idle(void *base, size_t size, enum hk_purpose purpose)
{
	/* alone in the chunks it touches: all of them wait */
	struct idle e = {(uintptr_t)base, hk_align_up(size, HK_CHUNK), hk_os_now_ms(), purpose}, out = {0};
	hk_lock(&idle_lock);
	if (!join_locked(e)) {
		if (idle_count == IDLE_MAX) { /* full: the one waiting longest goes */
			unsigned oldest = 0;
			for (unsigned i = 1; i < idle_count; i++)
				if (idle[i].since < idle[oldest].since)
					oldest = i;
			out = remove_locked(oldest);
		}
		idle[idle_count] = e;
		__atomic_store_n(&idle_count, idle_count + 1, __ATOMIC_RELAXED);
	}
	hk_unlock(&idle_lock);
	give(out);
}

/* One range that waited long enough (or any, with all), out of the list. */
static struct idle expired(int all)
{
	uint64_t now = hk_os_now_ms();
	struct idle e = {0};
	hk_lock(&idle_lock);
	for (unsigned i = 0; i < idle_count; i++)
		if (all || now - idle[i].since >= wait_locked(now)) {
			e = remove_locked(i);
			if (!all) /* hakmem_flush's gives are asked for, not waited out */
				gave_at = now;
			break;
		}
	hk_unlock(&idle_lock);
	return e;
}

void hk_chunks_purge(int all)
{
	if (!__atomic_load_n(&idle_count, __ATOMIC_RELAXED))
		return;
	for (struct idle e = expired(all); e.size; e = expired(all))
		give(e);
}

uint64_t hk_chunks_fresh_takes(void)
{
	return __atomic_load_n(&fresh_takes, __ATOMIC_RELAXED);
}

void hk_chunks_atfork_prepare(void)
{
	pthread_mutex_lock(&idle_lock);
}

void hk_chunks_atfork_release(void)
{
	pthread_mutex_unlock(&idle_lock);
}
