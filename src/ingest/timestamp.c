/* Timestamps: ISO 8601 / RFC 3339 date and time, epoch seconds or milliseconds, to microseconds
 * since the Unix epoch in UTC, and back to RFC 3339 text. */
#include "ingest_impl.h"

#include <stdio.h>
#include <string.h>

/* Microseconds of one unit of the n-th fractional digit. */
static const int32_t frac_scale[6] = {100000, 10000, 1000, 100, 10, 1};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level
 * Date Algorithms", days_from_civil); independent of the C library's time zone and locale. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse (civil_from_days in the same paper). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly k digits at s[*i]; false when they are not all there. */
static inline bool digits_at(const char *s, size_t n, size_t *i, int k, unsigned *out)
{
    unsigned v = 0;
    if (*i + (size_t)k > n)
        return false;
    for (int j = 0; j < k; j++) {
        char c = s[*i + (size_t)j];
        if (!is_digit(c))
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *i += (size_t)k;
    *out = v;
    return true;
}

static sn_status ts_fail(sn_error *err, sn_status code, const char *s, size_t n, const char *why)
{
    char q[320];
    sn_ingest_quote(q, sizeof(q), s, n);
    return sn_error_set(err, code, false, NULL, 0, NULL, "%s is not a valid timestamp: %s", q, why);
}

/* Epoch seconds (up to 11 digits) or milliseconds (12 or 13 digits), with an optional
 * fraction kept to the microsecond. */
static sn_status parse_epoch(const char *s, size_t n, int64_t *us, sn_error *err)
{
    size_t i = 0;
    int64_t whole = 0;
    while (i < n && is_digit(s[i])) {
        if (i < 13)
            whole = whole * 10 + (s[i] - '0');
        i++;
    }
    size_t nd = i;
    if (nd > 13)
        return ts_fail(err, SN_ERR_RANGE, s, n,
                       "epoch number has too many digits (seconds have at most 11, "
                       "milliseconds 12 or 13)");
    int64_t frac_us = 0; /* fraction of the unit, in millionths */
    if (i < n && s[i] == '.') {
        i++;
        size_t fd = 0;
        while (i < n && is_digit(s[i])) {
            if (fd < 6)
                frac_us += (s[i] - '0') * frac_scale[fd];
            fd++;
            i++;
        }
        if (fd == 0 || fd > 9)
            return ts_fail(err, SN_ERR_PARSE, s, n, "epoch fraction must have 1 to 9 digits");
    }
    if (i != n)
        return ts_fail(err, SN_ERR_PARSE, s, n,
                       "expected an ISO 8601 / RFC 3339 date and time, or epoch seconds or "
                       "milliseconds");
    if (nd <= 11)
        *us = whole * 1000000 + frac_us;
    else
        *us = whole * 1000 + frac_us / 1000;
    return SN_OK;
}

/* RFC 3339 section 5.6 date-time, widened the ISO 8601 way: 'T' or a space between date and
 * time, seconds and fraction optional (fraction up to 9 digits, '.' or ','), zone optional
 * ("Z", "+hh:mm", "+hhmm", "+hh", or none: then tz_min minutes east of UTC). */
static sn_status parse_timestamp(const char *s, size_t n, int tz_min, int64_t *us, sn_error *err)
{
    char why[96];
    unsigned y, mo, d, h, mi, sec = 0;
    int64_t frac = 0;
    size_t i = 0;
    sn_ingest_trim(&s, &n);
    if (n == 0)
        return ts_fail(err, SN_ERR_MISSING, s, n, "empty");
    if (n >= 16 && s[4] == '-' && s[7] == '-' && s[13] == ':' && (s[10] == ' ' || s[10] == 'T')) {
        /* The usual shape, "YYYY-MM-DD hh:mm", read in one go; anything unusual about it
         * goes the long way below, which explains what is wrong. */
        static const uint8_t at[12] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15};
        unsigned v[12], bad = 0;
        for (int k = 0; k < 12; k++) {
            v[k] = (unsigned)(unsigned char)s[at[k]] - '0';
            bad |= v[k] > 9;
        }
        if (!bad) {
            y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
            mo = v[4] * 10 + v[5];
            d = v[6] * 10 + v[7];
            h = v[8] * 10 + v[9];
            mi = v[10] * 10 + v[11];
            if (mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) && h <= 23 && mi <= 59) {
                i = 16;
                goto seconds;
            }
        }
    }
    while (i < n && is_digit(s[i]))
        i++;
    if (i == n || (i > 0 && s[i] == '.'))
        return parse_epoch(s, n, us, err);

    i = 0;
    if (!digits_at(s, n, &i, 4, &y) || i >= n || s[i++] != '-' || !digits_at(s, n, &i, 2, &mo) ||
        i >= n || s[i++] != '-' || !digits_at(s, n, &i, 2, &d))
        return ts_fail(err, SN_ERR_PARSE, s, n,
                       "expected an ISO 8601 / RFC 3339 date and time, or epoch seconds or "
                       "milliseconds");
    if (mo < 1 || mo > 12) {
        snprintf(why, sizeof(why), "month %u out of range 1-12", mo);
        return ts_fail(err, SN_ERR_RANGE, s, n, why);
    }
    if (d < 1 || d > days_in_month(y, mo)) {
        snprintf(why, sizeof(why), "day %u out of range for %04u-%02u", d, y, mo);
        return ts_fail(err, SN_ERR_RANGE, s, n, why);
    }
    if (i == n)
        return ts_fail(err, SN_ERR_PARSE, s, n, "a date without a time of day");
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
        return ts_fail(err, SN_ERR_PARSE, s, n, "expected 'T' or a space after the date");
    i++;
    if (!digits_at(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || !digits_at(s, n, &i, 2, &mi))
        return ts_fail(err, SN_ERR_PARSE, s, n, "expected a time of day as hh:mm[:ss]");
    if (h > 23) {
        snprintf(why, sizeof(why), "hour %u out of range 0-23", h);
        return ts_fail(err, SN_ERR_RANGE, s, n, why);
    }
    if (mi > 59) {
        snprintf(why, sizeof(why), "minute %u out of range 0-59", mi);
        return ts_fail(err, SN_ERR_RANGE, s, n, why);
    }
seconds:
    if (i < n && s[i] == ':') {
        i++;
        if (!digits_at(s, n, &i, 2, &sec))
            return ts_fail(err, SN_ERR_PARSE, s, n, "expected two digits of seconds");
        if (sec > 60) {
            snprintf(why, sizeof(why), "second %u out of range 0-60", sec);
            return ts_fail(err, SN_ERR_RANGE, s, n, why);
        }
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            int fd = 0;
            while (i < n && is_digit(s[i])) {
                if (fd < 6)
                    frac += (s[i] - '0') * frac_scale[fd];
                fd++;
                i++;
            }
            if (fd == 0 || fd > 9)
                return ts_fail(err, SN_ERR_PARSE, s, n,
                               "fraction of a second must have 1 to 9 digits");
        }
    }
    int64_t offset_min = 0;
    if (i < n && s[i] == ' ')
        i++;
    if (i == n) {
        offset_min = tz_min; /* no zone: the reader's (UTC unless told otherwise) */
    } else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        i++;
    } else if (n - i == 3 && !strncmp(s + i, "UTC", 3)) {
        i += 3;
    } else if (s[i] == '+' || s[i] == '-') {
        bool neg = s[i++] == '-';
        unsigned zh, zm = 0;
        if (!digits_at(s, n, &i, 2, &zh))
            return ts_fail(err, SN_ERR_PARSE, s, n, "zone offset must be +hh, +hhmm or +hh:mm");
        bool colon = i < n && s[i] == ':';
        if (colon)
            i++;
        if ((colon || i < n) && !digits_at(s, n, &i, 2, &zm))
            return ts_fail(err, SN_ERR_PARSE, s, n, "zone offset must be +hh, +hhmm or +hh:mm");
        if (i != n)
            return ts_fail(err, SN_ERR_PARSE, s, n, "unexpected text after the zone offset");
        if (zh > 23 || zm > 59) {
            snprintf(why, sizeof(why), "zone offset %02u:%02u out of range", zh, zm);
            return ts_fail(err, SN_ERR_RANGE, s, n, why);
        }
        offset_min = (int64_t)(zh * 60 + zm) * (neg ? -1 : 1);
    }
    if (i != n)
        return ts_fail(err, SN_ERR_PARSE, s, n, "unexpected text after the time");

    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    *us = secs * 1000000 + frac;
    return SN_OK;
}

