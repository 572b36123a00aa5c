/* JSON in and out of the API: request bodies parsed within the server's limits, request events
 * through the ingest layer (the same validation as files), verdicts and errors written as the
 * API answers them. */
#include "server_internal.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t sn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sn_now_iso(char out[32])
{
    sn_format_timestamp(sn_now_us(), out);
}

/* ---- Request bodies ------------------------------------------------------------------------ */

/* Line and column (in characters, as jansson counts them) of the first bracket past max levels;
 * false when there is none. Strings are skipped, so brackets inside them do not count. Runs
 * before jansson, whose own limit (2,048 levels) is far deeper than any event needs. */
static bool too_deep(const char *s, size_t n, int max, int *line, int *column)
{
    int depth = 0, ln = 1, col = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            ln++;
            col = 0;
        } else if ((c & 0xc0) != 0x80) {
            col++;
        }
        if (in_str) {
            if (c == '\\') {
                i++; /* the escaped character: ASCII in valid JSON */
                col++;
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max) {
                *line = ln;
                *column = col;
                return true;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return false;
}

/* What is wrong, in the server's own words: jansson's text quotes the input. */
static const char *parse_problem(enum json_error_code code)
{
    switch (code) {
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_premature_end_of_input:
        return "unexpected end of the body";
    case json_error_end_of_input_expected:
        return "more data after the JSON value";
    case json_error_null_byte_in_key:
        return "a NUL character (\\u0000) in an object key";
    case json_error_duplicate_key:
        return "a duplicate object key";
    case json_error_stack_overflow:
        return "nested too deep";
    default:
        return "syntax error";
    }
}

json_t *sn_json_parse_body(const char *body, size_t len, sn_http_response *resp)
{
    char msg[200];
    int line, column;
    if (len == 0) {
        sn_service_error(resp, 400, "malformed_json", "the body is empty; expected JSON", NULL);
        return NULL;
    }
    if (too_deep(body, len, SN_BODY_MAX_DEPTH, &line, &column)) {
        snprintf(msg, sizeof(msg),
                 "the JSON is nested deeper than %d levels (at line %d, column %d)",
                 SN_BODY_MAX_DEPTH, line, column);
        sn_service_error(resp, 422, "too_deep", msg, NULL);
        return NULL;
    }
    /* NUL characters are let through here so that the event that holds one is refused naming
     * its field (sn_req_events_from_json). */
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (root)
        return root;
    enum json_error_code code = json_error_code(&jerr);
    if (code == json_error_out_of_memory) {
        sn_service_error(resp, 500, "internal_error", "out of memory", NULL);
    } else if (code == json_error_numeric_overflow) {
        snprintf(msg, sizeof(msg),
                 "a number is out of range (at line %d, column %d): integers must fit in 64 bits "
                 "and other numbers in a double",
                 jerr.line, jerr.column);
        sn_service_error(resp, 422, "number_out_of_range", msg, NULL);
    } else {
        snprintf(msg, sizeof(msg),
                 "the body is not valid JSON (RFC 8259, UTF-8): %s at line %d, column %d",
                 parse_problem(code), jerr.line, jerr.column);
        sn_service_error(resp, 400, "malformed_json", msg, NULL);
    }
    return NULL;
}

/* ---- Request events ------------------------------------------------------------------------ */

struct sn_arena_block {
    sn_arena_block *next;
    size_t cap, used;
    char data[];
};

static sn_arena_block *block_new(sn_req_events *e, size_t cap)
{
    sn_arena_block *b = malloc(sizeof(*b) + cap);
    if (!b)
        return NULL;
    b->next = e->blocks;
    b->cap = cap;
    b->used = 0;
    e->blocks = b;
    return b;
}

/* Keeps a copy of src (borrowed from the reader) in the events' arena. */
static sn_status keep_event(sn_req_events *e, sn_event *dst, const sn_event *src)
{
    sn_arena_block *b = e->blocks;
    size_t used = b ? sn_event_copy(dst, src, b->data + b->used, b->cap - b->used) : (size_t)-1;
    if (used == (size_t)-1) {
        /* A record never needs more than SN_MAX_RECORD bytes. */
        b = block_new(e, SN_MAX_RECORD);
        if (!b)
            return SN_ERR_NOMEM;
        used = sn_event_copy(dst, src, b->data, b->cap);
        if (used == (size_t)-1)
            return SN_ERR_NOMEM;
    }
    b->used += used;
    dst->src_file = NULL;
    return SN_OK;
}

static bool blank_value(const json_t *v)
{
    if (json_is_null(v))
        return true;
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* Removes the keys among names (compared as the ingest layer does, ignoring case) that hold no
 * value, and says whether one with a value is left. */
static bool has_value(json_t *obj, const char *const *names)
{
    const char *drop[8];
    size_t n_drop = 0;
    bool present = false;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        for (const char *const *nm = names; *nm; nm++) {
            if (strcasecmp(key, *nm) != 0)
                continue;
            if (!blank_value(v))
                present = true;
            else if (n_drop < sizeof(drop) / sizeof(drop[0]))
                drop[n_drop++] = key;
        }
    }
    if (!present)
        for (size_t i = 0; i < n_drop; i++)
            json_object_del(obj, drop[i]);
    return present;
}

/* Random bytes for event ids, fetched 64 ids at a time per thread: one RAND_bytes call per id
 * cost as much as judging the event. */
static bool random_id_bytes(unsigned char r[16])
{
    static _Thread_local unsigned char pool[16 * 64];
    static _Thread_local size_t left;
    if (!left) {
        if (RAND_bytes(pool, sizeof(pool)) != 1)
            return false;
        left = sizeof(pool);
    }
    left -= 16;
    memcpy(r, pool + left, 16);
    memset(pool + left, 0, 16);
    return true;
}

static void new_event_id(char out[40])
{
    static atomic_uint_fast64_t fallback;
    unsigned char r[16];
    if (!random_id_bytes(r)) {
        uint64_t k = atomic_fetch_add(&fallback, 1) + (uint64_t)sn_now_us();
        memcpy(r, &k, 8);
        memset(r + 8, 0x5a, 8);
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* RFC 9562 version 4 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    default:
        return "an object";
    }
}

/* Why an event is over the record limit: its largest string field when that one alone is
 * over the field limit, else its size. */
static void too_large(json_t *obj, sn_error *err)
{
    const char *key, *largest = NULL;
    size_t max = 0;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (json_is_string(v) && json_string_length(v) > max) {
            max = json_string_length(v);
            largest = key;
        }
    }
    if (largest && max > SN_MAX_FIELD) {
        char field[64];
        size_t n = strlen(largest);
        n = sn_utf8_valid_prefix(largest, n < sizeof(field) - 1 ? n : sizeof(field) - 1);
        memcpy(field, largest, n);
        field[n] = '\0';
        sn_error_set(err, SN_ERR_TOO_LONG, false, NULL, 0, field,
                     "field is %zu bytes, longer than the %d-byte limit", max, SN_MAX_FIELD);
    } else {
        sn_error_set(err, SN_ERR_TOO_LONG, false, NULL, 0, NULL,
                     "the event is longer than the %d-byte limit", SN_MAX_RECORD);
    }
}

