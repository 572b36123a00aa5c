/* libFuzzer target: the field parsers on any bytes. Timestamps and addresses must survive a
 * format-and-parse round trip, the IPv4 reader must agree with inet_pton, and the UTF-8 check
 * must agree with a plain decoder written from RFC 3629. */
#include "ingest/ingest_impl.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 3629 section 4, one code point at a time. */
static size_t ref_utf8_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t c = s[i], cp;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + k > n)
            return i;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += k;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    sn_error err;

    int64_t us;
    if (sn_parse_timestamp(s, size, &us, &err) == SN_OK) {
        /* years 0000 to 9999 format as they are */
        if (us >= -62167219200000000LL && us <= 253402300799999999LL) {
            char out[32];
            int64_t back;
            sn_format_timestamp(us, out);
            if (sn_parse_timestamp(out, strlen(out), &back, NULL) != SN_OK || back != us)
                abort();
        }
    } else if (err.fatal || !err.msg[0]) {
        abort();
    }

    sn_ip ip;
    if (sn_parse_ip(s, size, &ip, &err) == SN_OK) {
        char out[48];
        sn_ip back;
        sn_format_ip(&ip, out);
        if (ip.family != 4 && ip.family != 6)
            abort();
        if (sn_parse_ip(out, strlen(out), &back, NULL) != SN_OK || memcmp(&back, &ip, sizeof(ip)))
            abort();
    } else if (ip.family != 0) {
        abort();
    }
    if (size < 64 && !memchr(s, 0, size)) {
        char z[64];
        uint8_t a[4], b[4];
        memcpy(z, s, size);
        z[size] = '\0';
        bool mine = sn_ingest_parse_ipv4(s, size, a);
        bool libc = inet_pton(AF_INET, z, b) == 1;
        if (mine != libc || (mine && memcmp(a, b, 4)))
            abort();
    }

    int8_t b = 5;
    if (sn_parse_bool(s, size, &b, NULL) == SN_OK && b != 0 && b != 1)
        abort();

    size_t v = sn_utf8_valid_prefix(s, size);
    if (v != ref_utf8_prefix(data, size))
        abort();
    size_t t = sn_ingest_text_check(s, size);
    const char *nul = memchr(s, 0, size);
    size_t want = nul && (size_t)(nul - s) < v ? (size_t)(nul - s) : v;
    if (t != want)
        abort();

    double d;
    if (sn_ingest_parse_double(s, size, &d) && !isfinite(d))
        abort();

    char q[80];
    sn_ingest_quote(q, sizeof(q), s, size);
    if (strlen(q) >= sizeof(q))
        abort();
    return 0;
}
