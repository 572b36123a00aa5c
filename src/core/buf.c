/* Growable byte buffer. */
#include "buf.h"

#include <math.h>
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

void sn_buf_json_str(sn_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (sn_buf_reserve(b, n + 2) != 0)
        return;
    b->data[b->len++] = '"';
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!json_escape[c])
            continue;
        sn_buf_append(b, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"': sn_buf_append(b, "\\\"", 2); break;
        case '\\': sn_buf_append(b, "\\\\", 2); break;
        case '\n': sn_buf_append(b, "\\n", 2); break;
        case '\r': sn_buf_append(b, "\\r", 2); break;
        case '\t': sn_buf_append(b, "\\t", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sn_buf_append(b, e, 6);
        }
        }
    }
    sn_buf_append(b, s + start, n - start);
    sn_buf_putc(b, '"');
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

void sn_buf_fixed(sn_buf *b, double v, int decimals)
{
    static const double scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (!isfinite(v)) {
        sn_buf_append(b, "null", 4);
        return;
    }
    if (decimals < 0 || decimals > 6 || fabs(v) >= 1e12) {
        sn_buf_printf(b, "%.*f", decimals < 0 ? 0 : decimals, v);
        return;
    }
    /* Scaled integer arithmetic; round() matches printf except on exact binary ties, which
     * printf rounds to even: those go through printf. */
    double scaled = fabs(v) * scale[decimals];
    double r = round(scaled);
    if (fabs(scaled - floor(scaled) - 0.5) < 1e-9) {
        sn_buf_printf(b, "%.*f", decimals, v);
        return;
    }
    uint64_t q = (uint64_t)r;
    uint64_t ip = q / (uint64_t)scale[decimals], fp = q % (uint64_t)scale[decimals];
    if (signbit(v))
        sn_buf_putc(b, '-');
    sn_buf_u64(b, ip);
    if (decimals) {
        char frac[8];
        for (int i = decimals - 1; i >= 0; i--) {
            frac[i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        sn_buf_putc(b, '.');
        sn_buf_append(b, frac, (size_t)decimals);
    }
}
