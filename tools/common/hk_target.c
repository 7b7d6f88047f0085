/* hk_target.c — launch a command held before exec, or watch a PID (see hk_target.h). */
#include "hk_target.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hk_discover.h"
#include "hk_track.h"
#include "hk_util.h"

#define STOP_GRACE_S 0.2 /* a terminal Ctrl-C reaches the child by itself */
#define KILL_GRACE_S 2.0 /* then we forward the signal and wait this long */
#define FOLLOW_POLL_MS 20 /* how often the children that outlive the target are looked at */

static void init(struct hk_target *t)
{
	memset(t, 0, sizeof(*t));
	t->pidfd = t->go_fd = t->err_fd = t->procs_fd = -1;
}

int hk_target_track(struct hk_target *t, int procs_map_fd, __u64 *untracked)
{
	int err = t->launched ? hk_track_add(procs_map_fd, t->pid)
			      : hk_track_add_tree(procs_map_fd, t->pid, untracked);

	if (!err)
		t->procs_fd = procs_map_fd;
	return err;
}

int hk_target_check_command(char *const argv[])
{
	char path[PATH_MAX];
	int err = hk_resolve_command(argv[0], path, sizeof(path));

	if (err == -ENOENT) { /* 127 and 126 as sh gives them */
		hk_err("command not found: %s", *argv[0] ? argv[0] : "''");
		return 127;
	}
	if (err == -EACCES) {
		hk_err("cannot execute: %s: permission denied", argv[0]);
		return 126;
	}
	if (err) {
		hk_err("cannot execute: %s: %s", argv[0], err == -EISDIR ? "is a directory" : strerror(-err));
		return 126;
	}
	return 0;
}

/* Child side: wait for the go byte, then become the command. */
static void child_run(const int go[2], const int err[2], char *const argv[])
{
	char c;
	int e;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* Only the tool may hold the write end: if it dies before releasing us
	 * (even by SIGKILL), the read below must see EOF, not block forever. */
	close(go[1]);
	close(err[0]);
	if (read(go[0], &c, 1) != 1)
		_exit(127); /* the tool gave up before attaching */
	execvp(argv[0], argv);
	e = errno;
	if (write(err[1], &e, sizeof(e)) < 0)
		_exit(127);
	_exit(e == ENOENT ? 127 : 126);
}

