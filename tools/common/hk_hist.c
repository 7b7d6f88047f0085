/* hk_hist.c — log2 histogram printing and quantiles (see hk_hist.h). */
#include "hk_hist.h"

#include <string.h>

#define BAR_WIDTH 40

uint64_t hk_hist_lo(int slot)
{
	return slot <= 0 ? 0 : 1ULL << (slot - 1);
}

uint64_t hk_hist_hi(int slot)
{
	return slot >= 64 ? UINT64_MAX : 1ULL << slot;
}

uint64_t hk_hist_count(const __u64 *slots, int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += slots[i];
	return sum;
}

uint64_t hk_hist_quantile(const __u64 *slots, int n, double q, uint64_t max)
{
	uint64_t total = hk_hist_count(slots, n), seen = 0;
	double want = q * (double)total, v, hi;
	int i;

	if (!total)
		return 0;
	for (i = 0; i < n - 1; i++) {
		if (slots[i] && (double)(seen + slots[i]) >= want)
			break;
		seen += slots[i];
	}
	/* Linear inside (lo, hi], hi lowered to the known max in the last slot:
	 * the fraction of the slot's samples below q. */
	hi = max && max < hk_hist_hi(i) ? (double)max : (double)hk_hist_hi(i);
	v = (double)hk_hist_lo(i) + (hi - (double)hk_hist_lo(i)) * ((want - (double)seen) / (double)slots[i]);
	if (max && v > (double)max)
		return max;
	return (uint64_t)(v + 0.5);
}

/* [first, last] non-empty slots; false when all are empty. */
static bool used_range(const __u64 *slots, int n, int *first, int *last)
{
	*first = -1;
	*last = -1;
	for (int i = 0; i < n; i++) {
		if (!slots[i])
			continue;
		if (*first < 0)
			*first = i;
		*last = i;
	}
	return *first >= 0;
}

static void print_bar(FILE *f, __u64 v, __u64 max)
{
	int stars = max ? (int)(v * BAR_WIDTH / max) : 0;

	fputc('|', f);
	for (int i = 0; i < BAR_WIDTH; i++)
		fputc(i < stars ? '*' : ' ', f);
	fputc('|', f);
}

/* v / div with the decimals it needs (bounds are powers of two over 10^k). */
static const char *fmt_bound(char *buf, size_t len, uint64_t v, double div)
{
	char *dot;
	size_t end;

	snprintf(buf, len, "%.6f", (double)v / div);
	dot = strchr(buf, '.');
	if (!dot)
		return buf;
	end = strlen(buf);
	while (end > 0 && buf[end - 1] == '0')
		buf[--end] = 0;
	if (buf + end - 1 == dot)
		*dot = 0;
	return buf;
}

void hk_hist_print(FILE *f, const __u64 *slots, int n, const char *unit, double div)
{
	char lo[32], hi[32], head[48];
	__u64 max = 0;
	int first, last;

	snprintf(head, sizeof(head), "(low, high] %s", unit);
	if (!used_range(slots, n, &first, &last)) {
		fprintf(f, "%27s : count\n    (no samples)\n", head);
		return;
	}
	for (int i = first; i <= last; i++)
		max = slots[i] > max ? slots[i] : max;
	fprintf(f, "%27s : count    distribution\n", head);
	for (int i = first; i <= last; i++) {
		fprintf(f, "%12s -> %-12s : %-8llu ", fmt_bound(lo, sizeof(lo), hk_hist_lo(i), div),
			fmt_bound(hi, sizeof(hi), hk_hist_hi(i), div), (unsigned long long)slots[i]);
		print_bar(f, slots[i], max);
		fputc('\n', f);
	}
}

void hk_hist_json(struct hk_json *j, const char *key, const __u64 *slots, int n,
		  const char *le_key)
{
	int first, last;

	hk_json_arr_begin(j, key);
	if (used_range(slots, n, &first, &last)) {
		for (int i = first; i <= last; i++) {
			hk_json_obj_begin(j, NULL);
			hk_json_u64(j, le_key, hk_hist_hi(i));
			hk_json_u64(j, "count", slots[i]);
			hk_json_obj_end(j);
		}
	}
	hk_json_arr_end(j);
}
