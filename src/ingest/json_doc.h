/* Parsed JSON on simdjson's DOM (the Debian package libsimdjson; Langdale and Lemire, "Parsing
 * gigabytes of JSON per second", The VLDB Journal 28, 2019): the records of the JSON log formats,
 * and the server's request bodies. One parser per reader (per thread in the server) is reused
 * record after record, so that reading a record allocates nothing once the parser has grown to
 * the largest one. A record is accepted
 * exactly when jansson with JSON_REJECT_DUPLICATES accepts it, so that jansson, asked again
 * about a record this parser refuses, can say why in the words the readers always used. */
#ifndef SN_JSON_DOC_H
#define SN_JSON_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A parser and the last document it parsed. */
typedef struct sn_jdoc sn_jdoc;

/* A value of a parsed document, borrowed until its parser parses again or is freed; all zero
 * when there is none (a member that is absent). Copied freely. */
typedef struct sn_jv {
    const void *impl[2];
} sn_jv;

typedef enum sn_jv_type {
    SN_JV_NONE, /* no value: absent */
    SN_JV_NULL,
    SN_JV_TRUE,
    SN_JV_FALSE,
    SN_JV_INTEGER, /* fits in int64_t, written without fraction or exponent */
    SN_JV_REAL,
    SN_JV_STRING,
    SN_JV_ARRAY,
    SN_JV_OBJECT
} sn_jv_type;

/* Bytes past a value that the parser may read when it is not copied (see sn_jdoc_parse). */
#define SN_JDOC_PADDING 64

/* NULL when out of memory; sn_jdoc_free(NULL) does nothing. */
sn_jdoc *sn_jdoc_new(void);
void sn_jdoc_free(sn_jdoc *d);
/* Lets strings hold "\u0000" from now on, as jansson's JSON_ALLOW_NUL does; an object's member
 * names never may. */
void sn_jdoc_allow_nul(sn_jdoc *d, bool allow);
/* Whether a string of the last document parsed holds "\u0000" (only ever when allowed). */
bool sn_jdoc_saw_nul(const sn_jdoc *d);

/* Parses the n bytes at p as one JSON value (RFC 8259) into *root. padded: SN_JDOC_PADDING
 * bytes past p + n may be read (they are not part of the value); otherwise the text is copied.
 * false when the text is not one valid value, or holds what jansson refuses (a duplicate key in
 * an object, "\u0000" in a string, an integer outside int64_t), or nests objects and arrays
 * deeper than max_depth (0: no limit of ours), or memory ran out; the previous document is gone
 * either way. */
bool sn_jdoc_parse(sn_jdoc *d, const char *p, size_t n, bool padded, int max_depth,
                   sn_jv *root);

static inline bool sn_jv_present(sn_jv v)
{
    return v.impl[0] != NULL || v.impl[1] != NULL;
}
sn_jv_type sn_jv_typeof(sn_jv v);
/* "an object", "a string"...: the type of a value in words, for messages. */
const char *sn_jv_type_name(sn_jv v);
/* The bytes of a string (NUL-terminated, *n of them), NULL when v is no string. */
const char *sn_jv_string(sn_jv v, size_t *n);
/* sn_jv_typeof and, for a string, sn_jv_string (*s NULL and *n 0 for any other value) at once. */
sn_jv_type sn_jv_read(sn_jv v, const char **s, size_t *n);
/* An integer's value (0 for any other value). */
int64_t sn_jv_integer(sn_jv v);
/* An integer's or a real's value as a double (0 for any other value). */
double sn_jv_number(sn_jv v);
/* The member named by the n bytes at key: exactly, or else (nocase) the first whose name
 * differs only in ASCII case; none when v is no object or has no such member. */
sn_jv sn_jv_member(sn_jv v, const char *key, size_t n, bool nocase);
/* Number of elements of an array (0 for any other value). */
size_t sn_jv_size(sn_jv v);
/* The first element of an array; none when v is no array or is empty. */
sn_jv sn_jv_first(sn_jv v);

/* Walks the elements of an array or the members of an object in document order. */
typedef struct sn_jiter {
    const void *impl[4];
    int kind; /* 0 none, 1 array, 2 object */
} sn_jiter;
sn_jiter sn_jv_iter(sn_jv v);
/* The next element (*key NULL) or member (*key its name, *klen bytes); false at the end. */
bool sn_jiter_next(sn_jiter *it, sn_jv *value, const char **key, size_t *klen);

#ifdef __cplusplus
}
#endif

#endif
