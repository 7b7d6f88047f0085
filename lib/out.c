/* out.c — write(2)-based formatting (see out.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "out.h"

void hk_out_flush(struct hk_out *o)
{
	size_t off = 0;
	while (off < o->len) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	o->len = 0;
}

static void put(struct hk_out *o, const char *s, size_t n)
{
	while (n) {
		if (o->len == sizeof(o->buf))
			hk_out_flush(o);
		size_t room = sizeof(o->buf) - o->len, k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void hk_out_str(struct hk_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static int format_u64(char *end, uint64_t v)
{
	int n = 0;
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
		n++;
	} while (v);
	return n;
}

void hk_out_u64w(struct hk_out *o, uint64_t v, int width)
{
	char tmp[24];
	int n = format_u64(tmp + sizeof(tmp), v);
	for (; width > n; width--)
		put(o, " ", 1);
	put(o, tmp + sizeof(tmp) - n, (size_t)n);
}

void hk_out_u64(struct hk_out *o, uint64_t v)
{
	hk_out_u64w(o, v, 0);
}

void hk_out_hex(struct hk_out *o, uintptr_t v)
{
	char tmp[2 + 16];
	int n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	put(o, "0x", 2);
	put(o, tmp + sizeof(tmp) - n, (size_t)n);
}

void hk_fatal_ptr(const char *func, const char *what, const void *p)
{
	struct hk_out o = HK_OUT_INIT(2);
	hk_out_str(&o, "hakmem: ");
	hk_out_str(&o, func);
	hk_out_str(&o, "(): ");
	hk_out_str(&o, what);
	hk_out_str(&o, " ");
	hk_out_hex(&o, (uintptr_t)p);
	hk_out_str(&o, "\n");
	hk_out_flush(&o);
	abort();
}
