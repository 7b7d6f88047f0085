/*
 * ht_collect.h — turns hakmem-top's BPF maps and /proc into one interval's
 * snapshot: per-process deltas of the cumulative counters, remote-queue
 * depths, arena and mapped bytes, RSS, the BPF programs' own cost; processes
 * appear when they map a probed file (or hit a probe) and drop out once
 * they have exited and shown their last interval.
 */
#ifndef HT_COLLECT_H
#define HT_COLLECT_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "ht_model.h"
#include "ht_procfs.h"

#define HT_MAX_FILES 8 /* probed files (library, static executables) */
#define HT_MAX_PROGS 16
#define HT_MAX_PIDS 64 /* -p PIDs */

struct ht_proc_state; /* per-process memory between intervals (ht_collect.c) */

struct ht_collector {
	/* set up by the caller */
	int counts_fd, comms_fd, queues_fd, heaps_fd, orphans_fd;
	volatile __u32 *gen; /* the BPF program's ht_gen */
	volatile __u64 *dropped; /* its ht_dropped */
	int prog_fds[HT_MAX_PROGS], nprogs;
	struct ht_file_id files[HT_MAX_FILES];
	int nfiles;
	pid_t pids[HT_MAX_PIDS]; /* always shown while alive */
	int npids;
	/* private */
	int ncpus;
	struct ht_proc_state *procs;
	int nprocs, cap;
	double last_mono;
	__u64 last_run_ns, last_run_cnt;
	struct ht_snapshot snap;
};

/* Call once the fields above are set (after the BPF programs are attached):
 * takes the starting point of the first interval.  0 or -errno. */
int ht_collect_init(struct ht_collector *c);
/* Ends the current interval and returns its snapshot (valid until the next call). */
struct ht_snapshot *ht_collect_sample(struct ht_collector *c);
/* Forgets the peak depths (the screen's `r`). */
void ht_collect_reset_peaks(struct ht_collector *c);
void ht_collect_free(struct ht_collector *c);

#endif
