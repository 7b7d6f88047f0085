/* ht_collect.c — one interval's snapshot from the BPF maps and /proc (see ht_collect.h). */
#include "ht_collect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "hk_util.h"

/* A BPF program that read ht_gen just before we bumped it finishes within
 * microseconds; wait this long before reading the interval's maxima. */
#define GEN_SETTLE_US 1000

struct ht_proc_state {
	pid_t pid;
	char comm[HT_COMM_LEN];
	bool dead; /* found gone at this sample: last row, then removed */
	uint64_t rss; /* at the last sample it was alive: its last row shows it */
	struct ht_counts prev; /* cumulative counters at the previous sample */
	uint64_t peak; /* deepest queue since start or reset */
};

/* Every key of a BPF map (key_size bytes each) into a malloc'ed array; count or -errno. */
static int map_keys(int fd, size_t key_size, void **out)
{
	char cur[64], *keys = NULL;
	void *prev = NULL;
	int n = 0, cap = 0;

	while (!bpf_map_get_next_key(fd, prev, cur)) {
		if (n == cap) {
			char *k = realloc(keys, (cap = cap ? 2 * cap : 64) * key_size);

			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
		}
		memcpy(keys + n * key_size, cur, key_size);
		prev = keys + n++ * key_size;
	}
	*out = keys;
	return n;
}

static struct ht_proc_state *find(struct ht_collector *c, pid_t pid)
{
	for (int i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid)
			return &c->procs[i];
	return NULL;
}

/* From /proc, or, for a process already gone, as its first event saw it. */
static void name_of(const struct ht_collector *c, pid_t pid, char comm[HT_COMM_LEN])
{
	__u32 key = (__u32)pid;
	struct ht_comm kept;

	ht_proc_comm(pid, comm, HT_COMM_LEN);
	if (comm[0] || bpf_map_lookup_elem(c->comms_fd, &key, &kept))
		return;
	snprintf(comm, HT_COMM_LEN, "%.*s", (int)sizeof(kept.comm), kept.comm);
}

/* The state of pid, created (zero counters: its map entry is newer than us) when new. */
static struct ht_proc_state *find_or_add(struct ht_collector *c, pid_t pid)
{
	struct ht_proc_state *p = find(c, pid);

	if (p)
		return p;
	if (c->nprocs == c->cap) {
		int cap = c->cap ? 2 * c->cap : 32;
		struct ht_proc_state *np = realloc(c->procs, cap * sizeof(*np));

		if (!np)
			return NULL;
		c->procs = np;
		c->cap = cap;
	}
	p = &c->procs[c->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	name_of(c, pid, p->comm);
	return p;
}

static void add_pid(pid_t pid, void *arg)
{
	find_or_add(arg, pid);
}

/* Everyone to show this interval: processes with counters, -p PIDs, mappers of the files. */
static void discover(struct ht_collector *c)
{
	__u32 *keys;
	int n = map_keys(c->counts_fd, sizeof(__u32), (void **)&keys);

	for (int i = 0; i < n; i++)
		find_or_add(c, (pid_t)keys[i]);
	if (n > 0)
		free(keys);
	for (int i = 0; i < c->npids; i++)
		if (ht_proc_alive(c->pids[i]))
			find_or_add(c, c->pids[i]);
	ht_proc_scan(c->files, c->nfiles, add_pid, c);
	/* Liveness before reading: a process found gone now has all its events in the maps. */
	for (int i = 0; i < c->nprocs; i++)
		c->procs[i].dead = !ht_proc_alive(c->procs[i].pid);
}

/* Cumulative counters of tgid summed over the CPUs (zero when it has none yet). */
static void read_counts(struct ht_collector *c, pid_t tgid, struct ht_counts *sum)
{
	struct ht_counts v[c->ncpus];
	__u32 key = (__u32)tgid;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(c->counts_fd, &key, v))
		return;
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		const __u64 *src = (const __u64 *)&v[cpu];
		__u64 *dst = (__u64 *)sum;

