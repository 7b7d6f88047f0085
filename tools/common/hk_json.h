/*
 * hk_json.h — a small JSON writer (streaming, commas handled for you) and a
 * small reader (whole document into a tree) for --compare style inputs.
 *
 * Writer: keys are NULL inside arrays and for the top-level value.
 *   struct hk_json j; hk_json_init(&j, f);
 *   hk_json_obj_begin(&j, NULL); hk_json_u64(&j, "mmap", 3); hk_json_obj_end(&j);
 *   hk_json_finish(&j);   (newline; JSON Lines friendly)
 */
#ifndef HK_JSON_H
#define HK_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define HK_JSON_MAX_DEPTH 32

struct hk_json {
	FILE *f;
	int depth;
	bool need_comma[HK_JSON_MAX_DEPTH];
};

/* Starts a document written to f (compact, one line). */
void hk_json_init(struct hk_json *j, FILE *f);
/* Opens an object member/element ({). */
void hk_json_obj_begin(struct hk_json *j, const char *key);
/* Closes it (}). */
void hk_json_obj_end(struct hk_json *j);
/* Opens an array ([). */
void hk_json_arr_begin(struct hk_json *j, const char *key);
/* Closes it (]). */
void hk_json_arr_end(struct hk_json *j);
/* Unsigned integer value. */
void hk_json_u64(struct hk_json *j, const char *key, uint64_t v);
/* Signed integer value. */
void hk_json_i64(struct hk_json *j, const char *key, int64_t v);
/* Floating value (%.6g; non-finite becomes null). */
void hk_json_double(struct hk_json *j, const char *key, double v);
/* String value, escaped; NULL writes null. */
void hk_json_str(struct hk_json *j, const char *key, const char *s);
/* true/false. */
void hk_json_bool(struct hk_json *j, const char *key, bool v);
/* null. */
void hk_json_null(struct hk_json *j, const char *key);
/* Ends the document with a newline and flushes. */
void hk_json_finish(struct hk_json *j);

/* Reader: a parsed value.  Object members are children with key set. */
enum hk_jtype { HK_JNULL, HK_JBOOL, HK_JNUM, HK_JSTR, HK_JARR, HK_JOBJ };
struct hk_jv {
	enum hk_jtype type;
	bool b;
	double num;
	char *str; /* HK_JSTR */
	char *key; /* member name when inside an object */
	struct hk_jv *child; /* first element/member */
	struct hk_jv *next; /* next sibling */
};

/* Parses a whole string; NULL on error with a message ("line N: ...") in err. */
struct hk_jv *hk_json_parse(const char *text, char *err, size_t errsz);
/* Reads and parses a file; NULL on error with the reason in err (without
 * the path: the caller names the file). */
struct hk_jv *hk_json_parse_file(const char *path, char *err, size_t errsz);
/* Member `key` of an object (NULL when absent or v is not an object). */
const struct hk_jv *hk_jv_get(const struct hk_jv *v, const char *key);
/* Number of `key` in object v, or dflt when absent/not a number. */
double hk_jv_num(const struct hk_jv *v, const char *key, double dflt);
/* Frees a tree from hk_json_parse. */
void hk_jv_free(struct hk_jv *v);

#endif
