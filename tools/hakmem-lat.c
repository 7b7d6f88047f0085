// SPDX-License-Identifier: GPL-2.0
/*
 * hakmem-lat — log2 latency histograms of hakmem's slow paths (cold start,
 * refill, remote drain, arena grow; timed per thread from the paired USDT
 * probes) and of mmap/munmap/madvise (syscall tracepoints), for a command
 * from its exec, or a running PID.  Text like runqlat, --json, --svg FILE.
 *
 * The file has four parts: options, tracing (BPF set-up and reading the
 * histograms), the text/JSON report, and the SVG picture.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define HK_PROBES_NAMES_ONLY 1
#include "hakmem_probes.h"
#include "lat.h"
#include "lat.skel.h"
#include "hk_bpf.h"
#include "hk_discover.h"
#include "hk_hist.h"
#include "hk_json.h"
#include "hk_opts.h"
#include "hk_target.h"
#include "hk_track_types.h"
#include "hk_util.h"

#define ALL_EVENTS ((1u << HL_NEVENTS) - 1)
#define HAKMEM_EVENTS ((1u << HL_COLD) | (1u << HL_REFILL) | (1u << HL_DRAIN) | (1u << HL_GROW) | (1u << HL_RECLAIM))
#define SYSCALL_EVENTS ((1u << HL_MAP) | (1u << HL_UNMAP) | (1u << HL_ADVISE))
#define FLIP_SETTLE_US 10000 /* after a generation flip: programs in flight finish */

static const char *const event_names[HL_NEVENTS] = { "cold", "refill", "drain", "grow", "reclaim",
						     "map", "unmap", "advise" };
static const char *const event_titles[HL_NEVENTS] = {
	"cold start", "refill", "remote drain", "arena grow", "reclaim walk", "mmap(2)", "munmap(2)", "madvise(2)",
};
static const char *const event_spans[HL_NEVENTS] = {
	"cold_start -> cold_done",
	"refill_start -> refill_done",
	"refill_start -> refill_done, refills that drained",
	"arena_grow_start -> arena_grow",
	"reclaim_start -> reclaim_done",
	"sys_enter -> sys_exit",
	"sys_enter -> sys_exit",
	"sys_enter -> sys_exit",
};
static const char *const tier_names[HK_TIER_COUNT] = { "tiny", "pool", "large" };

enum { OPT_SVG = 1000 };

static struct {
	__u32 events; /* bit per enum hl_event */
	bool events_given; /* -e: every event asked for must be there */
	bool by_tier, by_class;
	const char *unit; /* display unit of the text report */
	double div; /* ns per display unit */
	const char *svg;
	double interval; /* seconds; 0: one report at the end */
	uint64_t count; /* intervals; 0: until the end */
	int nargs;
} env = { .events = ALL_EVENTS, .unit = "us", .div = 1e3 };

/* ------------------------------------------------------------ options */

const char *argp_program_version = "hakmem-lat 0.1";
static const char doc[] =
	"Latency histograms of hakmem's slow paths and of mmap/munmap/madvise.\n"
	"\n"
	"USAGE: hakmem-lat [OPTIONS] [INTERVAL [COUNT]] -- COMMAND [ARGS...]\n"
	"       hakmem-lat [OPTIONS] -p PID [INTERVAL [COUNT]]\n"
	"\n"
	"Events (-e, comma separated; default all):\n"
	"  cold    a thread's first allocation of a class: cold_start -> cold_done\n"
	"  refill  a thread cache refill: refill_start -> refill_done\n"
	"  drain   refills that drained the remote queue (drain fired inside)\n"
	"  grow    arena growth (pool arenas, large-tier run chunks): arena_grow_start -> arena_grow\n"
	"  reclaim a heap's walk of its free lists for what sits wholly free: reclaim_start -> reclaim_done\n"
	"  map, unmap, advise   mmap/munmap/madvise(2) of the traced processes, any caller\n"
	"Buckets are (2^(k-1), 2^k] ns (Prometheus le=2^k); pNN are interpolated inside\n"
	"their bucket and never above the exact max.\n"
	"\n"
	"EXAMPLES:\n"
	"    hakmem-lat -- ./prog                   # all events, one report at exit\n"
	"    hakmem-lat -e cold,refill -C -- ./prog # per tier and size class\n"
	"    hakmem-lat -u ns --json -o lat.json -- ./prog\n"
	"    hakmem-lat --svg lat.svg -- ./prog     # plus a picture\n"
	"    hakmem-lat -p 1234 1 10                # a running process, 10 x 1 s\n"
	"\n"
	"Exit status: the command's, also after Ctrl-C (with -p, 0); 1/2 on errors,\n"
	"127 when the command does not exist.\n";

static const struct argp_option options[] = {
	{ "events", 'e', "LIST", 0, "Events: cold,refill,drain,grow,reclaim,map,unmap,advise (default all)", 0 },
	{ "per-tier", 'T', NULL, 0, "Histograms per tier too", 0 },
	{ "per-class", 'C', NULL, 0, "Histograms per tier and size class too", 0 },
	{ "unit", 'u', "UNIT", 0, "Text unit: ns, us (default) or ms", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "Also draw the histograms (whole run) into FILE (SVG)", 0 },
	{ 0 },
};

