/* Typed access to the fields of one JSON log record (json_stream.h): dotted paths, strings,
 * numbers, times, addresses and coordinates, each checked, with a bad value reported as
 * `FILE:LINE: PATH: why` under the record's own field name. */
#include "json_stream.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

void sn_jctx_init(sn_jctx *c, sn_reader *r, sn_event *ev, long line, sn_error *err)
{
    sn_ingest_event_init(r, ev, line);
    r->build_len = 0;
    memset(c, 0, sizeof(*c));
    c->r = r;
    c->ev = ev;
    c->err = err;
    c->line = line;
    c->base = r->json;
}

sn_jctx sn_jsub(const sn_jctx *c, json_t *obj, const char *path)
{
    sn_jctx s = *c;
    s.base = obj;
    /* a path too long for messages is cut (the field name of sn_error is shorter anyway) */
    size_t cap = sizeof(s.prefix) - 2, a = strnlen(c->prefix, cap), b = strlen(path);
    if (b > cap - a)
        b = cap - a;
    memcpy(s.prefix, c->prefix, a);
    memcpy(s.prefix + a, path, b);
    s.prefix[a + b] = '.';
    s.prefix[a + b + 1] = '\0';
    return s;
}

sn_status sn_jbad(sn_jctx *c, sn_status code, const char *path, const char *fmt, ...)
{
    char field[sizeof(c->err->field)];
    snprintf(field, sizeof(field), "%s%s", c->prefix, path);
    char why[sizeof(c->err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return sn_error_set(c->err, code, false, c->r->name, c->line, field, "%s", why);
}

static json_t *member(json_t *o, const char *k, size_t n, bool nocase)
{
    if (!json_is_object(o))
        return NULL;
    json_t *v = json_object_getn(o, k, n);
    if (v || !nocase)
        return v;
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach(o, key, klen, val)
    {
        if (klen == n && !strncasecmp(key, k, n))
            return val;
    }
    return NULL;
}

/* The member named by the whole of p first (ECS lets "user.name" be one key), then through
 * each split at a dot into nested objects. */
static json_t *path_get(json_t *o, const char *p, size_t n, bool nocase)
{
    json_t *v = member(o, p, n, nocase);
    if (v)
        return v;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '.')
            continue;
        json_t *sub = member(o, p, i, nocase);
        if (json_is_object(sub) && (v = path_get(sub, p + i + 1, n - i - 1, nocase)))
            return v;
    }
    return NULL;
}

json_t *sn_jpath(json_t *obj, const char *path, bool nocase)
{
    return json_is_object(obj) ? path_get(obj, path, strlen(path), nocase) : NULL;
}

bool sn_jhas(json_t *obj, const char *path, bool nocase)
{
    json_t *v = sn_jpath(obj, path, nocase);
    return v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0);
}

bool sn_jeq(sn_str s, const char *word)
{
    return s.n == strlen(word) && !strncasecmp(s.p, word, s.n);
}

sn_status sn_jstr(sn_jctx *c, const char *path, sn_str *out)
{
    json_t *v = sn_jpath(c->base, path, c->loose);
    *out = (sn_str){0};
    if (!v || json_is_null(v))
        return SN_OK;
    if (!json_is_string(v))
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a string, got %s", sn_jsonl_type_name(v));
    size_t n = json_string_length(v);
    if (n > SN_MAX_FIELD)
        return sn_jbad(c, SN_ERR_TOO_LONG, path,
                       "field is %zu bytes, longer than the %d-byte limit", n, SN_MAX_FIELD);
    const char *p = json_string_value(v);
    sn_ingest_trim(&p, &n);
    *out = (sn_str){n ? p : NULL, n};
    return SN_OK;
}

sn_status sn_jstr_first(sn_jctx *c, const char *const *paths, sn_str *out)
{
    sn_status st = SN_OK;
    *out = (sn_str){0};
    for (size_t i = 0; paths[i] && !out->n && st == SN_OK; i++)
        st = sn_jstr(c, paths[i], out);
    return st;
}

/* The value at path, with JSON text in a string parsed when the record follows Log Analytics'
 * conventions; the parsed value lives as long as the record. */
