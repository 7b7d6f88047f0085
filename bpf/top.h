/*
 * top.h — layouts shared by bpf/top.bpf.c and hakmem-top (tools/hakmem-top.c,
 * tools/top/).  Plain __u32/__u64 so it compiles against vmlinux.h and
 * <linux/types.h>.
 */
#ifndef HAKMEM_TOP_H
#define HAKMEM_TOP_H

#define HT_MAX_PROCS 8192 /* processes with counters at once */
#define HT_MAX_QUEUES 32768 /* (process, owner thread, class) remote queues */
#define HT_MAX_HEAPS 65536 /* heaps whose arena size is known */

/* The OS-boundary probes. */
enum ht_os { HT_OS_MAP, HT_OS_UNMAP, HT_OS_ADVISE, HT_OS_KINDS };

/* Per process (key: tgid), per CPU: user space sums the CPUs. */
struct ht_counts {
	__u64 refills; /* refill_done */
	__u64 drains; /* drain */
	__u64 remote_frees; /* remote_push */
	__u64 arena_grows; /* arena_grow */
	__u64 arena_bytes; /* sum of the arena size changes (wraps; summed over CPUs it is the total) */
	__u64 walked; /* reclaim_done walked: free blocks the reclaim walks visited */
	__u64 os_calls[HT_OS_KINDS]; /* os_map / os_unmap / os_advise hits */
	__u64 os_bytes[HT_OS_KINDS]; /* their len argument */
};

/* Per process (key: tgid): its command name when its first event came, so
 * that a process gone before user space looked at /proc is still named. */
#define HT_COMM_BYTES 16
struct ht_comm {
	char comm[HT_COMM_BYTES];
};

/* One remote queue: owner thread's queue of one class. */
struct ht_qkey {
	__u32 tgid;
	__u32 tid; /* owner thread */
	__u32 cls;
	__u32 pad;
};

/*
 * Per queue, per CPU.  `depth` is the last depth this CPU saw (at time ts);
 * the newest ts over the CPUs gives the depth now.  The interval maximum
 * lives in slot gen & 1 of max/max_gen (gen: ht_gen, bumped by user space at
 * each interval boundary), so user space reads one interval's maximum while
 * BPF already fills the next one's.
 */
struct ht_queue {
	__u64 depth;
	__u64 ts;
	__u64 max[2];
	__u32 max_gen[2];
};

/*
 * Arena bytes: map ht_heaps holds the arena size of each heap by the thread
 * that owns it (key: tgid << 32 | tid).  A thread that exits hands its heap
 * over; ht_orphans counts such heaps by (process, arena size), so that when a
 * new owner grows one, its old size is recognised as already counted.
 */
struct ht_orphan_key {
	__u32 tgid;
	__u32 pad;
	__u64 bytes;
};

#endif
