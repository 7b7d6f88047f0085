/*
 * lat.h — layouts shared by bpf/lat.bpf.c and tools/hakmem-lat.c.
 *
 * Every latency is kept in BPF as a log2 histogram in nanoseconds: slot k
 * counts durations d with 2^(k-1) < d <= 2^k (slot 0: d <= 1), so slot k is
 * the Prometheus bucket le=2^k and the OpenTelemetry base-2 (scale 0) bucket
 * of index k-1.  See hk_log2_slot() in tools/common/hk_bits.bpf.h.
 */
#ifndef HAKMEM_LAT_H
#define HAKMEM_LAT_H

/* The events hakmem-lat times (docs/hakmem-lat.md says exactly what each
 * interval is). */
enum hl_event {
	HL_COLD, /* cold_start -> cold_done */
	HL_REFILL, /* refill_start -> refill_done */
	HL_DRAIN, /* per drain: the refill it ran in, or the reclaim walk outside any refill */
	HL_GROW, /* arena_grow_start -> arena_grow */
	HL_RECLAIM, /* reclaim_start -> reclaim_done */
	HL_MAP, /* mmap(2) entry -> exit */
	HL_UNMAP, /* munmap(2) entry -> exit */
	HL_ADVISE, /* madvise(2) entry -> exit */
	HL_NEVENTS,
};

#define HL_SLOTS 64 /* log2 slots, as HK_HIST_SLOTS */
#define HL_ALL 0xffffu /* tier/class of a key without that breakdown */
#define HL_MAX_KEYS 4096 /* event x tier x class x generation */
#define HL_MAX_THREADS 65536 /* threads with a latency in flight */

/* Key of map hl_hists.  gen is the double-buffer generation (periodic mode
 * flips hl_gen and reads the other one). */
struct hl_key {
	__u16 gen;
	__u16 event; /* enum hl_event */
	__u16 tier; /* enum hk_tier, HL_ALL without -T/-C (and for syscalls) */
	__u16 cls; /* size class, HL_ALL without -C (and for syscalls) */
};

/* Value of map hl_hists (updated with atomics: one copy for all CPUs). */
struct hl_hist {
	__u64 slots[HL_SLOTS];
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns; /* exact: the largest single duration */
};

/* Per-thread state of the intervals in flight (map hl_threads, key tid). */
struct hl_thread {
	__u64 cold_t0; /* cold_start time, 0 when none open */
	__u64 refill_t0; /* refill_start time, 0 when none open */
	__u32 refill_drains; /* drains inside the open refill */
	__u32 sc_nr; /* syscall in flight (number), valid while sc_t0 != 0 */
	__u64 sc_t0; /* its sys_enter time */
	__u64 grow_t0; /* arena_grow_start time, 0 when none open */
	__u64 reclaim_t0; /* reclaim_start time, 0 when none open */
	__u32 reclaim_drains; /* drains inside the open reclaim, outside any refill */
	__u32 pad;
};

#endif