static sn_status resolve(sn_jctx *c, const char *path, json_t **out)
{
    json_t *v = sn_jpath(c->base, path, c->loose);
    *out = NULL;
    if (!v || json_is_null(v))
        return SN_OK;
    if (!json_is_string(v) || !c->loose) {
        *out = v;
        return SN_OK;
    }
    const char *p = json_string_value(v);
    size_t n = json_string_length(v);
    sn_ingest_trim(&p, &n);
    if (n == 0)
        return SN_OK;
    if (p[0] != '{' && p[0] != '[') {
        *out = v;
        return SN_OK;
    }
    sn_reader *r = c->r;
    if (r->js_nparsed >= (int)(sizeof(r->js_parsed) / sizeof(r->js_parsed[0])))
        return sn_jbad(c, SN_ERR_LIMIT, path, "too many fields holding JSON text in one record");
    json_error_t je;
    json_t *parsed = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!parsed)
        return sn_jbad(c, SN_ERR_PARSE, path, "the JSON text in this string is not valid: %s",
                       je.text);
    r->js_parsed[r->js_nparsed++] = parsed;
    *out = parsed;
    return SN_OK;
}

sn_status sn_jobj(sn_jctx *c, const char *path, json_t **out)
{
    json_t *v;
    sn_status st = resolve(c, path, &v);
    *out = NULL;
    if (st != SN_OK || !v)
        return st;
    if (!json_is_object(v))
        return sn_jbad(c, SN_ERR_PARSE, path, "expected an object, got %s", sn_jsonl_type_name(v));
    *out = v;
    return SN_OK;
}

sn_status sn_jfirst(sn_jctx *c, const char *path, json_t **out)
{
    json_t *v;
    sn_status st = resolve(c, path, &v);
    *out = NULL;
    if (st != SN_OK || !v)
        return st;
    if (json_is_array(v)) {
        if (json_array_size(v) == 0)
            return SN_OK;
        json_t *e = json_array_get(v, 0);
        if (json_is_null(e))
            return SN_OK;
        if (!json_is_object(e))
            return sn_jbad(c, SN_ERR_PARSE, path, "expected an array of objects, got %s in it",
                           sn_jsonl_type_name(e));
        *out = e;
        return SN_OK;
    }
    if (!json_is_object(v))
        return sn_jbad(c, SN_ERR_PARSE, path, "expected an array of objects, got %s",
                       sn_jsonl_type_name(v));
    *out = v;
    return SN_OK;
}

sn_status sn_jarray(sn_jctx *c, const char *path, json_t **out)
{
    json_t *v;
    sn_status st = resolve(c, path, &v);
    *out = NULL;
    if (st != SN_OK || !v)
        return st;
    if (!json_is_array(v))
        return sn_jbad(c, SN_ERR_PARSE, path, "expected an array, got %s", sn_jsonl_type_name(v));
    *out = v;
    return SN_OK;
}

sn_status sn_jint(sn_jctx *c, const char *path, long long *out, bool *present)
{
    json_t *v = sn_jpath(c->base, path, c->loose);
    *present = false;
    if (!v || json_is_null(v))
        return SN_OK;
    if (json_is_integer(v)) {
        *out = (long long)json_integer_value(v);
        *present = true;
        return SN_OK;
    }
    if (json_is_string(v)) {
        const char *p = json_string_value(v);
        size_t n = json_string_length(v);
        sn_ingest_trim(&p, &n);
        if (n == 0)
            return SN_OK;
        size_t i = p[0] == '-' ? 1 : 0;
        long long x = 0;
        bool ok = i < n && n - i <= 18;
        for (; ok && i < n; i++) {
            ok = p[i] >= '0' && p[i] <= '9';
            x = x * 10 + (p[i] - '0');
        }
        if (ok) {
            *out = p[0] == '-' ? -x : x;
            *present = true;
            return SN_OK;
        }
        char q[96];
        sn_ingest_quote(q, sizeof(q), p, n);
        return sn_jbad(c, SN_ERR_PARSE, path, "%s is not an integer", q);
    }
    return sn_jbad(c, SN_ERR_PARSE, path, "expected an integer, got %s", sn_jsonl_type_name(v));
}