static int event_index(const char *name, size_t len)
{
	return hk_name_index(event_names, HL_NEVENTS, name, len);
}

/* "cold,refill" into a mask; 0 on junk. */
static __u32 parse_events(const char *arg)
{
	__u32 mask = 0;

	if (!hk_list_items_present(arg))
		return 0;
	for (const char *p = arg; *p;) {
		size_t n = strcspn(p, ",");
		int e = event_index(p, n);

		if (e < 0)
			return 0;
		mask |= 1u << e;
		p += n + (p[n] == ',');
	}
	return mask;
}

static int parse_unit(const char *arg)
{
	static const struct { const char *name; double div; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(arg, units[i].name))
			continue;
		env.unit = units[i].name;
		env.div = units[i].div;
		return 0;
	}
	return -1;
}

/* INTERVAL then COUNT. */
static void parse_positional(const char *arg, struct argp_state *state)
{
	if (env.nargs == 0 && !hk_parse_seconds(arg, &env.interval)) {
		env.nargs++;
		return;
	}
	if (env.nargs == 1 && !hk_parse_u64(arg, &env.count) && env.count > 0) {
		env.nargs++;
		return;
	}
	argp_error(state, "unexpected argument: %s (INTERVAL [COUNT]; a command goes after --)", arg);
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'e': { /* -e a -e b is -e a,b, as in perf */
		__u32 events = parse_events(arg);

		if (!events)
			argp_error(state, "invalid events: %s (want e.g. cold,refill,map)", arg);
		env.events = (env.events_given ? env.events : 0) | events; /* the first replaces all */
		env.events_given = true;
		return 0;
	}
	case 'T':
		env.by_tier = true;
		return 0;
	case 'C':
		env.by_class = true;
		return 0;
	case 'u':
		if (parse_unit(arg))
			argp_error(state, "invalid unit: %s (ns, us or ms)", arg);
		return 0;
	case OPT_SVG:
		env.svg = arg;
		return 0;
	case ARGP_KEY_ARG:
		parse_positional(arg, state);
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

static bool wanted(int e)
{
	return env.events & (1u << e);
}

/* ----------------------------------------------------- histogram sets */

/* One histogram of a report: an event, total or of one tier/class. */
struct lat_row {
	__u16 event, tier, cls;
	struct hl_hist h;
};

/* What one report (an interval, or the whole run) shows. */
struct lat_set {
	struct lat_row *rows;
	int n, cap;
	__u64 unmatched[HL_NEVENTS];
	__u64 lost; /* samples dropped: a BPF map was full (hl_dropped) */
	__u64 untracked; /* processes not followed: the process map was full */
};

static void hist_merge(struct hl_hist *d, const struct hl_hist *s)
{
	for (int i = 0; i < HL_SLOTS; i++)
		d->slots[i] += s->slots[i];
	d->count += s->count;
	d->sum_ns += s->sum_ns;
	if (s->max_ns > d->max_ns)
		d->max_ns = s->max_ns;
}

/* Merges h into the row (event, tier, cls), creating it; -ENOMEM on failure. */
static int set_add(struct lat_set *s, int event, int tier, int cls, const struct hl_hist *h)
{
	struct lat_row *r;

	for (int i = 0; i < s->n; i++) {
		r = &s->rows[i];
		if (r->event == event && r->tier == tier && r->cls == cls) {
			hist_merge(&r->h, h);
			return 0;
		}
	}
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 32;

		r = realloc(s->rows, (size_t)cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->rows = r;
		s->cap = cap;
	}
	r = &s->rows[s->n++];
	memset(r, 0, sizeof(*r));
	r->event = event;
	r->tier = tier;
	r->cls = cls;
	hist_merge(&r->h, h);
	return 0;
}

static int set_merge(struct lat_set *d, const struct lat_set *s)
{
	for (int i = 0; i < s->n; i++) {
		const struct lat_row *r = &s->rows[i];

		if (set_add(d, r->event, r->tier, r->cls, &r->h))
			return -ENOMEM;
	}
	for (int e = 0; e < HL_NEVENTS; e++)
		d->unmatched[e] += s->unmatched[e];
	d->lost += s->lost;
	d->untracked += s->untracked;
	return 0;
}

static void set_clear(struct lat_set *s)
{
	s->n = 0;
	memset(s->unmatched, 0, sizeof(s->unmatched));
	s->lost = s->untracked = 0;
}

/* The event's total over every tier and class. */
static void set_total(const struct lat_set *s, int event, struct hl_hist *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < s->n; i++)
		if (s->rows[i].event == event)
			hist_merge(out, &s->rows[i].h);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct lat_row *x = a, *y = b;

	if (x->event != y->event)
		return x->event - y->event;
	if (x->tier != y->tier)
		return x->tier - y->tier;
	return x->cls - y->cls;
}

