/*
 * hk_bpf.h — libbpf plumbing shared by the tools: logging, privilege and
 * error messages, USDT attach for all processes of a binary, link cleanup,
 * tracefs.
 */
#ifndef HK_BPF_H
#define HK_BPF_H

#include <stdbool.h>
#include <bpf/libbpf.h>

#define HK_MAX_LINKS 64

/* Links made by hand (USDT); skeleton links are destroyed by X_bpf__destroy. */
struct hk_links {
	struct bpf_link *link[HK_MAX_LINKS];
	int n;
};

/* libbpf messages: warnings always, debug only when verbose (-v). */
void hk_libbpf_setup(bool verbose);
/* Returns 0 when we may load BPF, else prints "need root (CAP_BPF/CAP_PERFMON)" and returns 1. */
int hk_check_privilege(void);
/* The errno (positive) behind err (+/-) returned by a libbpf step: EMFILE
 * when libbpf ran out of descriptors and returned EINVAL or EBADF for it. */
int hk_bpf_errno(int err);
/* Prints a one-line error for a failed libbpf step (what = "load BPF programs")
 * with EPERM/EACCES turned into the privilege message and the real errno
 * (hk_bpf_errno); returns 1 (exit code). */
int hk_bpf_fail(const char *what, int err);
/* hk_bpf_fail for hakmem:probe in binary, which hk_usdt_attach refused:
 * "cannot attach hakmem:PROBE in BINARY: ...", or "need root" on EPERM. */
int hk_usdt_attach_fail(const char *probe, const char *binary, int err);
/* Attaches prog to USDT hakmem:probe in binary for every process (pid -1); 0 or -errno. */
int hk_usdt_attach(struct hk_links *l, struct bpf_program *prog, const char *binary,
		   const char *probe);
/* Destroys every link in l (safe to call twice). */
void hk_links_destroy(struct hk_links *l);
/* Mounts tracefs at /sys/kernel/tracing when not mounted (only for tools using
 * SEC("tracepoint/...")); 0 or a one-line error and 1. */
int hk_tracefs_ensure(void);
/* Number of CPUs libbpf sizes per-CPU map values with (>0), or exits with a message. */
int hk_ncpus(void);

#endif
