// SPDX-License-Identifier: GPL-2.0
/*
 * hakmem-sys — mmap, munmap, madvise, mremap and brk calls and bytes per
 * process, for a command (from its exec to its exit, threads and children
 * included) or a running PID, for any allocator.  With hakmem present, its
 * own calls are attributed by OS-boundary purpose and the rest is shown as
 * "outside".  Also: --compare A.json B.json and --max budgets for CI.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define HK_PROBES_NAMES_ONLY 1
#include "hakmem_probes.h"
#include "sys.h"
#include "sys.skel.h"
#include "hk_bpf.h"
#include "hk_discover.h"
#include "hk_json.h"
#include "hk_opts.h"
#include "hk_target.h"
#include "hk_track.h"
#include "hk_util.h"

#define EXIT_OVER_BUDGET 3

static const char *const call_names[HS_NCALLS] = { "mmap", "munmap", "madvise", "mremap", "brk" };
static const char *const kind_probes[HS_NKINDS] = { "os_map", "os_unmap", "os_advise" };
static const enum hs_call kind_call[HS_NKINDS] = { HS_MMAP, HS_MUNMAP, HS_MADVISE };

enum { OPT_COMPARE = 1000, OPT_MAX };

static struct {
	bool compare;
	const char *files[2];
	int nfiles;
	bool has_max[HS_NCALLS];
	uint64_t max[HS_NCALLS];
} env;

/* One process of the run. */
struct proc_row {
	pid_t pid;
	struct hk_proc info;
	struct hs_stats st;
};

/* Everything the report prints. */
struct report {
	struct proc_row *rows;
	int n;
	struct hs_stats total;
	char lib[PATH_MAX];
	enum hk_lib_source lib_src;
	const struct hk_target *t;
	double secs;
	bool complete; /* ended with the target and its children, not by Ctrl-C or --duration */
	uint64_t dropped; /* events of tracked processes lost: hs_stats was full */
	uint64_t untracked; /* child processes not followed: hk_procs was full */
};

const char *argp_program_version = "hakmem-sys 0.1";
static const char doc[] =
	"Count mmap, munmap, madvise, mremap and brk (calls and bytes) per process,\n"
	"for any allocator; with hakmem present, attribute its own calls by\n"
	"OS-boundary purpose and show the rest as \"outside\".\n"
	"\n"
	"USAGE: hakmem-sys [OPTIONS] -- COMMAND [ARGS...]\n"
	"       hakmem-sys [OPTIONS] -p PID [--duration SECONDS]\n"
	"       hakmem-sys [--json] --compare A.json B.json\n"
	"\n"
	"EXAMPLES:\n"
	"  hakmem-sys -- ./prog arg            # prog, its threads and children\n"
	"  hakmem-sys -- env LD_PRELOAD=lib/libhakmem.so ./prog\n"
	"                                      # + hakmem boundary attribution\n"
	"  hakmem-sys -o report.txt -- ./prog  # report apart from prog's output\n"
	"  hakmem-sys --json -o a.json -- ./prog   # one JSON object\n"
	"  hakmem-sys --compare a.json b.json  # per-syscall reduction A -> B\n"
	"  hakmem-sys --max mmap=100,madvise=0 -- ./prog   # exit 3 if over\n"
	"  hakmem-sys -p 1234 --duration 10    # a running process, 10 s\n"
	"\n"
	"Exit status: the command's, also after Ctrl-C (with -p, 0); 3 when over\n"
	"a --max budget; 1 or 2 on errors; 127 when the command does not exist.\n";

static const struct argp_option options[] = {
	{ "compare", OPT_COMPARE, NULL, 0, "Compare two --json reports A.json B.json (no tracing)", 0 },
	{ "max", OPT_MAX, "SYSCALL=N,...", 0,
	  "Budgets (mmap, munmap, madvise, mremap, brk): exit 3 when a count exceeds one", 0 },
	{ 0 },
};

static int call_index(const char *name, size_t len)
{
	return hk_name_index(call_names, HS_NCALLS, name, len);
}

