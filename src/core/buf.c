/* Growable byte buffer. */
#include "buf.h"

#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sn_buf_init(sn_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void sn_buf_free(sn_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void sn_buf_reset(sn_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int sn_buf_reserve(sn_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + extra + 1) {
        if (nc > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        nc *= 2;
    }
    char *d = realloc(b->data, nc);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = nc;
    return 0;
}

void sn_buf_append_slow(sn_buf *b, const void *p, size_t n)
{
    if (n == 0) /* p may be NULL then (an empty array), which memcpy does not allow */
        return;
    if (sn_buf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sn_buf_printf(sn_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        sn_buf_append(b, tmp, (size_t)n);
        return;
    }
    if (sn_buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Bytes that JSON strings cannot hold as they are: controls, '"' and '\\'. */
static const uint8_t json_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

/* Whether one of the eight bytes of w needs escaping: a byte below 0x20, '"' or '\\' sets its
 * high bit in the result (the classic "has a byte less than / equal to" word tricks). */
static inline bool word_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)) &
           highs;
}

/* Index of the first byte at or after i that needs escaping, or n: eight bytes at a time, as
 * most strings need none; the last part of a string of eight bytes or more is checked as the
 * word that ends it, overlapping bytes already checked. */
static inline size_t next_escape(const char *s, size_t i, size_t n)
{
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_needs_escape(w))
            goto bytes;
    }
    if (i < n && n >= 8) {
        memcpy(&w, s + n - 8, 8);
        if (!word_needs_escape(w))
            return n;
    }
bytes:
    while (i < n && !json_escape[(unsigned char)s[i]])
        i++;
    return i;
}

char *sn_json_str_to(char *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    *o++ = '"';
    size_t start = 0;
    for (size_t i = next_escape(s, 0, n); i < n; i = next_escape(s, i, n)) {
        unsigned char c = (unsigned char)s[i];
        if (i > start)
            memcpy(o, s + start, i - start);
        o += i - start;
        start = ++i;
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
    }
    if (n > start) /* s may be NULL when n is 0 */
        memcpy(o, s + start, n - start);
    o += n - start;
    *o++ = '"';
    return o;
}

void sn_buf_json_str(sn_buf *b, const char *s, size_t n)
{
    /* Room for the worst case (every byte a \u escape) up front: then no check per piece. */
    if (n > (SIZE_MAX - 2) / 6 ||
        (b->len + 6 * n + 3 > b->cap && sn_buf_reserve(b, 6 * n + 2) != 0) || b->failed) {
        b->failed = 1;
        return;
    }
    char *o = sn_json_str_to(b->data + b->len, s, n);
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

void sn_buf_u64(sn_buf *b, uint64_t v)
{
    char tmp[24];
    int i = 23;
    tmp[i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sn_buf_append(b, tmp + i, (size_t)(23 - i));
}

char *sn_fixed_to(char *o, double v, int decimals)
{
    static const double scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (!isfinite(v)) {
        memcpy(o, "null", 4);
        return o + 4;
    }
    if (decimals < 0 || decimals > 6 || fabs(v) >= 1e12)
        return o + snprintf(o, SN_FIXED_MAX, "%.*f", decimals < 0 ? 0 : decimals, v);
    /* Scaled integer arithmetic; round() matches printf except on exact binary ties, which
     * printf rounds to even: those go through printf. */
    double scaled = fabs(v) * scale[decimals];
    double r = round(scaled);
    if (fabs(scaled - floor(scaled) - 0.5) < 1e-9)
        return o + snprintf(o, SN_FIXED_MAX, "%.*f", decimals, v);
    /* Digits from the right into a local buffer, then in place. */
    uint64_t q = (uint64_t)r;
    char tmp[40];
    char *end = tmp + sizeof(tmp), *d = end;
    for (int i = 0; i < decimals; i++) {
        *--d = (char)('0' + q % 10);
        q /= 10;
    }
    if (decimals)
        *--d = '.';
    do {
        *--d = (char)('0' + q % 10);
        q /= 10;
    } while (q);
    if (signbit(v))
        *--d = '-';
    memcpy(o, d, (size_t)(end - d));
    return o + (end - d);
}

void sn_buf_fixed(sn_buf *b, double v, int decimals)
{
    if ((b->len + SN_FIXED_MAX + 1 > b->cap && sn_buf_reserve(b, SN_FIXED_MAX) != 0) || b->failed)
        return;
    char *o = sn_fixed_to(b->data + b->len, v, decimals);
    *o = '\0';
    b->len = (size_t)(o - b->data);
}
