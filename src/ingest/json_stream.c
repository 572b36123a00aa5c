/* JSON record streams: cuts the records of a JSON log out of the input one at a time, whether
 * they come one per line, pretty-printed, in an array, or in an array held by an object
 * ({"Records": [...]}), and hands each record's bytes alone to the parser (RFC 8259; json_doc.h),
 * or to jansson to say why a record is not valid. Only the record being read is kept in the
 * reader's buffer. */
#include "json_stream.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Where the stream stands between records. */
enum { JS_TOP, JS_ARRAY, JS_TAIL };

/* How a scan of one value ended. */
enum {
    JS_DONE,      /* the value is complete */
    JS_CUT,       /* a line starting with '{' or '[' came before its end: a new record */
    JS_EOF,       /* the input ended inside it */
    JS_LONG,      /* longer than SN_JSON_RECORD_MAX, and not to be consumed */
    JS_CONTAINER, /* a top-level object holding the records: scanned up to its array's '[' */
};

/* Scan flags. */
#define JS_CONSUME 1u /* past the limit, or from the start with JS_DISCARD, consume as it goes */
#define JS_LINES 2u   /* a line that starts with '{' or '[' inside the value cuts it */
#define JS_DISCARD 4u /* keep nothing: consume from the first byte */

typedef struct js_scan {
    size_t len;        /* bytes of the value from where the scan began (when kept) */
    long nl;           /* newlines among them */
    int depth;         /* deepest nesting */
    int end;           /* JS_DONE... */
    int key;           /* JS_CONTAINER: index of the member name among the keys */
    bool long_skipped; /* ran past the limit and was consumed while scanned */
} js_scan;

/* States of the member-name watch at the first level of a top-level object. */
enum { K_NONE, K_EXPECT, K_KEY, K_COLON, K_VALUE };

/* Byte at offset off from r->pos, reading more as needed; -1 at the end of the input. */
static int byte_at(sn_reader *r, size_t off)
{
    while (r->pos + off >= r->end)
        if (sn_ingest_fill(r) == 0)
            return -1;
    return (unsigned char)r->buf[r->pos + off];
}

/* The first '"', '\\' or line feed in [q, e), or e: eight bytes at a time, each compared by the
 * "has a zero byte" test on the word XORed with the byte sought (exact for whether any byte of
 * the word matches; the bytes are then found one by one). */
static const char *string_stop(const char *q, const char *e)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (e - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        uint64_t a = w ^ (ones * '"'), b = w ^ (ones * '\\'), c = w ^ (ones * '\n');
        if ((((a - ones) & ~a) | ((b - ones) & ~b) | ((c - ones) & ~c)) & highs)
            break;
        q += 8;
    }
    while (q < e && *q != '"' && *q != '\\' && *q != '\n')
        q++;
    return q;
}

static int key_index(const char *const *keys, const char *k, size_t n)
{
    for (int i = 0; keys && keys[i]; i++)
        if (strlen(keys[i]) == n && !memcmp(keys[i], k, n))
            return i;
    return -1;
}

/* Finds the end of the JSON value at r->pos + off (depth 0), or of the object whose first level
 * the stream is in (depth 1, with JS_DISCARD), by matching brackets outside strings. Decisions
 * depend on the bytes alone, never on how the input arrives. A raw line break ends a string
 * (JSON has none inside strings: the record is then bad, and the scan finds its end by lines). */
