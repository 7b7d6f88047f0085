/*
 * sys.h — layouts shared by bpf/sys.bpf.c and tools/hakmem-sys.c.
 */
#ifndef HAKMEM_SYS_H
#define HAKMEM_SYS_H

/* The memory syscalls hakmem-sys counts (x86_64 numbers in sys.bpf.c). */
enum hs_call { HS_MMAP, HS_MUNMAP, HS_MADVISE, HS_MREMAP, HS_BRK, HS_NCALLS };

/* The boundary probes: os_map -> mmap, os_unmap -> munmap, os_advise -> madvise. */
enum hs_kind { HS_KIND_MAP, HS_KIND_UNMAP, HS_KIND_ADVISE, HS_NKINDS };

/* Purpose rows: the enum hk_purpose values, plus one for out-of-range purposes. */
#define HS_NPURPOSES (HK_PURPOSE_COUNT + 1)

/* Per process (key: tgid), per CPU (user space sums the CPUs). */
struct hs_stats {
	__u64 calls[HS_NCALLS]; /* every completed call, failed ones included (as strace -c) */
	__u64 bytes[HS_NCALLS]; /* successful calls: length (mremap: new length, brk: |change|) */
	__u64 bnd_calls[HS_NPURPOSES][HS_NKINDS]; /* hakmem boundary probe hits */
	__u64 bnd_bytes[HS_NPURPOSES][HS_NKINDS]; /* their len argument */
};

#endif
