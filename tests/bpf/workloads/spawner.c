/*
 * spawner SECONDS — forks a child every 3 ms for SECONDS, then waits 1.2 s
 * for the last ones.  Each child maps and unmaps a page 20 times, 50 ms
 * apart (about 1 s), and exits.  For each child one line on stdout:
 * "PID FORK_TIME" (CLOCK_MONOTONIC seconds, as Python's time.monotonic()),
 * so that a test knows which children were alive when a tracer attached.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 3);

	signal(SIGCHLD, SIG_IGN); /* no zombies to reap */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (now() < end) {
		double t = now();
		pid_t c = fork();

		if (c < 0) {
			perror("fork");
			return 1;
		}
		if (c == 0) {
			for (int i = 0; i < 20; i++) {
				void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

				if (p != MAP_FAILED)
					munmap(p, 4096);
				usleep(50000);
			}
			_exit(0);
		}
		printf("%d %.6f\n", (int)c, t);
		usleep(3000);
	}
	usleep(1200000);
	return 0;
}
