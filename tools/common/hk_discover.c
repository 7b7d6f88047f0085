/* hk_discover.c — find the file carrying hakmem's USDT notes (see hk_discover.h). */
#include "hk_discover.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#define HK_PROBES_NAMES_ONLY 1 /* enums and provider name only, no probe emission */
#include "hakmem_probes.h"
#include "hk_util.h"

#define STAPSDT_NOTE_TYPE 3

/* What a scan of the stapsdt notes looks for: a note of provider and, unless
 * name is NULL, of that probe name; args gets the note's argument count. */
struct note_query {
	const char *provider, *name;
	int args;
};

/* The string at *off in a descriptor of len bytes, *off moved past it; NULL
 * when it runs past the end. */
static const char *desc_string(const char *desc, size_t len, size_t *off)
{
	const char *s = desc + *off;

	if (*off >= len || strnlen(s, len - *off) == len - *off)
		return NULL;
	*off += strlen(s) + 1;
	return s;
}

/* Operands in a note's argument string ("-8@%rax -8@%rbx": 2). */
static int count_args(const char *args)
{
	int n = 0;

	for (const char *p = args; *p; p++)
		n += *p != ' ' && (p == args || p[-1] == ' ');
	return n;
}

/* True when one stapsdt note descriptor (3 addresses, provider, name, args) answers q. */
static bool note_matches(const char *desc, size_t len, size_t addr_size, struct note_query *q)
{
	size_t off = 3 * addr_size;
	const char *provider = desc_string(desc, len, &off), *name, *args;

	if (!provider || strcmp(provider, q->provider))
		return false;
	if (!q->name)
		return true;
	name = desc_string(desc, len, &off);
	args = desc_string(desc, len, &off);
	if (!name || !args || strcmp(name, q->name))
		return false;
	q->args = count_args(args);
	return true;
}

static bool scan_notes(Elf *elf, Elf_Scn *scn, size_t addr_size, struct note_query *q)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	(void)elf;
	while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *base = data->d_buf;

		if (nh.n_type == STAPSDT_NOTE_TYPE && nh.n_namesz == 8 &&
		    !memcmp(base + name_off, "stapsdt", 8) &&
		    note_matches(base + desc_off, nh.n_descsz, addr_size, q))
			return true;
	}
	return false;
}

static bool elf_query(Elf *elf, struct note_query *q)
{
	size_t shstrndx, addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".note.stapsdt") && scan_notes(elf, scn, addr_size, q))
			return true;
	}
	return false;
}

/* O_NONBLOCK: a FIFO given as a library must not stop the tool in open(). */
static bool file_query(const char *path, struct note_query *q)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool found = false;
	struct stat st;
	Elf *elf;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		found = elf_query(elf, q);
	elf_end(elf);
	close(fd);
	return found;
}

bool hk_elf_has_provider(const char *path, const char *provider)
{
	struct note_query q = { .provider = provider };

	return file_query(path, &q);
}

int hk_elf_probe_args(const char *path, const char *provider, const char *name)
{
	struct note_query q = { .provider = provider, .name = name };

	return file_query(path, &q) ? q.args : -1;
}

/* 0 when path is a file we may execute, else why not (-errno), as
 * execve would say it. */
static int exec_error(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return S_ISREG(st.st_mode) && !access(path, X_OK) ? 0 : -EACCES;
}

static bool is_exec_file(const char *path)
{
	return exec_error(path) == 0;
}

int hk_resolve_command(const char *name, char *out, size_t outsz)
{
	const char *path = getenv("PATH");
	int err = -ENOENT;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		snprintf(out, outsz, "%s", name);
		return exec_error(name);
	}
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(out, outsz, "%.*s%s%s", (int)n, p, n ? "/" : "", name);
		if (is_exec_file(out))
			return 0;
		if (!access(out, F_OK))
			err = -EACCES;
		p += n + (p[n] == ':');
	}
	return err;
}

