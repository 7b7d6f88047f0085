/* ht_procfs.c — /proc readers for hakmem-top (see ht_procfs.h). */
#include "ht_procfs.h"
#include "hk_discover.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ht_file_id_of(const char *path, struct ht_file_id *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

/* State letter from /proc/PID/stat (after the parenthesised comm); 0 when gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p, state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %c", &state);
	fclose(f);
	return state;
}

bool ht_proc_alive(pid_t pid)
{
	char s = proc_state(pid);

	return s && s != 'Z' && s != 'X';
}

bool ht_thread_alive(pid_t tgid, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)tgid, (int)tid);
	return !access(path, F_OK);
}

void ht_proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(comm, len, "%s", buf);
	}
	fclose(f);
}

uint64_t ht_proc_rss(pid_t pid)
{
	char path[64];
	unsigned long long size = 0, resident = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* True when a /proc/PID/maps line ("addr perms off MAJ:MIN INODE path") maps one of the files. */
static bool line_maps(const char *line, const struct ht_file_id *files, int n)
{
	unsigned long long ino;
	dev_t dev;

	if (!hk_maps_line_file(line, NULL, &dev, &ino))
		return false;
	for (int i = 0; i < n; i++)
		if (files[i].ino == ino && files[i].dev == dev)
			return true;
	return false;
}

struct file_set {
	const struct ht_file_id *files;
	int n;
};

static bool maps_line_matches(char *line, void *arg)
{
	const struct file_set *fs = arg;

	return line_maps(line, fs->files, fs->n);
}

static bool maps_any(pid_t pid, const struct ht_file_id *files, int n)
{
	struct file_set fs = { files, n };

	return hk_maps_any(pid, maps_line_matches, &fs);
}

void ht_proc_scan(const struct ht_file_id *files, int n, void (*fn)(pid_t, void *), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = (pid_t)atoi(e->d_name);
		if (pid != getpid() && maps_any(pid, files, n))
			fn(pid, arg);
	}
	closedir(d);
}
