/* hk_bpf.c — libbpf plumbing shared by the tools (see hk_bpf.h). */
#include "hk_bpf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/capability.h>
#define HK_PROBES_NAMES_ONLY 1
#include "hakmem_probes.h"
#include "hk_util.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#define CAP_PERFMON 38
#endif

static bool libbpf_verbose;
/* libbpf ran out of descriptors at some step.  It does not always say so in
 * what it returns: a feature probe that fails with EMFILE makes it believe
 * the kernel lacks the feature, and the load or attach then fails with
 * EINVAL or EBADF.  Its messages (which we see, verbose or not) keep the
 * real cause. */
static bool libbpf_saw_emfile;

/* Remembers whether a libbpf message reports EMFILE (as text, or in errno
 * when the message is printed right after the failed call). */
static void note_emfile(int saved_errno, const char *fmt, va_list args)
{
	char msg[512];
	va_list copy;

	va_copy(copy, args);
	vsnprintf(msg, sizeof(msg), fmt, copy);
	va_end(copy);
	if (saved_errno == EMFILE || strstr(msg, strerror(EMFILE)))
		libbpf_saw_emfile = true;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list args)
{
	int saved_errno = errno;

	note_emfile(saved_errno, fmt, args);
	errno = saved_errno;
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	/* Warnings are only useful with -v too: our own one-line errors say what failed. */
	if (level == LIBBPF_WARN && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void hk_libbpf_setup(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(print_fn);
}

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int hk_check_privilege(void)
{
	if (geteuid() == 0 || has_cap(CAP_SYS_ADMIN) || (has_cap(CAP_BPF) && has_cap(CAP_PERFMON)))
		return 0;
	hk_err("need root (CAP_BPF/CAP_PERFMON)");
	return 1;
}

int hk_bpf_errno(int err)
{
	if (err < 0)
		err = -err;
	return libbpf_saw_emfile && (err == EINVAL || err == EBADF) ? EMFILE : err;
}

static const char *hk_bpf_strerror(int err)
{
	static char buf[128];
	struct rlimit rl;

	err = hk_bpf_errno(err);
	if (err != EMFILE || getrlimit(RLIMIT_NOFILE, &rl))
		return strerror(err);
	snprintf(buf, sizeof(buf), "%s (ulimit -n is %llu)", strerror(err),
		 (unsigned long long)rl.rlim_cur);
	return buf;
}

int hk_bpf_fail(const char *what, int err)
{
	err = hk_bpf_errno(err);
	if (err == EPERM || err == EACCES)
		hk_err("need root (CAP_BPF/CAP_PERFMON): cannot %s", what);
	else
		hk_err("cannot %s: %s%s", what, hk_bpf_strerror(err),
		       libbpf_verbose ? "" : " (-v for details)");
	return 1;
}

int hk_usdt_attach_fail(const char *probe, const char *binary, int err)
{
	char what[PATH_MAX + 64];

	snprintf(what, sizeof(what), "attach hakmem:%s in %s", probe, binary);
	return hk_bpf_fail(what, err);
}

int hk_usdt_attach(struct hk_links *l, struct bpf_program *prog, const char *binary,
		   const char *probe)
{
	struct bpf_link *link;

	if (l->n >= HK_MAX_LINKS)
		return -E2BIG;
	link = bpf_program__attach_usdt(prog, -1, binary, HK_PROBE_PROVIDER, probe, NULL);
	if (!link)
		return -hk_bpf_errno(errno);
	l->link[l->n++] = link;
	return 0;
}

void hk_links_destroy(struct hk_links *l)
{
	for (int i = 0; i < l->n; i++)
		bpf_link__destroy(l->link[i]);
	l->n = 0;
}

static bool tracefs_mounted(const char *dir)
{
	struct statfs st;
	char probe[256];

	snprintf(probe, sizeof(probe), "%s/events", dir);
	return !statfs(dir, &st) && st.f_type == TRACEFS_MAGIC && !access(probe, F_OK);
}

int hk_tracefs_ensure(void)
{
	const char *dir = "/sys/kernel/tracing";

	if (tracefs_mounted(dir) || tracefs_mounted("/sys/kernel/debug/tracing"))
		return 0;
	if (!mount("tracefs", dir, "tracefs", 0, NULL))
		return 0;
	hk_err("tracefs is not mounted and mounting it on %s failed: %s", dir, strerror(errno));
	return 1;
}

int hk_ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	if (n <= 0) {
		hk_err("cannot count CPUs: %s", strerror(-n));
		exit(1);
	}
	return n;
}
