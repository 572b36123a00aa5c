/* Text checks shared by every input format: UTF-8 validation (RFC 3629) and quoting of values
 * in messages. */
#include "ingest_impl.h"

#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Length of the UTF-8 sequence at s (RFC 3629 section 4), or 0 when it is invalid: overlong
 * forms, surrogates and code points above U+10FFFF are rejected. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Scans ASCII eight bytes at a time; stops at the first word holding a byte >= 0x80 or, when
 * nul_too is set, a NUL byte. */
static size_t ascii_run(const char *s, size_t n, bool nul_too)
{
    const uint64_t hi = 0x8080808080808080ULL, lo = 0x0101010101010101ULL;
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t bad = w & hi;
        if (nul_too)
            bad |= (w - lo) & ~w & hi;
        if (bad)
            break;
        i += 8;
    }
    return i;
}

size_t sn_utf8_valid_prefix(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        i += ascii_run(s + i, n - i, false);
        if (i >= n)
            break;
        size_t k = utf8_seq(u + i, n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

size_t sn_ingest_text_check(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
#ifdef __SSE2__
        const __m128i zero = _mm_setzero_si128();
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            if (_mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)))
                break;
            i += 16;
        }
#endif
        i += ascii_run(s + i, n - i, true);
        if (i >= n)
            break;
        if (u[i] == 0)
            return i;
        size_t k = utf8_seq(u + i, n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

/* Whether messages on this thread quote the values they are about (see sn_ingest_quote_values). */
static _Thread_local bool values_withheld;

bool sn_ingest_quote_values(bool on)
{
    bool was = !values_withheld;
    values_withheld = !on;
    return was;
}

void sn_ingest_quote(char *out, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, i = 0;
    if (cap < 8) {
        if (cap)
            out[0] = '\0';
        return;
    }
    if (values_withheld) {
        snprintf(out, cap, "the value");
        return;
    }
    out[o++] = '\'';
    while (i < n && i < 60 && o + 8 < cap) {
        unsigned c = u[i];
        size_t k = c >= 0x80 ? utf8_seq(u + i, n - i) : 1;
        if (c >= 0x80 && k > 1) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else if (c < 0x20 || c == 0x7f || c >= 0x80 || c == '\\' || c == '\'') {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
            i++;
        } else {
            out[o++] = (char)c;
            i++;
        }
    }
    out[o++] = '\'';
    if (i < n && o + 4 <= cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