sn_status sn_jbool(sn_jctx *c, const char *path, int8_t *out)
{
    json_t *v = sn_jpath(c->base, path, c->loose);
    if (!v || json_is_null(v))
        return SN_OK;
    if (json_is_boolean(v)) {
        *out = json_is_true(v) ? 1 : 0;
        return SN_OK;
    }
    if (!json_is_string(v))
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a boolean or a string, got %s",
                       sn_jsonl_type_name(v));
    const char *p = json_string_value(v);
    size_t n = json_string_length(v);
    sn_ingest_trim(&p, &n);
    if (n == 0)
        return SN_OK;
    int8_t b;
    if (sn_parse_bool(p, n, &b, c->err) != SN_OK) {
        char why[sizeof(c->err->msg)];
        snprintf(why, sizeof(why), "%s", c->err->msg);
        return sn_jbad(c, SN_ERR_PARSE, path, "%s", why);
    }
    *out = b;
    return SN_OK;
}

/* A number as text in the record's scratch area, so the event can point at it. */
static const char *number_text(sn_jctx *c, json_t *v, size_t *n)
{
    char num[64];
    int k = json_is_integer(v)
                ? snprintf(num, sizeof(num), "%" PRId64, (int64_t)json_integer_value(v))
                : snprintf(num, sizeof(num), "%.6f", json_real_value(v));
    if (k <= 0 || (size_t)k >= sizeof(num))
        return NULL;
    *n = (size_t)k;
    return sn_ingest_scratch(c->r, num, (size_t)k);
}

sn_status sn_jtime(sn_jctx *c, const char *path)
{
    json_t *v = sn_jpath(c->base, path, c->loose);
    const char *p;
    size_t n;
    if (!v || json_is_null(v))
        return SN_EOF;
    if (json_is_string(v)) {
        p = json_string_value(v);
        n = json_string_length(v);
        if (n == 0)
            return SN_EOF;
        if (n > SN_MAX_FIELD)
            return sn_jbad(c, SN_ERR_TOO_LONG, path, "timestamp too long");
    } else if (json_is_integer(v) || json_is_real(v)) {
        if (!(p = number_text(c, v, &n)))
            return sn_jbad(c, SN_ERR_RANGE, path, "number out of range");
    } else {
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a string or a number, got %s",
                       sn_jsonl_type_name(v));
    }
    if (sn_ingest_parse_timestamp_tz(p, n, c->r->tz_offset_min, &c->ev->ts_us, c->err) != SN_OK) {
        char why[sizeof(c->err->msg)];
        snprintf(why, sizeof(why), "%s", c->err->msg);
        return sn_jbad(c, SN_ERR_PARSE, path, "%s", why);
    }
    c->ev->raw_timestamp = (sn_str){p, n};
    return SN_OK;
}

/* Whether text that is no address is a name: it holds a character no IPv4 or IPv6 address
 * has (a letter past f, a space...). "10.0.0.300" or "2001:db8::g" are addresses gone wrong. */
static bool is_name(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool addr = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == '.' || c == ':' || c == '[' || c == ']';
        if (!addr)
            return true;
    }
    return false;
}

sn_status sn_jip(sn_jctx *c, const char *path, bool names_absent)
{
    sn_str s;
    sn_status st = sn_jstr(c, path, &s);
    if (st != SN_OK || !s.n)
        return st;
    if (sn_parse_ip(s.p, s.n, &c->ev->ip, c->err) != SN_OK) {
        if (names_absent && is_name(s.p, s.n))
            return SN_OK;
        char why[sizeof(c->err->msg)];
        snprintf(why, sizeof(why), "%s", c->err->msg);
        return sn_jbad(c, SN_ERR_PARSE, path, "%s", why);
    }
    c->ev->raw_ip = s;
    return SN_OK;
}

/* A coordinate at path: *have false when absent. */
static sn_status coord(sn_jctx *c, const char *path, double lim, double *out, bool *have)
{
    json_t *v = sn_jpath(c->base, path, c->loose);
    *have = false;
    if (!v || json_is_null(v))
        return SN_OK;
    double x;
    if (json_is_number(v)) {
        x = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *p = json_string_value(v);
        size_t n = json_string_length(v);
        sn_ingest_trim(&p, &n);
        if (n == 0)
            return SN_OK;
        if (!sn_ingest_parse_double(p, n, &x)) {
            char q[96];
            sn_ingest_quote(q, sizeof(q), p, n);
            return sn_jbad(c, SN_ERR_PARSE, path, "%s is not a number of degrees", q);
        }
    } else {
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a number, got %s", sn_jsonl_type_name(v));
    }
    if (!(x >= -lim && x <= lim))
        return sn_jbad(c, SN_ERR_RANGE, path, "%g is out of range (-%g to %g degrees)", x, lim,
                       lim);
    *out = x;
    *have = true;
    return SN_OK;
}

