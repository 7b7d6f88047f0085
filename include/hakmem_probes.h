/*
 * hakmem_probes.h — the probe catalogue: the single definition of every USDT
 * probe's name and argument order (provider "hakmem").  docs/probes.md
 * documents the same list and tests/integration/test_probe_notes.sh checks
 * that the built library's .note.stapsdt matches that document.
 *
 * The enums below are the argument vocabulary shared with the BPF programs and
 * the tools, so this header must stay includable from `clang -target bpf`
 * (no libc, no sys/sdt.h there): everything that emits probes is under
 * HK_PROBES_EMIT.
 */
#ifndef HAKMEM_PROBES_H
#define HAKMEM_PROBES_H

#define HK_PROBE_PROVIDER "hakmem"

/* tier argument */
enum hk_tier { HK_TIER_TINY = 0, HK_TIER_POOL = 1, HK_TIER_LARGE = 2, HK_TIER_COUNT = 3 };

/* refill_done source argument */
enum hk_refill_source {
	HK_SRC_REMOTE = 0, /* blocks drained from the remote queue */
	HK_SRC_EXISTING = 1, /* carved from a slab/arena we already had */
	HK_SRC_OS = 2, /* carved from memory just mapped from the OS */
};

/* reclaim_start / reclaim_done reason argument */
enum hk_reclaim_reason {
	HK_RECLAIM_OWN = 0, /* a tier is about to take new memory: the heap's own free blocks first */
	HK_RECLAIM_OTHERS = 1, /* at a refill, for the other heaps' (and the OS's) sake */
	HK_RECLAIM_ALL = 2, /* hakmem_flush, malloc_trim */
};

/* os_map / os_unmap / os_advise purpose argument */
enum hk_purpose {
	HK_PURPOSE_SUPERSLAB = 0,
	HK_PURPOSE_ARENA = 1,
	HK_PURPOSE_LARGE = 2,
	HK_PURPOSE_METADATA = 3,
	HK_PURPOSE_REGION = 4, /* address space reserved for all of the above */
	HK_PURPOSE_COUNT = 5,
};

#ifndef __bpf__
static inline const char *hk_purpose_name(int purpose)
{
	static const char *const names[HK_PURPOSE_COUNT] = {"superslab", "arena", "large",
							    "metadata", "region"};
	return purpose >= 0 && purpose < HK_PURPOSE_COUNT ? names[purpose] : "unknown";
}
#endif

#if !defined(__bpf__) && !defined(HK_PROBES_NAMES_ONLY)

#ifndef HAKMEM_PROBES
#define HAKMEM_PROBES 1
#endif

#if HAKMEM_PROBES
/*
 * Only plain registers as operands: Debian's libbpf 1.1.2 cannot decode
 * scale-index-base memory operands, and perf 6.1 drops constant operands
 * (and cannot join sites whose operand kinds differ).  The extra mov for a
 * constant costs nothing on a slow path.
 */
#define STAP_SDT_ARG_CONSTRAINT r
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

/* One semaphore per probe (sys/sdt.h wants them all once semaphores are on);
 * defined in lib/probes.c.  Non-zero while some tracer is attached. */
#define HK_SEMAPHORE(name) \
	extern volatile unsigned short hakmem_##name##_semaphore __attribute__((visibility("hidden")))
HK_SEMAPHORE(thread_init);
HK_SEMAPHORE(thread_exit);
HK_SEMAPHORE(cold_start);
HK_SEMAPHORE(cold_done);
HK_SEMAPHORE(refill_start);
HK_SEMAPHORE(refill_done);
HK_SEMAPHORE(drain);
HK_SEMAPHORE(remote_push);
HK_SEMAPHORE(arena_grow_start);
HK_SEMAPHORE(arena_grow);
HK_SEMAPHORE(arena_release);
HK_SEMAPHORE(reclaim_start);
HK_SEMAPHORE(reclaim_done);
HK_SEMAPHORE(os_map);
HK_SEMAPHORE(os_unmap);
HK_SEMAPHORE(os_advise);
#undef HK_SEMAPHORE

/* True while a tracer is attached to `name`: guards argument preparation
 * that costs anything. */
