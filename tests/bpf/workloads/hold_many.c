/*
 * hold_many N READY GO — starts N child processes that all stay alive,
 * creates the file READY once they all run, waits until the file GO
 * exists, then lets them exit and reaps them.  More live children than the
 * tools' tracked-process map holds (HK_MAX_PROCS) checks what a -p run's
 * /proc scan does with the rest.  The children share the parent's memory
 * (CLONE_VM, each on its own small stack) so that thousands of them fit a
 * small VM; each only blocks reading a pipe until the parent closes it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (16 * 1024)

static int hold[2];

/* Raw syscalls: the children share the parent's memory, errno included. */
static int child(void *arg)
{
	char c;

	(void)arg;
	syscall(SYS_close, hold[1]); /* EOF comes once the parent's copy goes */
	syscall(SYS_read, hold[0], &c, 1);
	syscall(SYS_exit, 0);
	return 0;
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	return fd < 0 ? -1 : close(fd);
}

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[1]) : -1;
	char *stacks;

	if (n < 0) {
		fprintf(stderr, "usage: hold_many N READY GO\n");
		return 2;
	}
	stacks = malloc((size_t)n * STACK_SIZE + 16);
	if (!stacks || pipe(hold)) {
		perror("hold_many");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char *top = stacks + (size_t)(i + 1) * STACK_SIZE;

		if (clone(child, top, CLONE_VM | SIGCHLD, NULL) < 0) {
			perror("clone");
			return 1;
		}
	}
	if (touch(argv[2])) {
		perror(argv[2]);
		return 1;
	}
	while (access(argv[3], F_OK))
		usleep(20000);
	close(hold[1]);
	for (int i = 0; i < n; i++)
		if (wait(NULL) < 0) {
			perror("wait");
			return 1;
		}
	return 0;
}
