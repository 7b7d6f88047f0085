/*
 * probe_time.h — the interval a done probe reports as its ns argument
 * (include/hakmem_probes.h).  The clock is read after the start probe and
 * before the done probe, so the interval holds neither probe's trap: an
 * attached uprobe costs about 1 µs a hit, more than most refills take, and
 * a tracer timing the pair itself saw every refill as 0.5 µs or longer.
 * The clock is read only while a tracer is attached to the done probe.
 */
#ifndef HK_PROBE_TIME_H
#define HK_PROBE_TIME_H

#include <stdint.h>
#include "hakmem_probes.h"
#include "os.h"

/* The start of an interval: 0 (not timed) unless active. */
static inline uint64_t hk_probe_t0(int active)
{
	return active ? hk_os_now_ns() : 0;
}

/* ns since t0, or -1 when the interval was not timed (a tracer attached
 * after it began). */
static inline long hk_probe_ns(uint64_t t0)
{
	return t0 ? (long)(hk_os_now_ns() - t0) : -1;
}

#endif
