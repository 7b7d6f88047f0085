/*
 * ht_procfs.h — what hakmem-top reads from /proc: liveness, comm, RSS, and
 * which processes map one of the probed files.
 */
#ifndef HT_PROCFS_H
#define HT_PROCFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A file by identity (the probes are attached to its inode). */
struct ht_file_id {
	dev_t dev;
	ino_t ino;
};

/* 0 and id filled from stat(path), or -errno. */
int ht_file_id_of(const char *path, struct ht_file_id *id);
/* True while process pid exists (a zombie counts as gone). */
bool ht_proc_alive(pid_t pid);
/* True while thread tid of process tgid exists. */
bool ht_thread_alive(pid_t tgid, pid_t tid);
/* Reads /proc/PID/comm into comm (len bytes); leaves it unchanged when gone. */
void ht_proc_comm(pid_t pid, char *comm, size_t len);
/* Resident bytes from /proc/PID/statm; 0 when gone. */
uint64_t ht_proc_rss(pid_t pid);
/* Calls fn(pid, arg) for every process mapping one of the n files. */
void ht_proc_scan(const struct ht_file_id *files, int n, void (*fn)(pid_t, void *), void *arg);

#endif
