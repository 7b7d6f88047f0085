/*
 * hk_track.bpf.h — BPF side of process tracking.  Include it once in a tool's
 * .bpf.c (after vmlinux.h, bpf_helpers.h, bpf_tracing.h, bpf_core_read.h).
 * It defines map hk_procs (tgid -> struct hk_proc) and three BTF tracepoint
 * programs that follow fork, exec and exit; they need no tracefs and are
 * attached by the skeleton's auto-attach.  User space seeds the map with the
 * initial target (hk_track_add / hk_track_add_tree).
 *
 * Set rodata hk_track_all = true (before load) to match every process
 * (hakmem-top without -p): then the map is not maintained at all.  Set
 * hk_track_forget = true when nothing reads an exited process's entry: its
 * exit then deletes it, so the map bounds the processes alive at once, not
 * those of the whole run.  A child that finds the map full is not followed;
 * hk_untracked counts such children (user space reports them: their events
 * are missing from every count).
 */
#ifndef HK_TRACK_BPF_H
#define HK_TRACK_BPF_H

#include "hk_track_types.h"

const volatile bool hk_track_all = false;
const volatile bool hk_track_forget = false;

__u64 hk_untracked; /* children not followed: hk_procs was full */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HK_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct hk_proc);
} hk_procs SEC(".maps");

/* True when events of process tgid must be counted. */
static __always_inline bool hk_tracked(__u32 tgid)
{
	struct hk_proc *p;

	if (hk_track_all)
		return true;
	p = bpf_map_lookup_elem(&hk_procs, &tgid);
	return p && !p->exited;
}

/* True when the current task belongs to a tracked process. */
static __always_inline bool hk_tracked_current(void)
{
	return hk_tracked(bpf_get_current_pid_tgid() >> 32);
}

/* A new process (not a thread) of a tracked parent becomes tracked. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(hk_track_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct hk_proc np = { .ppid = ptgid };

	if (hk_track_all || ctgid == ptgid || !hk_tracked(ptgid))
		return 0;
	BPF_CORE_READ_STR_INTO(&np.comm, child, comm);
	if (bpf_map_update_elem(&hk_procs, &ctgid, &np, BPF_ANY))
		__sync_fetch_and_add(&hk_untracked, 1);
	return 0;
}

/* Keep comm current so reports name the program, not the shell that forked it. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(hk_track_exec, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct hk_proc *e;

	if (hk_track_all)
		return 0;
	e = bpf_map_lookup_elem(&hk_procs, &tgid);
	if (e)
		BPF_CORE_READ_STR_INTO(&e->comm, p, comm);
	return 0;
}

/* The last thread of a process is gone: stop matching its tgid (it may be reused);
 * forget it when asked to. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(hk_track_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct hk_proc *e;

	if (hk_track_all || BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (hk_track_forget) {
		bpf_map_delete_elem(&hk_procs, &tgid);
		return 0;
	}
	e = bpf_map_lookup_elem(&hk_procs, &tgid);
	if (e)
		e->exited = 1;
	return 0;
}

#endif
