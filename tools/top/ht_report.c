/* ht_report.c — batch text and JSON Lines output (see ht_report.h). */
#include "ht_report.h"

#include <time.h>
#include "hk_json.h"
#include "ht_cols.h"

#define LINE_MAX_ 512

const char *ht_report_header(const struct ht_snapshot *s, char *buf, size_t len)
{
	time_t t = (time_t)s->time;
	struct tm tm;
	char clock[16];

	localtime_r(&t, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(buf, len,
		 "hakmem-top %s  interval %.2fs  %d process%s  BPF cost %.0f ns/event, %.0f events/s%s",
		 clock, s->interval_s, s->n, s->n == 1 ? "" : "es", s->bpf_ns_per_event,
		 s->bpf_events_per_s, s->dropped ? "  (events dropped: map full)" : "");
	return buf;
}

const char *ht_report_hint(void)
{
	return "no process is using hakmem yet: start one (e.g. LD_PRELOAD=libhakmem.so CMD), "
	       "or watch a static binary with -p PID";
}

void ht_report_text(FILE *f, const struct ht_snapshot *s)
{
	char line[LINE_MAX_];

	fprintf(f, "%s\n", ht_report_header(s, line, sizeof(line)));
	ht_line_head(line, sizeof(line), 0);
	fprintf(f, "%s\n", line);
	for (int i = 0; i < s->n; i++) {
		ht_line_row(line, sizeof(line), 0, &s->rows[i], s->interval_s);
		fprintf(f, "%s\n", line);
	}
	if (s->n == 0)
		fprintf(f, "  (%s)\n", ht_report_hint());
	ht_line_row(line, sizeof(line), 0, &s->total, s->interval_s);
	fprintf(f, "%s\n\n", line);
	fflush(f);
}

/* The members of one process (or of the totals). */
static void json_row(struct hk_json *j, const struct ht_row *r)
{
	hk_json_u64(j, "refills", r->refills);
	hk_json_u64(j, "drains", r->drains);
	hk_json_u64(j, "remote_frees", r->remote_frees);
	hk_json_u64(j, "remote_depth", r->depth);
	hk_json_u64(j, "remote_depth_max", r->depth_max);
	hk_json_u64(j, "remote_queued", r->queued);
	hk_json_u64(j, "arena_grows", r->arena_grows);
	hk_json_u64(j, "arena_bytes", r->arena_bytes);
	hk_json_u64(j, "reclaim_walked", r->walked);
	hk_json_u64(j, "mmap", r->os_calls[HT_OS_MAP]);
	hk_json_u64(j, "munmap", r->os_calls[HT_OS_UNMAP]);
	hk_json_u64(j, "madvise", r->os_calls[HT_OS_ADVISE]);
	hk_json_u64(j, "mmap_bytes", r->os_bytes[HT_OS_MAP]);
	hk_json_u64(j, "munmap_bytes", r->os_bytes[HT_OS_UNMAP]);
	hk_json_u64(j, "madvise_bytes", r->os_bytes[HT_OS_ADVISE]);
	hk_json_i64(j, "mapped_bytes", r->mapped_bytes);
	hk_json_u64(j, "rss_bytes", r->rss_bytes);
}

/* ISO 8601 local time with milliseconds and UTC offset: 2025-01-31T12:34:56.789+0100. */
static const char *iso_time(double secs, char *buf, size_t len)
{
	time_t t = (time_t)secs;
	struct tm tm;
	char date[32], zone[8];

	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, len, "%s.%03d%s", date, (int)((secs - (double)t) * 1000), zone);
	return buf;
}

void ht_report_json(FILE *f, const struct ht_snapshot *s)
{
	struct hk_json j;
	char when[64];

	hk_json_init(&j, f);
	hk_json_obj_begin(&j, NULL);
	hk_json_str(&j, "time", iso_time(s->time, when, sizeof(when)));
	hk_json_double(&j, "interval_s", s->interval_s);
	hk_json_double(&j, "bpf_ns_per_event", s->bpf_ns_per_event);
	hk_json_double(&j, "bpf_events_per_s", s->bpf_events_per_s);
	hk_json_u64(&j, "dropped", s->dropped);
	hk_json_arr_begin(&j, "processes");
	for (int i = 0; i < s->n; i++) {
		const struct ht_row *r = &s->rows[i];

		hk_json_obj_begin(&j, NULL);
		hk_json_i64(&j, "pid", r->pid);
		hk_json_str(&j, "comm", r->comm);
		hk_json_bool(&j, "exited", r->exited);
		json_row(&j, r);
		hk_json_obj_end(&j);
	}
	hk_json_arr_end(&j);
	hk_json_obj_begin(&j, "total");
	json_row(&j, &s->total);
	hk_json_obj_end(&j);
	hk_json_obj_end(&j);
	hk_json_finish(&j);
}
