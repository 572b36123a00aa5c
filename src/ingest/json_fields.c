/* Typed access to the fields of one JSON log record (json_stream.h): dotted paths, strings,
 * numbers, times, addresses and coordinates, each checked, with a bad value reported as
 * `FILE:LINE: PATH: why` under the record's own field name. */
#include "json_stream.h"

#include <inttypes.h>
#include <jansson.h>
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
    c->base = r->js_root;
}

sn_jctx sn_jsub(const sn_jctx *c, sn_jv obj, const char *path)
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

/* The member named by the whole of p first (ECS lets "user.name" be one key), then through
 * each split at a dot into nested objects. */
static sn_jv path_get(sn_jv o, const char *p, size_t n, bool nocase)
{
    sn_jv v = sn_jv_member(o, p, n, nocase);
    if (sn_jv_present(v))
        return v;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '.')
            continue;
        sn_jv sub = sn_jv_member(o, p, i, nocase);
        if (sn_jv_typeof(sub) == SN_JV_OBJECT &&
            sn_jv_present(v = path_get(sub, p + i + 1, n - i - 1, nocase)))
            return v;
    }
    return (sn_jv){{NULL, NULL}};
}

sn_jv sn_jpath(sn_jv obj, const char *path, bool nocase)
{
    return sn_jv_typeof(obj) == SN_JV_OBJECT ? path_get(obj, path, strlen(path), nocase)
                                             : (sn_jv){{NULL, NULL}};
}

bool sn_jv_pair(sn_jv v, double *x, double *y)
{
    if (sn_jv_size(v) != 2)
        return false;
    sn_jiter it = sn_jv_iter(v);
    sn_jv a, b;
    const char *k;
    size_t kn;
    if (!sn_jiter_next(&it, &a, &k, &kn) || !sn_jiter_next(&it, &b, &k, &kn))
        return false;
    sn_jv_type ta = sn_jv_typeof(a), tb = sn_jv_typeof(b);
    if ((ta != SN_JV_INTEGER && ta != SN_JV_REAL) || (tb != SN_JV_INTEGER && tb != SN_JV_REAL))
        return false;
    *x = sn_jv_number(a);
    *y = sn_jv_number(b);
    return true;
}

/* Absent, or null: nothing to read. */
static bool is_nothing(sn_jv v)
{
    sn_jv_type t = sn_jv_typeof(v);
    return t == SN_JV_NONE || t == SN_JV_NULL;
}

bool sn_jhas(sn_jv obj, const char *path, bool nocase)
{
    sn_jv v = sn_jpath(obj, path, nocase);
    size_t n;
    return !is_nothing(v) && !(sn_jv_string(v, &n) && n == 0);
}

/* Where a dotted path cannot go on: the first prefix of it that is present but neither an
 * object nor null ("outcome" in outcome.result when outcome is a string). Its length in *len
 * and value in *at; false when nothing stands in the way. */
static bool path_blocked(sn_jv o, const char *p, size_t n, bool nocase, size_t *len, sn_jv *at)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '.')
            continue;
        sn_jv sub = sn_jv_member(o, p, i, nocase);
        sn_jv_type t = sn_jv_typeof(sub);
        if (t == SN_JV_OBJECT) {
            size_t rest;
            if (path_blocked(sub, p + i + 1, n - i - 1, nocase, &rest, at)) {
                *len = i + 1 + rest;
                return true;
            }
        } else if (t != SN_JV_NONE && t != SN_JV_NULL && !(nocase && t == SN_JV_STRING)) {
            /* (Log Analytics rows, nocase, may hold an object as JSON text in a string) */
            *len = i;
            *at = sub;
            return true;
        }
    }
    return false;
}

/* A field found absent: an error when something that is no object stands on its path. */
static sn_status absent(sn_jctx *c, const char *path, sn_status otherwise)
{
    size_t len;
    sn_jv at;
    if (sn_jv_typeof(c->base) != SN_JV_OBJECT ||
        !path_blocked(c->base, path, strlen(path), c->loose, &len, &at))
        return otherwise;
    char field[128];
    snprintf(field, sizeof(field), "%.*s", (int)(len < 127 ? len : 127), path);
    return sn_jbad(c, SN_ERR_PARSE, field, "expected an object, got %s", sn_jv_type_name(at));
}

