/*
 * out.h — formatted output without stdio: hakmem must never allocate while it
 * reports (stats at exit, invalid-pointer errors, knob warnings).
 */
#ifndef HK_OUT_H
#define HK_OUT_H

#include <stddef.h>
#include <stdint.h>

struct hk_out {
	int fd;
	size_t len;
	char buf[1024];
};
#define HK_OUT_INIT(fd_) { .fd = (fd_), .len = 0 }

void hk_out_str(struct hk_out *o, const char *s);
void hk_out_u64(struct hk_out *o, uint64_t v);
void hk_out_hex(struct hk_out *o, uintptr_t v);
/* Left-pad the decimal v to width characters. */
void hk_out_u64w(struct hk_out *o, uint64_t v, int width);
void hk_out_flush(struct hk_out *o);

/* "hakmem: FUNC(): WHAT 0xPTR", then abort(). */
__attribute__((noreturn, cold)) void hk_fatal_ptr(const char *func, const char *what, const void *p);

#endif