static void scan(sn_reader *r, size_t off, int depth, unsigned flags, const char *const *keys,
                 js_scan *x)
{
    memset(x, 0, sizeof(*x));
    size_t i = off;
    long nl = 0;
    bool consuming = (flags & JS_DISCARD) != 0, in_str = false, esc = false, line_start = false;
    int ks = K_NONE, maxd = depth;
    size_t kstart = 0, kend = 0;
    int first = depth == 0 ? byte_at(r, i) : '{';
    bool scalar = depth == 0 && first != '{' && first != '[';
    bool bare = scalar && first != '"'; /* a number or a literal: ends at a delimiter */
    if (scalar && !bare) {
        in_str = true;
        i++;
    }
    bool done = false;
    while (!done) {
        if (!consuming && i - off > SN_JSON_RECORD_MAX) {
            if (!(flags & JS_CONSUME)) {
                x->end = JS_LONG;
                break;
            }
            consuming = true; /* too long to keep: find its end without keeping it */
            x->long_skipped = true;
        }
        if (in_str && !esc && r->pos + i < r->end) {
            /* inside a string only its end, an escape or a line break matter */
            const char *p = r->buf + r->pos + i;
            i += (size_t)(string_stop(p, r->buf + r->end) - p);
        }
        if (r->pos + i >= r->end) {
            if (consuming) {
                sn_ingest_consume(r, i, nl);
                i = 0;
                nl = 0;
            }
            if (sn_ingest_fill(r) == 0) {
                x->end = bare ? JS_DONE : JS_EOF;
                break;
            }
            continue;
        }
        char c = r->buf[r->pos + i];
        if (bare) {
            /* its first byte is its own, whatever it is: every record takes at least one */
            if (i > off && (c == ',' || c == ']' || c == '}' || sn_ingest_is_blank(c))) {
                x->end = JS_DONE;
                break;
            }
            i++;
        } else {
            i++;
            if (c == '\n') {
                nl++;
                line_start = true;
                if (in_str) {
                    in_str = esc = false;
                    if (scalar) {
                        x->end = JS_DONE;
                        break;
                    }
                    if (ks == K_KEY)
                        ks = K_NONE;
                }
                continue;
            }
            bool col0 = line_start;
            line_start = false;
            if (in_str) {
                if (esc) {
                    esc = false;
                } else if (c == '\\') {
                    esc = true;
                } else if (c == '"') {
                    in_str = false;
                    if (scalar) {
                        x->end = JS_DONE;
                        break;
                    }
                    if (ks == K_KEY) {
                        kend = i - 1;
                        ks = K_COLON;
                    }
                }
            } else if (col0 && depth > 0 && (flags & JS_LINES) && (c == '{' || c == '[')) {
                i--;
                x->end = JS_CUT;
                break;
            } else {
                switch (c) {
                case '"':
                    in_str = true;
                    if (depth == 1 && ks == K_EXPECT) {
                        ks = K_KEY;
                        kstart = i;
                    } else if (depth == 1) {
                        ks = K_NONE;
                    }
                    break;
                case '{':
                case '[':
                    if (depth == 1 && ks == K_VALUE && c == '[' && keys && !consuming) {
                        int k = key_index(keys, r->buf + r->pos + kstart, kend - kstart);
                        if (k >= 0) {
                            x->end = JS_CONTAINER;
                            x->key = k;
                            done = true;
                            break;
                        }
                    }
                    if (depth == 1)
                        ks = K_NONE;
                    if (++depth > maxd)
                        maxd = depth;
                    if (depth == 1 && c == '{')
                        ks = K_EXPECT;
                    break;
                case '}':
                case ']':
                    if (--depth == 0) {
                        x->end = JS_DONE;
                        done = true;
                    }
                    break;
                case ',':
                    if (depth == 1)
                        ks = K_EXPECT;
                    break;
                case ':':
                    if (depth == 1 && ks == K_COLON)
                        ks = K_VALUE;
                    break;
                case ' ':
                case '\t':
                case '\r':
                    break;
                default:
                    if (depth == 1)
                        ks = K_NONE;
                    break;
                }
                if (done)
                    break;
            }
        }
    }
    if (consuming) {
        sn_ingest_consume(r, i, nl);
    } else {
        x->len = i - off;
        x->nl = nl;
    }
    x->depth = maxd;
}

/* Skips JSON's whitespace before the next value; false at the end of the input. */
static bool skip_blanks(sn_reader *r)
{
    for (;;) {
        size_t i = r->pos;
        long nl = 0;
        while (i < r->end && sn_ingest_is_blank(r->buf[i]))
            nl += r->buf[i++] == '\n';
        sn_ingest_consume(r, i - r->pos, nl);
        if (r->pos < r->end)
            return true;
        if (sn_ingest_fill(r) == 0)
            return false;
    }
}