/* Whether v, or anything inside it, is a string holding a NUL character. */
static bool holds_nul(const json_t *v)
{
    if (json_is_string(v))
        return memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (holds_nul(json_array_get(v, i)))
                return true;
    } else if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item)
        {
            if (holds_nul(item))
                return true;
        }
    }
    return false;
}

/* Refuses an event with a NUL character in a field, naming the field: the file readers refuse
 * NUL bytes too, and the text fields of an event are C strings downstream. */
static bool nul_field(json_t *obj, sn_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!holds_nul(v))
            continue;
        char field[64];
        size_t n = strlen(key);
        n = sn_utf8_valid_prefix(key, n < sizeof(field) - 1 ? n : sizeof(field) - 1);
        memcpy(field, key, n);
        field[n] = '\0';
        sn_error_set(err, SN_ERR_PARSE, false, NULL, 0, field,
                     "holds a NUL character (\\u0000), which no field may contain");
        return true;
    }
    return false;
}

static sn_status event_error(sn_req_event *it, const sn_error *err)
{
    it->err = malloc(sizeof(*it->err));
    if (!it->err)
        return SN_ERR_NOMEM;
    *it->err = *err;
    return SN_OK;
}

/* Whether v's compact JSON text would be longer than SN_MAX_RECORD, the limit a line of JSON
 * lines has: the text is only produced (and measured) when a cheap bound says it might be. */
static size_t text_bound(const json_t *v)
{
    if (json_is_string(v))
        return 6 * json_string_length(v) + 2; /* every byte escaped as \u00XX, and quotes */
    if (json_is_object(v)) {
        size_t n = 2;
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item)
        {
            n += 6 * strlen(key) + 4 + text_bound(item);
        }
        return n;
    }
    if (json_is_array(v)) {
        size_t n = 2;
        for (size_t i = 0; i < json_array_size(v); i++)
            n += 1 + text_bound(json_array_get(v, i));
        return n;
    }
    return 32; /* numbers, true, false, null */
}

