/*
 * ht_screen.h — hakmem-top's interactive full screen (ncurses): draws a
 * snapshot, turns keys into actions.  Honours NO_COLOR; a terminal too small
 * for the table shows what fits.
 */
#ifndef HT_SCREEN_H
#define HT_SCREEN_H

#include <stdbool.h>
#include "ht_model.h"

/* How the table is shown; changed by keys. */
struct ht_view {
	int sort_col; /* index into ht_cols */
	bool reverse;
	bool paused;
};

enum ht_action {
	HT_ACT_NONE, /* nothing visible changed */
	HT_ACT_REDRAW, /* sort order or pause changed: draw again */
	HT_ACT_RESET, /* forget peaks, then draw again */
	HT_ACT_QUIT,
};

/* True when the terminal on stdout can show the full screen: TERM names a
 * terminal that can move the cursor (not unset, unknown or "dumb"). */
bool ht_screen_usable(void);
/* Enters the full screen (0) or prints why not and returns 1. */
int ht_screen_open(void);
/* Leaves it and restores the terminal (safe to call twice). */
void ht_screen_close(void);
/* Draws s (NULL: nothing collected yet), sorting its rows per v. */
void ht_screen_draw(struct ht_snapshot *s, const struct ht_view *v, double delay_s);
/* Reads pending keys (never blocks) and applies them to v; the strongest action. */
enum ht_action ht_screen_keys(struct ht_view *v);

#endif