/* errno of opening path for reading, 0 when it opens. */
static int open_errno(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* True when paths a and b name the same file (inode). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* When candidate carries the notes, copies into out its canonical path, or,
 * when that path names another file or none (candidate is a /proc magic link
 * to a file deleted or replaced since it was mapped, or seen from another
 * root), candidate itself: the kernel resolves it to the very inode, which
 * is what a uprobe attaches to. */
static bool accept(const char *candidate, char *out, size_t outsz)
{
	char real[PATH_MAX];

	if (!hk_elf_has_provider(candidate, HK_PROBE_PROVIDER))
		return false;
	if (realpath(candidate, real) && same_file(real, candidate))
		snprintf(out, outsz, "%s", real);
	else
		snprintf(out, outsz, "%s", candidate);
	return true;
}

bool hk_maps_any(pid_t pid, bool (*match)(char *line, void *arg), void *arg)
{
	char path[64], line[PATH_MAX + 128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = match(line, arg);
	fclose(f);
	return found;
}

struct found_lib {
	pid_t pid;
	char *out;
	size_t outsz;
	int denied; /* errno when the map_files link of a libhakmem line was refused */
	char file[PATH_MAX]; /* that line's file name, for the message */
};

bool hk_maps_line_file(const char *line, char *range, dev_t *dev, unsigned long long *ino)
{
	char own[64];
	unsigned int maj, min;

	if (sscanf(line, "%63s %*s %*s %x:%x %llu", range ? range : own, &maj, &min, ino) != 4 || !*ino)
		return false;
	*dev = makedev(maj, min);
	return true;
}

/* A maps line ("start-end perms offset maj:min inode path") whose file name
 * contains "libhakmem" and carries the notes.  The file is the mapped inode:
 * when the path names another file now (rebuilt or reinstalled since, or
 * deleted: "path (deleted)"; or the process sees another root), the
 * mapping's /proc/PID/map_files link stands for it. */
static bool maps_line_is_lib(char *line, void *arg)
{
	struct found_lib *fl = arg;
	char *file = strchr(line, '/'), range[64], link[128];
	unsigned long long ino;
	struct stat st;
	dev_t dev;

	if (!file || !strstr(file, "libhakmem"))
		return false;
	file[strcspn(file, "\n")] = 0;
	if (!hk_maps_line_file(line, range, &dev, &ino))
		return false;
	if (!stat(file, &st) && st.st_ino == ino && st.st_dev == dev)
		return accept(file, fl->out, fl->outsz);
	snprintf(link, sizeof(link), "/proc/%d/map_files/%s", (int)fl->pid, range);
	if (accept(link, fl->out, fl->outsz))
		return true;
	/* the kernel lets only CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE) follow
	 * map_files links: without it the file the process runs is out of reach */
	fl->denied = open_errno(link);
	snprintf(fl->file, sizeof(fl->file), "%s", file);
	return false;
}

/* HK_LIB_MAPPED, HK_LIB_NONE when no libhakmem is mapped, or HK_LIB_ERROR
 * (said here) when the one mapped is a deleted or replaced file that we may
 * not open: the file now at its path, or the default library, would be
 * another inode, probes that never fire in the process. */
static enum hk_lib_source from_maps(pid_t pid, char *out, size_t outsz)
{
	static const char deleted[] = " (deleted)"; /* the kernel's mark in maps */
	const size_t dn = sizeof(deleted) - 1;
	struct found_lib fl = { .pid = pid, .out = out, .outsz = outsz };
	size_t n;

	if (hk_maps_any(pid, maps_line_is_lib, &fl))
		return HK_LIB_MAPPED;
	if (fl.denied != EPERM && fl.denied != EACCES)
		return HK_LIB_NONE;
	n = strlen(fl.file);
	if (n > dn && !strcmp(fl.file + n - dn, deleted))
		fl.file[n - dn] = 0;
	hk_err("pid %d runs %s, deleted or replaced since it was mapped; reading it through "
	       "/proc/%d/map_files needs CAP_SYS_ADMIN (run as root)", (int)pid, fl.file, (int)pid);
	return HK_LIB_ERROR;
}

/* An entry of an LD_PRELOAD value (space or colon separated) that carries the notes. */
static bool from_preload_value(const char *env, char *out, size_t outsz)
{
	char buf[4096], *save = NULL;

	if (!env)
		return false;
	snprintf(buf, sizeof(buf), "%s", env);
	for (char *tok = strtok_r(buf, ": ", &save); tok; tok = strtok_r(NULL, ": ", &save))
		if (accept(tok, out, outsz))
			return true;
	return false;
}

static bool is_env(const char *cmd0)
{
	const char *base = strrchr(cmd0, '/') ? strrchr(cmd0, '/') + 1 : cmd0;

	return strcmp(base, "env") == 0;
}

/* The variable env's option a (with next, the word after it) unsets, or
 * NULL; *used gets how many words it took (0: a is no such option). */
static const char *env_unset(const char *a, const char *next, int *used)
{
	*used = 0;
	if ((!strcmp(a, "-u") || !strcmp(a, "--unset")) && next) {
		*used = 2;
		return next;
	}
	if (!strncmp(a, "--unset=", 8) || (!strncmp(a, "-u", 2) && a[2])) {
		*used = 1;
		return a[1] == '-' ? a + 8 : a + 2;
	}
	return NULL;
}

/* How many words env's option a takes, other than -i and -u (0: it is not
 * one env takes, or -S, whose split string this does not follow). */
static int env_option_words(const char *a, const char *next)
{
	static const char *const alone[] = { "-0", "--null", "-v", "--debug", "--" };

	for (size_t k = 0; k < sizeof(alone) / sizeof(alone[0]); k++)
		if (!strcmp(a, alone[k]))
			return 1;
	if (!strcmp(a, "-C") || !strcmp(a, "--chdir"))
		return next ? 2 : 0;
	return !strncmp(a, "--chdir=", 8) || (!strncmp(a, "-C", 2) && a[2]);
}

/* For cmd = `env [OPTION]... [NAME=VALUE]... PROG ...`: PROG's index (0 when
 * there is none or env's words are not understood), and what env leaves of
 * LD_PRELOAD: *preload the last value set (NULL: none), *inherit whether
 * the tool's own still passes (no -i, no -u LD_PRELOAD). */
static int env_program(char *const cmd[], const char **preload, bool *inherit)
{
	*preload = NULL;
	*inherit = true;
	for (int i = 1, used; cmd[i]; i += used) {
		const char *a = cmd[i], *unset = env_unset(a, cmd[i + 1], &used);

		if (a[0] != '-' && !strchr(a, '='))
			return i;
		if (a[0] != '-') {
			if (!strncmp(a, "LD_PRELOAD=", 11))
				*preload = a + 11;
			used = 1;
		} else if (!strcmp(a, "-i") || !strcmp(a, "-") || !strcmp(a, "--ignore-environment") ||
			   (unset && !strcmp(unset, "LD_PRELOAD"))) {
			*preload = NULL;
			*inherit = false;
			used = used ? used : 1;
		} else if (!used && !(used = env_option_words(a, cmd[i + 1]))) {
			return 0;
		}
	}
	return 0;
}

/* The program the command runs: cmd[0], or for `env ... PROG`, PROG. */
static const char *program_of(char *const cmd[])
{
	const char *preload;
	bool inherit;
	int i = is_env(cmd[0]) ? env_program(cmd, &preload, &inherit) : 0;

	return cmd[i];
}

/* The command's LD_PRELOAD: ours, or what a leading `env ...` makes of it. */
static bool from_preload(char *const cmd[], char *out, size_t outsz)
{
	const char *preload = NULL;
	bool inherit = true;

	if (is_env(cmd[0]))
		env_program(cmd, &preload, &inherit);
	if (preload)
		return from_preload_value(preload, out, outsz);
	return inherit && from_preload_value(getenv("LD_PRELOAD"), out, outsz);
}

/* ../lib/libhakmem.so relative to this tool (the build tree and PREFIX/bin alike). */
static bool from_default(char *out, size_t outsz)
{
	char self[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return false;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = 0;
	snprintf(cand, sizeof(cand), "%s/../lib/libhakmem.so", self);
	return accept(cand, out, outsz);
}

static enum hk_lib_source from_explicit(const char *path, char *out, size_t outsz)
{
	struct stat st;

	if (stat(path, &st)) {
		hk_err("cannot open %s: %s", *path ? path : "''", strerror(errno));
		return HK_LIB_ERROR;
	}
	if (!S_ISREG(st.st_mode)) {
		hk_err("%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		return HK_LIB_ERROR;
	}
	if (accept(path, out, outsz))
		return HK_LIB_EXPLICIT;
	hk_err("%s: no \"%s\" USDT probes in this file", path, HK_PROBE_PROVIDER);
	return HK_LIB_ERROR;
}

enum hk_lib_source hk_discover_lib(const char *explicit_path, pid_t pid, char *const cmd[],
				   char *out, size_t outsz)
{
	char exe[PATH_MAX];
	enum hk_lib_source src;

	if (explicit_path)
		return from_explicit(explicit_path, out, outsz);
	if (pid > 0) {
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
		if (accept(exe, out, outsz)) /* static first, as below */
			return HK_LIB_STATIC;
		if ((src = from_maps(pid, out, outsz)) != HK_LIB_NONE)
			return src;
	}
	/* a static hakmem first: the executable's malloc wins over a preloaded
	 * one (the executable comes first in symbol lookup), which then idles */
	if (cmd && !hk_resolve_command(program_of(cmd), exe, sizeof(exe)) && accept(exe, out, outsz))
		return HK_LIB_STATIC;
	if (cmd && from_preload(cmd, out, outsz))
		return HK_LIB_PRELOAD;
	return from_default(out, outsz) ? HK_LIB_DEFAULT : HK_LIB_NONE;
}

const char *hk_lib_source_name(enum hk_lib_source s)
{
	static const char *const names[] = { [HK_LIB_NONE] = "none", [HK_LIB_EXPLICIT] = "--lib",
					     [HK_LIB_MAPPED] = "mapped", [HK_LIB_PRELOAD] = "LD_PRELOAD",
					     [HK_LIB_STATIC] = "static", [HK_LIB_DEFAULT] = "default",
					     [HK_LIB_ERROR] = "error" };

	/* bounded by the table: a source added to the enum without a name is "?" */
	return (unsigned)s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "?";
}