/* Nesting of arrays and objects inside v (0 for a scalar), stopping once past limit. */
static int nesting(const json_t *v, int limit)
{
    if (limit < 0 || !(json_is_object(v) || json_is_array(v)))
        return 0;
    int deepest = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item)
        {
            int d = nesting(item, limit - 1);
            if (d > deepest)
                deepest = d;
            if (deepest >= limit)
                break;
        }
    } else {
        for (size_t i = 0; i < json_array_size(v) && deepest < limit; i++) {
            int d = nesting(json_array_get(v, i), limit - 1);
            if (d > deepest)
                deepest = d;
        }
    }
    return deepest + 1;
}

static bool over_record_limit(const json_t *v)
{
    return text_bound(v) > SN_MAX_RECORD && json_dumpb(v, NULL, 0, JSON_COMPACT) > SN_MAX_RECORD;
}

sn_status sn_req_events_from_json(sn_req_events *out, json_t *const *values, size_t n)
{
    static const char *const ts_names[] = {"timestamp", "time", "@timestamp", NULL};
    static const char *const id_names[] = {"event_id", NULL};
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return SN_OK;
    out->items = calloc(n, sizeof(*out->items));
    if (!out->items)
        return SN_ERR_NOMEM;
    out->n = n;
    char now[32];
    sn_now_iso(now);
    sn_error err;
    sn_error_clear(&err);
    /* Each object is mapped as the line of JSON lines it would be (line i + 1 is event i), by
     * a reader that holds no data: its name and scratch space serve every event. */
    sn_reader *r = NULL;
    sn_status st = sn_reader_open_objects(&r, "request", &err);
    if (st == SN_OK && !block_new(out, 384 * n + 1024)) /* about an event's size each */
        st = SN_ERR_NOMEM;
    for (size_t i = 0; i < n && st == SN_OK; i++) {
        json_t *v = values[i];
        sn_req_event *it = &out->items[i];
        if (!json_is_object(v)) {
            sn_error_set(&err, SN_ERR_PARSE, false, NULL, 0, NULL,
                         "an event must be a JSON object, got %s", json_type_name(v));
            st = event_error(it, &err);
            continue;
        }
        if (nul_field(v, &err)) {
            st = event_error(it, &err);
            continue;
        }
        if (!has_value(v, ts_names))
            json_object_set_new(v, "timestamp", json_string(now));
        if (!has_value(v, id_names)) {
            char id[40];
            new_event_id(id);
            json_object_set_new(v, "event_id", json_string(id));
        }
        if (nesting(v, SN_JSON_MAX_DEPTH + 1) > SN_JSON_MAX_DEPTH) {
            /* The limit the file readers keep for a record: the same event, the same answer. */
            sn_error_set(&err, SN_ERR_LIMIT, false, "request", (long)i + 1, NULL,
                         "JSON nested deeper than %d levels", SN_JSON_MAX_DEPTH);
            st = event_error(it, &err);
            continue;
        }
        if (over_record_limit(v)) {
            /* The file readers refuse such a line: name the field when one is to blame. */
            too_large(v, &err);
            st = event_error(it, &err);
            continue;
        }
        sn_event ev;
        sn_status s = sn_jsonl_event_from_object(r, v, (long)i + 1, &ev, &err);
        if (s == SN_OK) {
            st = keep_event(out, &it->ev, &ev);
            it->ev.src_line = (long)i + 1;
            out->good++;
        } else if (s == SN_ERR_NOMEM) {
            st = s;
        } else {
            st = event_error(it, &err);
        }
    }
    sn_reader_close(r);
    return st;
}

void sn_req_events_free(sn_req_events *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i].err);
    free(e->items);
    while (e->blocks) {
        sn_arena_block *next = e->blocks->next;
        free(e->blocks);
        e->blocks = next;
    }
    memset(e, 0, sizeof(*e));
}

/* ---- Writers ------------------------------------------------------------------------------ */

static void str_or_null(sn_buf *out, const sn_str *s)
{
    if (s->n)
        sn_buf_json_str(out, s->p, s->n);
    else
        sn_buf_puts(out, "null");
}

