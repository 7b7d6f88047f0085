/*
 * hk_target.h — the process a tool watches: a command it launches itself
 * (blocked before execvp until the BPF side is attached) or a running PID.
 *
 *   hk_target_launch(&t, hk_opts.cmd)    fork; child waits on a pipe
 *   ... load BPF ...
 *   hk_target_track(&t, map)             it (and what it starts) counted and waited for
 *   ... attach ...
 *   hk_target_release(&t)                child execvp()s now
 *   hk_target_wait(&t, duration)         until exit, Ctrl-C or timeout
 *   hk_target_terminate(&t)              a command the trace did not outlast
 *   exit(hk_target_exit_code(&t))       the tools' exit status after a trace
 */
#ifndef HK_TARGET_H
#define HK_TARGET_H

#include <stdbool.h>
#include <linux/types.h>
#include <sys/types.h>

struct hk_target {
	pid_t pid; /* the launched child or the -p PID */
	int pidfd; /* pollable: readable once the process has exited */
	int go_fd; /* launched: write end of the release pipe (-1 after release) */
	int err_fd; /* launched: read end that receives execvp's errno (EOF = exec ok) */
	const char *name; /* launched: argv[0], for messages */
	bool launched; /* we forked it (we reap it and know its exit status) */
	bool exited; /* it has exited (status valid when launched) */
	bool done; /* it and every process followed with it have exited */
	int procs_fd; /* hk_procs map of the processes followed with it, or -1 */
	int status; /* waitpid status when launched */
	double start, end; /* hk_now() at release/open and at exit/stop */
};

/* Resolves argv[0] via PATH like execvp; 0 when executable, else prints
 * "command not found: X" / "cannot execute: X" and returns 127 / 126. */
int hk_target_check_command(char *const argv[]);
/* Forks the command (after hk_target_check_command); the child blocks until released. 0 or exit code. */
int hk_target_launch(struct hk_target *t, char *const argv[]);
/* Lets the child exec; 0 on success, 127/126 with a one-line error when execvp failed.
 * After a stop signal the command is not started (the child is reaped) and
 * 128+signal is returned. */
int hk_target_release(struct hk_target *t);
/* Watches an existing PID (-p); prints "no such process: PID" and returns 1 when it does not exist. */
int hk_target_open(struct hk_target *t, pid_t pid);
/* Seeds map hk_procs (procs_map_fd) with the target — a -p PID with its live
 * descendants — and makes hk_target_wait wait for every process tracked there
 * (the children it starts), as strace -f does; 0 or -errno.  Descendants
 * the map has no room for are added to *untracked (BPF's hk_untracked). */
int hk_target_track(struct hk_target *t, int procs_map_fd, __u64 *untracked);
/* Waits until the target and the processes it is followed with have exited,
 * a stop signal arrives, or timeout_s (0: none) passes.  On a stop signal a
 * launched child gets the signal forwarded and a short grace period.
 * Returns true when all have exited (t->done). */
bool hk_target_wait(struct hk_target *t, double timeout_s);
/* The tools' exit status once a trace ran: a launched command's status (or
 * 128+signal it died of), whatever stopped the trace — a stop signal the
 * tool got is forwarded to it, and one after it exited changes nothing;
 * 0 for -p targets, whose trace a stop signal ends as a success (as
 * bpftrace and libbpf-tools end theirs).  See docs/hakmem-sys.md. */
int hk_target_exit_code(const struct hk_target *t);
/* Ends a released command that is still running when the trace ends before
 * it (--duration, an interval COUNT, a quit key), and the processes followed
 * with it (hk_target_track: its descendants), as timeout(1) ends a process
 * group: SIGTERM, then SIGKILL to those still there after a grace period;
 * the command is reaped, so its status is known.  A -p process and its
 * children are left alone.  t->end stays when the trace ended. */
void hk_target_terminate(struct hk_target *t);
/* Kills and reaps a launched child that must not run (setup failed before release). */
void hk_target_abort(struct hk_target *t);
/* Closes the descriptors (does not touch the process). */
void hk_target_close(struct hk_target *t);

#endif
