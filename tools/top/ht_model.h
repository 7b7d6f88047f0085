/*
 * ht_model.h — what one hakmem-top interval shows: a row per process and a
 * totals row.  Counts are per interval; gauges (depths, bytes) are "now".
 */
#ifndef HT_MODEL_H
#define HT_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "top.h"

#define HT_COMM_LEN 16

struct ht_row {
	pid_t pid; /* 0 for the totals row */
	char comm[HT_COMM_LEN];
	bool exited; /* gone: this is its last row */
	/* events in the interval */
	uint64_t refills, drains, remote_frees, arena_grows, walked;
	uint64_t os_calls[HT_OS_KINDS], os_bytes[HT_OS_KINDS];
	/* remote queues: deepest one now, deepest in the interval, deepest
	 * since start or the last reset; blocks queued in all of them now */
	uint64_t depth, depth_max, depth_peak, queued;
	/* bytes now */
	uint64_t arena_bytes; /* pool arenas (seen growing since attach) */
	int64_t mapped_bytes; /* os_map - os_unmap bytes since attach */
	uint64_t rss_bytes; /* /proc/PID/statm */
};

struct ht_snapshot {
	double time; /* wall clock, seconds since the epoch */
	double interval_s; /* length of the interval */
	struct ht_row *rows; /* one per process, unsorted */
	int n;
	struct ht_row total;
	double bpf_ns_per_event; /* our BPF programs' run time per hit */
	double bpf_events_per_s; /* their hits per second */
	uint64_t dropped; /* events lost to full maps (cumulative) */
};

#endif
