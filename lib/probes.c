/*
 * probes.c — the USDT semaphores of the probe catalogue
 * (include/hakmem_probes.h).  A tracer increments a probe's semaphore while
 * attached, which lets HK_PROBE_ACTIVE() skip argument preparation otherwise.
 */
#include "hakmem_probes.h"

#if HAKMEM_PROBES
#define HK_SEMAPHORE_DEF(name) \
	volatile unsigned short hakmem_##name##_semaphore __attribute__((section(".probes"), used))
HK_SEMAPHORE_DEF(thread_init);
HK_SEMAPHORE_DEF(thread_exit);
HK_SEMAPHORE_DEF(cold_start);
HK_SEMAPHORE_DEF(cold_done);
HK_SEMAPHORE_DEF(refill_start);
HK_SEMAPHORE_DEF(refill_done);
HK_SEMAPHORE_DEF(drain);
HK_SEMAPHORE_DEF(remote_push);
HK_SEMAPHORE_DEF(arena_grow_start);
HK_SEMAPHORE_DEF(arena_grow);
HK_SEMAPHORE_DEF(arena_release);
HK_SEMAPHORE_DEF(reclaim_start);
HK_SEMAPHORE_DEF(reclaim_done);
HK_SEMAPHORE_DEF(os_map);
HK_SEMAPHORE_DEF(os_unmap);
HK_SEMAPHORE_DEF(os_advise);
#endif