int hk_target_launch(struct hk_target *t, char *const argv[])
{
	int go[2], er[2];

	init(t);
	if (pipe2(go, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
		hk_err("pipe: %s", strerror(errno));
		return 1;
	}
	t->pid = fork();
	if (t->pid < 0) {
		hk_err("fork: %s", strerror(errno));
		return 1;
	}
	if (t->pid == 0)
		child_run(go, er, argv);
	close(go[0]);
	close(er[1]);
	t->go_fd = go[1];
	t->err_fd = er[0];
	t->launched = true;
	hk_child_pid = t->pid;
	t->name = argv[0];
	t->pidfd = hk_pidfd_open(t->pid);
	return 0;
}

static void reap(struct hk_target *t)
{
	int r = 0;

	/* Forgotten by the signal handlers before it is reaped, not after: a
	 * handler running in between would signal a pid already free for reuse.
	 * Every caller reaps a command that has exited or been killed. */
	if (t->launched)
		hk_child_pid = 0;
	/* should a handler come without SA_RESTART, a Ctrl-C must not lose the status */
	while (t->launched && (r = waitpid(t->pid, &t->status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		t->status = 0;
	t->exited = true;
	t->end = hk_now();
}

/* Ctrl-C or SIGTERM while attaching cancels the command: closing the go
 * pipe unstarted makes the held child exit 127 without exec'ing it. */
static int cancel(struct hk_target *t)
{
	close(t->go_fd);
	t->go_fd = -1;
	reap(t);
	return 128 + hk_stop_signal;
}

int hk_target_release(struct hk_target *t)
{
	int e;
	ssize_t n;

	if (hk_stopping())
		return cancel(t);
	t->start = hk_now();
	if (write(t->go_fd, "g", 1) != 1) {
		hk_err("cannot start the command: %s", strerror(errno));
		return 1;
	}
	close(t->go_fd);
	t->go_fd = -1;
	do
		n = read(t->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(t->err_fd);
	t->err_fd = -1;
	if (n != (ssize_t)sizeof(e))
		return 0; /* EOF: execvp succeeded and closed the pipe */
	reap(t);
	if (e == ENOENT)
		hk_err("command not found: %s", t->name);
	else
		hk_err("cannot execute: %s: %s", t->name, strerror(e));
	return e == ENOENT ? 127 : 126;
}

int hk_target_open(struct hk_target *t, pid_t pid)
{
	init(t);
	t->pid = pid;
	t->pidfd = hk_pidfd_open(pid);
	if (t->pidfd < 0 && errno == ESRCH) {
		hk_err("no such process: %d", (int)pid);
		return 1;
	}
	t->start = hk_now();
	return 0;
}

/* Without a pidfd (kernel < 5.3): 1 when pid is gone, else sleep a little. */
static int probe_gone(pid_t pid, int ms)
{
	if (kill(pid, 0) && errno == ESRCH)
		return 1;
	poll(NULL, 0, ms > 100 ? 100 : ms);
	return 0;
}

/* Polls for exit up to secs (<0: forever); true when it exited. */
static bool poll_exit(struct hk_target *t, double secs, bool stop_on_signal)
{
	double deadline = hk_now() + secs;

	for (;;) {
		struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
		double left = secs < 0 ? 1.0 : deadline - hk_now();
		int ms = left > 1.0 ? 1000 : (int)(left * 1000);
		int r;

		if (secs >= 0 && left <= 0)
			return false;
		if (stop_on_signal && hk_stopping())
			return false;
		r = t->pidfd < 0 ? probe_gone(t->pid, ms) : poll(&p, 1, ms);
		if (r > 0) {
			reap(t);
			return true;
		}
	}
}

static bool followed_gone(const struct hk_target *t)
{
	return t->procs_fd < 0 || hk_track_live(t->procs_fd) == 0;
}

/* After the target: its children that still run, until deadline (0: none). */
static bool wait_followed(struct hk_target *t, double deadline)
{
	bool waited = false;

	while (!followed_gone(t)) {
		if (hk_stopping() || (deadline > 0 && hk_now() >= deadline)) {
			t->end = hk_now();
			return false;
		}
		poll(NULL, 0, FOLLOW_POLL_MS);
		waited = true;
	}
	if (waited)
		t->end = hk_now();
	t->done = true;
	return true;
}

/* Until the target itself exits; on a stop signal, forwards it to a launched one. */
static bool wait_target(struct hk_target *t, double timeout_s)
{
	if (t->exited || poll_exit(t, timeout_s > 0 ? timeout_s : -1, true))
		return true;
	t->end = hk_now();
	if (!hk_stopping() || !t->launched)
		return false;
	if (poll_exit(t, STOP_GRACE_S, false))
		return true;
	kill(t->pid, hk_stop_signal);
	if (poll_exit(t, KILL_GRACE_S, false))
		return true;
	t->end = hk_now();
	return false;
}

bool hk_target_wait(struct hk_target *t, double timeout_s)
{
	double deadline = timeout_s > 0 ? hk_now() + timeout_s : 0;

	if (t->done)
		return true;
	if (!wait_target(t, timeout_s))
		return false;
	return wait_followed(t, deadline);
}

int hk_target_exit_code(const struct hk_target *t)
{
	if (!t->launched)
		return 0;
	if (!t->exited)
		return 128 + (hk_stop_signal ? hk_stop_signal : SIGTERM);
	if (WIFEXITED(t->status))
		return WEXITSTATUS(t->status);
	if (WIFSIGNALED(t->status))
		return 128 + WTERMSIG(t->status);
	return 1;
}

/* Until every process followed with the command has exited, or secs. */
static bool followed_exit_within(const struct hk_target *t, double secs)
{
	double deadline = hk_now() + secs;

	while (!followed_gone(t) && hk_now() < deadline)
		poll(NULL, 0, FOLLOW_POLL_MS);
	return followed_gone(t);
}

/* The command and what it started, as timeout(1) ends a command's process
 * group: a run cut short must not leave `make -j`'s compilers or a
 * server's workers running unseen.  Only processes followed with it (its
 * descendants in hk_procs) are signalled, by pidfd. */
void hk_target_terminate(struct hk_target *t)
{
	double end = t->end, kill_at;

	if (!t->launched || t->go_fd >= 0 || (t->exited && followed_gone(t)))
		return;
	/* one SIGTERM each: the command is followed too (hk_track_add), and a
	 * second one tells many programs to skip their clean shutdown */
	if (t->procs_fd >= 0)
		hk_track_signal_live(t->procs_fd, SIGTERM);
	else if (!t->exited)
		kill(t->pid, SIGTERM);
	kill_at = hk_now() + KILL_GRACE_S; /* one grace period for all of them */
	if (!t->exited && !poll_exit(t, KILL_GRACE_S, false))
		hk_target_abort(t);
	if (!followed_exit_within(t, kill_at - hk_now()))
		hk_track_signal_live(t->procs_fd, SIGKILL);
	t->end = end > 0 ? end : t->end; /* the run ended when the trace did */
	t->done = followed_exit_within(t, KILL_GRACE_S);
}

void hk_target_abort(struct hk_target *t)
{
	if (!t->launched || t->exited)
		return;
	kill(t->pid, SIGKILL);
	reap(t);
}

void hk_target_close(struct hk_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->go_fd >= 0)
		close(t->go_fd);
	if (t->err_fd >= 0)
		close(t->err_fd);
	t->pidfd = t->go_fd = t->err_fd = -1;
}
