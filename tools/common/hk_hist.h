/*
 * hk_hist.h — log2 histograms (user side).  Slot i counts values v with
 * 2^(i-1) < v <= 2^i (slot 0: v <= 1), as hk_log2_slot() in hk_bits.bpf.h:
 * upper-inclusive, so slot i is the Prometheus bucket le=2^i and the
 * OpenTelemetry base-2 (scale 0) bucket of index i-1.
 * Slots are __u64 as BPF maps hold them.
 */
#ifndef HK_HIST_H
#define HK_HIST_H

#include <stdint.h>
#include <linux/types.h>
#include <stdio.h>
#include "hk_json.h"

#define HK_HIST_SLOTS 64

/* Exclusive lower bound of slot i (2^(i-1); 0 for slot 0). */
uint64_t hk_hist_lo(int slot);
/* Inclusive upper bound of slot i (2^i; 1 for slot 0): its `le`. */
uint64_t hk_hist_hi(int slot);
/* Sum of all slots. */
uint64_t hk_hist_count(const __u64 *slots, int n);
/* Quantile q (0..1), interpolated linearly inside the slot where it falls (as
 * Prometheus' histogram_quantile), with the last slot's upper bound lowered
 * to max (the exact maximum when known, else 0: no clamp); 0 when empty. */
uint64_t hk_hist_quantile(const __u64 *slots, int n, double q, uint64_t max);
/* runqlat-style table of the non-empty range, with a 40-star bar:
 *   "(low, high] us : count    distribution" then "low -> high : count |***|".
 * Bounds are divided by div and labelled unit (e.g. 1000.0, "us"). */
void hk_hist_print(FILE *f, const __u64 *slots, int n, const char *unit, double div);
/* Emits key: [{LE_KEY: 2^i, "count": C}, ...] over the non-empty range
 * (per-slot counts, not cumulative; empty slots inside the range included). */
void hk_hist_json(struct hk_json *j, const char *key, const __u64 *slots, int n,
		  const char *le_key);

#endif
