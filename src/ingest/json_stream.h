/* Private to the ingest layer: records of the JSON log formats (CloudTrail, Okta, Entra ID, ECS,
 * OCSF) as they are written, and typed access to their fields. Each record is cut from the
 * reader's bounded buffer by a bracket-matching scanner and parsed alone (json_doc.h), so a file
 * of {"Records": [...]} many gigabytes long streams in the memory of its largest record. */
#ifndef SN_JSON_STREAM_H
#define SN_JSON_STREAM_H

#include "ingest_impl.h"
#include "json_doc.h"

#include <string.h>

/* Largest JSON record, in bytes (CloudTrail documents events up to 256 KB); a longer one is
 * reported and skipped without being buffered. */
#define SN_JSON_RECORD_MAX (256 * 1024)
/* Deepest nesting of one record (requestParameters of some AWS calls nest policies). */
#define SN_JSON_RECORD_DEPTH 64

/* Starts a stream: keys (NULL-terminated, or NULL) name the member of a top-level object that
 * holds an array of records ("Records" in CloudTrail's files, "value" in Graph pages). */
void sn_jstream_open(sn_reader *r, const char *const *keys);

/* The next record: SN_OK with r->js_root holding the parsed object and *line where it starts,
 * SN_EOF, a non-fatal error for a record that is not a JSON object (reported and skipped; the
 * next call goes on after it) or a fatal read error. Accepts, one after another: objects (JSON
 * lines, or pretty-printed over many lines), arrays of them, and objects holding such an array
 * under one of the keys; the other members of such an object are skipped. A record cut short
 * (the input ends, or a line starts with '{' or '[' inside it) is reported, and reading goes on
 * at that line. */
sn_status sn_jstream_next(sn_reader *r, long *line, sn_error *err);

/* For --format auto: the first record of the input at r->pos, parsed into *rec (borrowed until
 * the reader reads a record), reading as needed but consuming nothing. *key is the index of the
 * member of container_keys that held it, -1 when it stands alone or in a top-level array. false
 * when there is no first record that parses (then *empty_container tells an empty array of
 * records, whose member name is still in *key). */
bool sn_jstream_peek(sn_reader *r, const char *const *container_keys, int *key,
                     bool *empty_container, sn_jv *rec);

/* What the field accessors below need: the record, where its fields are, where errors go. */
typedef struct sn_jctx {
    sn_reader *r;
    sn_event *ev;
    sn_error *err;
    long line;
    sn_jv base;      /* paths start here */
    char prefix[64]; /* the path of base, written before paths in messages ("properties.") */
    bool loose;      /* Log Analytics' conventions: member names in any case (PascalCase
                        columns), objects and arrays written as JSON text in strings */
} sn_jctx;

/* Starts a record: event cleared, composed values and parsed strings of the last one freed. */
void sn_jctx_init(sn_jctx *c, sn_reader *r, sn_event *ev, long line, sn_error *err);

/* The same record with paths starting at obj, found at path (for messages). */
sn_jctx sn_jsub(const sn_jctx *c, sn_jv obj, const char *path);

/* Member at a dotted path ("client.geographicalContext.city"), through nested objects or keys
 * written with the dots ("user.name" as one key, as ECS allows); NULL when absent. */
sn_jv sn_jpath(sn_jv obj, const char *path, bool nocase);
/* Whether the object has a member at path that is neither null nor "". */
bool sn_jhas(sn_jv obj, const char *path, bool nocase);

/* A string at path from c->base: out->n == 0 when absent, null or "". Another type, or a string
 * over SN_MAX_FIELD bytes, is a bad record. */
sn_status sn_jstr(sn_jctx *c, const char *path, sn_str *out);
/* The first of the NULL-terminated paths whose string is present. */
sn_status sn_jstr_first(sn_jctx *c, const char *const *paths, sn_str *out);
/* An object (or, for arrays, the first element that is one) at path: *out none when absent or
 * null. A string holding JSON text (Log Analytics exports dynamic columns that way) is parsed. */
sn_status sn_jobj(sn_jctx *c, const char *path, sn_jv *out);
sn_status sn_jfirst(sn_jctx *c, const char *path, sn_jv *out);
/* An array at path (the same rules): *out none when absent or null. */
sn_status sn_jarray(sn_jctx *c, const char *path, sn_jv *out);
/* An integer at path, also written as a string of digits; *present false when absent. */
sn_status sn_jint(sn_jctx *c, const char *path, long long *out, bool *present);
/* A boolean (true/false, or a string sn_parse_bool reads) at path into *out (1, 0, or left). */
sn_status sn_jbool(sn_jctx *c, const char *path, int8_t *out);

/* Sets the time from a string (RFC 3339...) or a number of epoch seconds or milliseconds.
 * Returns SN_EOF (nothing set, no error) when absent. */
sn_status sn_jtime(sn_jctx *c, const char *path);
/* Sets source_ip from a string; a value that is not an address is a bad record, except, when
 * names_absent, a host or service name ("ec2.amazonaws.com", "AWS Internal"): absent. */
sn_status sn_jip(sn_jctx *c, const char *path, bool names_absent);
/* Sets coordinates from two numbers (or numeric strings) in degrees; absent when both are;
 * one without the other, or out of range, is a bad record. */
sn_status sn_jcoords(sn_jctx *c, const char *lat_path, const char *lon_path);

/* Sets an event field (SN_F_*) from text, which must outlive the record. */
sn_status sn_jset(sn_jctx *c, int field, sn_str v, const char *path);
/* Joins up to four parts (absent ones left out) with sep into the record's composed values;
 * out->n == 0 when all are absent. Longer than SN_MAX_FIELD: a bad record naming path. */
sn_status sn_jjoin(sn_jctx *c, const char *sep, const sn_str *parts, int nparts, sn_str *out,
                   const char *path);
/* A bad record at path: "PATH: why". */
sn_status sn_jbad(sn_jctx *c, sn_status code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The standard record checks (user, time, coordinates) of sn_ingest_finish_event. */
sn_status sn_jfinish(sn_jctx *c);

/* An activity name as an action word: ASCII letters lower-cased, each run of spaces,
 * punctuation and dashes one '_' ("Add delegated permission grant" ->
 * "add_delegated_permission_grant"). */
sn_status sn_jword(sn_jctx *c, sn_str in, sn_str *out, const char *path);
/* Whether s equals the NUL-terminated word, ignoring ASCII case. */
bool sn_jeq(sn_str s, const char *word);
static inline sn_str sn_jlit(const char *s)
{
    return (sn_str){s, s ? strlen(s) : 0};
}
/* Whether v is an array of exactly two numbers: *x the first, *y the second. */
bool sn_jv_pair(sn_jv v, double *x, double *y);
/* A string value as sn_str ({NULL, 0} when v is no string). */
static inline sn_str sn_jv_str(sn_jv v)
{
    sn_str s;
    s.p = sn_jv_string(v, &s.n);
    return s;
}

/* The next record of a stream whose format maps it with build: *ignored set by build means a
 * well-formed record of the format that is no access event (counted, not returned). */
typedef sn_status (*sn_jbuild_fn)(sn_jctx *c, bool *ignored);
sn_status sn_jstream_next_event(sn_reader *r, sn_event *ev, sn_error *err, sn_jbuild_fn build);

#endif
