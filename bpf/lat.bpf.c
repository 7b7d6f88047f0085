// SPDX-License-Identifier: GPL-2.0
/*
 * lat.bpf.c — hakmem-lat: latency histograms of hakmem's slow paths (from the
 * paired USDT probes, timed per thread) and of mmap/munmap/madvise (from the
 * BTF syscall tracepoints), for the tracked processes only.
 *
 * Intervals (see bpf/lat.h and docs/hakmem-lat.md), each the ns argument
 * of its done probe where hakmem gives one (timed between the two probe
 * sites, without the probes' own traps; hl_done_ns: then the start probes
 * and drain are not even attached), else the time between the hits:
 *   cold    cold_start -> cold_done
 *   refill  refill_start -> refill_done
 *   drain   each drain: its refill's refill_start -> refill_done, or for a
 *           drain in a reclaim walk outside any refill, reclaim_start ->
 *           reclaim_done
 *   grow    arena_grow_start -> arena_grow
 *   reclaim reclaim_start -> reclaim_done
 *   map/unmap/advise   sys_enter -> sys_exit of mmap/munmap/madvise
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "hakmem_probes.h"
#include "lat.h"
#include "hk_track.bpf.h"
#include "hk_bits.bpf.h"

/* x86_64 syscall numbers. */
#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_MADVISE 28

#define MAX_CAS_TRIES 16 /* each failed try means another CPU raised max */

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile __u32 hl_events = (1u << HL_NEVENTS) - 1; /* bit per enum hl_event */
const volatile bool hl_by_tier = false; /* -T */
const volatile bool hl_by_class = false; /* -C (implies tier) */
/* The done probes carry their interval's ns (a hakmem since 2026-12):
 * the start probes and drain are then not attached, one uprobe trap fewer
 * per interval and none per drain; a drain in a refill is the refill's
 * (refill_done's source says it drained), one in a walk the walk's
 * (reclaim_done counts them). */
const volatile bool hl_done_ns = false;

/* Written by user space while running: the generation new samples go to. */
__u32 hl_gen;

/* Diagnostics read by user space. */
__u64 hl_unmatched[HL_NEVENTS]; /* ends seen without their start (attached mid-way) */
__u64 hl_dropped; /* samples lost: a map was full */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HL_MAX_KEYS);
	__type(key, struct hl_key);
	__type(value, struct hl_hist);
} hl_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HL_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct hl_thread);
} hl_threads SEC(".maps");

static const struct hl_hist zero_hist;
static const struct hl_thread zero_thread;

static __always_inline bool wanted(enum hl_event e)
{
	return hl_events & (1u << e);
}

static __always_inline struct hl_hist *hist_of(enum hl_event e, long tier, long cls)
{
	struct hl_key k = {
		.gen = hl_gen & 1,
		.event = e,
		.tier = (hl_by_tier || hl_by_class) && tier >= 0 && tier < HL_ALL ? tier : HL_ALL,
		.cls = hl_by_class && cls >= 0 && cls < HL_ALL ? cls : HL_ALL,
	};

	return hk_lookup_or_init(&hl_hists, &k, &zero_hist);
}

/* Raises *max to v atomically (several CPUs may record at once). */
static __always_inline void atomic_max(__u64 *max, __u64 v)
{
	__u64 old = *max;

	for (int i = 0; i < MAX_CAS_TRIES && v > old; i++) {
		__u64 seen = __sync_val_compare_and_swap(max, old, v);

		if (seen == old)
			break;
		old = seen;
	}
}

/* n samples of event e, each d ns long. */
static __always_inline void record_n(enum hl_event e, long tier, long cls, __u64 d, __u32 n)
{
	struct hl_hist *h;
	__u32 slot = hk_log2_slot(d);

	h = hist_of(e, tier, cls);
	if (!h) {
		__sync_fetch_and_add(&hl_dropped, n);
		return;
	}
	if (slot >= HL_SLOTS)
		slot = HL_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], n);
	__sync_fetch_and_add(&h->count, n);
	__sync_fetch_and_add(&h->sum_ns, d * n);
	atomic_max(&h->max_ns, d);
}

static __always_inline void record(enum hl_event e, long tier, long cls, __u64 d)
{
	record_n(e, tier, cls, d, 1);
}