sn_status sn_jcoords(sn_jctx *c, const char *lat_path, const char *lon_path)
{
    double lat = 0, lon = 0;
    bool hlat, hlon;
    sn_status st = coord(c, lat_path, 90.0, &lat, &hlat);
    if (st == SN_OK)
        st = coord(c, lon_path, 180.0, &lon, &hlon);
    if (st != SN_OK)
        return st;
    if (hlat != hlon)
        return sn_jbad(c, SN_ERR_MISSING, hlat ? lon_path : lat_path, "missing beside %s%s",
                       c->prefix, hlat ? lat_path : lon_path);
    if (hlat) {
        c->ev->lat = lat;
        c->ev->lon = lon;
        c->r->coords_seen = 3;
    }
    return SN_OK;
}

sn_status sn_jset(sn_jctx *c, int field, sn_str v, const char *path)
{
    if (v.n > SN_MAX_FIELD)
        return sn_jbad(c, SN_ERR_TOO_LONG, path,
                       "value is %zu bytes, longer than the %d-byte limit", v.n, SN_MAX_FIELD);
    return sn_ingest_set_text(c->r, c->ev, field, v.p, v.n, c->err);
}

/* Room for n more bytes of composed values; NULL (with the error set) when there is none. */
static char *build_room(sn_jctx *c, size_t n, const char *path)
{
    sn_reader *r = c->r;
    if (n > SN_MAX_FIELD) {
        sn_jbad(c, SN_ERR_TOO_LONG, path, "value is %zu bytes, longer than the %d-byte limit", n,
                SN_MAX_FIELD);
        return NULL;
    }
    if (n > sizeof(r->build) - r->build_len) {
        sn_jbad(c, SN_ERR_LIMIT, path, "too many composed values in one record");
        return NULL;
    }
    char *p = r->build + r->build_len;
    r->build_len += n;
    return p;
}

sn_status sn_jjoin(sn_jctx *c, const char *sep, const sn_str *parts, int nparts, sn_str *out,
                   const char *path)
{
    size_t sl = strlen(sep), total = 0;
    int present = 0;
    *out = (sn_str){0};
    for (int i = 0; i < nparts; i++)
        if (parts[i].n) {
            total += parts[i].n + (present ? sl : 0);
            present++;
        }
    if (present == 0)
        return SN_OK;
    char *o = build_room(c, total, path);
    if (!o)
        return c->err->code;
    size_t k = 0;
    present = 0;
    for (int i = 0; i < nparts; i++) {
        if (!parts[i].n)
            continue;
        if (present++) {
            memcpy(o + k, sep, sl);
            k += sl;
        }
        memcpy(o + k, parts[i].p, parts[i].n);
        k += parts[i].n;
    }
    *out = (sn_str){o, total};
    return SN_OK;
}

sn_status sn_jword(sn_jctx *c, sn_str in, sn_str *out, const char *path)
{
    *out = (sn_str){0};
    if (!in.n)
        return SN_OK;
    char *o = build_room(c, in.n, path);
    if (!o)
        return c->err->code;
    size_t k = 0;
    bool gap = false;
    for (size_t i = 0; i < in.n; i++) {
        unsigned char ch = (unsigned char)in.p[i];
        bool sep;
        size_t len = 1;
        if (ch >= 0x80) {
            /* U+2010 to U+2015, the hyphens and dashes (E2 80 90-95), separate words too */
            sep = i + 2 < in.n && ch == 0xE2 && (unsigned char)in.p[i + 1] == 0x80 &&
                  (unsigned char)in.p[i + 2] >= 0x90 && (unsigned char)in.p[i + 2] <= 0x95;
            len = sep ? 3 : 1;
        } else {
            sep =
                !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'));
        }
        if (sep) {
            gap = k > 0;
            i += len - 1;
            continue;
        }
        if (gap) {
            o[k++] = '_';
            gap = false;
        }
        o[k++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + ('a' - 'A')) : (char)ch;
    }
    c->r->build_len -= in.n - k;
    *out = (sn_str){k ? o : NULL, k};
    return SN_OK;
}

sn_status sn_jfinish(sn_jctx *c)
{
    return sn_ingest_finish_event(c->r, c->ev, c->err);
}
