/* hk_json.c — small JSON writer and reader (see hk_json.h). */
#include "hk_json.h"
#include "hk_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

void hk_json_init(struct hk_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* A byte that starts no well-formed UTF-8 character becomes U+FFFD, as
 * Python's errors="replace" does: JSON text must be UTF-8. */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	while (*s) {
		unsigned char c = (unsigned char)*s;
		size_t n = hk_utf8_len(s);

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else if (!n)
			fputs("\\ufffd", f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
	}
	fputc('"', f);
}

/* Comma and key before any value. */
static void prefix(struct hk_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (key) {
		put_string(j->f, key);
		fputc(':', j->f);
	}
}

static void open_(struct hk_json *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->f);
	if (j->depth < HK_JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct hk_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void hk_json_obj_begin(struct hk_json *j, const char *key)
{
	open_(j, key, '{');
}

void hk_json_obj_end(struct hk_json *j)
{
	close_(j, '}');
}

void hk_json_arr_begin(struct hk_json *j, const char *key)
{
	open_(j, key, '[');
}

void hk_json_arr_end(struct hk_json *j)
{
	close_(j, ']');
}

void hk_json_u64(struct hk_json *j, const char *key, uint64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void hk_json_i64(struct hk_json *j, const char *key, int64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void hk_json_double(struct hk_json *j, const char *key, double v)
{
	prefix(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void hk_json_str(struct hk_json *j, const char *key, const char *s)
{
	prefix(j, key);
	if (s)
		put_string(j->f, s);
	else
		fputs("null", j->f);
}

void hk_json_bool(struct hk_json *j, const char *key, bool v)
{
	prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

void hk_json_null(struct hk_json *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->f);
}

void hk_json_finish(struct hk_json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

/* ---- reader: recursive descent over a NUL-terminated buffer ---- */

struct parser {
	const char *s, *start;
	char *err;
	size_t errsz;
	int depth;
};

static struct hk_jv *fail(struct parser *p, const char *what)
{
	int line = 1;

	for (const char *c = p->start; c < p->s; c++)
		line += *c == '\n';
	if (!p->err[0])
		snprintf(p->err, p->errsz, "line %d: %s", line, what);
	return NULL;
}

static void skip_ws(struct parser *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
}

static struct hk_jv *new_value(enum hk_jtype t)
{
	struct hk_jv *v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

/* Appends the UTF-8 encoding of code point cp. */
static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

static char unescape(char c)
{
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'b': return '\b';
	case 'f': return '\f';
	default: return c; /* \" \\ \/ */
	}
}

/* Parses a string at p->s (on the opening quote) into a new buffer. */
static char *parse_string(struct parser *p)
{
	const char *end = p->s + 1;
	char *out, *o;

	while (*end && *end != '"')
		end += *end == '\\' && end[1] ? 2 : 1;
	if (*end != '"')
		return (char *)fail(p, "unterminated string");
	out = o = malloc((size_t)(end - p->s));
	if (!out)
		return (char *)fail(p, "out of memory");
	for (const char *c = p->s + 1; c < end; c++) {
		unsigned cp;

		if (*c != '\\') {
			*o++ = *c;
		} else if (c[1] == 'u' && sscanf(c + 2, "%4x", &cp) == 1) {
			o = put_utf8(o, cp);
			c += 5;
		} else {
			*o++ = unescape(*++c);
		}
	}
	*o = 0;
	p->s = end + 1;
	return out;
}

static struct hk_jv *parse_value(struct parser *p);

/* Parses elements/members up to `close`; objects read "key": before each value. */
static struct hk_jv *parse_container(struct parser *p, enum hk_jtype t, char close)
{
	struct hk_jv *v = new_value(t), **tail;

	if (!v || ++p->depth > 64)
		return hk_jv_free(v), fail(p, "too deep or out of memory");
	tail = &v->child;
	p->s++;
	skip_ws(p);
	if (*p->s == close) {
		p->s++;
		p->depth--;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct hk_jv *e;

		skip_ws(p);
		if (t == HK_JOBJ) {
			if (*p->s != '"' || !(key = parse_string(p)))
				return hk_jv_free(v), fail(p, "expected a member name");
			skip_ws(p);
			if (*p->s++ != ':')
				return free(key), hk_jv_free(v), fail(p, "expected ':'");
		}
		e = parse_value(p);
		if (!e)
			return free(key), hk_jv_free(v), NULL;
		e->key = key;
		*tail = e;
		tail = &e->next;
		skip_ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s++ != close)
			return hk_jv_free(v), fail(p, "expected ',' or a closing bracket");
		p->depth--;
		return v;
	}
}

static struct hk_jv *parse_literal(struct parser *p)
{
	static const struct { const char *word; enum hk_jtype t; bool b; } lit[] = {
		{ "true", HK_JBOOL, true }, { "false", HK_JBOOL, false }, { "null", HK_JNULL, false },
	};
	struct hk_jv *v;
	char *end;

	for (size_t i = 0; i < sizeof(lit) / sizeof(lit[0]); i++) {
		size_t n = strlen(lit[i].word);

		if (strncmp(p->s, lit[i].word, n))
			continue;
		p->s += n;
		v = new_value(lit[i].t);
		if (v)
			v->b = lit[i].b;
		return v;
	}
	v = new_value(HK_JNUM);
	if (!v)
		return fail(p, "out of memory");
	v->num = strtod(p->s, &end);
	if (end == p->s)
		return free(v), fail(p, "unexpected character");
	p->s = end;
	return v;
}

static struct hk_jv *parse_value(struct parser *p)
{
	struct hk_jv *v;

	skip_ws(p);
	if (*p->s == '{')
		return parse_container(p, HK_JOBJ, '}');
	if (*p->s == '[')
		return parse_container(p, HK_JARR, ']');
	if (*p->s != '"')
		return parse_literal(p);
	v = new_value(HK_JSTR);
	if (v && !(v->str = parse_string(p)))
		return free(v), NULL;
	return v;
}

struct hk_jv *hk_json_parse(const char *text, char *err, size_t errsz)
{
	struct parser p = { .s = text, .start = text, .err = err, .errsz = errsz };
	struct hk_jv *v;

	err[0] = 0;
	v = parse_value(&p);
	if (!v)
		return NULL;
	skip_ws(&p);
	if (*p.s) {
		hk_jv_free(v);
		return fail(&p, "trailing characters after the JSON value");
	}
	return v;
}

struct hk_jv *hk_json_parse_file(const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	struct hk_jv *v = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (!f) {
		snprintf(err, errsz, "%s", strerror(errno));
		return NULL;
	}
	errno = 0;
	if (getdelim(&buf, &len, 0, f) >= 0)
		v = hk_json_parse(buf, err, errsz);
	else
		snprintf(err, errsz, "%s", errno ? strerror(errno) : "empty file");
	free(buf);
	fclose(f);
	return v;
}

const struct hk_jv *hk_jv_get(const struct hk_jv *v, const char *key)
{
	if (!v || v->type != HK_JOBJ)
		return NULL;
	for (const struct hk_jv *c = v->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

double hk_jv_num(const struct hk_jv *v, const char *key, double dflt)
{
	const struct hk_jv *m = hk_jv_get(v, key);

	return m && m->type == HK_JNUM ? m->num : dflt;
}

void hk_jv_free(struct hk_jv *v)
{
	while (v) {
		struct hk_jv *next = v->next;

		hk_jv_free(v->child);
		free(v->str);
		free(v->key);
		free(v);
		v = next;
	}
}
