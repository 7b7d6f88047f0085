/*
 * hk_track_types.h — the layout of the tracked-process map, shared by the BPF
 * side (hk_track.bpf.h) and user space (hk_track.h).  Plain __u32 types so
 * it compiles against vmlinux.h and against <linux/types.h>.
 */
#ifndef HK_TRACK_TYPES_H
#define HK_TRACK_TYPES_H

#define HK_MAX_PROCS 8192 /* tracked processes per run (the map's size) */
#define HK_COMM_LEN 16

/* Value of map hk_procs, key = tgid. */
struct hk_proc {
	__u32 ppid; /* parent tgid when it was forked (0 for the initial target) */
	__u32 exited; /* 1 once its last thread exited: no longer matched */
	char comm[HK_COMM_LEN]; /* comm at fork, updated at each exec */
};

#endif
