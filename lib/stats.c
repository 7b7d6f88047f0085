/* stats.c — summing, printing and writing the counters (see stats.h). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "heap.h"
#include "os.h"
#include "out.h"
#include "stats.h"

static uint64_t large_hits, large_misses;
static uint64_t run_grows;
static uint64_t heapless_pushes[HK_TIER_COUNT]; /* one block each */

static void bump(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void hk_stats_large_cache(int hit)
{
	bump(hit ? &large_hits : &large_misses);
}

void hk_stats_run_grow(void)
{
	bump(&run_grows);
}

void hk_stats_heapless_push(int tier)
{
	bump(&heapless_pushes[tier]);
}

static void add_heap(struct hk_heap *h, void *arg)
{
	struct hakmem_stats *s = arg;
	const struct hk_heap_counters *c = &h->counters;
	for (int t = 0; t < HK_TIER_COUNT; t++) {
		s->refills[t] += c->refills[t];
		s->refill_blocks[t] += c->refill_blocks[t];
		s->drains[t] += c->drains[t];
		s->drained_blocks[t] += c->drained_blocks[t];
		s->remote_frees[t] += c->remote_frees[t];
		s->remote_pushes[t] += c->remote_pushes[t];
		s->cold_starts[t] += c->cold_starts[t];
	}
	s->arena_grows += c->arena_grows;
	s->arena_bytes += h->arena_bytes;
	s->arena_releases += c->arena_releases;
	s->thread_inits += c->thread_inits;
	s->thread_exits += c->thread_exits;
	s->reclaims += c->reclaims;
	s->reclaim_blocks += c->reclaim_blocks;
	s->reclaim_ms += c->reclaim_ms;
}

__attribute__((visibility("default"))) void hakmem_stats_get(struct hakmem_stats *s)
{
	*s = (struct hakmem_stats){0};
	hk_heap_for_each(add_heap, s);
	s->large_cache_hits = __atomic_load_n(&large_hits, __ATOMIC_RELAXED);
	s->large_cache_misses = __atomic_load_n(&large_misses, __ATOMIC_RELAXED);
	s->arena_grows += __atomic_load_n(&run_grows, __ATOMIC_RELAXED);
	for (int t = 0; t < HK_TIER_COUNT; t++) {
		uint64_t n = __atomic_load_n(&heapless_pushes[t], __ATOMIC_RELAXED);
		s->remote_frees[t] += n;
		s->remote_pushes[t] += n;
	}
	struct hk_os_counters os;
	hk_os_counters_get(&os);
	for (int p = 0; p < HK_PURPOSE_COUNT; p++) {
		s->os_map_calls[p] = os.map_calls[p];
		s->os_map_bytes[p] = os.map_bytes[p];
		s->os_unmap_calls[p] = os.unmap_calls[p];
		s->os_unmap_bytes[p] = os.unmap_bytes[p];
		s->os_advise_calls[p] = os.advise_calls[p];
		s->os_advise_bytes[p] = os.advise_bytes[p];
	}
}

static uint64_t sum(const uint64_t *v, int n)
{
	uint64_t t = 0;
	for (int i = 0; i < n; i++)
		t += v[i];
	return t;
}

/* One row per counter: name, then the per-tier or per-purpose values and the total. */
struct row {
	const char *name;
	const uint64_t *v;
	int n; /* 3 per tier, HK_PURPOSE_COUNT per purpose, 1 scalar */
};

static void rows_of(const struct hakmem_stats *s, struct row *r, int *count)
{
	struct row rows[] = {
		{"refills", s->refills, 3},
		{"refill_blocks", s->refill_blocks, 3},
		{"drains", s->drains, 3},
		{"drained_blocks", s->drained_blocks, 3},
		{"remote_frees", s->remote_frees, 3},
		{"remote_pushes", s->remote_pushes, 3},
		{"cold_starts", s->cold_starts, 3},
		{"arena_grows", &s->arena_grows, 1},
		{"arena_bytes", &s->arena_bytes, 1},
		{"arena_releases", &s->arena_releases, 1},
		{"thread_inits", &s->thread_inits, 1},
		{"thread_exits", &s->thread_exits, 1},
		{"os_map_calls", s->os_map_calls, HK_PURPOSE_COUNT},
		{"os_map_bytes", s->os_map_bytes, HK_PURPOSE_COUNT},
		{"os_unmap_calls", s->os_unmap_calls, HK_PURPOSE_COUNT},
		{"os_unmap_bytes", s->os_unmap_bytes, HK_PURPOSE_COUNT},
		{"os_advise_calls", s->os_advise_calls, HK_PURPOSE_COUNT},
		{"os_advise_bytes", s->os_advise_bytes, HK_PURPOSE_COUNT},
		{"large_cache_hits", &s->large_cache_hits, 1},
		{"large_cache_misses", &s->large_cache_misses, 1},
		{"reclaims", &s->reclaims, 1},
		{"reclaim_blocks", &s->reclaim_blocks, 1},
		{"reclaim_ms", &s->reclaim_ms, 1},
	};
	*count = (int)(sizeof(rows) / sizeof(rows[0]));
	for (int i = 0; i < *count; i++)
		r[i] = rows[i];
}

static const char *const tier_names[] = {"tiny", "pool", "large"};

static const char *row_label(const struct row *r, int i)
{
	return r->n == 3 ? tier_names[i] : hk_purpose_name(i);
}

static void print_row(struct hk_out *o, const struct row *r)
{
	hk_out_str(o, "hakmem: ");
	hk_out_str(o, r->name);
	for (int pad = 20 - (int)__builtin_strlen(r->name); pad > 0; pad--)
		hk_out_str(o, " ");
	hk_out_u64w(o, sum(r->v, r->n), 14);
	if (r->n > 1) {
		hk_out_str(o, "  (");
		for (int i = 0; i < r->n; i++) {
			hk_out_str(o, i ? ", " : "");
			hk_out_str(o, row_label(r, i));
			hk_out_str(o, " ");
			hk_out_u64(o, r->v[i]);
		}
		hk_out_str(o, ")");
	}
	hk_out_str(o, "\n");
}

__attribute__((visibility("default"))) void hakmem_stats_print(int fd)
{
	struct hakmem_stats s;
	struct row rows[32];
	int n;
	hakmem_stats_get(&s);
	rows_of(&s, rows, &n);
	struct hk_out o = HK_OUT_INIT(fd);
	hk_out_str(&o, "hakmem: stats (pid ");
	hk_out_u64(&o, (uint64_t)getpid());
	hk_out_str(&o, ")                 total  breakdown\n");
	for (int i = 0; i < n; i++)
		print_row(&o, &rows[i]);
	hk_out_flush(&o);
}

static void json_row(struct hk_out *o, const struct row *r, int first)
{
	hk_out_str(o, first ? "{\"" : ",\"");
	hk_out_str(o, r->name);
	hk_out_str(o, "\":");
	hk_out_u64(o, sum(r->v, r->n));
	if (r->n == 1)
		return;
	hk_out_str(o, ",\"");
	hk_out_str(o, r->name);
	hk_out_str(o, r->n == 3 ? "_by_tier\":{" : "_by_purpose\":{");
	for (int i = 0; i < r->n; i++) {
		hk_out_str(o, i ? ",\"" : "\"");
		hk_out_str(o, row_label(r, i));
		hk_out_str(o, "\":");
		hk_out_u64(o, r->v[i]);
	}
	hk_out_str(o, "}");
}

__attribute__((visibility("default"))) int hakmem_stats_write_json(const char *path)
{
	struct hakmem_stats s;
	struct row rows[32];
	int n;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	hakmem_stats_get(&s);
	rows_of(&s, rows, &n);
	struct hk_out o = HK_OUT_INIT(fd);
	for (int i = 0; i < n; i++)
		json_row(&o, &rows[i], i == 0);
	hk_out_str(&o, ",\"pid\":");
	hk_out_u64(&o, (uint64_t)getpid());
	hk_out_str(&o, "}\n");
	hk_out_flush(&o);
	close(fd);
	return 0;
}

static void reset_heap(struct hk_heap *h, void *arg)
{
	(void)arg;
	h->counters = (struct hk_heap_counters){0};
}

void hk_stats_atfork_child(void)
{
	hk_heap_for_each(reset_heap, NULL);
	hk_os_counters_reset();
	large_hits = large_misses = run_grows = 0;
	memset(heapless_pushes, 0, sizeof(heapless_pushes));
}

/* HAKMEM_STATS_FILE with every "%p" replaced by the pid, so that the
 * processes of one run do not overwrite each other's report. */
static void stats_path(char *out, size_t size)
{
	struct hk_out pid = HK_OUT_INIT(-1);
	hk_out_u64(&pid, (uint64_t)getpid());
	size_t n = 0;
	for (const char *s = hk_config.stats_file; *s && n + pid.len + 1 < size; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			__builtin_memcpy(out + n, pid.buf, pid.len);
			n += pid.len;
			s++;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

void hk_stats_at_exit(void)
{
	char path[sizeof(hk_config.stats_file) + 32];
	if (hk_config.stats)
		hakmem_stats_print(2);
	if (!hk_config.stats_file[0])
		return;
	stats_path(path, sizeof(path));
	hakmem_stats_write_json(path);
}
