/* hk_opts.c — the options shared by every tool (see hk_opts.h). */
#include "hk_opts.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hk_util.h"

struct hk_opts hk_opts;

/* --duration has no letter: hakmem-top's -d is its refresh delay, as in top(1). */
enum { OPT_JSON = 'j', OPT_LIB = 'L', OPT_DURATION = 0x100 };

static const struct argp_option common_options[] = {
	{ "pid", 'p', "PID", 0, "Trace process PID (and the children it creates)", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf debug messages", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print JSON instead of text", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE instead of stdout", 0 },
	{ "lib", OPT_LIB, "PATH", 0,
	  "hakmem library or statically linked program carrying the probes (default: discovered)", 0 },
	{ "duration", OPT_DURATION, "SECONDS", 0, "Stop after SECONDS", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{ 0 },
};

static error_t parse_pid(const char *arg, struct argp_state *state)
{
	uint64_t v;

	if (hk_parse_u64(arg, &v) || v == 0 || v > 0x3fffffff)
		argp_error(state, "invalid PID: %s", arg);
	hk_opts.pid = (pid_t)v;
	return 0;
}

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		return parse_pid(arg, state);
	case 'v':
		hk_opts.verbose = true;
		return 0;
	case OPT_JSON:
		hk_opts.json = true;
		return 0;
	case 'o':
		hk_opts.output = arg;
		return 0;
	case OPT_LIB:
		hk_opts.lib = arg;
		return 0;
	case OPT_DURATION:
		if (hk_parse_seconds(arg, &hk_opts.duration))
			argp_error(state, "invalid duration: %s", arg);
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp hk_common_argp = {
	.options = common_options,
	.parser = parse_common,
};

const struct argp_child hk_common_children[] = {
	{ &hk_common_argp, 0, "Common options:", 0 },
	{ 0 },
};

int hk_opts_split_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		argv[i] = NULL;
		if (i + 1 < argc)
			hk_opts.cmd = &argv[i + 1];
		return i;
	}
	return argc;
}

int hk_opts_parse(const struct argp *argp, int argc, char **argv)
{
	int n;

	argp_err_exit_status = 2; /* like other CLI tools, not EX_USAGE (64) */
	n = hk_opts_split_command(argc, argv);
	if (n < argc && !hk_opts.cmd) { /* hakmem-top -- would watch everything */
		hk_err("nothing after --: give COMMAND [ARGS...]");
		return 2;
	}
	/* getopt's messages start with argv[0]: "hakmem-sys", not "tools/hakmem-sys" */
	argv[0] = (char *)hk_progname();
	return argp_parse(argp, n, argv, 0, NULL, NULL);
}

/* What /proc/PID/status says of a -p PID. */
struct pid_info {
	char state; /* 'Z' for a zombie */
	pid_t tgid; /* != pid for a thread that is not its process's leader */
	bool kthread; /* a kernel thread: no user space to trace */
};

/* Fills *pi from /proc/PID/status; -1 when it cannot be read. */
static int read_pid_info(pid_t pid, struct pid_info *pi)
{
	char path[64], line[256];
	int kthread = -1; /* -1: no Kthread line (kernels before 6.0) */
	bool has_mm = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	memset(pi, 0, sizeof(*pi));
	pi->tgid = pid;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", &pi->state);
		else if (!strncmp(line, "Tgid:", 5))
			sscanf(line + 5, "%d", &pi->tgid);
		else if (!strncmp(line, "Kthread:", 8))
			sscanf(line + 8, "%d", &kthread);
		else if (!strncmp(line, "VmSize:", 7))
			has_mm = true;
	}
	fclose(f);
	/* without the Kthread line: a live task without memory of its own is one */
	pi->kthread = kthread >= 0 ? kthread == 1 : !has_mm && pi->state != 'Z';
	return 0;
}

/* -p must name a live user-space process, by its (thread-group leader) pid:
 * a zombie would never end the run, a thread id or a kernel thread would
 * count nothing. */
int hk_check_pid(pid_t pid)
{
	struct pid_info pi;

	if (read_pid_info(pid, &pi)) {
		if (kill(pid, 0) && errno == ESRCH) {
			hk_err("no such process: %d", (int)pid);
			return 1;
		}
		return 0; /* no /proc to tell more: the trace will see */
	}
	if (pid == getpid())
		hk_err("pid %d is this tool itself", (int)pid);
	else if (pi.state == 'Z')
		hk_err("pid %d has exited", (int)pid);
	else if (pi.tgid != pid)
		hk_err("pid %d is a thread of process %d; trace -p %d", (int)pid, (int)pi.tgid,
		       (int)pi.tgid);
	else if (pi.kthread)
		hk_err("pid %d is a kernel thread", (int)pid);
	else
		return 0;
	return 1;
}

int hk_opts_check(bool need_target)
{
	if (hk_opts.pid && hk_opts.cmd) {
		hk_err("-p PID and -- COMMAND are exclusive");
		return 2;
	}
	if (need_target && !hk_opts.pid && !hk_opts.cmd) {
		hk_err("nothing to trace: give -p PID or -- COMMAND [ARGS...] (see --help)");
		return 2;
	}
	return hk_opts.pid ? hk_check_pid(hk_opts.pid) : 0;
}
