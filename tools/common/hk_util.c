/* hk_util.c — errors, signals, time, parsing, output file (see hk_util.h). */
#include "hk_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t hk_stop_signal;
volatile sig_atomic_t hk_child_pid;
static const char *progname;

void hk_set_progname(const char *name)
{
	progname = name;
}

const char *hk_progname(void)
{
	return progname ? progname : program_invocation_short_name;
}

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", hk_progname());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void hk_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void hk_dbg(bool verbose, const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* Dies of sig as if it had no handler, taking the launched command along. */
static void die_of(int sig)
{
	if (hk_child_pid > 0)
		kill((pid_t)hk_child_pid, SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig); /* delivered when the handler returns */
}

#define FORCE_AFTER_S 1.0 /* a double Ctrl-C is one impatient stop, not a kill */

static void on_stop(int sig)
{
	static double first; /* hk_now() is async-signal-safe (clock_gettime) */

	/* A second one, a while after the first: what the first waits for (a
	 * report blocked on a reader that does not read, a -o FIFO nobody
	 * opens) is not coming. */
	if (hk_stop_signal && hk_now() - first >= FORCE_AFTER_S)
		die_of(sig);
	/* one within the second is the same stop: the first says which signal
	 * a launched command gets (SIGINT, then SIGTERM: still SIGINT) */
	if (hk_stop_signal)
		return;
	first = hk_now();
	hk_stop_signal = sig;
}

/* A closed output pipe (`| head`) ends the tool as it ends any pipeline
 * member, silently with 141, but not before the command is told to go. */
static void on_pipe(int sig)
{
	die_of(sig);
}

int hk_signals_install(void)
{
	struct sigaction sa, pipe_sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* each blocks the other while it runs: SIGINT and SIGTERM sent at once
	 * would otherwise run SIGTERM's handler first, nested on SIGINT's frame,
	 * and the first signal on_stop keeps would be the second sent */
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	/* SA_RESTART: a write of the report must not fail half-way with EINTR
	 * (stdio drops what it had buffered: the report would be cut).  The
	 * waits that must notice a stop are poll, epoll_wait and nanosleep,
	 * which return EINTR even so; waitpid and read are only used where the
	 * other side is about to answer. */
	sa.sa_flags = SA_RESTART;
	pipe_sa = sa;
	pipe_sa.sa_handler = on_pipe;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGPIPE, &pipe_sa, NULL))
		return -errno;
	return 0;
}

double hk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int hk_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool hk_sleep(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return !hk_stopping();
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - ts.tv_sec) * 1e9);
	while (!hk_stopping() && nanosleep(&ts, &ts) && errno == EINTR)
		;
	return !hk_stopping();
}

int hk_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int hk_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

FILE *hk_open_file(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		hk_err("cannot write %s: %s", path, strerror(errno));
	return f;
}

/* Closes f (stdout is only flushed); -1 with "cannot write WHAT: why" when
 * the last flush failed, or just "cannot write WHAT" when an earlier write
 * did (its errno is long gone: a reason now would be a guess). */
static int finish_file(FILE *f, const char *what)
{
	int bad = ferror(f);

	errno = 0;
	if (!(f == stdout ? fflush(f) : fclose(f)) && !bad)
		return 0;
	if (errno)
		hk_err("cannot write %s: %s", what, strerror(errno));
	else
		hk_err("cannot write %s", what);
	return -1;
}

int hk_close_file(FILE *f, const char *path)
{
	return finish_file(f, path);
}

FILE *hk_open_output(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return stdout;
	return hk_open_file(path);
}

int hk_close_output(FILE *f)
{
	return f ? finish_file(f, "the report") : 0;
}

const char *hk_fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

bool hk_list_items_present(const char *list)
{
	size_t n = strlen(list);

	return n && list[0] != ',' && list[n - 1] != ',' && !strstr(list, ",,");
}

int hk_name_index(const char *const *names, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(name, names[i], len))
			return i;
	return -1;
}

/* The first byte's range of valid second bytes, per the table of the
 * Unicode standard (chapter 3, well-formed UTF-8 byte sequences). */
static int utf8_second_ok(unsigned char lead, unsigned char c)
{
	if (lead == 0xe0)
		return c >= 0xa0 && c <= 0xbf;
	if (lead == 0xed)
		return c >= 0x80 && c <= 0x9f;
	if (lead == 0xf0)
		return c >= 0x90 && c <= 0xbf;
	if (lead == 0xf4)
		return c >= 0x80 && c <= 0x8f;
	return c >= 0x80 && c <= 0xbf;
}

size_t hk_utf8_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;

	if (u[0] == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (!utf8_second_ok(u[0], u[1]))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (u[i] < 0x80 || u[i] > 0xbf)
			return 0;
	return n;
}

void hk_list_append(char *buf, size_t len, const char *item)
{
	size_t n = strnlen(buf, len);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s", n ? ", " : "", item);
}