bool sn_jeq(sn_str s, const char *word)
{
    return s.n == strlen(word) && !strncasecmp(s.p, word, s.n);
}

sn_status sn_jstr(sn_jctx *c, const char *path, sn_str *out)
{
    sn_jv v = sn_jpath(c->base, path, c->loose);
    *out = (sn_str){0};
    if (is_nothing(v))
        return absent(c, path, SN_OK);
    size_t n;
    const char *p = sn_jv_string(v, &n);
    if (!p)
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a string, got %s", sn_jv_type_name(v));
    if (n > SN_MAX_FIELD)
        return sn_jbad(c, SN_ERR_TOO_LONG, path,
                       "field is %zu bytes, longer than the %d-byte limit", n, SN_MAX_FIELD);
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
static sn_status resolve(sn_jctx *c, const char *path, sn_jv *out)
{
    static const sn_jv none = {{NULL, NULL}};
    sn_jv v = sn_jpath(c->base, path, c->loose);
    *out = none;
    if (is_nothing(v))
        return absent(c, path, SN_OK);
    size_t n;
    const char *p = sn_jv_string(v, &n);
    if (!p || !c->loose) {
        *out = v;
        return SN_OK;
    }
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
    sn_jdoc **d = &r->js_parsed[r->js_nparsed];
    if (!*d && !(*d = sn_jdoc_new()))
        return sn_jbad(c, SN_ERR_NOMEM, path, "out of memory for the JSON parser");
    sn_jv parsed;
    if (!sn_jdoc_parse(*d, p, n, false, 0, &parsed) ||
        (sn_jv_typeof(parsed) != SN_JV_OBJECT && sn_jv_typeof(parsed) != SN_JV_ARRAY)) {
        /* jansson says why, as it always did */
        json_error_t je;
        json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
        if (j) {
            json_decref(j);
            return sn_jbad(c, SN_ERR_PARSE, path, "the JSON text in this string is not valid");
        }
        return sn_jbad(c, SN_ERR_PARSE, path, "the JSON text in this string is not valid: %s",
                       je.text);
    }
    r->js_nparsed++;
    *out = parsed;
    return SN_OK;
}

sn_status sn_jobj(sn_jctx *c, const char *path, sn_jv *out)
{
    sn_jv v;
    sn_status st = resolve(c, path, &v);
    *out = (sn_jv){{NULL, NULL}};
    if (st != SN_OK || !sn_jv_present(v))
        return st;
    if (sn_jv_typeof(v) != SN_JV_OBJECT)
        return sn_jbad(c, SN_ERR_PARSE, path, "expected an object, got %s", sn_jv_type_name(v));
    *out = v;
    return SN_OK;
}

sn_status sn_jfirst(sn_jctx *c, const char *path, sn_jv *out)
{
    sn_jv v;
    sn_status st = resolve(c, path, &v);
    *out = (sn_jv){{NULL, NULL}};
    if (st != SN_OK || !sn_jv_present(v))
        return st;
    if (sn_jv_typeof(v) == SN_JV_ARRAY) {
        sn_jv e = sn_jv_first(v);
        if (is_nothing(e))
            return SN_OK;
        if (sn_jv_typeof(e) != SN_JV_OBJECT)
            return sn_jbad(c, SN_ERR_PARSE, path, "expected an array of objects, got %s in it",
                           sn_jv_type_name(e));
        *out = e;
        return SN_OK;
    }
    if (sn_jv_typeof(v) != SN_JV_OBJECT)
        return sn_jbad(c, SN_ERR_PARSE, path, "expected an array of objects, got %s",
                       sn_jv_type_name(v));
    *out = v;
    return SN_OK;
}

sn_status sn_jarray(sn_jctx *c, const char *path, sn_jv *out)
{
    sn_jv v;
    sn_status st = resolve(c, path, &v);
    *out = (sn_jv){{NULL, NULL}};
    if (st != SN_OK || !sn_jv_present(v))
        return st;
    if (sn_jv_typeof(v) != SN_JV_ARRAY)
        return sn_jbad(c, SN_ERR_PARSE, path, "expected an array, got %s", sn_jv_type_name(v));
    *out = v;
    return SN_OK;
}

sn_status sn_jint(sn_jctx *c, const char *path, long long *out, bool *present)
{
    sn_jv v = sn_jpath(c->base, path, c->loose);
    *present = false;
    if (is_nothing(v))
        return absent(c, path, SN_OK);
    if (sn_jv_typeof(v) == SN_JV_INTEGER) {
        *out = (long long)sn_jv_integer(v);
        *present = true;
        return SN_OK;
    }
    size_t n;
    const char *p = sn_jv_string(v, &n);
    if (p) {
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
    return sn_jbad(c, SN_ERR_PARSE, path, "expected an integer, got %s", sn_jv_type_name(v));
}

sn_status sn_jbool(sn_jctx *c, const char *path, int8_t *out)
{
    sn_jv v = sn_jpath(c->base, path, c->loose);
    sn_jv_type t = sn_jv_typeof(v);
    if (t == SN_JV_NONE || t == SN_JV_NULL)
        return absent(c, path, SN_OK);
    if (t == SN_JV_TRUE || t == SN_JV_FALSE) {
        *out = t == SN_JV_TRUE ? 1 : 0;
        return SN_OK;
    }
    size_t n;
    const char *p = sn_jv_string(v, &n);
    if (!p)
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a boolean or a string, got %s",
                       sn_jv_type_name(v));
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
static const char *number_text(sn_jctx *c, sn_jv v, size_t *n)
{
    char num[64];
    int k = sn_jv_typeof(v) == SN_JV_INTEGER
                ? snprintf(num, sizeof(num), "%" PRId64, sn_jv_integer(v))
                : snprintf(num, sizeof(num), "%.6f", sn_jv_number(v));
    if (k <= 0 || (size_t)k >= sizeof(num))
        return NULL;
    *n = (size_t)k;
    return sn_ingest_scratch(c->r, num, (size_t)k);
}

sn_status sn_jtime(sn_jctx *c, const char *path)
{
    sn_jv v = sn_jpath(c->base, path, c->loose);
    sn_jv_type t = sn_jv_typeof(v);
    const char *p;
    size_t n;
    if (t == SN_JV_NONE || t == SN_JV_NULL)
        return absent(c, path, SN_EOF);
    if (t == SN_JV_STRING) {
        p = sn_jv_string(v, &n);
        if (n == 0)
            return SN_EOF;
        if (n > SN_MAX_FIELD)
            return sn_jbad(c, SN_ERR_TOO_LONG, path, "timestamp too long");
    } else if (t == SN_JV_INTEGER || t == SN_JV_REAL) {
        if (!(p = number_text(c, v, &n)))
            return sn_jbad(c, SN_ERR_RANGE, path, "number out of range");
    } else {
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a string or a number, got %s",
                       sn_jv_type_name(v));
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
    sn_jv v = sn_jpath(c->base, path, c->loose);
    sn_jv_type t = sn_jv_typeof(v);
    *have = false;
    if (t == SN_JV_NONE || t == SN_JV_NULL)
        return absent(c, path, SN_OK);
    double x;
    if (t == SN_JV_INTEGER || t == SN_JV_REAL) {
        x = sn_jv_number(v);
    } else if (t == SN_JV_STRING) {
        size_t n;
        const char *p = sn_jv_string(v, &n);
        sn_ingest_trim(&p, &n);
        if (n == 0)
            return SN_OK;
        if (!sn_ingest_parse_double(p, n, &x)) {
            char q[96];
            sn_ingest_quote(q, sizeof(q), p, n);
            return sn_jbad(c, SN_ERR_PARSE, path, "%s is not a number of degrees", q);
        }
    } else {
        return sn_jbad(c, SN_ERR_PARSE, path, "expected a number, got %s", sn_jv_type_name(v));
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
