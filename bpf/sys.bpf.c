// SPDX-License-Identifier: GPL-2.0
/*
 * sys.bpf.c — hakmem-sys: memory syscalls per tracked process, from the BTF
 * syscall tracepoints (any allocator; no tracefs needed), and hakmem's own
 * calls from the OS-boundary USDT probes (os_map/os_unmap/os_advise).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "hakmem_probes.h"
#include "sys.h"
#include "hk_track.bpf.h"
#include "hk_bits.bpf.h"

/* x86_64 syscall numbers. */
#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_BRK 12
#define NR_MREMAP 25
#define NR_MADVISE 28

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HK_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct hs_stats);
} hs_stats SEC(".maps");

/* brk's previous break, per thread, between sys_enter and sys_exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} hs_brk_old SEC(".maps");

static const struct hs_stats zero_stats;
__u64 hs_dropped; /* events lost because hs_stats was full */

static __always_inline struct hs_stats *stats_of(__u32 tgid)
{
	struct hs_stats *s = hk_lookup_or_init(&hs_stats, &tgid, &zero_stats);

	if (!s)
		__sync_fetch_and_add(&hs_dropped, 1);
	return s;
}

/* Syscall number -> enum hs_call, or -1 for the others. */
static __always_inline int call_of(long nr)
{
	switch (nr) {
	case NR_MMAP: return HS_MMAP;
	case NR_MUNMAP: return HS_MUNMAP;
	case NR_MADVISE: return HS_MADVISE;
	case NR_MREMAP: return HS_MREMAP;
	case NR_BRK: return HS_BRK;
	default: return -1;
	}
}

SEC("tp_btf/sys_enter")
int BPF_PROG(hs_sys_enter, struct pt_regs *regs, long id)
{
	__u64 key, old;

	if (id != NR_BRK || !hk_tracked_current())
		return 0;
	key = bpf_get_current_pid_tgid();
	old = BPF_CORE_READ((struct task_struct *)bpf_get_current_task_btf(), mm, brk);
	bpf_map_update_elem(&hs_brk_old, &key, &old, BPF_ANY);
	return 0;
}

/* Bytes a successful call moved: its length argument, or the break's change. */
static __always_inline __u64 bytes_of(int call, struct pt_regs *regs, long ret)
{
	__u64 key, *old, delta;

	if (call != HS_BRK)
		return ret < 0 && ret > -4096 ? 0 : (call == HS_MREMAP ? regs->dx : regs->si);
	key = bpf_get_current_pid_tgid();
	old = bpf_map_lookup_elem(&hs_brk_old, &key);
	if (!old)
		return 0;
	delta = (__u64)ret > *old ? (__u64)ret - *old : *old - (__u64)ret;
	bpf_map_delete_elem(&hs_brk_old, &key);
	return delta;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(hs_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int call = call_of(regs->orig_ax);
	struct hs_stats *s;

	if (call < 0 || !hk_tracked(tgid))
		return 0;
	s = stats_of(tgid);
	if (!s)
		return 0;
	/* Atomic: tracing programs can be preempted, and another thread of the
	 * process may then update the same per-CPU value. */
	__sync_fetch_and_add(&s->calls[call], 1);
	__sync_fetch_and_add(&s->bytes[call], bytes_of(call, regs, ret));
	return 0;
}

static __always_inline int boundary(enum hs_kind kind, long len, long purpose)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct hs_stats *s;
	__u32 row = purpose >= 0 && purpose < HK_PURPOSE_COUNT ? purpose : HK_PURPOSE_COUNT;

	if (!hk_tracked(tgid))
		return 0;
	s = stats_of(tgid);
	if (!s)
		return 0;
	__sync_fetch_and_add(&s->bnd_calls[row][kind], 1);
	__sync_fetch_and_add(&s->bnd_bytes[row][kind], len);
	return 0;
}

SEC("usdt")
int BPF_USDT(hs_os_map, long addr, long len, long purpose)
{
	return boundary(HS_KIND_MAP, len, purpose);
}

SEC("usdt")
int BPF_USDT(hs_os_unmap, long addr, long len, long purpose)
{
	return boundary(HS_KIND_UNMAP, len, purpose);
}

SEC("usdt")
int BPF_USDT(hs_os_advise, long addr, long len, long purpose, long advice)
{
	return boundary(HS_KIND_ADVISE, len, purpose);
}