#define HK_PROBE_ACTIVE(name) __builtin_expect(hakmem_##name##_semaphore != 0, 0)
#define HK_SDT1(n, a) STAP_PROBE1(hakmem, n, a)
#define HK_SDT2(n, a, b) STAP_PROBE2(hakmem, n, a, b)
#define HK_SDT3(n, a, b, c) STAP_PROBE3(hakmem, n, a, b, c)
#define HK_SDT4(n, a, b, c, d) STAP_PROBE4(hakmem, n, a, b, c, d)
#define HK_SDT5(n, a, b, c, d, e) STAP_PROBE5(hakmem, n, a, b, c, d, e)
#else
#define HK_PROBE_ACTIVE(name) 0
#define HK_SDT1(n, a) ((void)(a))
#define HK_SDT2(n, a, b) ((void)(a), (void)(b))
#define HK_SDT3(n, a, b, c) ((void)(a), (void)(b), (void)(c))
#define HK_SDT4(n, a, b, c, d) ((void)(a), (void)(b), (void)(c), (void)(d))
#define HK_SDT5(n, a, b, c, d, e) ((void)(a), (void)(b), (void)(c), (void)(d), (void)(e))
#endif

/* The catalogue.  Arguments are copied into long locals by the parameter
 * list, so every operand is a register or a constant.  A done probe's ns is
 * the interval since its start probe, timed in the process between the two
 * probe sites (lib/probe_time.h), or -1 when it was not timed. */
static inline void hk_probe_thread_init(long tid)
{
	HK_SDT1(thread_init, tid);
}
static inline void hk_probe_thread_exit(long tid, long blocks_handed_over)
{
	HK_SDT2(thread_exit, tid, blocks_handed_over);
}
static inline void hk_probe_cold_start(long tier, long cls, long size)
{
	HK_SDT3(cold_start, tier, cls, size);
}
static inline void hk_probe_cold_done(long tier, long cls, long ptr, long ns)
{
	HK_SDT4(cold_done, tier, cls, ptr, ns);
}
static inline void hk_probe_refill_start(long tier, long cls, long want)
{
	HK_SDT3(refill_start, tier, cls, want);
}
static inline void hk_probe_refill_done(long tier, long cls, long got, long source, long ns)
{
	HK_SDT5(refill_done, tier, cls, got, source, ns);
}
static inline void hk_probe_drain(long tier, long cls, long blocks, long depth_before)
{
	HK_SDT4(drain, tier, cls, blocks, depth_before);
}
/* One chain of `blocks` blocks queued at once (remote frees are batched). */
static inline void hk_probe_remote_push(long tier, long cls, long owner_tid, long depth_after, long blocks)
{
	HK_SDT5(remote_push, tier, cls, owner_tid, depth_after, blocks);
}
static inline void hk_probe_arena_grow_start(long tier, long old_bytes, long want_bytes)
{
	HK_SDT3(arena_grow_start, tier, old_bytes, want_bytes);
}
static inline void hk_probe_arena_grow(long tier, long old_bytes, long new_bytes, long addr, long ns)
{
	HK_SDT5(arena_grow, tier, old_bytes, new_bytes, addr, ns);
}
static inline void hk_probe_arena_release(long tier, long old_bytes, long new_bytes, long addr)
{
	HK_SDT4(arena_release, tier, old_bytes, new_bytes, addr);
}
static inline void hk_probe_reclaim_start(long reason)
{
	HK_SDT1(reclaim_start, reason);
}
/* walked: free blocks visited; taken: blocks whose slabs or runs, found
 * wholly free, left the lists; drains: remote queues taken first (drain
 * hits between the two probes). */
static inline void hk_probe_reclaim_done(long reason, long walked, long taken, long drains, long ns)
{
	HK_SDT5(reclaim_done, reason, walked, taken, drains, ns);
}
static inline void hk_probe_os_map(long addr, long len, long purpose)
{
	HK_SDT3(os_map, addr, len, purpose);
}
static inline void hk_probe_os_unmap(long addr, long len, long purpose)
{
	HK_SDT3(os_unmap, addr, len, purpose);
}
static inline void hk_probe_os_advise(long addr, long len, long purpose, long advice)
{
	HK_SDT4(os_advise, addr, len, purpose, advice);
}

#endif /* emit */
#endif
