/*
 * oom.h — the last try before ENOMEM.  A heap keeps what its thread freed
 * in the classes it was freed in until a reclaim is due, and chunks handed
 * back wait HAKMEM_LARGE_PURGE_MS: under RLIMIT_AS a program that filled
 * memory with 1 KiB blocks and freed them all got ENOMEM for malloc(16),
 * where glibc reuses the space.  So when the OS refused a mapping while an
 * allocation was being served, everything malloc_trim gives back goes back
 * and the allocation is tried once more.  Only then: a failure the OS had
 * no part in (a size past what any span holds) costs no walk.
 */
#ifndef HK_OOM_H
#define HK_OOM_H

#include "os.h"

/* When the OS refused a mapping since mark (hk_os_refusals()), give back
 * all that malloc_trim would and return 1: worth one more try. */
int hk_oom_relieve(uint64_t mark);

/* expr (an allocation, NULL on failure), tried once more after a relief. */
#define HK_OOM_RETRY(expr)                                    \
	({                                                    \
		uint64_t mark_ = hk_os_refusals();            \
		void *p_ = (expr);                            \
		if (!p_ && hk_oom_relieve(mark_))             \
			p_ = (expr);                          \
		p_;                                           \
	})

#endif