/* "mmap=10,madvise=0" into env.max; each syscall once. */
static int parse_max(const char *arg)
{
	char buf[256], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) || !hk_list_items_present(buf))
		return -1;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int i = eq ? call_index(tok, (size_t)(eq - tok)) : -1;

		if (i < 0 || env.has_max[i] || hk_parse_u64(eq + 1, &env.max[i]))
			return -1;
		env.has_max[i] = true;
	}
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_COMPARE:
		env.compare = true;
		return 0;
	case OPT_MAX:
		if (parse_max(arg))
			argp_error(state, "invalid --max '%s' (want e.g. mmap=100,madvise=0, each syscall once)", arg);
		return 0;
	case ARGP_KEY_ARG:
		if (!env.compare || env.nfiles >= 2)
			argp_error(state, "unexpected argument: %s (a command goes after --)", arg);
		env.files[env.nfiles++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (env.compare && env.nfiles != 2)
			argp_error(state, "--compare needs two files: A.json B.json");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse_arg,
	.doc = doc,
	.children = hk_common_children,
};

/* ---------------------------------------------------------------- run */

static void stats_add(struct hs_stats *dst, const struct hs_stats *src)
{
	const __u64 *s = (const __u64 *)src;
	__u64 *d = (__u64 *)dst;

	/* hs_stats is an array of __u64 counters, all summed alike. */
	for (size_t i = 0; i < sizeof(*dst) / sizeof(__u64); i++)
		d[i] += s[i];
}

static struct proc_row *row_of(struct report *r, pid_t pid)
{
	struct proc_row *n;

