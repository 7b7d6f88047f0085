/* hk_opts.c — the options shared by every tool (see hk_opts.h). */
#include "hk_opts.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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
	argp_err_exit_status = 2; /* like other CLI tools, not EX_USAGE (64) */
	argc = hk_opts_split_command(argc, argv);
	return argp_parse(argp, argc, argv, 0, NULL, NULL);
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
	if (hk_opts.pid && kill(hk_opts.pid, 0) && errno == ESRCH) {
		hk_err("no such process: %d", (int)hk_opts.pid);
		return 1;
	}
	return 0;
}