/* ------------------------------------------------------------ tracing */

/* The USDT programs, their probe names, the events that need them, and
 * whether the done probes' arguments make them needless (a start probe, or
 * drain, which refill_done's source and reclaim_done's drains count). */
struct usdt_prog {
	struct bpf_program *prog;
	const char *probe;
	__u32 events;
	bool needless_with_ns;
};

static int usdt_progs(struct lat_bpf *skel, struct usdt_prog *out)
{
	const struct usdt_prog progs[] = {
		{ skel->progs.hl_cold_start, "cold_start", 1u << HL_COLD, true },
		{ skel->progs.hl_cold_done, "cold_done", 1u << HL_COLD, false },
		{ skel->progs.hl_refill_start, "refill_start", (1u << HL_REFILL) | (1u << HL_DRAIN), true },
		{ skel->progs.hl_refill_done, "refill_done", (1u << HL_REFILL) | (1u << HL_DRAIN), false },
		{ skel->progs.hl_drain, "drain", 1u << HL_DRAIN, true },
		{ skel->progs.hl_arena_grow_start, "arena_grow_start", 1u << HL_GROW, true },
		{ skel->progs.hl_arena_grow, "arena_grow", 1u << HL_GROW, false },
		/* a walk's bounds are a drain's too (a walk drains every class first) */
		{ skel->progs.hl_reclaim_start, "reclaim_start", (1u << HL_RECLAIM) | (1u << HL_DRAIN), true },
		{ skel->progs.hl_reclaim_done, "reclaim_done", (1u << HL_RECLAIM) | (1u << HL_DRAIN), false },
	};
	int n = (int)(sizeof(progs) / sizeof(progs[0]));

	memcpy(out, progs, sizeof(progs));
	return n;
}

#define MAX_USDT 10

/* Everything a run keeps. */
struct run {
	struct lat_bpf *skel;
	struct hk_links links;
	struct hk_target *t;
	char lib[PATH_MAX];
	enum hk_lib_source lib_src;
	bool done_ns; /* lib's done probes carry their ns: start probes and drain not attached */
	__u64 unmatched_seen[HL_NEVENTS]; /* hl_unmatched already reported */
	__u64 lost_seen, untracked_seen; /* hl_dropped, hk_untracked already reported */
	struct lat_set cur; /* the interval being reported */
	struct lat_set all; /* the whole run (for --svg) */
	FILE *out;
	FILE *svg; /* --svg's file, opened before the run: a bad path fails at once */
	uint64_t intervals;
	double interval_start, interval_end; /* hk_now() of the interval reported */
};

/* Whether p is loaded and attached: an event asked for needs it, and the
 * done probes' arguments do not make it needless (done_ns). */
static bool prog_used(const struct usdt_prog *p, __u32 events, bool done_ns)
{
	return (p->events & events) && !(done_ns && p->needless_with_ns);
}

/* Whether the done probes of lib carry their interval's ns, and
 * reclaim_done its drains (a library without reclaim probes has no walks
 * to drain in). */
static bool lib_done_ns(const char *lib)
{
	int reclaim = hk_elf_probe_args(lib, HK_PROBE_PROVIDER, "reclaim_done");

	return hk_elf_probe_args(lib, HK_PROBE_PROVIDER, "refill_done") >= 5 && (reclaim < 0 || reclaim >= 5);
}

/* Programs of events not asked for are not loaded (nothing attached for them). */
static void select_programs(struct lat_bpf *skel, __u32 events, bool done_ns)
{
	struct usdt_prog p[MAX_USDT];
	int n = usdt_progs(skel, p);
	bool sys = events & (SYSCALL_EVENTS | (1u << HL_GROW));

	for (int i = 0; i < n; i++)
		bpf_program__set_autoload(p[i].prog, prog_used(&p[i], events, done_ns));
	bpf_program__set_autoload(skel->progs.hl_sys_enter, sys);
	bpf_program__set_autoload(skel->progs.hl_sys_exit, sys);
}

static int open_bpf(struct run *r)
{
	int err;

	r->skel = lat_bpf__open();
	if (!r->skel)
		return hk_bpf_fail("open the BPF programs", errno);
	r->skel->rodata->hl_events = env.events;
	r->skel->rodata->hl_by_tier = env.by_tier;
	r->skel->rodata->hl_by_class = env.by_class;
	/* nothing here reads an exited process's entry: the map then bounds
	 * the processes alive at once, not those of the whole run */
	r->skel->rodata->hk_track_forget = true;
	r->done_ns = r->lib_src != HK_LIB_NONE && lib_done_ns(r->lib);
	r->skel->rodata->hl_done_ns = r->done_ns;
	hk_dbg(hk_opts.verbose, "%s", r->done_ns ? "done probes carry their ns: start probes and drain not attached"
						 : "done probes without ns: intervals timed between the hits");
	select_programs(r->skel, env.events, r->done_ns);
	err = lat_bpf__load(r->skel);
	return err ? hk_bpf_fail("load the BPF programs", err) : 0;
}

