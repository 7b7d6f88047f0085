// SPDX-License-Identifier: GPL-2.0
/*
 * hakmem-top — a live view of every process that uses hakmem: refills,
 * drains, remote frees, arena grows and OS-boundary calls per second,
 * remote-queue depths, arena / mapped / resident bytes, and the tool's own
 * BPF cost.  The USDT probes are attached to the library's file for all
 * processes (pid -1), so processes that start later appear by themselves.
 * Interactive (ncurses) by default; -b text or --json JSON Lines for scripts.
 *
 * The pieces: tools/top/ht_collect (maps -> per-interval rows), ht_cols (the
 * column table), ht_report (batch output), ht_screen (the full screen),
 * ht_procfs (/proc); this file: options, BPF set-up and the main loop.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "top.skel.h"
#include "hk_bpf.h"
#include "hk_discover.h"
#include "hk_opts.h"
#include "hk_target.h"
#include "hk_util.h"
#include "top/ht_collect.h"
#include "top/ht_cols.h"
#include "top/ht_report.h"
#include "top/ht_screen.h"

enum { OPT_SORT = 0x200 };

static struct {
	double delay; /* -d */
	bool batch; /* -b */
	uint64_t count; /* -n; 0: until stopped */
	int sort_col;
	pid_t pids[HT_MAX_PIDS]; /* -p */
	int npids;
	int nargs; /* positional [delay [count]] seen */
} env = { .delay = 1.0, .sort_col = HT_COL_DEFAULT_SORT };

const char *argp_program_version = "hakmem-top 0.1";
static const char doc[] =
	"hakmem-top — live view of every process using hakmem.\n"
	"\n"
	"Per process: refills, drains, remote frees, arena grows, mmap/munmap/madvise\n"
	"through hakmem's OS boundary (per second), remote-queue depth (deepest queue\n"
	"now, max in the interval, peak), arena, mapped and resident bytes.  Only\n"
	"events after hakmem-top attached are seen.\n"
	"\v"
	"Keys (full screen): q quit, < > or s change the sort column, i invert the\n"
	"order, space pause, r reset QPEAK.  NO_COLOR disables colours.\n"
	"\n"
	"EXAMPLES:\n"
	"  hakmem-top                      # full screen, refresh every second\n"
	"  hakmem-top -d 0.5 --sort RFREE  # refresh twice a second, by remote frees\n"
	"  hakmem-top -b -n 5              # five text reports, then exit\n"
	"  hakmem-top --json -d 0.2 -o top.jsonl   # JSON Lines for scripts\n"
	"  hakmem-top -L /opt/lib/libhakmem.so     # another copy of the library\n"
	"  hakmem-top -p 1234,1240         # also statically linked hakmem programs\n"
	"  hakmem-top -b -- env LD_PRELOAD=lib/libhakmem.so ./app   # until app exits\n"
	"\n"
	"Exit status: 0, also after Ctrl-C; with -- COMMAND, the command's status;\n"
	"1 on errors (no such process, no privilege), 2 on usage errors.\n";

static const struct argp_option options[] = {
	{ "delay", 'd', "SECONDS", 0, "Refresh every SECONDS (default 1)", 0 },
	{ "batch", 'b', NULL, 0, "Plain text reports instead of the full screen", 0 },
	{ "iterations", 'n', "N", 0, "Stop after N intervals", 0 },
	{ "sort", OPT_SORT, "COLUMN", 0, "Sort by COLUMN (PID, COMM, REFILL, DRAIN, RFREE, QNOW, QMAX, "
	  "QPEAK, GROW, ARENA, WALK, MMAP, MUNMAP, MADV, MAPPED, RSS; default REFILL)", 0 },
	{ "pid", 'p', "PID[,PID...]", 0,
	  "Also watch these processes (statically linked hakmem programs)", 0 },
	{ 0 },
};

