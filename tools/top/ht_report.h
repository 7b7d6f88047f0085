/*
 * ht_report.h — hakmem-top's batch output (-b, or --json): one block of
 * text or one JSON Lines object per interval.
 */
#ifndef HT_REPORT_H
#define HT_REPORT_H

#include <stdio.h>
#include "ht_model.h"

/* The header line ("hakmem-top 12:34:56  interval 1.00s ...") into buf. */
const char *ht_report_header(const struct ht_snapshot *s, char *buf, size_t len);
/* The hint shown while no process uses hakmem. */
const char *ht_report_hint(void);
/* Text: header, column headings, rows (sorted already), totals, blank line. */
void ht_report_text(FILE *f, const struct ht_snapshot *s);
/* One JSON object on one line. */
void ht_report_json(FILE *f, const struct ht_snapshot *s);

#endif
