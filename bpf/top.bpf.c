// SPDX-License-Identifier: GPL-2.0
/*
 * top.bpf.c — hakmem-top: per-process counters of hakmem's slow-path events,
 * remote-queue depths and arena sizes, from the USDT probes of every process
 * that maps the probed file (attached with pid -1; no filtering: every
 * process running hakmem is shown).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "hakmem_probes.h"
#include "top.h"
#include "hk_bits.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HT_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct ht_counts);
} ht_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HT_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct ht_comm);
} ht_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HT_MAX_QUEUES);
	__type(key, struct ht_qkey);
	__type(value, struct ht_queue);
} ht_queues SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HT_MAX_HEAPS);
	__type(key, __u64);
	__type(value, __u64);
} ht_heaps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HT_MAX_HEAPS);
	__type(key, struct ht_orphan_key);
	__type(value, __u64);
} ht_orphans SEC(".maps");

__u32 ht_gen; /* interval number, bumped by user space at each boundary */
__u64 ht_dropped; /* events lost because a map was full */

static const struct ht_counts zero_counts;
static const struct ht_queue zero_queue;

/* The current process's counters (this CPU's copy), created on first use;
 * its name is kept then — only once the counters exist, so that user space,
 * which drops both with the process, never leaves a name behind. */
static __always_inline struct ht_counts *counts(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ht_counts *c = bpf_map_lookup_elem(&ht_counts, &tgid);
	struct ht_comm name;

	if (c)
		return c;
	c = hk_lookup_or_init(&ht_counts, &tgid, &zero_counts);
	if (!c) {
		__sync_fetch_and_add(&ht_dropped, 1);
		return NULL;
	}
	bpf_get_current_comm(name.comm, sizeof(name.comm));
	bpf_map_update_elem(&ht_comms, &tgid, &name, BPF_ANY);
	return c;
}

/* Adds v to a counter.  Atomic: a tracing program can be preempted by
 * another thread of the same process on this CPU, which then updates the
 * same per-CPU value. */
static __always_inline void add(__u64 *counter, __u64 v)
{
	__sync_fetch_and_add(counter, v);
}

SEC("usdt")
int BPF_USDT(ht_refill_done, long tier, long cls, long got, long source)
{
	struct ht_counts *c = counts();

	if (c)
		add(&c->refills, 1);
	return 0;
}

/* Records that queue (owner tid, cls) of this process had `depth` blocks. */
static __always_inline void queue_seen(__u32 tid, long cls, long depth)
{
	struct ht_qkey k = { .tgid = bpf_get_current_pid_tgid() >> 32, .tid = tid, .cls = cls };
	__u32 gen = ht_gen, slot = gen & 1;
	struct ht_queue *q = hk_lookup_or_init(&ht_queues, &k, &zero_queue);

	if (!q) {
		__sync_fetch_and_add(&ht_dropped, 1);
		return;
	}
	if (depth < 0)
		depth = 0;
	q->depth = depth;
	q->ts = bpf_ktime_get_ns();
	if (q->max_gen[slot] != gen) {
		q->max_gen[slot] = gen;
		q->max[slot] = 0;
	}
	if ((__u64)depth > q->max[slot])
		q->max[slot] = depth;
}

/* Fires in the owner: its queue had depth_before blocks, `blocks` were taken. */
SEC("usdt")
int BPF_USDT(ht_drain, long tier, long cls, long blocks, long depth_before)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ht_counts *c = counts();

	if (c)
		add(&c->drains, 1);
	queue_seen(tid, cls, depth_before);
	queue_seen(tid, cls, depth_before - blocks);
	return 0;
}

/* Fires in the freeing thread, once per chain of `blocks` blocks; depth_after
 * is the owner's queue depth after the chain. */
SEC("usdt")
int BPF_USDT(ht_remote_push, long tier, long cls, long owner_tid, long depth_after, long blocks)
{
	struct ht_counts *c = counts();

	if (c)
		add(&c->remote_frees, blocks);
	queue_seen(owner_tid, cls, depth_after);
	return 0;
}

