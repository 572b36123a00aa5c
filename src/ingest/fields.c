/* Field parsers shared by every input format: IP addresses, booleans and numbers. */
#include "ingest_impl.h"

#include <arpa/inet.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

bool sn_ingest_parse_double(const char *s, size_t n, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    sn_ingest_trim(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    uint64_t mant = 0;
    int digits = 0, scale = 0;
    bool any = false;
    while (i < n && is_digit(s[i])) {
        if (digits < 18) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            if (mant)
                digits++;
        } else {
            scale++;
        }
        any = true;
        i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) {
            if (digits < 18) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                if (mant)
                    digits++;
                scale--;
            }
            any = true;
            i++;
        }
    }
    if (!any)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= n || !is_digit(s[i]))
            return false;
        int e = 0;
        while (i < n && is_digit(s[i])) {
            if (e < 10000)
                e = e * 10 + (s[i] - '0');
            i++;
        }
        scale += eneg ? -e : e;
    }
    if (i != n)
        return false;
    double v = (double)mant;
    if (mant == 0 || scale == 0) {
        /* exact */
    } else if (scale > 0) {
        if (scale > 308)
            return false;
        while (scale > 22) {
            v *= 1e22;
            scale -= 22;
        }
        v *= p10[scale];
    } else {
        while (scale < -22) {
            v /= 1e22;
            scale += 22;
        }
        v /= p10[-scale];
    }
    if (v > 1.7976931348623157e308)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* Dotted-quad IPv4 exactly as inet_pton(AF_INET) accepts it (four decimal parts 0-255, no
 * zero-padded parts), without the copy to a C string; the fuzzer checks that the two agree. */
static bool parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
    /* Four decimal parts of 1-3 digits, no leading zero, each at most 255. */
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && i - start < 3 && (unsigned)(s[i] - '0') <= 9)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
            return false;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

bool sn_ingest_parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
    return parse_ipv4(s, n, out);
}

sn_status sn_parse_ip(const char *s, size_t n, sn_ip *ip, sn_error *err)
{
    const char *s0 = s;
    size_t n0 = n;
    char tmp[INET6_ADDRSTRLEN + 1];
    sn_ingest_trim(&s, &n);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    memset(ip, 0, sizeof(*ip));
    if (n > 0 && n < sizeof(tmp)) {
        if (parse_ipv4(s, n, ip->addr)) {
            ip->family = 4;
            return SN_OK;
        }
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        if (memchr(tmp, ':', n) && inet_pton(AF_INET6, tmp, ip->addr) == 1) {
            static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (!memcmp(ip->addr, mapped, 12)) {
                /* ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2) is the IPv4 host it maps. */
                memmove(ip->addr, ip->addr + 12, 4);
                memset(ip->addr + 4, 0, 12);
                ip->family = 4;
            } else {
                ip->family = 6;
            }
            return SN_OK;
        }
    }
    memset(ip, 0, sizeof(*ip));
    char q[320];
    sn_ingest_quote(q, sizeof(q), s0, n0);
    return sn_error_set(err, SN_ERR_PARSE, false, NULL, 0, NULL,
                        "%s is not an IPv4 or IPv6 address", q);
}

size_t sn_format_ip(const sn_ip *ip, char out[48])
{
    out[0] = '\0';
    if (ip->family == 4) {
        /* Dotted quad by hand: glibc's inet_ntop goes through sprintf, and every verdict
         * carries an address. */
        char *o = out;
        for (int i = 0; i < 4; i++) {
            unsigned v = ip->addr[i];
            if (v >= 100)
                *o++ = (char)('0' + v / 100);
            if (v >= 10)
                *o++ = (char)('0' + v / 10 % 10);
            *o++ = (char)('0' + v % 10);
            *o++ = i < 3 ? '.' : '\0';
        }
        return (size_t)(o - out) - 1;
    }
    if (ip->family == 6 && inet_ntop(AF_INET6, ip->addr, out, 48))
        return strlen(out);
    out[0] = '\0';
    return 0;
}

sn_status sn_parse_bool(const char *s, size_t n, int8_t *out, sn_error *err)
{
    static const struct {
        const char *word;
        int8_t value;
    } words[] = {
        {"true", 1},    {"false", 0},   {"1", 1},      {"0", 0},         {"yes", 1},
        {"no", 0},      {"t", 1},       {"f", 0},      {"y", 1},         {"n", 0},
        {"success", 1}, {"failure", 0}, {"failed", 0}, {"succeeded", 1},
    };
    const char *s0 = s;
    size_t n0 = n;
    /* the reference writes True and False */
    if (n == 4 && !memcmp(s, "True", 4)) {
        *out = 1;
        return SN_OK;
    }
    if (n == 5 && !memcmp(s, "False", 5)) {
        *out = 0;
        return SN_OK;
    }
    sn_ingest_trim(&s, &n);
    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        const char *w = words[k].word;
        size_t i = 0;
        while (i < n && w[i] && lower(s[i]) == w[i])
            i++;
        if (i == n && w[i] == '\0' && n > 0) {
            *out = words[k].value;
            return SN_OK;
        }
    }
    char q[320];
    sn_ingest_quote(q, sizeof(q), s0, n0);
    return sn_error_set(err, SN_ERR_PARSE, false, NULL, 0, NULL,
                        "%s is not a boolean (true/false, 1/0, yes/no, success/failure)", q);
}