static error_t parse_pids(char *arg, struct argp_state *state)
{
	char *save = NULL;

	if (!hk_list_items_present(arg))
		argp_error(state, "invalid PID list: '%s'", arg);
	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (hk_parse_u64(tok, &v) || v == 0 || v > 0x3fffffff)
			argp_error(state, "invalid PID: %s", tok);
		if (env.npids == HT_MAX_PIDS)
			argp_error(state, "too many PIDs (at most %d)", HT_MAX_PIDS);
		env.pids[env.npids++] = (pid_t)v;
	}
	return 0;
}

static error_t parse_positional(char *arg, struct argp_state *state)
{
	if (env.nargs == 0 && hk_parse_seconds(arg, &env.delay))
		argp_error(state, "invalid delay: %s", arg);
	if (env.nargs == 1 && (hk_parse_u64(arg, &env.count) || !env.count))
		argp_error(state, "invalid count: %s", arg);
	if (env.nargs >= 2)
		argp_error(state, "unexpected argument: %s", arg);
	env.nargs++;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'd':
		if (hk_parse_seconds(arg, &env.delay))
			argp_error(state, "invalid delay: %s", arg);
		return 0;
	case 'b':
		env.batch = true;
		return 0;
	case 'n':
		if (hk_parse_u64(arg, &env.count) || !env.count)
			argp_error(state, "invalid count: %s", arg);
		return 0;
	case OPT_SORT:
		env.sort_col = ht_col_find(arg);
		if (env.sort_col < 0)
			argp_error(state, "unknown column: %s", arg);
		return 0;
	case 'p':
		return parse_pids(arg, state);
	case ARGP_KEY_ARG:
		return parse_positional(arg, state);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The common options, with their single -p hidden: ours takes a list. */
static struct argp common_child(void)
{
	static struct argp_option opts[32];
	struct argp child = hk_common_argp;
	int n = 0;

	for (const struct argp_option *o = hk_common_argp.options; o->name || o->key; o++) {
		if (n == (int)(sizeof(opts) / sizeof(opts[0])) - 1)
			break;
		opts[n] = *o;
		if (o->key == 'p')
			opts[n].flags |= OPTION_HIDDEN;
		n++;
	}
	child.options = opts;
	return child;
}

static int parse_args(int argc, char **argv)
{
	struct argp child = common_child();
	struct argp_child children[] = { { &child, 0, NULL, 0 }, { 0 } };
	const struct argp argp = {
		.options = options,
		.parser = parse_arg,
		.args_doc = "[DELAY [COUNT]] [-- COMMAND [ARGS...]]",
		.doc = doc,
		.children = children,
	};

	return hk_opts_parse(&argp, argc, argv) ? 2 : 0;
}

/* Everything the run holds, released by cleanup(). */
static struct {
	struct top_bpf *skel;
	struct hk_links links;
	struct hk_target target;
	bool have_target;
	int stats_fd;
	FILE *out;
	struct ht_collector col;
	char files[HT_MAX_FILES][PATH_MAX];
	struct ht_file_id file_ids[HT_MAX_FILES]; /* taken when added: a map_files link dies with its process */
	int nfiles;
} run = { .stats_fd = -1 };

static const char *const probes[] = { "refill_done", "drain", "remote_push", "arena_grow", "arena_release",
				      "reclaim_done", "thread_exit", "os_map", "os_unmap", "os_advise" };

static struct bpf_program *prog_of(int i)
{
	struct bpf_program *p[] = { run.skel->progs.ht_refill_done, run.skel->progs.ht_drain,
				    run.skel->progs.ht_remote_push, run.skel->progs.ht_arena_grow,
				    run.skel->progs.ht_arena_release, run.skel->progs.ht_reclaim_done,
				    run.skel->progs.ht_thread_exit, run.skel->progs.ht_os_map, run.skel->progs.ht_os_unmap,
				    run.skel->progs.ht_os_advise };

	return p[i];
}

#define NPROBES ((int)(sizeof(probes) / sizeof(probes[0])))

/* Adds a probed file once: by inode, since two paths may name one file (a
 * library deleted since it was mapped is named by each process's own
 * /proc/PID/map_files link), and probes attached twice count twice. */
static void add_file(const char *path)
{
	struct ht_file_id id;

	if (ht_file_id_of(path, &id))
		return;
	for (int i = 0; i < run.nfiles; i++)
		if (run.file_ids[i].dev == id.dev && run.file_ids[i].ino == id.ino)
			return;
	if (run.nfiles == HT_MAX_FILES)
		return;
	run.file_ids[run.nfiles] = id;
	snprintf(run.files[run.nfiles++], PATH_MAX, "%s", path);
}

/* The files to attach to: --lib or the default library, each -p PID's
 * library or executable, the command's LD_PRELOAD or executable. */
static int find_files(void)
{
	char path[PATH_MAX];
	enum hk_lib_source src = hk_discover_lib(hk_opts.lib, 0, NULL, path, sizeof(path));

	if (src == HK_LIB_ERROR)
		return 1;
	if (src != HK_LIB_NONE)
		add_file(path);
	for (int i = 0; i < env.npids; i++) {
		src = hk_discover_lib(NULL, env.pids[i], NULL, path, sizeof(path));
		if (src == HK_LIB_ERROR)
			return 1;
		if (src != HK_LIB_MAPPED && src != HK_LIB_STATIC) {
			hk_err("process %d does not use hakmem (no libhakmem mapped, no hakmem probes "
			       "in its executable)", (int)env.pids[i]);
			return 1;
		}
		add_file(path);
	}
	if (hk_opts.cmd && hk_discover_lib(NULL, 0, hk_opts.cmd, path, sizeof(path)) != HK_LIB_NONE)
		add_file(path);
	if (run.nfiles)
		return 0;
	hk_err("cannot find libhakmem.so (build it with make, or give --lib PATH)");
	return 1;
}

static int check_pids(void)
{
	for (int i = 0; i < env.npids; i++)
		if (hk_check_pid(env.pids[i]))
			return 1;
	return 0;
}

/* Attaches every probe in file f; those it lacks (a hakmem older than the
 * tool) are named in one line, and their counts stay 0. */
static int attach_file(int f)
{
	char missing[256] = "";

	for (int i = 0; i < NPROBES; i++) {
		int err = hk_usdt_attach(&run.links, prog_of(i), run.files[f], probes[i]);

		if (err == -ENOENT) {
			hk_list_append(missing, sizeof(missing), probes[i]);
			continue;
		}
		if (err)
			return hk_usdt_attach_fail(probes[i], run.files[f], err);
	}
	if (missing[0])
		hk_err("%s has no hakmem probe %s: those counts stay 0", run.files[f], missing);
	return 0;
}

static int attach_all(void)
{
	for (int f = 0; f < run.nfiles; f++) {
		int rc = attach_file(f);

		if (rc)
			return rc;
	}
	return 0;
}

static int setup_collector(void)
{
	struct ht_collector *c = &run.col;
	int err;

	c->counts_fd = bpf_map__fd(run.skel->maps.ht_counts);
	c->comms_fd = bpf_map__fd(run.skel->maps.ht_comms);
	c->queues_fd = bpf_map__fd(run.skel->maps.ht_queues);
	c->heaps_fd = bpf_map__fd(run.skel->maps.ht_heaps);
	c->orphans_fd = bpf_map__fd(run.skel->maps.ht_orphans);
	c->gen = &run.skel->bss->ht_gen;
	c->dropped = &run.skel->bss->ht_dropped;
	for (int i = 0; i < NPROBES; i++)
		c->prog_fds[c->nprogs++] = bpf_program__fd(prog_of(i));
	memcpy(c->files, run.file_ids, sizeof(run.file_ids));
	c->nfiles = run.nfiles;
	memcpy(c->pids, env.pids, sizeof(env.pids));
	c->npids = env.npids;
	if (run.have_target && c->npids < HT_MAX_PIDS)
		c->pids[c->npids++] = run.target.pid;
	err = ht_collect_init(c);
	return err ? hk_bpf_fail("read the CPU count", err) : 0;
}

/* Loads and attaches the BPF side; a launched command is released after. */
static int setup_bpf(void)
{
	int err;

	hk_libbpf_setup(hk_opts.verbose);
	run.skel = top_bpf__open();
	if (!run.skel)
		return hk_bpf_fail("open BPF programs", -errno);
	err = top_bpf__load(run.skel);
	if (err)
		return hk_bpf_fail("load BPF programs", err);
	err = attach_all();
	if (err)
		return err;
	/* Run-time stats only while we run: the fd keeps them on until closed. */
	run.stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (run.stats_fd < 0)
		hk_dbg(hk_opts.verbose, "BPF run-time stats unavailable: %s", strerror(errno));
	for (int i = 0; i < run.nfiles; i++)
		hk_dbg(hk_opts.verbose, "attached to %s", run.files[i]);
	return setup_collector();
}

/* Returns -1 when the report could not be written whole (said already). */
static int cleanup(void)
{
	int werr = 0;

	ht_screen_close();
	hk_links_destroy(&run.links);
	top_bpf__destroy(run.skel);
	run.skel = NULL;
	if (run.stats_fd >= 0)
		close(run.stats_fd);
	run.stats_fd = -1;
	ht_collect_free(&run.col);
	if (run.have_target)
		hk_target_close(&run.target);
	if (run.out)
		werr = hk_close_output(run.out);
	run.out = NULL;
	return werr;
}

enum wake { WAKE_TICK, WAKE_INPUT, WAKE_EXIT, WAKE_STOP };

/* Sleeps until deadline, a key, the command's exit or a stop signal. */
static enum wake wait_until(double deadline, bool keys)
{
	for (;;) {
		struct pollfd p[2];
		double left = deadline - hk_now();
		int n = 0, r;

		if (hk_stopping())
			return WAKE_STOP;
		if (left <= 0)
			return WAKE_TICK;
		if (keys)
			p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		if (run.have_target && run.target.pidfd >= 0)
			p[n++] = (struct pollfd){ .fd = run.target.pidfd, .events = POLLIN };
		r = poll(p, n, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			return WAKE_INPUT; /* e.g. SIGWINCH: ncurses queued a KEY_RESIZE */
		for (int i = 0; r > 0 && i < n; i++) {
			if (!p[i].revents)
				continue;
			return p[i].fd == STDIN_FILENO ? WAKE_INPUT : WAKE_EXIT;
		}
	}
}

struct loop {
	bool screen; /* full screen, else batch text or JSON */
	struct ht_view view;
	struct ht_snapshot *last; /* the latest interval (NULL before the first) */
	uint64_t done; /* intervals shown */
	double end; /* --duration deadline (0: none) */
};

static void show(struct loop *l, struct ht_snapshot *s)
{
	l->last = s;
	l->done++;
	if (l->screen)
		ht_screen_draw(l->last, &l->view, env.delay);
	else if (hk_opts.json)
		ht_report_json(run.out, s);
	else {
		ht_sort(s->rows, s->n, l->view.sort_col, l->view.reverse);
		ht_report_text(run.out, s);
	}
}

/* Takes and shows one interval; false when it could not be collected. */
static bool sample(struct loop *l)
{
	struct ht_snapshot *s = ht_collect_sample(&run.col);

	if (!s) {
		hk_err("out of memory");
		return false;
	}
	show(l, s);
	return true;
}

/* Keys pressed on the full screen; false to quit. */
static bool on_keys(struct loop *l)
{
	switch (ht_screen_keys(&l->view)) {
	case HT_ACT_QUIT:
		return false;
	case HT_ACT_RESET:
		ht_collect_reset_peaks(&run.col);
		if (l->last)
			for (int i = 0; i < l->last->n; i++)
				l->last->rows[i].depth_peak = 0;
		ht_screen_draw(l->last, &l->view, env.delay);
		return true;
	case HT_ACT_REDRAW:
		ht_screen_draw(l->last, &l->view, env.delay);
		return true;
	default:
		return true;
	}
}

/* The next refresh, or the --duration deadline when it comes first. */
static double next_deadline(const struct loop *l, double tick)
{
	return l->end > 0 && l->end < tick ? l->end : tick;
}

/* Runs until q, -n N intervals, --duration, the command's exit or a signal.
 * Batch output ends with the partial last interval, so that no event seen is lost. */
static int main_loop(struct loop *l)
{
	double tick = hk_now() + env.delay;

	for (;;) {
		double deadline = next_deadline(l, tick);

		switch (wait_until(deadline, l->screen)) {
		case WAKE_INPUT:
			if (l->screen && !on_keys(l))
				return 0;
			continue;
		case WAKE_EXIT:
		case WAKE_STOP:
			return l->screen || sample(l) ? 0 : 1;
		case WAKE_TICK:
			break;
		}
		if (l->end > 0 && hk_now() >= l->end)
			return l->screen || sample(l) ? 0 : 1;
		tick += env.delay;
		if (tick < hk_now())
			tick = hk_now() + env.delay; /* we were suspended: do not catch up */
		if (l->view.paused)
			continue;
		if (!sample(l))
			return 1;
		if (env.count && l->done >= env.count)
			return 0;
	}
}

/* A launched command: stopped if still running when we quit, then reaped. */
static int finish_target(void)
{
	if (!run.have_target)
		return 0;
	hk_target_wait(&run.target, 0.001);
	hk_target_terminate(&run.target);
	return hk_target_exit_code(&run.target);
}

static int start_target(void)
{
	int err = hk_target_check_command(hk_opts.cmd);

	if (err)
		return err;
	err = hk_target_launch(&run.target, hk_opts.cmd);
	if (err)
		return err;
	run.have_target = true;
	return 0;
}

static int setup(void)
{
	int err;

	if (hk_check_privilege() || check_pids() || find_files())
		return 1;
	/* the command is checked first: a typo leaves an old report as it was */
	if (hk_opts.cmd && (err = start_target()))
		return err;
	run.out = hk_open_output(hk_opts.output);
	err = run.out ? setup_bpf() : 1;
	if (err) {
		if (run.have_target)
			hk_target_abort(&run.target);
		return err;
	}
	return run.have_target ? hk_target_release(&run.target) : 0;
}

int main(int argc, char **argv)
{
	struct loop l = { .view = { .sort_col = 0 } };
	int err, status;

	hk_set_progname("hakmem-top");
	err = parse_args(argc, argv);
	if (err)
		return err;
	l.view.sort_col = env.sort_col;
	/* a terminal that cannot move the cursor gets what a pipe gets */
	l.screen = !env.batch && !hk_opts.json &&
		   (!hk_opts.output || !strcmp(hk_opts.output, "-")) && isatty(STDOUT_FILENO) &&
		   ht_screen_usable();
	if (hk_signals_install() < 0) {
		hk_err("cannot install signal handlers");
		return 1;
	}
	err = setup();
	if (err) {
		cleanup();
		return err;
	}
	if (hk_opts.duration > 0)
		l.end = hk_now() + hk_opts.duration;
	if (l.screen && ht_screen_open()) {
		cleanup();
		return 1;
	}
	ht_screen_draw(NULL, &l.view, env.delay);
	err = main_loop(&l);
	ht_screen_close();
	status = finish_target();
	if (cleanup() && !err)
		err = 1;
	return err ? err : status;
}