/* The interval a done probe ends, begun at t0 (the start probe's hit): its
 * argument argi where hakmem timed it in the process, between the two probe
 * sites, so that neither uprobe trap (~1 µs, more than most refills take)
 * is in it; else (an older hakmem, or an interval a tracer attached in the
 * middle of) the time between the two hits. */
static __always_inline __u64 interval_ns(struct pt_regs *ctx, int argi, __u64 t0)
{
	long ns;

	if (bpf_usdt_arg_cnt(ctx) > argi && bpf_usdt_arg(ctx, argi, &ns) == 0 && ns >= 0)
		return ns;
	return bpf_ktime_get_ns() - t0;
}

static __always_inline void unmatched(enum hl_event e)
{
	if (e < HL_NEVENTS)
		__sync_fetch_and_add(&hl_unmatched[e], 1);
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The calling thread's state, created on first use; NULL when untracked or full. */
static __always_inline struct hl_thread *thread_new(void)
{
	__u32 tid = current_tid();
	struct hl_thread *t;

	if (!hk_tracked_current())
		return NULL;
	t = hk_lookup_or_init(&hl_threads, &tid, &zero_thread);
	if (!t)
		__sync_fetch_and_add(&hl_dropped, 1);
	return t;
}

/* The calling thread's state when it has some (ends of intervals). */
static __always_inline struct hl_thread *thread_get(void)
{
	__u32 tid = current_tid();

	if (!hk_tracked_current())
		return NULL;
	return bpf_map_lookup_elem(&hl_threads, &tid);
}

/* An interval timed by hakmem alone (hl_done_ns): the done probe's argument
 * argi, or unmatched when hakmem did not time it (-1: the tool attached in
 * the middle of it). */
static __always_inline bool done_ns(struct pt_regs *ctx, int argi, enum hl_event e, __u64 *d)
{
	long ns;

	if (bpf_usdt_arg(ctx, argi, &ns) == 0 && ns >= 0) {
		*d = ns;
		return true;
	}
	unmatched(e);
	return false;
}

/* The end of an interval of event e whose start time is *t0 (NULL: the
 * thread has no state), its ns in the done probe's argument argi: recorded
 * and closed, or counted unmatched.  With hl_done_ns the argument alone. */
static __always_inline void close_interval(struct pt_regs *ctx, int argi, enum hl_event e, __u64 *t0,
					   long tier, long cls)
{
	__u64 d;

	if (hl_done_ns) {
		if (t0)
			*t0 = 0;
		if (done_ns(ctx, argi, e, &d))
			record(e, tier, cls, d);
		return;
	}
	if (!t0 || !*t0) {
		unmatched(e);
		return;
	}
	record(e, tier, cls, interval_ns(ctx, argi, *t0));
	*t0 = 0;
}

SEC("usdt")
int BPF_USDT(hl_cold_start, long tier, long cls, long size)
{
	struct hl_thread *t = thread_new();

	if (t)
		t->cold_t0 = bpf_ktime_get_ns();
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_cold_done, long tier, long cls, long ptr)
{
	struct hl_thread *t = thread_get();

	if (hk_tracked_current())
		close_interval(ctx, 3, HL_COLD, t ? &t->cold_t0 : NULL, tier, cls);
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_refill_start, long tier, long cls, long want)
{
	struct hl_thread *t = thread_new();

	if (!t)
		return 0;
	t->refill_t0 = bpf_ktime_get_ns();
	t->refill_drains = 0;
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_drain, long tier, long cls, long blocks, long depth_before)
{
	struct hl_thread *t = thread_get();

	if (!hk_tracked_current())
		return 0;
	/* a refill drains its class; a reclaim walk, in or out of a refill,
	 * drains every class first: the drain holds up the outermost (not
	 * attached with hl_done_ns) */
	if (t && t->refill_t0)
		t->refill_drains++;
	else if (t && t->reclaim_t0)
		t->reclaim_drains++;
	else
		unmatched(HL_DRAIN);
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_refill_done, long tier, long cls, long got, long source)
{
	struct hl_thread *t;
	__u64 d;

	if (!hk_tracked_current())
		return 0;
	if (hl_done_ns) {
		if (!done_ns(ctx, 4, HL_REFILL, &d))
			return 0;
		if (wanted(HL_REFILL))
			record(HL_REFILL, tier, cls, d);
		if (wanted(HL_DRAIN) && source == HK_SRC_REMOTE)
			record(HL_DRAIN, tier, cls, d);
		return 0;
	}
	t = thread_get();
	if (!t || !t->refill_t0) {
		unmatched(HL_REFILL);
		return 0;
	}
	d = interval_ns(ctx, 4, t->refill_t0);
	if (wanted(HL_REFILL))
		record(HL_REFILL, tier, cls, d);
	if (wanted(HL_DRAIN) && t->refill_drains)
		record_n(HL_DRAIN, tier, cls, d, t->refill_drains);
	t->refill_t0 = 0;
	t->refill_drains = 0;
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_arena_grow_start, long tier, long old_bytes, long want_bytes)
{
	struct hl_thread *t = thread_new();

	if (t)
		t->grow_t0 = bpf_ktime_get_ns();
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_arena_grow, long tier, long old_bytes, long new_bytes, long addr)
{
	struct hl_thread *t = thread_get();

	if (hk_tracked_current())
		close_interval(ctx, 4, HL_GROW, t ? &t->grow_t0 : NULL, tier, HL_ALL);
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_reclaim_start, long reason)
{
	struct hl_thread *t = thread_new();

	if (!t)
		return 0;
	t->reclaim_t0 = bpf_ktime_get_ns();
	t->reclaim_drains = 0;
	return 0;
}

SEC("usdt")
int BPF_USDT(hl_reclaim_done, long reason, long walked, long taken)
{
	struct hl_thread *t;
	long drains = 0;
	__u64 d;

	if (!hk_tracked_current())
		return 0;
	if (hl_done_ns) { /* the walk's drains are its fourth argument */
		if (!done_ns(ctx, 4, HL_RECLAIM, &d))
			return 0;
		bpf_usdt_arg(ctx, 3, &drains);
		if (wanted(HL_RECLAIM))
			record(HL_RECLAIM, HL_ALL, HL_ALL, d);
		if (wanted(HL_DRAIN) && drains > 0)
			record_n(HL_DRAIN, HL_ALL, HL_ALL, d, (__u32)drains);
		return 0;
	}
	t = thread_get();
	if (t && t->reclaim_t0 && t->reclaim_drains && wanted(HL_DRAIN))
		record_n(HL_DRAIN, HL_ALL, HL_ALL, interval_ns(ctx, 4, t->reclaim_t0), t->reclaim_drains);
	if (t)
		t->reclaim_drains = 0;
	if (wanted(HL_RECLAIM))
		close_interval(ctx, 4, HL_RECLAIM, t ? &t->reclaim_t0 : NULL, HL_ALL, HL_ALL);
	else if (t) /* loaded for the drains in walks */
		t->reclaim_t0 = 0;
	return 0;
}

/* The syscall event of number nr, or -1 when hakmem-lat does not time it. */
static __always_inline int event_of(long nr)
{
	switch (nr) {
	case NR_MMAP: return HL_MAP;
	case NR_MUNMAP: return HL_UNMAP;
	case NR_MADVISE: return HL_ADVISE;
	default: return -1;
	}
}

static __always_inline bool timed(long nr)
{
	int e = event_of(nr);

	return e >= 0 && wanted(e);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(hl_sys_enter, struct pt_regs *regs, long id)
{
	struct hl_thread *t;

	if (!timed(id))
		return 0;
	t = thread_new();
	if (!t)
		return 0;
	t->sc_nr = id;
	t->sc_t0 = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(hl_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);
	struct hl_thread *t;
	int e;

	if (!timed(nr))
		return 0;
	t = thread_get();
	if (!t || !t->sc_t0 || t->sc_nr != nr) {
		if (hk_tracked_current() && wanted(event_of(nr)))
			unmatched(event_of(nr));
		return 0;
	}
	e = event_of(nr);
	if (wanted(e))
		record(e, HL_ALL, HL_ALL, bpf_ktime_get_ns() - t->sc_t0);
	t->sc_t0 = 0;
	return 0;
}

/* A thread is gone: forget its state (its tid may be reused). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(hl_thread_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	bpf_map_delete_elem(&hl_threads, &tid);
	return 0;
}
