/*
 * hk_util.h — small pieces every hakmem tool needs: one-line errors, signal
 * handling, monotonic time, number parsing, the report output file.
 */
#ifndef HK_UTIL_H
#define HK_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Set by SIGINT/SIGTERM (hk_signals_install); holds the signal number. */
extern volatile sig_atomic_t hk_stop_signal;
/* The launched command while it runs (set by hk_target), else 0: it gets
 * SIGTERM when the tool dies of a signal it handles (a second stop signal,
 * SIGPIPE; see hk_signals_install). */
extern volatile sig_atomic_t hk_child_pid;

/* Name used in messages ("hakmem-sys"); defaults to the executable's name. */
void hk_set_progname(const char *name);
/* The name set above. */
const char *hk_progname(void);
/* Prints "PROGNAME: MESSAGE\n" on stderr (one line, printf format). */
void hk_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints like hk_err only when verbose is true (debug detail for -v). */
void hk_dbg(bool verbose, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* SIGINT/SIGTERM set hk_stop_signal, with SA_RESTART: writes complete, while
 * poll/epoll_wait/nanosleep still return EINTR.  A second one, a second or
 * more after the first, kills the tool (and sends hk_child_pid SIGTERM): what
 * the first waits for is not coming.
 * SIGPIPE kills the tool as by default (exit 141), hk_child_pid getting SIGTERM. */
int hk_signals_install(void);
/* True once SIGINT/SIGTERM arrived. */
static inline bool hk_stopping(void)
{
	return hk_stop_signal != 0;
}

/* CLOCK_MONOTONIC in seconds. */
double hk_now(void);
/* pidfd_open(2) (no glibc wrapper before 2.36): a descriptor for pid, or -1 with errno. */
int hk_pidfd_open(pid_t pid);
/* Sleeps up to secs; returns early (false) when a stop signal arrives. */
bool hk_sleep(double secs);

/* Whether a "a,b" list has no empty item (strtok would skip them silently:
 * --max '' would be no budget at all). */
bool hk_list_items_present(const char *list);
/* Index of the first len bytes of name in names[0..n), or -1 (for "a,b" lists). */
int hk_name_index(const char *const *names, int n, const char *name, size_t len);
/* Parses a whole decimal string into *out; 0 on success, -1 on junk/overflow. */
int hk_parse_u64(const char *s, uint64_t *out);
/* Parses a positive number of seconds ("2", "0.5"); 0 on success, -1 otherwise. */
int hk_parse_seconds(const char *s, double *out);

/* Opens the report destination: path NULL or "-" gives stdout; error printed on failure. */
FILE *hk_open_output(const char *path);
/* Closes what hk_open_output returned (stdout: flushed); -1 with "cannot
 * write the report: why" on a write error. */
int hk_close_output(FILE *f);
/* Opens path for writing, close-on-exec (a launched command must not hold
 * it), or says why not and returns NULL. */
FILE *hk_open_file(const char *path);
/* Closes f, written as path; -1 with "cannot write PATH: why" on an error. */
int hk_close_file(FILE *f, const char *path);

/* Bytes of the well-formed UTF-8 character at s (1-4), 0 when s starts an
 * ill-formed sequence (a stray byte, an overlong form, a surrogate, past
 * U+10FFFF) or at its terminating NUL.  JSON and SVG must be valid UTF-8,
 * and a command's words or a comm may be any bytes. */
size_t hk_utf8_len(const char *s);

/* Appends item to the comma separated list in buf (for messages that name
 * several things at once); cut short when buf is full. */
void hk_list_append(char *buf, size_t len, const char *item);

/* "1.5 MiB"-style human size into buf (returns buf). */
const char *hk_fmt_bytes(uint64_t bytes, char *buf, size_t len);

#endif