		for (size_t i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
}

static void fill_counts(struct ht_row *r, const struct ht_counts *cur, const struct ht_counts *prev)
{
	r->refills = cur->refills - prev->refills;
	r->drains = cur->drains - prev->drains;
	r->remote_frees = cur->remote_frees - prev->remote_frees;
	r->arena_grows = cur->arena_grows - prev->arena_grows;
	r->walked = cur->walked - prev->walked;
	for (int k = 0; k < HT_OS_KINDS; k++) {
		r->os_calls[k] = cur->os_calls[k] - prev->os_calls[k];
		r->os_bytes[k] = cur->os_bytes[k] - prev->os_bytes[k];
	}
	r->arena_bytes = cur->arena_bytes;
	r->mapped_bytes = (int64_t)(cur->os_bytes[HT_OS_MAP] - cur->os_bytes[HT_OS_UNMAP]);
}

static struct ht_row *row_of(struct ht_collector *c, pid_t pid)
{
	for (int i = 0; i < c->snap.n; i++)
		if (c->snap.rows[i].pid == pid)
			return &c->snap.rows[i];
	return NULL;
}

/* One queue: depth now (the newest CPU's view) and its maximum in interval gen (never below now). */
static void queue_depths(struct ht_collector *c, const struct ht_queue *v, __u32 gen,
			 uint64_t *now, uint64_t *max)
{
	__u64 ts = 0;

	*now = *max = 0;
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		const struct ht_queue *q = &v[cpu];

		if (q->ts > ts) {
			ts = q->ts;
			*now = q->depth;
		}
		if (q->ts && q->max_gen[gen & 1] == gen && q->max[gen & 1] > *max)
			*max = q->max[gen & 1];
	}
	/* a queue nobody touched in the interval sat at its depth all along */
	if (*now > *max)
		*max = *now;
}

/* Folds every remote queue into its process's row; deletes the queues of
 * owner threads that are gone (after counting them this last time: a queue
 * handed over with its heap reappears at the next push to it). */
static void read_queues(struct ht_collector *c, __u32 gen)
{
	struct ht_qkey *keys;
	struct ht_queue v[c->ncpus];
	int n = map_keys(c->queues_fd, sizeof(*keys), (void **)&keys);

	for (int i = 0; i < n; i++) {
		struct ht_row *r = row_of(c, (pid_t)keys[i].tgid);
		uint64_t now, max;

		if (bpf_map_lookup_elem(c->queues_fd, &keys[i], v))
			continue;
		queue_depths(c, v, gen, &now, &max);
		if (r) {
			r->depth = now > r->depth ? now : r->depth;
			r->depth_max = max > r->depth_max ? max : r->depth_max;
			r->queued += now;
		}
		if (!ht_thread_alive(keys[i].tgid, keys[i].tid))
			bpf_map_delete_elem(c->queues_fd, &keys[i]);
	}
	if (n > 0)
		free(keys);
}

/* Run time and hits of our programs since the previous sample. */
static void bpf_cost(struct ht_collector *c, double secs)
{
	__u64 ns = 0, cnt = 0;

	for (int i = 0; i < c->nprogs; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(c->prog_fds[i], &info, &len))
			continue;
		ns += info.run_time_ns;
		cnt += info.run_cnt;
	}
	c->snap.bpf_events_per_s = secs > 0 ? (cnt - c->last_run_cnt) / secs : 0;
	c->snap.bpf_ns_per_event =
		cnt > c->last_run_cnt ? (double)(ns - c->last_run_ns) / (cnt - c->last_run_cnt) : 0;
	c->last_run_ns = ns;
	c->last_run_cnt = cnt;
}

/* Deletes the heap / hand-over entries of process tgid (map keys start with it). */
static void forget_keys(int fd, size_t key_size, __u32 tgid, bool tgid_high)
{
	char *keys;
	int n = map_keys(fd, key_size, (void **)&keys);

	for (int i = 0; i < n; i++) {
		char *k = keys + i * key_size;
		__u32 owner = tgid_high ? (__u32)(*(__u64 *)k >> 32) : *(__u32 *)k;

		if (owner == tgid)
			bpf_map_delete_elem(fd, k);
	}
	if (n > 0)
		free(keys);
}

