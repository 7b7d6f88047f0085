/*
 * os.h — the OS boundary.  os.c is the only code in hakmem that calls mmap,
 * munmap or madvise; it counts every call and fires the os_* probes right
 * after the syscall returns, so that the count here equals the count at the
 * syscall tracepoints for hakmem's own calls.
 */
#ifndef HK_OS_H
#define HK_OS_H

#include <stddef.h>
#include <stdint.h>
#include "hakmem_probes.h"

#define HK_PAGE 4096u

/* The address range the regions are reserved in, one after another
 * (region.c), so that the registry finds their segments with one load
 * (segment.h).  Other aligned mappings take hints past it. */
#define HK_WINDOW_BASE ((uintptr_t)0x200000000000ull) /* 32 TiB: clear of the kernel's top-down area and ASan */
#define HK_WINDOW_SIZE ((uintptr_t)16 << 30)

/* Anonymous read/write mapping, or NULL. */
void *hk_os_map(size_t len, enum hk_purpose purpose);
/* Same, with the start aligned to align (a power of two >= HK_PAGE). */
void *hk_os_map_aligned(size_t len, size_t align, enum hk_purpose purpose);
/* Same, placed at addr exactly (which must not be mapped), or NULL. */
void *hk_os_map_at(void *addr, size_t len, enum hk_purpose purpose);
void hk_os_unmap(void *p, size_t len, enum hk_purpose purpose);
void hk_os_advise(void *p, size_t len, int advice, enum hk_purpose purpose);
/* How many mappings the OS has refused for want of memory so far (oom.h). */
uint64_t hk_os_refusals(void);
/* Milliseconds on a monotonic clock (coarse: a tick or so). */
uint64_t hk_os_now_ms(void);
/* Nanoseconds on the monotonic clock (the vDSO's, about 20 ns a read). */
uint64_t hk_os_now_ns(void);
/* The CPU the calling thread runs on (0 when unknown); no syscall. */
unsigned hk_os_cpu(void);

struct hk_os_counters {
	uint64_t map_calls[HK_PURPOSE_COUNT], map_bytes[HK_PURPOSE_COUNT];
	uint64_t unmap_calls[HK_PURPOSE_COUNT], unmap_bytes[HK_PURPOSE_COUNT];
	uint64_t advise_calls[HK_PURPOSE_COUNT], advise_bytes[HK_PURPOSE_COUNT];
};
void hk_os_counters_get(struct hk_os_counters *out);
/* A forked child counts its own calls only. */
void hk_os_counters_reset(void);

static inline size_t hk_align_up(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

#endif
