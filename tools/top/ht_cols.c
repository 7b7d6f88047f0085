/* ht_cols.c — the column table and its formatting (see ht_cols.h). */
#include "ht_cols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static double v_pid(const struct ht_row *r) { return r->pid; }
static double v_refills(const struct ht_row *r) { return r->refills; }
static double v_drains(const struct ht_row *r) { return r->drains; }
static double v_remote(const struct ht_row *r) { return r->remote_frees; }
static double v_depth(const struct ht_row *r) { return r->depth; }
static double v_depth_max(const struct ht_row *r) { return r->depth_max; }
static double v_depth_peak(const struct ht_row *r) { return r->depth_peak; }
static double v_grows(const struct ht_row *r) { return r->arena_grows; }
static double v_arena(const struct ht_row *r) { return r->arena_bytes; }
static double v_walked(const struct ht_row *r) { return r->walked; }
static double v_mmap(const struct ht_row *r) { return r->os_calls[HT_OS_MAP]; }
static double v_munmap(const struct ht_row *r) { return r->os_calls[HT_OS_UNMAP]; }
static double v_madvise(const struct ht_row *r) { return r->os_calls[HT_OS_ADVISE]; }
static double v_mapped(const struct ht_row *r) { return (double)r->mapped_bytes; }
static double v_rss(const struct ht_row *r) { return r->rss_bytes; }

const struct ht_col ht_cols[] = {
	{ "PID", 7, HT_FMT_PID, v_pid, "process id" },
	{ "COMM", 15, HT_FMT_TEXT, NULL, "command name" },
	{ "REFILL/s", 9, HT_FMT_RATE, v_refills, "thread-cache refills per second" },
	{ "DRAIN/s", 8, HT_FMT_RATE, v_drains, "remote-queue drains per second" },
	{ "RFREE/s", 8, HT_FMT_RATE, v_remote, "remote frees (pushes to another thread's queue) per second" },
	{ "QNOW", 6, HT_FMT_NUM, v_depth, "deepest remote queue now (blocks)" },
	{ "QMAX", 6, HT_FMT_NUM, v_depth_max, "deepest remote queue during the interval" },
	{ "QPEAK", 6, HT_FMT_NUM, v_depth_peak, "deepest remote queue since start or `r`" },
	{ "GROW/s", 7, HT_FMT_RATE, v_grows, "arena grows per second (pool arenas, large-tier run chunks)" },
	{ "ARENA", 8, HT_FMT_BYTES, v_arena, "pool arena bytes (arenas seen growing)" },
	{ "WALK/s", 7, HT_FMT_RATE, v_walked, "free blocks reclaim walks visited per second (each walk holds up a malloc)" },
	{ "MMAP/s", 7, HT_FMT_RATE, v_mmap, "mmap calls through hakmem's OS boundary per second" },
	{ "MUNMAP/s", 8, HT_FMT_RATE, v_munmap, "munmap calls through the boundary per second" },
	{ "MADV/s", 7, HT_FMT_RATE, v_madvise, "madvise calls through the boundary per second" },
	{ "MAPPED", 8, HT_FMT_BYTES, v_mapped, "bytes mapped minus unmapped through the boundary since attach" },
	{ "RSS", 8, HT_FMT_BYTES, v_rss, "resident set size (/proc/PID/statm)" },
};
const int ht_ncols = sizeof(ht_cols) / sizeof(ht_cols[0]);

int ht_col_find(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < ht_ncols; i++) {
		const char *h = ht_cols[i].head;

		if (!strcasecmp(h, name))
			return i;
		/* "refill" for "REFILL/s" */
		if (strlen(h) == n + 2 && !strcmp(h + n, "/s") && !strncasecmp(h, name, n))
			return i;
	}
	return -1;
}

/* 1234 -> "1234", 123456 -> "123.5k": fits 7 characters. */
static void fmt_scaled(double v, char *buf, size_t len)
{
	static const char unit[] = { 0, 'k', 'M', 'G', 'T' };
	int u = 0;

	if (v < 0.05 && v > -0.05) {
		snprintf(buf, len, "0");
		return;
	}
	if (v < 10 && v > -10 && v != (long long)v) {
		snprintf(buf, len, "%.1f", v);
		return;
	}
	while ((v >= 99999.5 || v <= -99999.5) && u < 4) {
		v /= 1000;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f%c", v, unit[u]);
	else
		snprintf(buf, len, "%.0f", v);
}

/* 1536 -> "1.5K", binary units, fits 7 characters. */
static void fmt_bytes(double v, char *buf, size_t len)
{
	static const char unit[] = { 'B', 'K', 'M', 'G', 'T', 'P' };
	int u = 0;

	while ((v >= 1024 || v <= -1024) && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1f%c", v, unit[u]);
}

const char *ht_col_cell(const struct ht_col *col, const struct ht_row *r, double interval_s,
			char *buf, size_t len)
{
	switch (col->fmt) {
	case HT_FMT_PID:
		snprintf(buf, len, r->pid ? "%d" : "", (int)r->pid);
		break;
	case HT_FMT_TEXT:
		snprintf(buf, len, "%s", r->comm);
		break;
	case HT_FMT_RATE:
		fmt_scaled(interval_s > 0 ? col->value(r) / interval_s : 0, buf, len);
		break;
	case HT_FMT_NUM:
		fmt_scaled(col->value(r), buf, len);
		break;
	case HT_FMT_BYTES:
		fmt_bytes(col->value(r), buf, len);
		break;
	}
	return buf;
}

void ht_col_pad(const struct ht_col *col, const char *text, char *buf, size_t len)
{
	snprintf(buf, len, col->fmt == HT_FMT_TEXT ? "%-*.*s" : "%*.*s", col->width, col->width,
		 text);
}

struct sort_ctx {
	int col;
	bool reverse;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *s = arg;
	const struct ht_col *col = &ht_cols[s->col];
	const struct ht_row *x = a, *y = b;
	int c;

	if (col->fmt == HT_FMT_TEXT) {
		c = strcmp(x->comm, y->comm);
	} else {
		double vx = col->value(x), vy = col->value(y);

		c = vx < vy ? 1 : vx > vy ? -1 : 0;
		if (col->fmt == HT_FMT_PID)
			c = -c;
	}
	if (!c)
		c = x->pid < y->pid ? -1 : x->pid > y->pid; /* stable order between refreshes */
	return s->reverse ? -c : c;
}

void ht_sort(struct ht_row *rows, int n, int col, bool reverse)
{
	struct sort_ctx s = { col, reverse };

	if (n > 1 && col >= 0 && col < ht_ncols)
		qsort_r(rows, n, sizeof(*rows), cmp_rows, &s);
}

/* Appends the padded cells to buf while they fit in max_width. */
static void line(char *buf, size_t len, int max_width, const struct ht_row *r, double interval_s)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < ht_ncols; i++) {
		const struct ht_col *col = &ht_cols[i];
		char cell[64], padded[64];
		size_t need;

		ht_col_pad(col, r ? ht_col_cell(col, r, interval_s, cell, sizeof(cell)) : col->head,
			   padded, sizeof(padded));
		need = strlen(padded) + (i ? 1 : 0);
		if ((max_width > 0 && used + need > (size_t)max_width) || used + need + 1 > len)
			break;
		used += snprintf(buf + used, len - used, "%s%s", i ? " " : "", padded);
	}
}

void ht_line_head(char *buf, size_t len, int max_width)
{
	line(buf, len, max_width, NULL, 0);
}

void ht_line_row(char *buf, size_t len, int max_width, const struct ht_row *r, double interval_s)
{
	line(buf, len, max_width, r, interval_s);
}