	for (int i = 0; i < r->n; i++)
		if (r->rows[i].pid == pid)
			return &r->rows[i];
	n = realloc(r->rows, (size_t)(r->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	r->rows = n;
	memset(&n[r->n], 0, sizeof(*n));
	n[r->n].pid = pid;
	return &n[r->n++];
}

/* Reads every tracked process and its per-CPU counters (summed) into r. */
static int collect(struct sys_bpf *skel, struct report *r)
{
	int ncpu = hk_ncpus(), pfd = bpf_map__fd(skel->maps.hk_procs);
	int sfd = bpf_map__fd(skel->maps.hs_stats);
	struct hs_stats *percpu = calloc((size_t)ncpu, sizeof(*percpu));
	__u32 key, *prev = NULL;
	struct proc_row *row;

	if (!percpu)
		return -ENOMEM;
	for (prev = NULL; !bpf_map_get_next_key(pfd, prev, &key); prev = &key)
		if ((row = row_of(r, (pid_t)key)))
			hk_track_get(pfd, (pid_t)key, &row->info);
	for (prev = NULL; !bpf_map_get_next_key(sfd, prev, &key); prev = &key) {
		if (bpf_map_lookup_elem(sfd, &key, percpu) || !(row = row_of(r, (pid_t)key)))
			continue;
		for (int c = 0; c < ncpu; c++)
			stats_add(&row->st, &percpu[c]);
	}
	free(percpu);
	for (int i = 0; i < r->n; i++)
		stats_add(&r->total, &r->rows[i].st);
	r->dropped = skel->bss->hs_dropped;
	r->untracked = skel->bss->hk_untracked;
	return 0;
}

static int cmp_rows(const void *a, const void *b)
{
	return ((const struct proc_row *)a)->pid - ((const struct proc_row *)b)->pid;
}

/* Attaches the boundary probes of the library/executable in r->lib. */
static int attach_usdt(struct sys_bpf *skel, struct hk_links *links, const char *lib)
{
	struct bpf_program *progs[HS_NKINDS] = { skel->progs.hs_os_map, skel->progs.hs_os_unmap,
						  skel->progs.hs_os_advise };
	int err;

	for (int k = 0; k < HS_NKINDS; k++) {
		err = hk_usdt_attach(links, progs[k], lib, kind_probes[k]);
		if (err)
			return hk_usdt_attach_fail(kind_probes[k], lib, err);
	}
	return 0;
}

/* Attaches everything and seeds tracking with the target; returns an exit
 * code.  The tracepoints first: a child the target forks from then on is
 * followed in BPF, one forked before is found by the seeding's /proc scan
 * (seeding first left the children forked in between untracked). */
static int attach_all(struct sys_bpf *skel, struct hk_links *links, struct hk_target *t,
		      const struct report *r)
{
	int err = sys_bpf__attach(skel);

	if (err)
		return hk_bpf_fail("attach the syscall tracepoints", err);
	err = hk_target_track(t, bpf_map__fd(skel->maps.hk_procs), &skel->bss->hk_untracked);
	if (err)
		return hk_bpf_fail("track the target", err);
	if (r->lib_src != HK_LIB_NONE)
		return attach_usdt(skel, links, r->lib);
	return 0;
}

/* Starts or opens the target; returns an exit code (0 = go on). */
static int start_target(struct hk_target *t)
{
	if (hk_opts.cmd)
		return hk_target_launch(t, hk_opts.cmd);
	return hk_target_open(t, hk_opts.pid);
}

/* Loads, attaches, runs the target to its end (or Ctrl-C/--duration), collects. */
static int trace(struct report *r, struct hk_target *t)
{
	struct hk_links links = { 0 };
	struct sys_bpf *skel;
	int rc;

	r->lib_src = hk_discover_lib(hk_opts.lib, hk_opts.pid, hk_opts.cmd, r->lib, sizeof(r->lib));
	if (r->lib_src == HK_LIB_ERROR)
		return 1;
	hk_dbg(hk_opts.verbose, "hakmem probes: %s (%s)",
	       r->lib_src ? r->lib : "none", hk_lib_source_name(r->lib_src));
	skel = sys_bpf__open_and_load();
	if (!skel)
		return hk_bpf_fail("load the BPF programs", errno);
	rc = start_target(t);
	if (!rc)
		rc = attach_all(skel, &links, t, r);
	if (rc)
		hk_target_abort(t);
	else if (t->launched)
		rc = hk_target_release(t);
	else /* -p: say when counting starts (scripts wait for this line) */
		hk_err("tracing PID %d and its new children; Ctrl-C to end", (int)t->pid);
	if (!rc) {
		/* Ctrl-C ends the run early even when the command then exits of it */
		r->complete = hk_target_wait(t, hk_opts.duration) && !hk_stopping();
		r->secs = (t->exited || t->end > 0 ? t->end : hk_now()) - t->start;
		rc = collect(skel, r) ? hk_bpf_fail("read the counters", ENOMEM) : 0;
		hk_target_terminate(t); /* --duration: the command does not outlive the run */
	}
	hk_links_destroy(&links);
	sys_bpf__destroy(skel);
	qsort(r->rows, (size_t)r->n, sizeof(*r->rows), cmp_rows);
	return rc;
}

/* ------------------------------------------------------------- report */

static __u64 bnd_calls(const struct hs_stats *s, int kind)
{
	__u64 n = 0;

	for (int p = 0; p < HS_NPURPOSES; p++)
		n += s->bnd_calls[p][kind];
	return n;
}

static __u64 bnd_bytes(const struct hs_stats *s, int kind)
{
	__u64 n = 0;

	for (int p = 0; p < HS_NPURPOSES; p++)
		n += s->bnd_bytes[p][kind];
	return n;
}

/* Boundary calls for a syscall (only mmap/munmap/madvise have probes). */
static __u64 bnd_for_call(const struct hs_stats *s, int call)
{
	for (int k = 0; k < HS_NKINDS; k++)
		if ((int)kind_call[k] == call)
			return bnd_calls(s, k);
	return 0;
}

static int64_t outside(const struct hs_stats *s, int call)
{
	return (int64_t)s->calls[call] - (int64_t)bnd_for_call(s, call);
}

static bool hakmem_seen(const struct report *r)
{
	for (int k = 0; k < HS_NKINDS; k++)
		if (bnd_calls(&r->total, k))
			return true;
	return r->lib_src != HK_LIB_NONE && r->lib_src != HK_LIB_DEFAULT;
}

static void print_command(FILE *f)
{
	if (!hk_opts.cmd) {
		fprintf(f, "pid %d", (int)hk_opts.pid);
		return;
	}
	for (char **a = hk_opts.cmd; *a; a++)
		fprintf(f, "%s%s", a == hk_opts.cmd ? "" : " ", *a);
}

static void print_status(FILE *f, const struct report *r)
{
	const struct hk_target *t = r->t;

	if (t->launched && t->exited)
		fprintf(f, "exit status %d", hk_target_exit_code(t));
	else if (t->exited)
		fprintf(f, "exited");
	else
		fprintf(f, hk_stopping() ? "interrupted, partial" : "still running");
	if (t->exited && !t->done)
		fprintf(f, hk_stopping() ? ", its children interrupted" : ", its children still running");
	fprintf(f, ", %.3f s, %d process%s)\n", r->secs, r->n, r->n == 1 ? "" : "es");
}

static void print_totals(FILE *f, const struct report *r, bool hk)
{
	char b[32];

	fprintf(f, "\n%-10s %10s %12s", "syscall", "calls", "bytes");
	fprintf(f, hk ? " %10s %10s\n" : "\n", "hakmem", "outside");
	for (int c = 0; c < HS_NCALLS; c++) {
		fprintf(f, "%-10s %10llu %12s", call_names[c], (unsigned long long)r->total.calls[c],
			hk_fmt_bytes(r->total.bytes[c], b, sizeof(b)));
		if (hk)
			fprintf(f, " %10llu %10lld", (unsigned long long)bnd_for_call(&r->total, c),
				(long long)outside(&r->total, c));
		fputc('\n', f);
	}
}

static void print_boundary(FILE *f, const struct report *r)
{
	const struct hs_stats *s = &r->total;
	char b[HS_NKINDS][32];

	fprintf(f, "\nhakmem OS boundary (%s, %s):\n", r->lib_src ? r->lib : "?",
		hk_lib_source_name(r->lib_src));
	fprintf(f, "%-10s %8s %8s %8s %12s %12s %12s\n", "purpose", "mmap", "munmap", "madvise",
		"mapped", "unmapped", "advised");
	for (int p = 0; p < HS_NPURPOSES; p++) {
		if (p == HK_PURPOSE_COUNT && !s->bnd_calls[p][0] && !s->bnd_calls[p][1] &&
		    !s->bnd_calls[p][2])
			continue; /* the "unknown" row only when the library sent one */
		for (int k = 0; k < HS_NKINDS; k++)
			hk_fmt_bytes(s->bnd_bytes[p][k], b[k], sizeof(b[k]));
		fprintf(f, "%-10s %8llu %8llu %8llu %12s %12s %12s\n", hk_purpose_name(p),
			(unsigned long long)s->bnd_calls[p][0], (unsigned long long)s->bnd_calls[p][1],
			(unsigned long long)s->bnd_calls[p][2], b[0], b[1], b[2]);
	}
}

static void print_processes(FILE *f, const struct report *r)
{
	fprintf(f, "\n%-8s %-8s %-16s %8s %8s %8s %8s %8s\n", "pid", "ppid", "comm", "mmap", "munmap",
		"madvise", "mremap", "brk");
	for (int i = 0; i < r->n; i++) {
		const struct proc_row *p = &r->rows[i];

		fprintf(f, "%-8d %-8u %-16.16s", (int)p->pid, p->info.ppid, p->info.comm);
		for (int c = 0; c < HS_NCALLS; c++)
			fprintf(f, " %8llu", (unsigned long long)p->st.calls[c]);
		fputc('\n', f);
	}
}

static void print_text(FILE *f, const struct report *r)
{
	bool hk = hakmem_seen(r);

	fprintf(f, "hakmem-sys: ");
	print_command(f);
	fprintf(f, "  (");
	print_status(f, r);
	print_totals(f, r, hk);
	if (hk)
		print_boundary(f, r);
	else
		fprintf(f, "\nno hakmem OS-boundary probes seen (not a hakmem process?)\n");
	print_processes(f, r);
	if (r->dropped)
		fprintf(f, "\nwarning: %llu events lost (more than %d processes)\n",
			(unsigned long long)r->dropped, HK_MAX_PROCS);
	if (r->untracked)
		fprintf(f, "\nwarning: %llu processes not counted (more than %d processes in the run)\n",
			(unsigned long long)r->untracked, HK_MAX_PROCS);
}

static void json_calls(struct hk_json *j, const char *key, const __u64 *v)
{
	hk_json_obj_begin(j, key);
	for (int c = 0; c < HS_NCALLS; c++)
		hk_json_u64(j, call_names[c], v[c]);
	hk_json_obj_end(j);
}

/* {"mmap":N,"munmap":N,"madvise":N} from one row of boundary counters. */
static void json_kinds(struct hk_json *j, const char *key, const __u64 *v)
{
	hk_json_obj_begin(j, key);
	for (int k = 0; k < HS_NKINDS; k++)
		hk_json_u64(j, call_names[kind_call[k]], v[k]);
	hk_json_obj_end(j);
}

static void json_boundary(struct hk_json *j, const struct report *r)
{
	const struct hs_stats *s = &r->total;
	__u64 calls[HS_NKINDS], bytes[HS_NKINDS];

	hk_json_obj_begin(j, "boundary");
	hk_json_str(j, "library", r->lib_src ? r->lib : NULL);
	hk_json_str(j, "source", hk_lib_source_name(r->lib_src));
	hk_json_obj_begin(j, "purposes");
	for (int p = 0; p < HS_NPURPOSES; p++) {
		hk_json_obj_begin(j, hk_purpose_name(p));
		json_kinds(j, "calls", s->bnd_calls[p]);
		json_kinds(j, "bytes", s->bnd_bytes[p]);
		hk_json_obj_end(j);
	}
	hk_json_obj_end(j);
	for (int k = 0; k < HS_NKINDS; k++) {
		calls[k] = bnd_calls(s, k);
		bytes[k] = bnd_bytes(s, k);
	}
	json_kinds(j, "total", calls);
	json_kinds(j, "bytes", bytes);
	hk_json_obj_begin(j, "outside");
	for (int c = 0; c < HS_NCALLS; c++)
		hk_json_i64(j, call_names[c], outside(s, c));
	hk_json_obj_end(j);
	hk_json_obj_end(j);
}

static void json_processes(struct hk_json *j, const struct report *r)
{
	char pid[16];

	hk_json_obj_begin(j, "processes");
	for (int i = 0; i < r->n; i++) {
		const struct proc_row *p = &r->rows[i];

		snprintf(pid, sizeof(pid), "%d", (int)p->pid);
		hk_json_obj_begin(j, pid);
		hk_json_u64(j, "ppid", p->info.ppid);
		hk_json_str(j, "comm", p->info.comm);
		json_calls(j, "calls", p->st.calls);
		json_calls(j, "bytes", p->st.bytes);
		hk_json_obj_end(j);
	}
	hk_json_obj_end(j);
}

static void print_json(FILE *f, const struct report *r)
{
	const struct hk_target *t = r->t;
	struct hk_json j;

	hk_json_init(&j, f);
	hk_json_obj_begin(&j, NULL);
	hk_json_arr_begin(&j, "command");
	for (char **a = hk_opts.cmd; a && *a; a++)
		hk_json_str(&j, NULL, *a);
	hk_json_arr_end(&j);
	hk_json_i64(&j, "pid", t->pid);
	if (t->launched && t->exited)
		hk_json_i64(&j, "exit_status", hk_target_exit_code(t));
	else
		hk_json_null(&j, "exit_status");
	hk_json_bool(&j, "complete", r->complete);
	hk_json_double(&j, "duration_s", r->secs);
	json_calls(&j, "total", r->total.calls);
	json_calls(&j, "bytes", r->total.bytes);
	json_processes(&j, r);
	json_boundary(&j, r);
	hk_json_u64(&j, "lost_events", r->dropped);
	hk_json_u64(&j, "untracked_processes", r->untracked);
	hk_json_obj_end(&j);
	hk_json_finish(&j);
}

/* Into f, opened before the run (a bad -o path must not cost the run), and closed. */
static int write_report(const struct report *r, FILE *f)
{
	if (hk_opts.json)
		print_json(f, r);
	else
		print_text(f, r);
	return hk_close_output(f) ? 1 : 0;
}

/* Names every exceeded budget on stderr; true when one was. */
static bool over_budget(const struct report *r)
{
	bool over = false;

	for (int c = 0; c < HS_NCALLS; c++) {
		if (!env.has_max[c] || r->total.calls[c] <= env.max[c])
			continue;
		hk_err("over budget: %s %llu > %llu", call_names[c],
		       (unsigned long long)r->total.calls[c], (unsigned long long)env.max[c]);
		over = true;
	}
	return over;
}

/* ------------------------------------------------------------ compare */

struct side {
	const char *file;
	struct hk_jv *doc;
	uint64_t calls[HS_NCALLS + 1]; /* per syscall, then their total */
};

/* The count "total".name of a report: a whole number from 0 to 2^53 (the
 * largest a double holds exactly), as hakmem-sys writes it. */
static int read_count(struct side *s, const struct hk_jv *total, int c)
{
	const struct hk_jv *v = hk_jv_get(total, call_names[c]);

	if (!v || v->type != HK_JNUM || !(v->num >= 0) || v->num > 9007199254740992.0 ||
	    v->num != (double)(uint64_t)v->num) {
		hk_err("%s: \"total\".%s is %s, not a count of calls", s->file, call_names[c],
		       v ? "invalid" : "missing");
		return 1;
	}
	s->calls[c] = (uint64_t)v->num;
	s->calls[HS_NCALLS] += s->calls[c];
	return 0;
}

static int load_side(struct side *s, const char *file)
{
	const struct hk_jv *total;
	char err[256];

	s->file = file;
	s->doc = hk_json_parse_file(file, err, sizeof(err));
	if (!s->doc) {
		hk_err("%s: %s", file, err);
		return 1;
	}
	total = hk_jv_get(s->doc, "total");
	if (!total || total->type != HK_JOBJ) {
		hk_err("%s: not a hakmem-sys --json report (no \"total\" object)", file);
		return 1;
	}
	for (int c = 0; c < HS_NCALLS; c++)
		if (read_count(s, total, c))
			return 1;
	return 0;
}

/* Reduction from a to b in % (positive: fewer calls in B); NAN when a is 0. */
static double reduction(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b == 0 ? 0 : NAN;
	return ((double)a - (double)b) * 100.0 / (double)a;
}

static const char *row_name(int c)
{
	return c < HS_NCALLS ? call_names[c] : "total";
}

static void compare_text(FILE *f, const struct side *a, const struct side *b)
{
	fprintf(f, "A: %s\nB: %s\n\n%-10s %12s %12s %10s\n", a->file, b->file, "syscall", "A", "B",
		"reduction");
	for (int c = 0; c <= HS_NCALLS; c++) {
		double red = reduction(a->calls[c], b->calls[c]);

		fprintf(f, "%-10s %12llu %12llu ", row_name(c), (unsigned long long)a->calls[c],
			(unsigned long long)b->calls[c]);
		if (isnan(red))
			fprintf(f, "%10s\n", "new");
		else
			fprintf(f, "%9.1f%%\n", red);
	}
}

static void compare_json(FILE *f, const struct side *a, const struct side *b)
{
	struct hk_json j;

	hk_json_init(&j, f);
	hk_json_obj_begin(&j, NULL);
	hk_json_str(&j, "a", a->file);
	hk_json_str(&j, "b", b->file);
	hk_json_obj_begin(&j, "syscalls");
	for (int c = 0; c <= HS_NCALLS; c++) {
		hk_json_obj_begin(&j, row_name(c));
		hk_json_u64(&j, "a", a->calls[c]);
		hk_json_u64(&j, "b", b->calls[c]);
		hk_json_double(&j, "reduction_pct", reduction(a->calls[c], b->calls[c]));
		hk_json_obj_end(&j);
	}
	hk_json_obj_end(&j);
	hk_json_obj_end(&j);
	hk_json_finish(&j);
}

/* --compare reads two reports and traces nothing: an option that only
 * means something to a trace (a --max gate above all) must not pass
 * unnoticed. */
static bool trace_options_given(void)
{
	bool any_max = false;

	for (int c = 0; c < HS_NCALLS; c++)
		any_max |= env.has_max[c];
	return any_max || hk_opts.cmd || hk_opts.pid || hk_opts.lib || hk_opts.duration > 0;
}

static int compare(void)
{
	struct side a = { 0 }, b = { 0 };
	int rc = load_side(&a, env.files[0]) || load_side(&b, env.files[1]);
	FILE *f = rc ? NULL : hk_open_output(hk_opts.output);

	if (f) {
		if (hk_opts.json)
			compare_json(f, &a, &b);
		else
			compare_text(f, &a, &b);
		rc = hk_close_output(f) ? 1 : 0;
	} else {
		rc = 1;
	}
	hk_jv_free(a.doc);
	hk_jv_free(b.doc);
	return rc;
}

/* --------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	struct report r = { 0 };
	struct hk_target t = { .pid = 0, .pidfd = -1, .go_fd = -1, .err_fd = -1, .procs_fd = -1 };
	FILE *out;
	int rc;

	hk_set_progname("hakmem-sys");
	if (hk_opts_parse(&argp, argc, argv))
		return 2;
	if (env.compare && trace_options_given()) {
		hk_err("--compare reads two reports; it takes only --json and -o");
		return 2;
	}
	if (env.compare)
		return compare();
	rc = hk_opts_check(true);
	if (!rc)
		rc = hk_check_privilege();
	if (!rc && hk_opts.cmd)
		rc = hk_target_check_command(hk_opts.cmd);
	if (rc)
		return rc;
	out = hk_open_output(hk_opts.output);
	if (!out)
		return 1;
	hk_libbpf_setup(hk_opts.verbose);
	hk_signals_install();
	r.t = &t;
	rc = trace(&r, &t);
	hk_target_close(&t);
	if (!rc)
		rc = write_report(&r, out);
	else
		hk_close_output(out);
	if (!rc)
		rc = over_budget(&r) ? EXIT_OVER_BUDGET : hk_target_exit_code(&t);
	free(r.rows);
	return rc;
}