/* How much the process's total arena size grew: new - old when old is
 * already counted (this heap grew before, or a handed-over heap of that size
 * exists), else new (a heap that grew before we attached). */
static __always_inline __u64 arena_increase(__u64 key, long old_bytes, long new_bytes)
{
	struct ht_orphan_key ok = { .tgid = key >> 32, .bytes = old_bytes };
	__u64 *orphans;

	if (old_bytes <= 0 || bpf_map_lookup_elem(&ht_heaps, &key))
		return new_bytes - old_bytes;
	orphans = bpf_map_lookup_elem(&ht_orphans, &ok);
	if (!orphans)
		return new_bytes;
	if (*orphans <= 1)
		bpf_map_delete_elem(&ht_orphans, &ok);
	else
		*orphans -= 1;
	return new_bytes - old_bytes;
}

/* The calling thread's heap's pool arenas went from old_bytes to new_bytes. */
static __always_inline void arena_resized(struct ht_counts *c, long old_bytes, long new_bytes)
{
	__u64 key = bpf_get_current_pid_tgid(), size = new_bytes;
	__u64 inc = arena_increase(key, old_bytes, new_bytes);

	if (c)
		add(&c->arena_bytes, inc);
	if (bpf_map_update_elem(&ht_heaps, &key, &size, BPF_ANY))
		__sync_fetch_and_add(&ht_dropped, 1);
}

SEC("usdt")
int BPF_USDT(ht_arena_grow, long tier, long old_bytes, long new_bytes, long addr)
{
	struct ht_counts *c = counts();

	if (c)
		add(&c->arena_grows, 1);
	/* the large tier's run chunks are the process's, not this heap's:
	 * a grow, but no arena of the thread's */
	if (tier == HK_TIER_POOL)
		arena_resized(c, old_bytes, new_bytes);
	return 0;
}

SEC("usdt")
int BPF_USDT(ht_reclaim_done, long reason, long walked, long taken)
{
	struct ht_counts *c = counts();

	if (c)
		add(&c->walked, walked);
	return 0;
}

/* A heap handed back a wholly free arena: the gauge shrinks (wraps, like
 * every sum here; summed over CPUs it is the total). */
SEC("usdt")
int BPF_USDT(ht_arena_release, long tier, long old_bytes, long new_bytes, long addr)
{
	if (tier == HK_TIER_POOL)
		arena_resized(counts(), old_bytes, new_bytes);
	return 0;
}

/* The exiting thread's heap (and its arena) goes to the hand-over pool. */
SEC("usdt")
int BPF_USDT(ht_thread_exit, long tid, long blocks)
{
	__u64 key = (bpf_get_current_pid_tgid() & ~0xffffffffULL) | (__u32)tid, one = 1, *n;
	__u64 *size = bpf_map_lookup_elem(&ht_heaps, &key);
	struct ht_orphan_key ok = { .tgid = key >> 32 };

	if (!size)
		return 0;
	ok.bytes = *size;
	bpf_map_delete_elem(&ht_heaps, &key);
	n = bpf_map_lookup_elem(&ht_orphans, &ok);
	if (n)
		__sync_fetch_and_add(n, 1);
	else if (bpf_map_update_elem(&ht_orphans, &ok, &one, BPF_NOEXIST))
		__sync_fetch_and_add(&ht_dropped, 1);
	return 0;
}

static __always_inline int boundary(enum ht_os kind, long len)
{
	struct ht_counts *c = counts();

	if (!c)
		return 0;
	add(&c->os_calls[kind], 1);
	add(&c->os_bytes[kind], len);
	return 0;
}

SEC("usdt")
int BPF_USDT(ht_os_map, long addr, long len, long purpose)
{
	return boundary(HT_OS_MAP, len);
}

SEC("usdt")
int BPF_USDT(ht_os_unmap, long addr, long len, long purpose)
{
	return boundary(HT_OS_UNMAP, len);
}

SEC("usdt")
int BPF_USDT(ht_os_advise, long addr, long len, long purpose, long advice)
{
	return boundary(HT_OS_ADVISE, len);
}
