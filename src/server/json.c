/* JSON in and out of the API: why a request body is refused, in the API's words (jansson), and
 * verdicts and errors written as the API answers them. */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>
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
 * before jansson, whose own limit (2,048 levels) is far deeper than any event needs; simdjson
 * (request.c) refuses such a body as soon as it is past the limit. */
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
     * its field (request.c). */
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

/* ---- Writers ------------------------------------------------------------------------------ */

/* Writers of constant text at o. */
#define PUT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) += sizeof(lit) - 1)

static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *str_or_null(char *o, const sn_str *s)
{
    if (s->n)
        return sn_json_str_to(o, s->p, s->n);
    PUT(o, "null");
    return o;
}

void sn_json_verdict(sn_buf *out, const sn_event *ev, const sn_verdict *v, const char *analysed_at)
{
    /* One reservation for the whole record: the strings at their worst (every byte escaped as
     * \uXXXX), the numbers and the constant text. */
    size_t reason_n[SN_MAX_REASONS], text = 0;
    for (int i = 0; i < v->n_reasons; i++)
        text += reason_n[i] = strlen(v->reasons[i].text);
    text += ev->event_id.n + ev->user_id.n + ev->resource.n + ev->action.n;
    size_t need = 6 * text + 2 * SN_FIXED_MAX + 512 + 4 * (size_t)v->n_reasons;
    if ((out->len + need + 1 > out->cap && sn_buf_reserve(out, need) != 0) || out->failed)
        return;
    char *o = out->data + out->len;
    PUT(o, "{\"event_id\":");
    o = str_or_null(o, &ev->event_id);
    PUT(o, ",\"user_id\":");
    o = sn_json_str_to(o, ev->user_id.p, ev->user_id.n);
    PUT(o, ",\"timestamp\":\"");
    sn_format_timestamp(ev->ts_us, o);
    o += strlen(o);
    PUT(o, "\",\"source_ip\":");
    if (ev->ip.family) {
        /* digits, dots, colons and hex: nothing to escape */
        *o++ = '"';
        sn_format_ip(&ev->ip, o);
        o += strlen(o);
        *o++ = '"';
    } else {
        PUT(o, "null");
    }
    PUT(o, ",\"resource\":");
    o = str_or_null(o, &ev->resource);
    PUT(o, ",\"action\":");
    o = str_or_null(o, &ev->action);
    if (v->is_anomaly)
        PUT(o, ",\"is_anomaly\":true,\"risk_score\":");
    else
        PUT(o, ",\"is_anomaly\":false,\"risk_score\":");
    o = sn_fixed_to(o, v->risk_score, 2);
    PUT(o, ",\"anomaly_score\":");
    o = sn_fixed_to(o, v->anomaly_score, 3);
    PUT(o, ",\"risk_level\":\"");
    o = put_str(o, sn_level_name(v->level));
    PUT(o, "\",\"reasons\":[");
    for (int i = 0; i < v->n_reasons; i++) {
        if (i)
            *o++ = ',';
        o = sn_json_str_to(o, v->reasons[i].text, reason_n[i]);
    }
    PUT(o, "],\"recommendation\":\"");
    o = put_str(o, v->recommendation);
    PUT(o, "\",\"analysed_at\":\"");
    o = put_str(o, analysed_at);
    PUT(o, "\"}");
    *o = '\0';
    out->len = (size_t)(o - out->data);
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
        } else if ((!strcmp(key, "risk_score") || !strcmp(key, "max_risk_score")) &&
                   json_is_number(val)) {
            /* A band of twenty points says as much as the level needs and no more. */
            int lo = (int)(json_number_value(val) / 20.0) * 20;
            if (lo > 80)
                lo = 80;
            if (lo < 0)
                lo = 0;
            char band[16];
            snprintf(band, sizeof(band), "%d-%d", lo, lo + 20);
            if (json_object_set_new(v, key[0] == 'm' ? "max_risk_band" : "risk_band",
                                    json_string(band)) != 0)
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