static int attach_usdt(struct run *r)
{
	struct usdt_prog p[MAX_USDT];
	int n = usdt_progs(r->skel, p), err;
	char missing[256] = "";

	for (int i = 0; i < n; i++) {
		if (!prog_used(&p[i], env.events, r->done_ns))
			continue;
		err = hk_usdt_attach(&r->links, p[i].prog, r->lib, p[i].probe);
		if (err == -ENOENT && !env.events_given) { /* a hakmem older than the tool */
			hk_list_append(missing, sizeof(missing), p[i].probe);
			continue;
		}
		if (err)
			return hk_usdt_attach_fail(p[i].probe, r->lib, err);
	}
	if (missing[0])
		hk_err("%s has no hakmem probe %s: no samples of their events", r->lib, missing);
	return 0;
}

/* Attaches everything and seeds tracking with the target; returns an exit
 * code.  The tracepoints first: a child the target forks from then on is
 * followed in BPF, one forked before is found by the seeding's /proc scan
 * (seeding first left the children forked in between untracked). */
static int attach_all(struct run *r)
{
	int err = lat_bpf__attach(r->skel);

	if (err)
		return hk_bpf_fail("attach the tracepoints", err);
	err = hk_target_track(r->t, bpf_map__fd(r->skel->maps.hk_procs), &r->skel->bss->hk_untracked);
	if (err)
		return hk_bpf_fail("track the target", err);
	if (r->lib_src != HK_LIB_NONE)
		return attach_usdt(r);
	return 0;
}

/* Where the probes are; a missing library only matters for hakmem events. */
static int discover(struct run *r)
{
	r->lib_src = hk_discover_lib(hk_opts.lib, hk_opts.pid, hk_opts.cmd, r->lib, sizeof(r->lib));
	if (r->lib_src == HK_LIB_ERROR)
		return 1;
	/* the tool's own library is no guess for a process that maps none */
	if (hk_opts.pid && r->lib_src == HK_LIB_DEFAULT) {
		r->lib_src = HK_LIB_NONE;
		if (env.events & HAKMEM_EVENTS)
			hk_err("pid %d does not use hakmem: only syscall latencies", (int)hk_opts.pid);
	} else if (r->lib_src == HK_LIB_NONE && (env.events & HAKMEM_EVENTS)) {
		hk_err("no hakmem probes found (give --lib PATH): only syscall latencies");
	}
	hk_dbg(hk_opts.verbose, "hakmem probes: %s (%s)", r->lib_src ? r->lib : "none",
	       hk_lib_source_name(r->lib_src));
	return 0;
}

/* Moves every histogram of generation gen from the map into s. */
static int collect(struct run *r, unsigned gen, struct lat_set *s)
{
	int fd = bpf_map__fd(r->skel->maps.hl_hists), n = 0;
	struct hl_key keys[HL_MAX_KEYS], key, *prev = NULL;
	struct hl_hist h;

	/* Keys first: deleting while walking would restart the walk. */
	for (; n < HL_MAX_KEYS && !bpf_map_get_next_key(fd, prev, &key); prev = &keys[n - 1])
		keys[n++] = key;
	for (int i = 0; i < n; i++) {
		if (keys[i].gen != gen || bpf_map_lookup_elem(fd, &keys[i], &h))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		if (set_add(s, keys[i].event, keys[i].tier, keys[i].cls, &h))
			return -ENOMEM;
	}
	for (int e = 0; e < HL_NEVENTS; e++) {
		__u64 now = r->skel->bss->hl_unmatched[e];

		s->unmatched[e] += now - r->unmatched_seen[e];
		r->unmatched_seen[e] = now;
	}
	s->lost += r->skel->bss->hl_dropped - r->lost_seen;
	r->lost_seen = r->skel->bss->hl_dropped;
	s->untracked += r->skel->bss->hk_untracked - r->untracked_seen;
	r->untracked_seen = r->skel->bss->hk_untracked;
	qsort(s->rows, (size_t)s->n, sizeof(*s->rows), cmp_rows);
	return 0;
}

/* Periodic mode: new samples go to the other generation; returns the old one. */
static unsigned flip(struct run *r)
{
	unsigned old = r->skel->bss->hl_gen & 1;

	__atomic_store_n(&r->skel->bss->hl_gen, old ^ 1, __ATOMIC_SEQ_CST);
	usleep(FLIP_SETTLE_US);
	return old;
}

/* ------------------------------------------------------------- report */

static double pct(const struct hl_hist *h, double q)
{
	return (double)hk_hist_quantile(h->slots, HL_SLOTS, q, h->max_ns);
}

/* Label of a breakdown row: "tier pool class 21", "tier pool", or "" for totals. */
static const char *row_label(const struct lat_row *r, char *buf, size_t len)
{
	char tier[16];

	if (r->tier == HL_ALL) {
		buf[0] = 0;
		return buf;
	}
	if (r->tier < HK_TIER_COUNT)
		snprintf(tier, sizeof(tier), "%s", tier_names[r->tier]);
	else
		snprintf(tier, sizeof(tier), "%u", r->tier);
	if (r->cls == HL_ALL)
		snprintf(buf, len, "tier %s", tier);
	else
		snprintf(buf, len, "tier %s class %u", tier, r->cls);
	return buf;
}