static sn_status bad(sn_reader *r, long line, sn_status code, const char *why, sn_error *err)
{
    return sn_error_set(err, code, false, r->name, line, NULL, "%s", why);
}

/* Why n bytes at p are not one JSON value, in err: the UTF-8 and depth checks, then jansson's
 * message. Returns the error's code. */
static sn_status why_not_json(sn_reader *r, const char *p, size_t n, int depth, long line,
                              sn_error *err)
{
    size_t badpos = sn_ingest_text_check(p, n);
    if (badpos < n) {
        unsigned char byte = (unsigned char)p[badpos];
        if (byte == 0)
            return sn_error_set(err, SN_ERR_UTF8, false, r->name, line, NULL,
                                "NUL byte at offset %zu", badpos);
        return sn_error_set(err, SN_ERR_UTF8, false, r->name, line, NULL,
                            "invalid UTF-8 (byte 0x%02x at offset %zu)", byte, badpos);
    }
    if (depth > SN_JSON_RECORD_DEPTH)
        return sn_error_set(err, SN_ERR_LIMIT, false, r->name, line, NULL,
                            "JSON nested deeper than %d levels", SN_JSON_RECORD_DEPTH);
    json_error_t je;
    json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (v) {
        /* the two parsers disagree: not expected, but the record is still not read */
        json_decref(v);
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                            "not valid JSON (RFC 8259)");
    }
    if (je.line > 1)
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                            "not valid JSON (RFC 8259): %s at line %ld, column %d", je.text,
                            line + je.line - 1, je.column);
    return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                        "not valid JSON (RFC 8259): %s at column %d", je.text, je.column);
}

/* Parses n bytes at p (inside r->buf) as one JSON value into *out with the reader's parser,
 * which must exist: false when they are not one. depth is the value's nesting as the scan found
 * it, or -1 when it was not scanned: the parser then holds the limit itself. */
static bool parse_value(sn_reader *r, const char *p, size_t n, int depth, sn_jv *out)
{
    if (depth > SN_JSON_RECORD_DEPTH || sn_ingest_text_check(p, n) < n)
        return false;
    /* the buffer's zeroed tail lets the parser read past the record without a copy */
    bool padded = (size_t)(p + n - r->buf) + SN_JDOC_PADDING <= r->cap + SN_BUF_PAD;
    return sn_jdoc_parse(r->js_doc, p, n, padded, depth < 0 ? SN_JSON_RECORD_DEPTH : 0, out);
}

/* A record alone on its line, the usual shape of JSON lines: when the line at r->pos is in the
 * buffer and parses whole as one object (within the depth limit), it is the record the scan
 * would find, taken into r->js_root and consumed without the scan. Anything else (no line feed
 * yet, a long line, two values on a line, a record over several lines, a bad one) is left to the
 * scan, which reads it and says why it is bad. */
static bool take_line(sn_reader *r)
{
    const char *p = r->buf + r->pos;
    size_t avail = r->end - r->pos;
    const char *e = memchr(p, '\n', avail < SN_JSON_RECORD_MAX ? avail : SN_JSON_RECORD_MAX);
    if (!e || (!r->js_doc && !(r->js_doc = sn_jdoc_new())))
        return false;
    size_t n = (size_t)(e - p);
    sn_jv v;
    if (!parse_value(r, p, n, -1, &v) || sn_jv_typeof(v) != SN_JV_OBJECT)
        return false;
    r->js_root = v;
    sn_ingest_consume(r, n, 0);
    return true;
}

