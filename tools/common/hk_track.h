/*
 * hk_track.h — user side of process tracking (see hk_track.bpf.h): seeds
 * map hk_procs with the target, and reads it back for reports.
 */
#ifndef HK_TRACK_H
#define HK_TRACK_H

#include <linux/types.h>
#include <sys/types.h>
#include "hk_track_types.h"

/* Marks tgid tracked (ppid 0, comm from /proc); 0 or -errno. */
int hk_track_add(int procs_map_fd, pid_t tgid);
/* Marks pid and all its live descendants (from /proc) tracked; 0 or
 * -errno.  Those the full map cannot take are added to *untracked (the BPF
 * side's hk_untracked, which counts the children hk_track_fork loses). */
int hk_track_add_tree(int procs_map_fd, pid_t pid, __u64 *untracked);
/* Looks up tgid in the map; 0 and *out filled, or -ENOENT. */
int hk_track_get(int procs_map_fd, pid_t tgid, struct hk_proc *out);
/* Tracked processes still running (an entry whose exit was missed, its PID
 * gone, counts as exited). */
int hk_track_live(int procs_map_fd);
/* Sends sig to every tracked process still running (through a pidfd, never
 * to a pid reused since); returns how many got it. */
int hk_track_signal_live(int procs_map_fd, int sig);

#endif