static void text_hist(FILE *f, const char *title, const struct hl_hist *h)
{
	const char *u = env.unit;
	double d = env.div;
	int prec = d > 1 ? 3 : 0;

	if (!h->count) {
		fprintf(f, "%s: no samples\n\n", title);
		return;
	}
	fprintf(f, "%s: count %llu  p50 %.*f %s  p90 %.*f %s  p99 %.*f %s  max %.*f %s\n", title,
		(unsigned long long)h->count, prec, pct(h, 0.50) / d, u, prec, pct(h, 0.90) / d, u,
		prec, pct(h, 0.99) / d, u, prec, (double)h->max_ns / d, u);
	hk_hist_print(f, h->slots, HL_SLOTS, u, d);
	fputc('\n', f);
}

static void text_event(FILE *f, const struct lat_set *s, int e)
{
	char title[128], label[64];
	struct hl_hist total;

	set_total(s, e, &total);
	snprintf(title, sizeof(title), "%s (%s)", event_titles[e], event_spans[e]);
	text_hist(f, title, &total);
	if (s->unmatched[e])
		fprintf(f, "    (%llu ends without a start: attached mid-way)\n\n",
			(unsigned long long)s->unmatched[e]);
	if (!env.by_tier && !env.by_class)
		return;
	for (int i = 0; i < s->n; i++) {
		const struct lat_row *r = &s->rows[i];

		if (r->event != e || r->tier == HL_ALL)
			continue;
		snprintf(title, sizeof(title), "  %s [%s]", event_titles[e],
			 row_label(r, label, sizeof(label)));
		text_hist(f, title, &r->h);
	}
}

static void text_report(FILE *f, const struct lat_set *s)
{
	if (env.interval > 0) {
		char ts[16];
		time_t now = time(NULL);

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
		fprintf(f, "%s\n", ts);
	}
	for (int e = 0; e < HL_NEVENTS; e++)
		if (wanted(e))
			text_event(f, s, e);
	if (s->lost)
		fprintf(f, "warning: %llu samples lost (a BPF map was full)\n",
			(unsigned long long)s->lost);
	if (s->untracked)
		fprintf(f, "warning: %llu processes not traced (more than %d alive at once)\n",
			(unsigned long long)s->untracked, HK_MAX_PROCS);
	fflush(f);
}

static void json_hist(struct hk_json *j, const struct hl_hist *h)
{
	hk_json_u64(j, "count", h->count);
	hk_json_u64(j, "sum_ns", h->sum_ns);
	hk_hist_json(j, "buckets", h->slots, HL_SLOTS, "le_ns");
	hk_json_u64(j, "p50_ns", (uint64_t)pct(h, 0.50));
	hk_json_u64(j, "p90_ns", (uint64_t)pct(h, 0.90));
	hk_json_u64(j, "p99_ns", (uint64_t)pct(h, 0.99));
	hk_json_u64(j, "max_ns", h->max_ns);
}

static void json_breakdown(struct hk_json *j, const struct lat_set *s, int e)
{
	hk_json_arr_begin(j, "by");
	for (int i = 0; i < s->n; i++) {
		const struct lat_row *r = &s->rows[i];

		if (r->event != e || r->tier == HL_ALL)
			continue;
		hk_json_obj_begin(j, NULL);
		if (r->tier < HK_TIER_COUNT)
			hk_json_str(j, "tier", tier_names[r->tier]);
		else
			hk_json_u64(j, "tier", r->tier);
		if (r->cls != HL_ALL)
			hk_json_u64(j, "class", r->cls);
		json_hist(j, &r->h);
		hk_json_obj_end(j);
	}
	hk_json_arr_end(j);
}

static void json_report(FILE *f, const struct run *r, const struct lat_set *s)
{
	struct hl_hist total;
	struct hk_json j;

	hk_json_init(&j, f);
	hk_json_obj_begin(&j, NULL);
	if (env.interval > 0) {
		hk_json_u64(&j, "interval", r->intervals);
		/* as long as it lasted: the last one ends with the command */
		hk_json_double(&j, "interval_s", r->interval_end - r->interval_start);
		hk_json_i64(&j, "timestamp", (int64_t)time(NULL));
	}
	hk_json_i64(&j, "pid", r->t->pid);
	hk_json_str(&j, "library", r->lib_src ? r->lib : NULL);
	hk_json_str(&j, "library_source", hk_lib_source_name(r->lib_src));
	hk_json_obj_begin(&j, "events");
	for (int e = 0; e < HL_NEVENTS; e++) {
		if (!wanted(e))
			continue;
		set_total(s, e, &total);
		hk_json_obj_begin(&j, event_names[e]);
		json_hist(&j, &total);
		hk_json_u64(&j, "unmatched", s->unmatched[e]);
		if (env.by_tier || env.by_class)
			json_breakdown(&j, s, e);
		hk_json_obj_end(&j);
	}
	hk_json_obj_end(&j);
	hk_json_u64(&j, "lost_samples", s->lost);
	hk_json_u64(&j, "untracked_processes", s->untracked);
	hk_json_obj_end(&j);
	hk_json_finish(&j);
}

