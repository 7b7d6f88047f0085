/*
 * ht_cols.h — hakmem-top's table columns, defined once for the screen, the
 * batch text and sorting: heading, width, how a cell is computed and shown.
 */
#ifndef HT_COLS_H
#define HT_COLS_H

#include <stdbool.h>
#include <stddef.h>
#include "ht_model.h"

enum ht_fmt {
	HT_FMT_PID, /* integer, the totals row shows nothing */
	HT_FMT_TEXT, /* comm, left aligned */
	HT_FMT_RATE, /* events in the interval, shown per second */
	HT_FMT_NUM, /* a gauge (queue depth) */
	HT_FMT_BYTES, /* a gauge in bytes, shown as 12.3M */
};

struct ht_col {
	const char *head; /* heading, also the name --sort accepts (case-insensitive) */
	int width;
	enum ht_fmt fmt;
	double (*value)(const struct ht_row *r); /* sort key and shown value (not TEXT) */
	const char *help; /* one line, for --help and docs */
};

extern const struct ht_col ht_cols[];
extern const int ht_ncols;
#define HT_COL_DEFAULT_SORT 2 /* REFILL/s */

/* Index of the column named name (heading, case-insensitive, "/s" optional); -1 if none. */
int ht_col_find(const char *name);
/* The text of one cell (not padded) into buf. */
const char *ht_col_cell(const struct ht_col *col, const struct ht_row *r, double interval_s,
			char *buf, size_t len);
/* Writes `text` padded to the column's width (right aligned, TEXT left) into buf. */
void ht_col_pad(const struct ht_col *col, const char *text, char *buf, size_t len);
/* Sorts rows by column col: numbers descending, text and PID ascending; reverse flips it. */
void ht_sort(struct ht_row *rows, int n, int col, bool reverse);
/* The heading line or a row as text, columns separated by one space, cut at max_width. */
void ht_line_head(char *buf, size_t len, int max_width);
void ht_line_row(char *buf, size_t len, int max_width, const struct ht_row *r, double interval_s);

#endif