sn_status sn_parse_timestamp(const char *s, size_t n, int64_t *us, sn_error *err)
{
    return parse_timestamp(s, n, 0, us, err);
}

sn_status sn_ingest_parse_timestamp_tz(const char *s, size_t n, int tz_min, int64_t *us,
                                       sn_error *err)
{
    return parse_timestamp(s, n, tz_min, us, err);
}

bool sn_ingest_civil_us(int y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                        int64_t *us)
{
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    *us = secs * 1000000;
    return true;
}

void sn_ingest_civil_of(int64_t us, int *year, unsigned *month)
{
    int64_t secs = us / 1000000;
    if (us % 1000000 < 0)
        secs--;
    int64_t days = secs / 86400;
    if (secs % 86400 < 0)
        days--;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    *year = (int)y;
    *month = m;
}

static bool ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - ('a' - 'A'));
        if (c != b[i])
            return false;
    }
    return true;
}

bool sn_ingest_parse_utc_offset(const char *s, int *minutes)
{
    if (!s)
        return false;
    size_t n = strlen(s), i = 0;
    if (n >= 3 && (ascii_ieq(s, "UTC", 3) || ascii_ieq(s, "GMT", 3)))
        i = 3;
    else if (n == 1 && (s[0] == 'Z' || s[0] == 'z'))
        i = 1;
    if (i == n) {
        *minutes = 0;
        return n > 0;
    }
    if (s[i] != '+' && s[i] != '-')
        return false;
    bool neg = s[i++] == '-';
    unsigned h = 0, m = 0;
    size_t hd = 0;
    while (i < n && is_digit(s[i]) && hd < 2) {
        h = h * 10 + (unsigned)(s[i++] - '0');
        hd++;
    }
    if (hd == 0)
        return false;
    if (i < n && s[i] == ':')
        i++;
    if (i < n && !digits_at(s, n, &i, 2, &m))
        return false;
    if (i != n || m > 59 || h * 60 + m > 14 * 60)
        return false;
    *minutes = (int)(h * 60 + m) * (neg ? -1 : 1);
    return true;
}

