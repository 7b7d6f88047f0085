/*
 * hk_bits.bpf.h — small BPF-side helpers shared by the tools' programs.
 */
#ifndef HK_BITS_BPF_H
#define HK_BITS_BPF_H

/* The value of key in a hash map, created from *zero when missing; NULL when
 * the map is full (callers count that as a drop). */
static __always_inline void *hk_lookup_or_init(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* floor(log2(v)) for v > 0; 0 for 0. */
static __always_inline __u32 hk_log2_floor(__u64 v)
{
	__u32 r = 0;

	if (v >= (1ULL << 32)) { v >>= 32; r += 32; }
	if (v >= (1ULL << 16)) { v >>= 16; r += 16; }
	if (v >= (1ULL << 8)) { v >>= 8; r += 8; }
	if (v >= (1ULL << 4)) { v >>= 4; r += 4; }
	if (v >= (1ULL << 2)) { v >>= 2; r += 2; }
	if (v >= (1ULL << 1)) r += 1;
	return r;
}

/*
 * log2 slot of v with upper-inclusive buckets: slot k holds 2^(k-1) < v <= 2^k
 * (slot 0 holds v <= 1), i.e. slot k = ceil(log2(v)).  Upper-inclusive so that
 * slot k is exactly the Prometheus bucket le=2^k and the OpenTelemetry base-2
 * exponential bucket (scale 0) of index k-1.  Matches hk_hist.h.
 */
static __always_inline __u32 hk_log2_slot(__u64 v)
{
	return v <= 1 ? 0 : hk_log2_floor(v - 1) + 1;
}

#endif
