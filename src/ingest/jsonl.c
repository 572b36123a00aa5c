/* JSON lines: one JSON object (RFC 8259) per line, with the field names of the reference CSV.
 * Lines are cut from the reader's bounded buffer; each is checked for size, UTF-8 and depth and
 * parsed by simdjson (json_doc.h), or by jansson to say why a line is not valid. The events of
 * the server's request bodies are read by the same rules. */
#include "ingest_impl.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

sn_status sn_jsonl_open(sn_reader *r, sn_error *err)
{
    (void)r;
    (void)err;
    return SN_OK;
}

void sn_jsonl_release(sn_reader *r)
{
    /* the record streams' parsers are kept for the next record: only what they hold goes */
    r->js_root = (sn_jv){{NULL, NULL}};
    r->js_nparsed = 0;
}

/* Deepest nesting of objects and arrays, stopping early past limit. Strings are skipped so
 * brackets inside them do not count. */
static size_t json_depth(const char *s, size_t n, size_t limit)
{
    size_t d = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++d > max) {
                max = d;
                if (max > limit)
                    return max;
            }
        } else if ((c == '}' || c == ']') && d > 0) {
            d--;
        }
    }
    return max;
}

static bool is_bool_field(int id)
{
    return id == SN_F_SUCCESS || id == SN_F_IS_ANOMALY || id == SN_F_MFA;
}

static bool is_number_field(int id)
{
    return id == SN_F_TIMESTAMP || id == SN_F_LATITUDE || id == SN_F_LONGITUDE;
}

/* A value of the wrong type for the field; got names it ("an array"). */
static sn_status wrong_type(sn_reader *r, const sn_event *ev, int id, const char *got,
                            sn_error *err)
{
    const char *want = is_bool_field(id)     ? "a boolean or a string"
                       : is_number_field(id) ? "a number or a string"
                                             : "a string";
    return sn_error_set(err, SN_ERR_PARSE, false, r->name, ev->src_line, sn_ingest_field_name(id),
                        "expected %s, got %s", want, got);
}

/* A field from a string, or a number written as text in the reader's scratch area so that the
 * event can point at it. */
static sn_status set_string(sn_reader *r, sn_event *ev, int id, const char *s, size_t n,
                            sn_error *err)
{
    if (n > SN_MAX_FIELD)
        return sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, ev->src_line,
                            sn_ingest_field_name(id),
                            "field is %zu bytes, longer than the %d-byte limit", n, SN_MAX_FIELD);
    return sn_ingest_set_text(r, ev, id, s, n, err);
}

static sn_status set_number(sn_reader *r, sn_event *ev, int id, bool integer, int64_t i,
                            double x, const char *got, sn_error *err)
{
    char num[64];
    int k;
    if (integer)
        k = snprintf(num, sizeof(num), "%" PRId64, i);
    else if (id == SN_F_TIMESTAMP)
        k = snprintf(num, sizeof(num), "%.6f", x);
    else if (id == SN_F_LATITUDE || id == SN_F_LONGITUDE)
        k = snprintf(num, sizeof(num), "%.17g", x);
    else
        return wrong_type(r, ev, id, got, err);
    if (k <= 0 || (size_t)k >= sizeof(num))
        return wrong_type(r, ev, id, got, err);
    const char *text = sn_ingest_scratch(r, num, (size_t)k);
    if (!text)
        return sn_error_set(err, SN_ERR_LIMIT, false, r->name, ev->src_line,
                            sn_ingest_field_name(id), "too many numeric fields in one record");
    return sn_ingest_set_text(r, ev, id, text, (size_t)k, err);
}

/* set_value for a value of a parsed record. */
static sn_status set_jv(sn_reader *r, sn_event *ev, int id, sn_jv v, sn_error *err)
{
    size_t n;
    const char *s;
    sn_jv_type type = sn_jv_read(v, &s, &n);
    switch (type) {
    case SN_JV_NONE:
    case SN_JV_NULL:
        return SN_OK;
    case SN_JV_STRING:
        return set_string(r, ev, id, s, n, err);
    case SN_JV_TRUE:
    case SN_JV_FALSE:
        if (!is_bool_field(id))
            return wrong_type(r, ev, id, sn_jv_type_name(v), err);
        return type == SN_JV_TRUE ? sn_ingest_set_text(r, ev, id, "true", 4, err)
                                  : sn_ingest_set_text(r, ev, id, "false", 5, err);
    case SN_JV_INTEGER:
        return set_number(r, ev, id, true, sn_jv_integer(v), 0, sn_jv_type_name(v), err);
    case SN_JV_REAL:
        return set_number(r, ev, id, false, 0, sn_jv_number(v), sn_jv_type_name(v), err);
    default:
        return wrong_type(r, ev, id, sn_jv_type_name(v), err);
    }
}