static void put_digits(char *out, unsigned v, int k)
{
    for (int i = k - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

size_t sn_format_timestamp(int64_t ts_us, char out[32])
{
    int64_t secs = ts_us / 1000000, frac = ts_us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* Consecutive events mostly fall on one day: its date is kept per thread. */
    static _Thread_local int64_t last_days = INT64_MIN;
    static _Thread_local char last_date[10];
    if (days != last_days) {
        int64_t y;
        unsigned m, d;
        civil_from_days(days, &y, &m, &d);
        if (y < 0 || y > 9999) {
            snprintf(out, 32, "%s",
                     y < 0 ? "0000-01-01T00:00:00.000000Z" : "9999-12-31T23:59:59.999999Z");
            return 27;
        }
        put_digits(last_date, (unsigned)y, 4);
        last_date[4] = '-';
        put_digits(last_date + 5, m, 2);
        last_date[7] = '-';
        put_digits(last_date + 8, d, 2);
        last_days = days;
    }
    memcpy(out, last_date, 10);
    out[10] = 'T';
    put_digits(out + 11, (unsigned)(rem / 3600), 2);
    out[13] = ':';
    put_digits(out + 14, (unsigned)(rem / 60 % 60), 2);
    out[16] = ':';
    put_digits(out + 17, (unsigned)(rem % 60), 2);
    out[19] = '.';
    put_digits(out + 20, (unsigned)frac, 6);
    out[26] = 'Z';
    out[27] = '\0';
    return 27;
}