void sn_json_verdict(sn_buf *out, const sn_event *ev, const sn_verdict *v, const char *analysed_at)
{
    char ts[32], ip[48];
    sn_format_timestamp(ev->ts_us, ts);
    sn_buf_puts(out, "{\"event_id\":");
    str_or_null(out, &ev->event_id);
    sn_buf_puts(out, ",\"user_id\":");
    sn_buf_json_str(out, ev->user_id.p, ev->user_id.n);
    sn_buf_puts(out, ",\"timestamp\":\"");
    sn_buf_puts(out, ts);
    sn_buf_puts(out, "\",\"source_ip\":");
    if (ev->ip.family) {
        sn_format_ip(&ev->ip, ip);
        sn_buf_json_str(out, ip, strlen(ip));
    } else {
        sn_buf_puts(out, "null");
    }
    sn_buf_puts(out, ",\"resource\":");
    str_or_null(out, &ev->resource);
    sn_buf_puts(out, ",\"action\":");
    str_or_null(out, &ev->action);
    sn_buf_puts(out, v->is_anomaly ? ",\"is_anomaly\":true" : ",\"is_anomaly\":false");
    sn_buf_puts(out, ",\"risk_score\":");
    sn_buf_fixed(out, v->risk_score, 2);
    sn_buf_puts(out, ",\"anomaly_score\":");
    sn_buf_fixed(out, v->anomaly_score, 3);
    sn_buf_puts(out, ",\"risk_level\":\"");
    sn_buf_puts(out, sn_level_name(v->level));
    sn_buf_puts(out, "\",\"reasons\":[");
    for (int i = 0; i < v->n_reasons; i++) {
        if (i)
            sn_buf_putc(out, ',');
        sn_buf_json_str(out, v->reasons[i].text, strlen(v->reasons[i].text));
    }
    sn_buf_puts(out, "],\"recommendation\":\"");
    sn_buf_puts(out, v->recommendation);
    sn_buf_puts(out, "\",\"analysed_at\":\"");
    sn_buf_puts(out, analysed_at);
    sn_buf_puts(out, "\"}");
}

void sn_json_error_object(sn_buf *out, const char *code, const char *message, const char *field)
{
    sn_buf_puts(out, "{\"code\":");
    sn_buf_json_str(out, code, strlen(code));
    sn_buf_puts(out, ",\"message\":");
    size_t n = strlen(message);
    sn_buf_json_str(out, message, sn_utf8_valid_prefix(message, n));
    if (field && *field) {
        sn_buf_puts(out, ",\"field\":");
        n = strlen(field);
        sn_buf_json_str(out, field, sn_utf8_valid_prefix(field, n));
    }
    sn_buf_putc(out, '}');
}

const char *sn_json_event_error_code(const sn_error *err)
{
    if (err->code == SN_ERR_MISSING)
        return "missing_field";
    return err->field[0] ? "invalid_field" : "invalid_event";
}

void sn_json_respond(sn_http_response *resp, int status, sn_buf *out)
{
    static const char oom[] =
        "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of memory\"}}";
    if (out->failed || !out->data) {
        sn_buf_free(out);
        resp->content_type = NULL;
        resp->status = 500;
        resp->body = strdup(oom);
        resp->body_len = resp->body ? sizeof(oom) - 1 : 0;
        return;
    }
    resp->status = status;
    resp->body = out->data;
    resp->body_len = out->len;
    resp->content_type = NULL;
    sn_buf_init(out);
}

void sn_service_error(sn_http_response *resp, int status, const char *code, const char *message,
                      const char *field)
{
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "{\"error\":");
    sn_json_error_object(&b, code, message, field);
    sn_buf_putc(&b, '}');
    resp->allow = NULL;
    resp->retry_after = 0;
    sn_json_respond(resp, status, &b);
}

/* A key the raw-score redaction removes: the model's scores and evidence in bits. */
static bool raw_score_key(const char *key)
{
    return !strcmp(key, "anomaly_score") || !strcmp(key, "mean_anomaly_score") ||
           !strcmp(key, "peer_mean_anomaly_score") || strstr(key, "bits") != NULL;
}

static bool redact(json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!redact(json_array_get(v, i)))
                return false;
        return true;
    }
    if (!json_is_object(v))
        return true;
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(v, tmp, key, val)
    {
        if (raw_score_key(key)) {
            json_object_del(v, key);
        } else if (!strcmp(key, "risk_score") && json_is_number(val)) {
            /* A band of twenty points says as much as the level needs and no more. */
            int lo = (int)(json_number_value(val) / 20.0) * 20;
            if (lo > 80)
                lo = 80;
            if (lo < 0)
                lo = 0;
            char band[16];
            snprintf(band, sizeof(band), "%d-%d", lo, lo + 20);
            if (json_object_set_new(v, "risk_band", json_string(band)) != 0)
                return false;
            json_object_del(v, key);
        } else if (!redact(val)) {
            return false;
        }
    }
    return true;
}

void sn_json_redact_scores(sn_http_response *resp)
{
    json_t *root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
    bool ok = root && redact(root);
    char *text = ok ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(root);
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
    if (!text) {
        sn_service_error(resp, 500, "internal_error", "out of memory", NULL);
        return;
    }
    resp->body = text;
    resp->body_len = strlen(text);
}
