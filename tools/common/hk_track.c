/* hk_track.c — seed and read the tracked-process map (see hk_track.h). */
#include "hk_track.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "hk_util.h"

/* Reads /proc/PID/comm into comm (may stay empty if the process is gone). */
static void read_comm(pid_t pid, char *comm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, HK_COMM_LEN, f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
}

/* flags: BPF_ANY for the target itself, BPF_NOEXIST for a child found in
 * /proc, which BPF may have added (and marked exited) since it was looked up. */
static int add(int fd, pid_t tgid, pid_t ppid, __u64 flags)
{
	struct hk_proc p = { .ppid = (__u32)ppid };
	__u32 key = (__u32)tgid;

	read_comm(tgid, p.comm);
	return bpf_map_update_elem(fd, &key, &p, flags) ? -errno : 0;
}

int hk_track_add(int procs_map_fd, pid_t tgid)
{
	return add(procs_map_fd, tgid, 0, BPF_ANY);
}

/* Parent of pid from /proc/PID/stat (after the parenthesised comm); -1 if
 * gone or exited: a zombie's exit has run in BPF already (it was marked
 * exited, or forgotten), and adding it back would count it, and a process
 * that later reuses its pid, as tracked. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p, state = 0;
	int ppid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %c %d", &state, &ppid);
	fclose(f);
	return state == 'Z' || state == 'X' ? -1 : ppid;
}

/* One pass over /proc adding children of tracked processes; returns how
 * many were added, and in *full how many found the map full. */
static int add_children_pass(int fd, int *full)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	struct hk_proc p;
	int added = 0;

	*full = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		__u32 pid, ppid;
		int err;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = (__u32)atoi(e->d_name);
		ppid = (__u32)parent_of((pid_t)pid);
		if ((int)ppid <= 0 || !bpf_map_lookup_elem(fd, &pid, &p))
			continue;
		if (bpf_map_lookup_elem(fd, &ppid, &p) || p.exited)
			continue;
		err = add(fd, (pid_t)pid, (pid_t)ppid, BPF_NOEXIST);
		added += err == 0;
		*full += err == -E2BIG;
	}
	closedir(d);
	return added;
}

int hk_track_add_tree(int procs_map_fd, pid_t pid, __u64 *untracked)
{
	int err = add(procs_map_fd, pid, 0, BPF_ANY), full;

	if (err)
		return err;
	/* Repeat until stable: /proc order does not put parents first.  A
	 * child refused for a full map is tried again by each pass: the last
	 * pass's refusals are the children left out, once each (as
	 * hk_track_fork counts one it cannot add; their own children, of a
	 * parent not followed, are not looked for either way). */
	while (add_children_pass(procs_map_fd, &full) > 0)
		;
	__atomic_fetch_add(untracked, (__u64)full, __ATOMIC_RELAXED);
	return 0;
}

int hk_track_get(int procs_map_fd, pid_t tgid, struct hk_proc *out)
{
	__u32 key = (__u32)tgid;

	return bpf_map_lookup_elem(procs_map_fd, &key, out) ? -ENOENT : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

/* The keys of the map, each once (at most max, sorted); returns how many.
 * A key deleted under the walk (hakmem-lat forgets a process at its exit,
 * as soon as a SIGTERM ends it) makes bpf_map_get_next_key start over from
 * the first key: the walk takes every key first and drops those it met
 * twice, so that fn never sees a process twice (a second SIGTERM). */
static int map_keys(int fd, __u32 *keys, int max)
{
	__u32 *prev = NULL;
	int n = 0, u = 0;

	for (; n < max && !bpf_map_get_next_key(fd, prev, &keys[n]); n++)
		prev = &keys[n];
	qsort(keys, (size_t)n, sizeof(*keys), cmp_u32);
	for (int i = 0; i < n; i++)
		if (!u || keys[u - 1] != keys[i])
			keys[u++] = keys[i];
	return u;
}

/* Calls fn(fd, pid, arg) for each tracked process not marked exited;
 * returns for how many it returned true. */
static int each_live(int fd, bool (*fn)(int fd, pid_t pid, int arg), int arg)
{
	static __u32 keys[2 * HK_MAX_PROCS]; /* room for a walk started over */
	int nkeys = map_keys(fd, keys, 2 * HK_MAX_PROCS), n = 0;
	struct hk_proc p;

	for (int i = 0; i < nkeys; i++)
		if (!bpf_map_lookup_elem(fd, &keys[i], &p) && !p.exited)
			n += fn(fd, (pid_t)keys[i], arg);
	return n;
}

static bool is_alive(int fd, pid_t pid, int arg)
{
	(void)fd;
	(void)arg;
	return !(kill(pid, 0) && errno == ESRCH);
}

int hk_track_live(int procs_map_fd)
{
	return each_live(procs_map_fd, is_alive, 0);
}

/* The pidfd first, the entry then: a tracked process that exited since the
 * map was read is marked exited (or forgotten) before its pid can be reused,
 * so a pidfd taken while the entry still says alive is of that process. */
static bool signal_one(int fd, pid_t pid, int sig)
{
	int pidfd = hk_pidfd_open(pid);
	struct hk_proc p;
	bool sent;

	if (pidfd < 0)
		return false;
	sent = !hk_track_get(fd, pid, &p) && !p.exited &&
	       !syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	close(pidfd);
	return sent;
}

int hk_track_signal_live(int procs_map_fd, int sig)
{
	return each_live(procs_map_fd, signal_one, sig);
}
