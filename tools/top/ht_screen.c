/* ht_screen.c — the interactive ncurses screen of hakmem-top (see ht_screen.h). */
#include "ht_screen.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>
#include "ht_cols.h"
#include "ht_report.h"
#include "hk_util.h"

#define HEAD_LINES 3 /* header, keys, column headings */

enum { PAIR_HEAD = 1, PAIR_SORT, PAIR_GONE };

static bool open_;
static bool color;

bool ht_screen_usable(void)
{
	const char *cup;
	int err;
	bool ok;

	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return false;
	cup = tigetstr("cup");
	ok = cup && cup != (const char *)-1;
	del_curterm(cur_term);
	return ok;
}

int ht_screen_open(void)
{
	if (!newterm(NULL, stdout, stdin)) {
		hk_err("cannot drive this terminal (TERM=%s); use -b", getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	open_ = true;
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	color = !getenv("NO_COLOR") && has_colors();
	if (color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_SORT, COLOR_BLACK, COLOR_YELLOW);
		init_pair(PAIR_GONE, COLOR_RED, -1);
	}
	return 0;
}

void ht_screen_close(void)
{
	if (!open_)
		return;
	endwin();
	open_ = false;
}

/* Attribute of a column heading (the sort column stands out, also without colour). */
static attr_t head_attr(bool sorted)
{
	if (!color)
		return sorted ? A_BOLD | A_UNDERLINE : A_REVERSE;
	return sorted ? COLOR_PAIR(PAIR_SORT) | A_BOLD : COLOR_PAIR(PAIR_HEAD);
}

/* Writes one table line at row y: headings (r == NULL) or a row's cells, as many as fit. */
static void draw_line(int y, const struct ht_row *r, double interval_s, const struct ht_view *v,
		      attr_t base)
{
	int x = 0;

	move(y, 0);
	clrtoeol();
	if (!r)
		mvchgat(y, 0, -1, color ? 0 : A_REVERSE, color ? PAIR_HEAD : 0, NULL);
	for (int i = 0; i < ht_ncols && x < COLS; i++) {
		const struct ht_col *col = &ht_cols[i];
		char cell[64], padded[64];
		attr_t a = r ? base : head_attr(i == v->sort_col);

		if (x + col->width > COLS)
			break;
		ht_col_pad(col, r ? ht_col_cell(col, r, interval_s, cell, sizeof(cell)) : col->head,
			   padded, sizeof(padded));
		attron(a);
		mvaddnstr(y, x, padded, COLS - x);
		attroff(a);
		x += col->width + 1;
	}
}

static void draw_header(const struct ht_snapshot *s, const struct ht_view *v, double delay_s)
{
	char buf[512];

	if (s)
		ht_report_header(s, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "hakmem-top  collecting the first %.2gs interval...", delay_s);
	mvaddnstr(0, 0, buf, COLS);
	if (v->paused && COLS > 10) {
		attron(A_BOLD);
		mvaddnstr(0, COLS > 70 ? COLS - 8 : 0, "[paused]", COLS);
		attroff(A_BOLD);
	}
	attron(A_DIM);
	snprintf(buf, sizeof(buf), "q quit  < > sort by %s%s  i invert  space pause  r reset QPEAK",
		 ht_cols[v->sort_col].head, v->reverse ? " (inverted)" : "");
	mvaddnstr(1, 0, buf, COLS);
	attroff(A_DIM);
}

static void draw_rows(struct ht_snapshot *s, const struct ht_view *v)
{
	int y = HEAD_LINES, last = LINES - 1; /* the totals take the last line */

	if (!s)
		return;
	ht_sort(s->rows, s->n, v->sort_col, v->reverse);
	if (s->n == 0 && y < last)
		mvaddnstr(y++, 0, ht_report_hint(), COLS);
	for (int i = 0; i < s->n && y < last; i++, y++)
		draw_line(y, &s->rows[i], s->interval_s, v,
			  s->rows[i].exited ? (color ? COLOR_PAIR(PAIR_GONE) : A_DIM) : 0);
	if (LINES > HEAD_LINES)
		draw_line(LINES - 1, &s->total, s->interval_s, v, A_BOLD);
}

void ht_screen_draw(struct ht_snapshot *s, const struct ht_view *v, double delay_s)
{
	if (!open_)
		return;
	erase();
	if (LINES < 1 || COLS < 1) {
		refresh();
		return;
	}
	draw_header(s, v, delay_s);
	if (LINES > 2)
		draw_line(2, NULL, 0, v, 0);
	if (LINES > HEAD_LINES)
		draw_rows(s, v);
	refresh();
}

static enum ht_action apply_key(struct ht_view *v, int ch)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return HT_ACT_QUIT;
	case '<':
	case KEY_LEFT:
		v->sort_col = (v->sort_col + ht_ncols - 1) % ht_ncols;
		return HT_ACT_REDRAW;
	case '>':
	case KEY_RIGHT:
	case 's':
		v->sort_col = (v->sort_col + 1) % ht_ncols;
		return HT_ACT_REDRAW;
	case 'i':
	case 'I':
		v->reverse = !v->reverse;
		return HT_ACT_REDRAW;
	case ' ':
		v->paused = !v->paused;
		return HT_ACT_REDRAW;
	case 'r':
	case 'R':
		return HT_ACT_RESET;
	case KEY_RESIZE:
	case 12: /* ^L */
		return HT_ACT_REDRAW;
	default:
		return HT_ACT_NONE;
	}
}

enum ht_action ht_screen_keys(struct ht_view *v)
{
	enum ht_action strongest = HT_ACT_NONE;
	int ch;

	if (!open_)
		return HT_ACT_NONE;
	while ((ch = getch()) != ERR) {
		enum ht_action a = apply_key(v, ch);

		if (a > strongest)
			strongest = a;
		if (a == HT_ACT_QUIT)
			break;
	}
	return strongest;
}