/* The record scanned at r->pos: parsed into r->js_root, or reported; consumed either way. */
static sn_status take_record(sn_reader *r, const js_scan *x, long line, sn_error *err)
{
    char why[160];
    if (x->long_skipped) {
        snprintf(why, sizeof(why), "record is longer than %d bytes", SN_JSON_RECORD_MAX);
        return bad(r, line, SN_ERR_TOO_LONG, why, err);
    }
    sn_status st = SN_OK;
    if (x->end == JS_CUT) {
        snprintf(why, sizeof(why),
                 "not valid JSON (RFC 8259): the record is not closed before line %ld, which "
                 "starts another",
                 line + x->nl);
        st = bad(r, line, SN_ERR_PARSE, why, err);
    } else if (x->end == JS_EOF) {
        st = bad(r, line, SN_ERR_PARSE,
                 "not valid JSON (RFC 8259): the input ends inside the record", err);
    } else {
        const char *p = r->buf + r->pos;
        sn_jv v;
        if (!r->js_doc && !(r->js_doc = sn_jdoc_new())) {
            st = sn_error_set(err, SN_ERR_NOMEM, true, r->name, line, NULL,
                              "out of memory for the JSON parser");
        } else if (!parse_value(r, p, x->len, x->depth, &v)) {
            st = why_not_json(r, p, x->len, x->depth, line, err);
        } else if (sn_jv_typeof(v) != SN_JV_OBJECT) {
            st = sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                              "expected a JSON object, got %s", sn_jv_type_name(v));
        } else {
            r->js_root = v;
        }
    }
    sn_ingest_consume(r, x->len, x->nl);
    return st;
}

void sn_jstream_open(sn_reader *r, const char *const *keys)
{
    r->js_level = JS_TOP;
    r->js_container = false;
    r->js_need_sep = false;
    r->js_broken = false;
    r->js_keys = keys;
}

sn_status sn_jstream_next(sn_reader *r, long *line, sn_error *err)
{
    for (;;) {
        if (!skip_blanks(r)) {
            if (r->io_failed)
                return sn_ingest_io_error(r, err);
            if (r->js_level == JS_TOP)
                return SN_EOF;
            bool in_array = r->js_level == JS_ARRAY;
            r->js_level = JS_TOP;
            if (in_array && r->js_broken)
                return SN_EOF; /* its cut record was reported: the missing end is no news */
            *line = r->line;
            return bad(r, r->line, SN_ERR_PARSE,
                       in_array ? "not valid JSON (RFC 8259): the input ends inside the array "
                                  "of records (no closing ']')"
                                : "not valid JSON (RFC 8259): the input ends inside the object "
                                  "holding the records (no closing '}')",
                       err);
        }
        long at = r->line;
        *line = at;
        char c = r->buf[r->pos];
        js_scan x;
        if (r->js_level == JS_TAIL) {
            /* the members after the array of records: nothing to read in them */
            scan(r, 0, 1, JS_DISCARD, NULL, &x);
            if (r->io_failed)
                return sn_ingest_io_error(r, err);
            r->js_level = JS_TOP;
            if (x.end == JS_EOF)
                return bad(r, at, SN_ERR_PARSE,
                           "not valid JSON (RFC 8259): the input ends inside the object "
                           "holding the records (no closing '}')",
                           err);
            continue;
        }
        if (r->js_level == JS_ARRAY) {
            if (c == ']') {
                sn_ingest_consume(r, 1, 0);
                r->js_level = r->js_container ? JS_TAIL : JS_TOP;
                r->js_broken = false;
                continue;
            }
            if (c == ',') {
                sn_ingest_consume(r, 1, 0);
                if (r->js_need_sep) {
                    r->js_need_sep = false;
                    continue;
                }
                return bad(r, at, SN_ERR_PARSE,
                           "not valid JSON (RFC 8259): ',' without a record before it", err);
            }
            if (r->js_need_sep && r->js_broken) {
                r->js_need_sep = false; /* records after the cut one come as they come */
            } else if (r->js_need_sep) {
                /* reported once; the next call reads the record that follows */
                r->js_need_sep = false;
                return bad(r, at, SN_ERR_PARSE,
                           "not valid JSON (RFC 8259): expected ',' or ']' after the record "
                           "before this one",
                           err);
            }
            scan(r, 0, 0, JS_CONSUME | JS_LINES, NULL, &x);
            if (r->io_failed)
                return sn_ingest_io_error(r, err);
            r->js_need_sep = x.end == JS_DONE;
            if (x.end == JS_CUT)
                r->js_broken = true;
            if (x.end == JS_EOF)
                r->js_level = JS_TOP; /* one report for a cut input */
            return take_record(r, &x, at, err);
        }
        if (c == '[') {
            sn_ingest_consume(r, 1, 0);
            r->js_level = JS_ARRAY;
            r->js_container = false;
            r->js_need_sep = false;
            continue;
        }
        if (c != '{') {
            /* not JSON we read: report the line and go on at the next one */
            while (!memchr(r->buf + r->pos, '\n', r->end - r->pos) && r->end - r->pos < 64 &&
                   sn_ingest_fill(r) > 0) {
            }
            const char *p = r->buf + r->pos;
            size_t avail = r->end - r->pos;
            const char *e = memchr(p, '\n', avail);
            size_t n = e ? (size_t)(e - p) : avail;
            char q[96];
            sn_ingest_quote(q, sizeof(q), p, n > 64 ? 64 : n);
            sn_error_set(err, SN_ERR_PARSE, false, r->name, at, NULL,
                         "not valid JSON (RFC 8259): expected a JSON object or an array of "
                         "them, got %s",
                         q);
            sn_ingest_skip_line(r);
            if (r->io_failed)
                return sn_ingest_io_error(r, err);
            return SN_ERR_PARSE;
        }
        if (!r->js_keys && take_line(r))
            return SN_OK;
        scan(r, 0, 0, JS_CONSUME | JS_LINES, r->js_keys, &x);
        if (r->io_failed)
            return sn_ingest_io_error(r, err);
        if (x.end == JS_CONTAINER) {
            sn_ingest_consume(r, x.len, x.nl);
            r->js_level = JS_ARRAY;
            r->js_container = true;
            r->js_need_sep = false;
            continue;
        }
        return take_record(r, &x, at, err);
    }
}

