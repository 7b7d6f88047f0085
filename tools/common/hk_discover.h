/*
 * hk_discover.h — where hakmem's USDT probes live for a target: the file to
 * attach them to (for all processes, pid -1; BPF filters by tracked tgid).
 */
#ifndef HK_DISCOVER_H
#define HK_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum hk_lib_source {
	HK_LIB_NONE = 0, /* nothing found */
	HK_LIB_EXPLICIT, /* -L/--lib PATH */
	HK_LIB_MAPPED, /* mapped in /proc/PID/maps (running target) */
	HK_LIB_PRELOAD, /* named in LD_PRELOAD of the command's environment */
	HK_LIB_STATIC, /* the executable itself carries provider "hakmem" notes */
	HK_LIB_DEFAULT, /* fallback: ../lib/libhakmem.so next to the tool (built or installed) */
	HK_LIB_ERROR, /* an error, already said on stderr: the tool must stop (exit 1) */
};

/* Finds the file carrying hakmem's probes: explicit path, else (pid) its
 * executable (static link) or its maps, else (cmd) the static executable or
 * LD_PRELOAD, else the default.  A static hakmem comes first: the
 * executable's malloc wins over a preloaded one, which then does nothing.
 * Writes an absolute path to out; returns the source (HK_LIB_NONE when
 * nothing has the notes).  HK_LIB_ERROR, with its one line printed here:
 * an explicit path without notes, or a PID's mapped libhakmem deleted or
 * replaced since, whose /proc/PID/map_files link we may not open (no
 * CAP_SYS_ADMIN) — not a fallback to another copy, whose probes would
 * never fire in that process. */
enum hk_lib_source hk_discover_lib(const char *explicit_path, pid_t pid, char *const cmd[],
				   char *out, size_t outsz);
/* True when match(line, arg) holds for a line of /proc/PID/maps (false when unreadable). */
bool hk_maps_any(pid_t pid, bool (*match)(char *line, void *arg), void *arg);
/* The file a maps line ("start-end perms offset maj:min inode path") maps:
 * its device and inode, and (range not NULL: 64 bytes) the "start-end" field, which
 * names its /proc/PID/map_files link; false when the line is malformed or
 * maps no file (inode 0). */
bool hk_maps_line_file(const char *line, char *range, dev_t *dev, unsigned long long *ino);
/* True when the ELF file has a .note.stapsdt note of provider `provider`. */
bool hk_elf_has_provider(const char *path, const char *provider);
/* The argument count of probe provider:name in the ELF file (its first
 * note), or -1 when it has none. */
int hk_elf_probe_args(const char *path, const char *provider, const char *name);
/* Resolves a command name through PATH like execvp; 0 and out filled, or -errno. */
int hk_resolve_command(const char *name, char *out, size_t outsz);
/* Human name of a source ("LD_PRELOAD", "static", ...). */
const char *hk_lib_source_name(enum hk_lib_source s);

#endif