/* Prints the interval in r->cur, folds it into r->all and empties it. */
static int report(struct run *r)
{
	r->intervals++;
	if (hk_opts.json)
		json_report(r->out, r, &r->cur);
	else
		text_report(r->out, &r->cur);
	if (set_merge(&r->all, &r->cur))
		return hk_bpf_fail("keep the histograms", ENOMEM);
	set_clear(&r->cur);
	return ferror(r->out) ? 1 : 0; /* hk_close_output says so, once */
}

/* ---------------------------------------------------------------- svg */

#define SVG_PW 560 /* panel width, height */
#define SVG_PH 300
#define SVG_ML 64 /* plot margins inside a panel */
#define SVG_MR 20
#define SVG_MT 62
#define SVG_MB 52
#define SVG_COLS 2
#define SVG_HEAD 56 /* the picture's title lines */

/* "512 ns", "1.02 µs", "65.5 ms": 3 significant digits in the fitting unit. */
static const char *fmt_dur(char *buf, size_t len, double ns)
{
	static const struct { double div; const char *unit; } u[] = {
		{ 1e9, "s" }, { 1e6, "ms" }, { 1e3, "µs" }, { 1, "ns" },
	};
	size_t i = 0;

	while (i < 3 && ns < u[i].div)
		i++;
	snprintf(buf, len, "%.3g %s", ns / u[i].div, u[i].unit);
	return buf;
}

/* A step of 1, 2 or 5 times a power of ten giving about 4 ticks up to max. */
static uint64_t nice_step(uint64_t max)
{
	uint64_t p = 1;

	while (p * 10 <= max / 4 + 1)
		p *= 10;
	for (uint64_t m = 1; m <= 10; m = m == 1 ? 2 : m == 2 ? 5 : 10)
		if (p * m * 5 > max)
			return p * m;
	return p * 10;
}

/* Geometry of one panel's plot area and its log2 x domain [x0, x1]. */
struct panel {
	double left, top, w, h;
	int x0, x1; /* slots shown: bar k spans log2 (k-1, k] */
	uint64_t ymax;
};

static double px(const struct panel *p, double log2v)
{
	double lo = p->x0 - 1, hi = p->x1;

	if (log2v < lo)
		log2v = lo;
	return p->left + (log2v - lo) / (hi - lo) * p->w;
}

static double py(const struct panel *p, double count)
{
	return p->top + p->h - count / (double)p->ymax * p->h;
}

static void svg_axes(FILE *f, const struct panel *p)
{
	uint64_t step = nice_step(p->ymax);
	int nb = p->x1 - p->x0 + 1, every = (int)ceil(56.0 / (p->w / nb));
	char b[32];

	for (uint64_t y = 0; y <= p->ymax; y += step) {
		fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", p->left,
			py(p, (double)y), p->left + p->w, py(p, (double)y));
		fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='end' class='tick'>%llu</text>\n",
			p->left - 6, py(p, (double)y) + 4, (unsigned long long)y);
	}
	for (int k = p->x0 - 1; k <= p->x1; k++) {
		if (k < 0 || (k - p->x0 + 1) % every)
			continue;
		fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#333'/>\n",
			px(p, k), p->top + p->h, px(p, k), p->top + p->h + 4);
		fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' class='tick'>%s</text>\n",
			px(p, k), p->top + p->h + 16, fmt_dur(b, sizeof(b), (double)hk_hist_hi(k)));
	}
	fprintf(f, "<path d='M%.1f %.1f V%.1f H%.1f' fill='none' stroke='#333'/>\n", p->left, p->top,
		p->top + p->h, p->left + p->w);
	fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' class='axis'>latency "
		   "(log2 buckets; tick = bucket upper bound)</text>\n",
		p->left + p->w / 2, p->top + p->h + 36);
	fprintf(f, "<text transform='translate(%.1f %.1f) rotate(-90)' text-anchor='middle' "
		   "class='axis'>count</text>\n",
		p->left - 44, p->top + p->h / 2);
}

static void svg_bars(FILE *f, const struct panel *p, const struct hl_hist *h)
{
	for (int k = p->x0; k <= p->x1; k++) {
		double x = px(p, k - 1) + 1, w = px(p, k) - px(p, k - 1) - 2, y = py(p, (double)h->slots[k]);

		if (!h->slots[k])
			continue;
		fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#4a7bb7'/>\n", x, y,
			w, p->top + p->h - y);
		if (w >= 18)
			fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' class='cnt'>%llu</text>\n",
				x + w / 2, y - 3, (unsigned long long)h->slots[k]);
	}
}