/* Removes the processes that showed their last row. */
static void prune(struct ht_collector *c)
{
	int w = 0;

	for (int i = 0; i < c->nprocs; i++) {
		__u32 tgid = (__u32)c->procs[i].pid;

		if (!c->procs[i].dead) {
			c->procs[w++] = c->procs[i];
			continue;
		}
		bpf_map_delete_elem(c->counts_fd, &tgid);
		bpf_map_delete_elem(c->comms_fd, &tgid);
		forget_keys(c->heaps_fd, sizeof(__u64), tgid, true);
		forget_keys(c->orphans_fd, sizeof(struct ht_orphan_key), tgid, false);
	}
	c->nprocs = w;
}

static void add_total(struct ht_row *t, const struct ht_row *r)
{
	t->refills += r->refills;
	t->drains += r->drains;
	t->remote_frees += r->remote_frees;
	t->arena_grows += r->arena_grows;
	t->walked += r->walked;
	for (int k = 0; k < HT_OS_KINDS; k++) {
		t->os_calls[k] += r->os_calls[k];
		t->os_bytes[k] += r->os_bytes[k];
	}
	t->depth = r->depth > t->depth ? r->depth : t->depth;
	t->depth_max = r->depth_max > t->depth_max ? r->depth_max : t->depth_max;
	t->depth_peak = r->depth_peak > t->depth_peak ? r->depth_peak : t->depth_peak;
	t->queued += r->queued;
	t->arena_bytes += r->arena_bytes;
	t->mapped_bytes += r->mapped_bytes;
	t->rss_bytes += r->rss_bytes;
}

/* Rows from the counters; depths come after (read_queues). */
static int build_rows(struct ht_collector *c)
{
	struct ht_row *rows = realloc(c->snap.rows, (c->nprocs ? c->nprocs : 1) * sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	c->snap.rows = rows;
	c->snap.n = c->nprocs;
	for (int i = 0; i < c->nprocs; i++) {
		struct ht_proc_state *p = &c->procs[i];
		struct ht_row *r = &rows[i];
		struct ht_counts cur;

		memset(r, 0, sizeof(*r));
		read_counts(c, p->pid, &cur);
		fill_counts(r, &cur, &p->prev);
		p->prev = cur;
		r->pid = p->pid;
		r->exited = p->dead;
		if (!p->dead) {
			ht_proc_comm(p->pid, p->comm, sizeof(p->comm));
			p->rss = ht_proc_rss(p->pid);
		}
		r->rss_bytes = p->rss;
		memcpy(r->comm, p->comm, sizeof(r->comm));
	}
	return 0;
}

static void finish_rows(struct ht_collector *c)
{
	memset(&c->snap.total, 0, sizeof(c->snap.total));
	for (int i = 0; i < c->snap.n; i++) {
		struct ht_row *r = &c->snap.rows[i];
		struct ht_proc_state *p = find(c, r->pid);

		if (p) {
			p->peak = r->depth_max > p->peak ? r->depth_max : p->peak;
			p->peak = r->depth > p->peak ? r->depth : p->peak;
			r->depth_peak = p->peak;
		}
		add_total(&c->snap.total, r);
	}
	snprintf(c->snap.total.comm, sizeof(c->snap.total.comm), "TOTAL");
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct ht_snapshot *ht_collect_sample(struct ht_collector *c)
{
	double now = hk_now();
	__u32 gen;

	discover(c);
	/* Close interval gen: BPF now records maxima in the other slot. */
	gen = *c->gen;
	*c->gen = gen + 1;
	__sync_synchronize();
	usleep(GEN_SETTLE_US);
	if (build_rows(c))
		return NULL;
	read_queues(c, gen);
	finish_rows(c);
	c->snap.time = wall_now();
	c->snap.interval_s = now - c->last_mono;
	c->snap.dropped = *c->dropped;
	bpf_cost(c, c->snap.interval_s);
	c->last_mono = now;
	prune(c);
	return &c->snap;
}

int ht_collect_init(struct ht_collector *c)
{
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0)
		return c->ncpus ? c->ncpus : -EINVAL;
	c->last_mono = hk_now();
	bpf_cost(c, 0);
	return 0;
}

void ht_collect_reset_peaks(struct ht_collector *c)
{
	for (int i = 0; i < c->nprocs; i++)
		c->procs[i].peak = 0;
}

void ht_collect_free(struct ht_collector *c)
{
	free(c->procs);
	free(c->snap.rows);
	c->procs = NULL;
	c->snap.rows = NULL;
	c->nprocs = c->cap = 0;
}