sn_status sn_jsonl_parse(sn_reader *r, const char *p, size_t n, long line, void **out,
                         sn_error *err)
{
    *out = NULL;
    size_t badpos = sn_ingest_text_check(p, n);
    if (badpos < n) {
        unsigned char byte = (unsigned char)p[badpos];
        if (byte == 0)
            return sn_error_set(err, SN_ERR_UTF8, false, r->name, line, NULL,
                                "NUL byte at offset %zu", badpos);
        return sn_error_set(err, SN_ERR_UTF8, false, r->name, line, NULL,
                            "invalid UTF-8 (byte 0x%02x at offset %zu)", byte, badpos);
    }
    if (json_depth(p, n, SN_JSON_MAX_DEPTH) > SN_JSON_MAX_DEPTH)
        return sn_error_set(err, SN_ERR_LIMIT, false, r->name, line, NULL,
                            "JSON nested deeper than %d levels", SN_JSON_MAX_DEPTH);
    json_error_t jerr;
    json_t *root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                            "not valid JSON (RFC 8259): %s at column %d", jerr.text, jerr.column);
    *out = root;
    return SN_OK;
}

sn_status sn_jsonl_parse_line(sn_reader *r, const char *p, size_t n, long line, sn_jv *root,
                              sn_error *err)
{
    if (sn_ingest_text_check(p, n) == n) {
        if (!r->js_doc && !(r->js_doc = sn_jdoc_new()))
            return sn_error_set(err, SN_ERR_NOMEM, true, r->name, line, NULL,
                                "out of memory for the JSON parser");
        /* a line in the reader's buffer is followed by its zeroed tail: no copy needed */
        bool padded = p >= r->buf && p + n <= r->buf + r->end &&
                      (size_t)(p + n - r->buf) + SN_JDOC_PADDING <= r->cap + SN_BUF_PAD;
        sn_jv v;
        if (sn_jdoc_parse(r->js_doc, p, n, padded, SN_JSON_MAX_DEPTH, &v) &&
            (sn_jv_typeof(v) == SN_JV_OBJECT || sn_jv_typeof(v) == SN_JV_ARRAY)) {
            r->js_root = *root = v;
            return SN_OK;
        }
    }
    /* not a line the readers take: jansson says why, as it always did */
    void *parsed;
    sn_status st = sn_jsonl_parse(r, p, n, line, &parsed, err);
    if (st != SN_OK)
        return st;
    json_decref((json_t *)parsed);
    return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL, "not valid JSON (RFC 8259)");
}

/* The fields of one parsed line: the first member of each field counts. */
static sn_status jsonl_fill_jv(sn_reader *r, sn_jv root, long line, sn_event *ev, sn_error *err)
{
    if (sn_jv_typeof(root) != SN_JV_OBJECT)
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                            "expected a JSON object, got %s", sn_jv_type_name(root));
    bool used[SN_F_COUNT] = {false};
    sn_jiter it = sn_jv_iter(root);
    sn_jv value;
    const char *key;
    size_t klen;
    while (sn_jiter_next(&it, &value, &key, &klen)) {
        int id = sn_ingest_field_lookup(key, klen);
        if (id < 0 || used[id])
            continue;
        used[id] = true;
        sn_status st = set_jv(r, ev, id, value, err);
        if (st != SN_OK)
            return st;
    }
    return sn_ingest_finish_event(r, ev, err);
}

static sn_status jsonl_build(sn_reader *r, const char *p, size_t n, long line, sn_event *ev,
                             sn_error *err)
{
    sn_ingest_event_init(r, ev, line);
    sn_jv root;
    sn_status st = sn_jsonl_parse_line(r, p, n, line, &root, err);
    if (st != SN_OK)
        return st;
    return jsonl_fill_jv(r, root, line, ev, err);
}

sn_status sn_jsonl_event_from_members(sn_reader *r, const sn_jmember *m, size_t n, long line,
                                      sn_event *ev, sn_error *err)
{
    sn_ingest_event_init(r, ev, line);
    bool used[SN_F_COUNT] = {false};
    for (size_t i = 0; i < n; i++) {
        int id = sn_ingest_field_lookup(m[i].name, m[i].name_n);
        if (id < 0 || used[id])
            continue;
        used[id] = true;
        sn_status st = m[i].text ? set_string(r, ev, id, m[i].text, m[i].text_n, err)
                                 : set_jv(r, ev, id, m[i].value, err);
        if (st != SN_OK)
            return st;
    }
    return sn_ingest_finish_event(r, ev, err);
}

sn_status sn_jsonl_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    sn_jsonl_release(r);
    const char *p;
    size_t n;
    long line;
    sn_status st = sn_ingest_next_line(r, &p, &n, &line, err);
    if (st != SN_OK)
        return st;
    st = jsonl_build(r, p, n, line, ev, err);
    if (st != SN_OK)
        sn_jsonl_release(r);
    return st;
}