/* Vertical markers for p50/p90/p99 (dashed) and max (solid), labels staggered. */
static void svg_markers(FILE *f, const struct panel *p, const struct hl_hist *h)
{
	const struct { const char *name; double v; const char *color; const char *dash; } m[] = {
		{ "p50", pct(h, 0.50), "#2a9d3a", "5,3" },
		{ "p90", pct(h, 0.90), "#e08a00", "5,3" },
		{ "p99", pct(h, 0.99), "#c0392b", "5,3" },
		{ "max", (double)h->max_ns, "#000", "none" },
	};
	char b[32];

	for (int i = 0; i < 4; i++) {
		double x = px(p, log2(m[i].v > 1 ? m[i].v : 1));

		fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' "
			   "stroke-width='1.5' stroke-dasharray='%s'/>\n",
			x, p->top, x, p->top + p->h, m[i].color, m[i].dash);
		/* near the right edge the label goes to the left of its line */
		bool left = x > p->left + p->w - 80;

		fprintf(f, "<text x='%.1f' y='%.1f' class='mark' fill='%s' text-anchor='%s'>%s %s</text>\n",
			left ? x - 3 : x + 3, p->top + 10 + 12 * i, m[i].color, left ? "end" : "start",
			m[i].name, fmt_dur(b, sizeof(b), m[i].v));
	}
}

static void svg_panel(FILE *f, int idx, int e, const struct hl_hist *h)
{
	double ox = (idx % SVG_COLS) * SVG_PW, oy = (idx / SVG_COLS) * SVG_PH + SVG_HEAD;
	struct panel p = { ox + SVG_ML, oy + SVG_MT, SVG_PW - SVG_ML - SVG_MR,
			   SVG_PH - SVG_MT - SVG_MB, 0, 0, 1 };
	char b[4][32];
	int first = -1, last = -1;

	fprintf(f, "<text x='%.1f' y='%.1f' class='title'>%s</text>\n", ox + 16, oy + 22,
		event_titles[e]);
	fprintf(f, "<text x='%.1f' y='%.1f' class='sub'>%s</text>\n", ox + 16, oy + 38, event_spans[e]);
	if (!h->count) {
		fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' class='sub'>no samples</text>\n",
			ox + SVG_PW / 2.0, oy + SVG_PH / 2.0);
		return;
	}
	fprintf(f, "<text x='%.1f' y='%.1f' class='stats'>n=%llu   p50 %s   p90 %s   p99 %s   "
		   "max %s</text>\n",
		ox + 16, oy + 54, (unsigned long long)h->count, fmt_dur(b[0], 32, pct(h, 0.5)),
		fmt_dur(b[1], 32, pct(h, 0.9)), fmt_dur(b[2], 32, pct(h, 0.99)),
		fmt_dur(b[3], 32, (double)h->max_ns));
	for (int k = 0; k < HL_SLOTS; k++) {
		if (!h->slots[k])
			continue;
		first = first < 0 ? k : first;
		last = k;
		p.ymax = h->slots[k] > p.ymax ? h->slots[k] : p.ymax;
	}
	p.ymax += p.ymax * 2 / 5 + 1; /* the top 30 % holds the marker labels */
	p.x0 = first > 0 ? first - 1 : 0;
	p.x1 = last + 1 < HL_SLOTS ? last + 1 : last;
	while (p.x1 - p.x0 < 7) /* a readable minimum width */
		p.x0 > 0 ? p.x0-- : p.x1++;
	svg_axes(f, &p);
	svg_bars(f, &p, h);
	svg_markers(f, &p, h);
}

/* One character of a command's words into SVG text: markup escaped, and
 * what XML 1.0 cannot hold (control characters, bytes that are no
 * well-formed UTF-8) as U+FFFD.  Returns the bytes of s it took. */
static size_t svg_char(FILE *f, const char *s)
{
	size_t n = hk_utf8_len(s);

	if (*s == '<')
		fputs("&lt;", f);
	else if (*s == '>')
		fputs("&gt;", f);
	else if (*s == '&')
		fputs("&amp;", f);
	else if (!n || (unsigned char)*s < 0x20)
		fputs("\xef\xbf\xbd", f);
	else
		fwrite(s, 1, n, f);
	return n ? n : 1;
}

/* The command's words (at most 60 characters), XML-escaped; a leading
 * `env VAR=VALUE...` is left out: the program is what names the run. */
static void svg_text(FILE *f, char *const *argv)
{
	int left = 60;

	if (argv && *argv && !strcmp(*argv, "env"))
		for (argv++; *argv && strchr(*argv, '='); argv++)
			;
	for (; argv && *argv && left > 0; argv++) {
		for (const char *c = *argv; *c && left > 0; left--)
			c += svg_char(f, c);
		fputc(' ', f);
	}
	if (left <= 0)
		fputs("...", f);
}

