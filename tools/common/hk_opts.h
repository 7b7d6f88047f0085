/*
 * hk_opts.h — the options every hakmem tool shares, with the same letters in
 * each tool:
 *   -p PID        attach to a running process (and the children it creates)
 *   -v            libbpf debug output
 *   -j, --json    one JSON object (or JSON Lines when periodic)
 *   -o FILE       write the report to FILE (the command's output stays apart)
 *   -L, --lib P   hakmem library (or statically linked executable) to probe
 *   --duration S  stop after S seconds (no letter: -d is hakmem-top's refresh delay)
 *   -h, --help
 *   -- COMMAND ARGS... launch COMMAND, attached before it execs
 * Tools add their own options in their own argp and include hk_common_argp
 * as a child: .children = (struct argp_child[]){ {&hk_common_argp, 0, NULL, 0}, {0} }.
 * Letters taken here: p v j o L h.  Do not reuse them for something else.
 */
#ifndef HK_OPTS_H
#define HK_OPTS_H

#include <argp.h>
#include <stdbool.h>
#include <sys/types.h>

struct hk_opts {
	pid_t pid; /* -p PID; 0 when none */
	bool verbose; /* -v */
	bool json; /* -j/--json */
	const char *output; /* -o FILE; NULL means stdout */
	const char *lib; /* -L/--lib PATH; NULL means discover */
	double duration; /* -d/--duration seconds; 0 means until exit/Ctrl-C */
	char **cmd; /* argv after "--" (NULL-terminated); NULL when none */
};

/* Filled by hk_common_argp and hk_opts_split_command. */
extern struct hk_opts hk_opts;

/* The argp child parsing the options above (add it to the tool's children). */
extern const struct argp hk_common_argp;
/* The children list of a tool that adds nothing else: .children = hk_common_children. */
extern const struct argp_child hk_common_children[];

/* Cuts argv at the first "--": stores the rest in hk_opts.cmd and returns the new argc for argp_parse. */
int hk_opts_split_command(int argc, char **argv);

/* Splits off "-- COMMAND", then argp_parse()s the rest (usage errors exit 2,
 * a "--" with nothing after it too); returns argp_parse's result. */
int hk_opts_parse(const struct argp *argp, int argc, char **argv);

/* After argp_parse: checks that exactly one of -p PID / -- COMMAND was given
 * (need_target) or at most one (!need_target), and that PID is a live
 * user-space process given by its process id (not a zombie, a thread id or a
 * kernel thread).  Prints a one-line error and returns the exit code (2 usage,
 * 1 a PID that cannot be traced), 0 when fine. */
int hk_opts_check(bool need_target);
/* Whether pid is a live user-space process other than this tool, named by
 * its pid (not a thread id): 0, else 1 with a one-line error. */
int hk_check_pid(pid_t pid);

#endif
