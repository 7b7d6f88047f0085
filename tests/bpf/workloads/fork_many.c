/*
 * fork_many N — starts N child processes one after another (each waited for
 * before the next); each maps and unmaps one page and exits, so a child costs
 * one mmap and one munmap, nothing else.  More children than the tools'
 * tracked-process map holds (HK_MAX_PROCS) checks what they do with the
 * rest.  The children share the parent's memory until they exit
 * (CLONE_VM | CLONE_VFORK, as vfork does) so that thousands of them take
 * seconds, not minutes, on a small VM.  Prints "forked N".
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[64 * 1024] __attribute__((aligned(16)));

static int child(void *arg)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	return p == MAP_FAILED || munmap(p, 4096) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	for (int i = 0; i < n; i++) {
		int status;
		pid_t c = clone(child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);

		if (c < 0) {
			perror("clone");
			return 1;
		}
		if (waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "fork_many: child %d failed\n", (int)c);
			return 1;
		}
	}
	printf("forked %d\n", n);
	return 0;
}