static void write_svg(const struct run *r)
{
	int n = 0, rows;
	struct hl_hist h;
	FILE *f = r->svg;

	for (int e = 0; e < HL_NEVENTS; e++)
		n += wanted(e);
	rows = (n + SVG_COLS - 1) / SVG_COLS;
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
		   "font-family='DejaVu Sans, Helvetica, sans-serif'>\n<style>"
		   ".title{font-size:16px;font-weight:bold} .sub{font-size:11px;fill:#555} "
		   ".stats{font-size:12px} .tick{font-size:10px;fill:#333} "
		   ".axis{font-size:11px;fill:#333} .cnt{font-size:9px;fill:#234} "
		   ".mark{font-size:10px;font-weight:bold}</style>\n"
		   "<rect width='100%%' height='100%%' fill='white'/>\n",
		SVG_COLS * SVG_PW, rows * SVG_PH + SVG_HEAD + 8);
	fprintf(f, "<text x='16' y='24' font-size='18' font-weight='bold'>hakmem-lat: ");
	svg_text(f, hk_opts.cmd);
	fprintf(f, "(pid %d)</text>\n<text x='16' y='42' class='sub'>whole run; bars: samples "
		   "per log2 bucket (2^(k-1), 2^k] ns; dashed: percentiles, solid: exact max</text>\n",
		(int)r->t->pid);
	n = 0;
	for (int e = 0; e < HL_NEVENTS; e++) {
		if (!wanted(e))
			continue;
		set_total(&r->all, e, &h);
		svg_panel(f, n++, e, &h);
	}
	fprintf(f, "</svg>\n");
}

/* ---------------------------------------------------------------- run */

/* Starts or opens the target; returns an exit code (0 = go on). */
static int start_target(struct hk_target *t)
{
	if (hk_opts.cmd)
		return hk_target_launch(t, hk_opts.cmd);
	return hk_target_open(t, hk_opts.pid);
}

/* Seconds left of --duration (or a large number without one). */
static double time_left(const struct run *r)
{
	return hk_opts.duration > 0 ? r->t->start + hk_opts.duration - hk_now() : 1e9;
}

/* Periodic mode: a report per interval until the end, COUNT, or Ctrl-C. */
static int run_periodic(struct run *r)
{
	r->interval_end = hk_now();
	for (;;) {
		double left = time_left(r), wait = env.interval < left ? env.interval : left;
		bool exited = hk_target_wait(r->t, wait > 0 ? wait : 1e-3);
		bool last = exited || hk_stopping() || time_left(r) <= 0 ||
			    (env.count && r->intervals + 1 >= env.count);
		unsigned gen = flip(r);
		int rc;

		r->interval_start = r->interval_end;
		r->interval_end = hk_now();
		if (collect(r, gen, &r->cur))
			return hk_bpf_fail("read the histograms", ENOMEM);
		rc = report(r);
		if (rc || last)
			return rc;
	}
}

static int run_once(struct run *r)
{
	hk_target_wait(r->t, hk_opts.duration);
	if (collect(r, 0, &r->cur))
		return hk_bpf_fail("read the histograms", ENOMEM);
	return report(r);
}

/* Loads, attaches, runs the target to its end (or Ctrl-C/--duration), reports. */
static int trace(struct run *r)
{
	int rc = discover(r);

	if (!rc)
		rc = open_bpf(r);
	if (!rc)
		rc = start_target(r->t);
	if (!rc && (rc = attach_all(r)))
		hk_target_abort(r->t);
	if (!rc && r->t->launched)
		rc = hk_target_release(r->t);
	if (!rc && !r->t->launched)
		hk_err("tracing pid %d ... Ctrl-C to end", (int)r->t->pid);
	if (!rc)
		rc = env.interval > 0 ? run_periodic(r) : run_once(r);
	hk_target_terminate(r->t); /* --duration, COUNT: the command does not outlive the run */
	hk_links_destroy(&r->links);
	if (!rc && r->svg)
		write_svg(r);
	lat_bpf__destroy(r->skel);
	r->skel = NULL;
	return rc;
}

int main(int argc, char **argv)
{
	struct hk_target t = { .pid = 0, .pidfd = -1, .go_fd = -1, .err_fd = -1, .procs_fd = -1 };
	struct run r = { .t = &t };
	int rc;

	hk_set_progname("hakmem-lat");
	if (hk_opts_parse(&argp, argc, argv))
		return 2;
	rc = hk_opts_check(true);
	if (!rc)
		rc = hk_check_privilege();
	if (!rc && hk_opts.cmd)
		rc = hk_target_check_command(hk_opts.cmd);
	if (rc)
		return rc;
	r.out = hk_open_output(hk_opts.output);
	if (!r.out)
		return 1;
	if (env.svg && !(r.svg = hk_open_file(env.svg))) {
		hk_close_output(r.out);
		return 1;
	}
	hk_libbpf_setup(hk_opts.verbose);
	hk_signals_install();
	rc = trace(&r);
	hk_target_close(&t);
	if (hk_close_output(r.out) && !rc)
		rc = 1;
	if (r.svg && hk_close_file(r.svg, env.svg) && !rc)
		rc = 1;
	free(r.cur.rows);
	free(r.all.rows);
	return rc ? rc : hk_target_exit_code(&t);
}