bool sn_jstream_peek(sn_reader *r, const char *const *container_keys, int *key,
                     bool *empty_container, sn_jv *rec)
{
    *key = -1;
    *empty_container = false;
    if (!r->js_doc && !(r->js_doc = sn_jdoc_new()))
        return false;
    js_scan x;
    size_t off = 0;
    int c = byte_at(r, 0);
    if (c == '{') {
        scan(r, 0, 0, JS_LINES, container_keys, &x);
        if (x.end == JS_DONE)
            return parse_value(r, r->buf + r->pos, x.len, x.depth, rec) &&
                   sn_jv_typeof(*rec) == SN_JV_OBJECT;
        if (x.end != JS_CONTAINER)
            return false;
        *key = x.key;
        off = x.len;
    } else if (c == '[') {
        off = 1;
    } else {
        return false;
    }
    for (;;) {
        c = byte_at(r, off);
        if (c < 0 || off > 2 * SN_JSON_RECORD_MAX)
            return false;
        if (!sn_ingest_is_blank((char)c))
            break;
        off++;
    }
    if (c == ']') {
        *empty_container = true;
        return false;
    }
    if (c != '{')
        return false;
    scan(r, off, 0, JS_LINES, NULL, &x);
    if (x.end != JS_DONE)
        return false;
    return parse_value(r, r->buf + r->pos + off, x.len, x.depth, rec) &&
           sn_jv_typeof(*rec) == SN_JV_OBJECT;
}

sn_status sn_jstream_next_event(sn_reader *r, sn_event *ev, sn_error *err, sn_jbuild_fn build)
{
    for (;;) {
        sn_jsonl_release(r);
        long line;
        sn_status st = sn_jstream_next(r, &line, err);
        if (st != SN_OK)
            return st;
        sn_jctx c;
        sn_jctx_init(&c, r, ev, line, err);
        bool ignored = false;
        st = build(&c, &ignored);
        if (ignored && st == SN_OK) {
            r->stats.ignored++;
            continue;
        }
        if (st != SN_OK)
            sn_jsonl_release(r);
        return st;
    }
}
