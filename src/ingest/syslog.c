/* Linux authentication logs as syslog daemons write them (auth.log, secure): the RFC 3164
 * header "Mmm dd hh:mm:ss host tag[pid]: " (or rsyslog's RFC 3339 stamp in place of the first
 * part), then the message. The messages of sshd, su and sudo that say who authenticated, from
 * where and with what outcome become events (syslog_auth.c); every other well-formed line is
 * counted as ignored. */
#include "syslog_impl.h"

#include <string.h>

static const char months[12][3] = {{'J', 'a', 'n'}, {'F', 'e', 'b'}, {'M', 'a', 'r'},
                                   {'A', 'p', 'r'}, {'M', 'a', 'y'}, {'J', 'u', 'n'},
                                   {'J', 'u', 'l'}, {'A', 'u', 'g'}, {'S', 'e', 'p'},
                                   {'O', 'c', 't'}, {'N', 'o', 'v'}, {'D', 'e', 'c'}};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static unsigned month_of(const char *s)
{
    for (unsigned m = 0; m < 12; m++)
        if (s[0] == months[m][0] && s[1] == months[m][1] && s[2] == months[m][2])
            return m + 1;
    return 0;
}

/* Two digits at s[i]; false when they are not there. */
static bool two_digits(const char *s, size_t n, size_t i, unsigned *out)
{
    if (i + 2 > n || !is_digit(s[i]) || !is_digit(s[i + 1]))
        return false;
    *out = (unsigned)(s[i] - '0') * 10 + (unsigned)(s[i + 1] - '0');
    return true;
}

/* The RFC 3164 section 4.1.2 TIMESTAMP "Mmm dd hh:mm:ss", the day padded with a space (or,
 * as some writers do, a zero), with an optional fraction of a second. */
static const char *parse_bsd_stamp(const char *p, size_t n, size_t *i, sl_header *h)
{
    size_t k = *i;
    if (k + 3 > n || !(h->mo = month_of(p + k)))
        return "expected a month name (Jan to Dec) at the start of the syslog header";
    k += 3;
    if (k >= n || p[k] != ' ')
        return "expected a space after the month";
    while (k < n && p[k] == ' ')
        k++;
    unsigned d = 0, nd = 0;
    while (k < n && is_digit(p[k]) && nd < 2) {
        d = d * 10 + (unsigned)(p[k++] - '0');
        nd++;
    }
    if (nd == 0 || d < 1 || d > 31)
        return "expected a day of the month (1 to 31) after the month";
    h->d = d;
    if (k >= n || p[k++] != ' ')
        return "expected a space after the day of the month";
    if (!two_digits(p, n, k, &h->h) || k + 2 >= n || p[k + 2] != ':' ||
        !two_digits(p, n, k + 3, &h->mi) || k + 5 >= n || p[k + 5] != ':' ||
        !two_digits(p, n, k + 6, &h->s))
        return "expected the time of day as hh:mm:ss after the date";
    if (h->h > 23 || h->mi > 59 || h->s > 60)
        return "time of day out of range";
    k += 8;
    h->frac_us = 0;
    if (k < n && p[k] == '.') {
        static const int32_t scale[6] = {100000, 10000, 1000, 100, 10, 1};
        size_t fd = 0;
        k++;
        while (k < n && is_digit(p[k])) {
            if (fd < 6)
                h->frac_us += (p[k] - '0') * scale[fd];
            fd++;
            k++;
        }
        if (fd == 0 || fd > 9)
            return "fraction of a second must have 1 to 9 digits";
    }
    h->stamp_n = k - *i;
    *i = k;
    return NULL;
}

/* Fills h from the start of a line; NULL when the header is whole, else why it is not. A line
 * with a stamp and a host but no "tag:" (sysklogd's "last message repeated 3 times") has an
 * empty program. */
static const char *parse_header(const char *p, size_t n, sl_header *h)
{
    size_t i = 0;
    memset(h, 0, sizeof(*h));
    if (n > 0 && p[0] == '<') {
        /* RFC 3164 section 4.1.1 PRI, present when the line was taken off the wire */
        size_t k = 1;
        while (k < n && k < 5 && is_digit(p[k]))
            k++;
        if (k == 1 || k >= n || p[k] != '>')
            return "malformed <PRI> at the start of the syslog header";
        i = k + 1;
    }
    h->stamp = p + i;
    if (i + 10 < n && is_digit(p[i]) && p[i + 4] == '-' && p[i + 7] == '-' && p[i + 10] == 'T') {
        /* rsyslog's RSYSLOG_FileFormat: an RFC 3339 timestamp with its zone */
        size_t k = i;
        while (k < n && p[k] != ' ')
            k++;
        h->iso = true;
        h->stamp_n = k - i;
        i = k;
    } else {
        const char *why = parse_bsd_stamp(p, n, &i, h);
        if (why)
            return why;
    }
    if (i >= n || p[i] != ' ')
        return "expected a space and a host name after the timestamp";
    while (i < n && p[i] == ' ')
        i++;
    size_t host = i;
    while (i < n && p[i] != ' ')
        i++;
    if (i == host)
        return "expected a host name after the timestamp";
    h->host = p + host;
    h->host_n = i - host;
    if (h->host[h->host_n - 1] == ':') {
        /* no host: the token is already the tag */
        i = host;
        h->host = NULL;
        h->host_n = 0;
    } else {
        while (i < n && p[i] == ' ')
            i++;
    }
    /* TAG (RFC 3164 section 4.1.3): the program, an optional "[pid]", then ':' */
    size_t prog = i;
    while (i < n && p[i] != ' ' && p[i] != '[' && p[i] != ':')
        i++;
    size_t prog_end = i;
    if (i < n && p[i] == '[') {
        while (i < n && p[i] != ']' && p[i] != ' ')
            i++;
        if (i < n && p[i] == ']')
            i++;
    }
    if (prog_end > prog && i < n && p[i] == ':') {
        h->prog = p + prog;
        h->prog_n = prog_end - prog;
        i++;
        if (i < n && p[i] == ' ')
            i++;
    } else {
        i = prog; /* no tag: the message starts here */
    }
    h->msg = p + i;
    h->msg_n = n - i;
    return NULL;
}

bool sn_syslog_line_matches(const char *p, size_t n)
{
    sl_header h;
    return parse_header(p, n, &h) == NULL && h.prog_n > 0;
}

int sn_syslog_infer_year(unsigned month, unsigned day, unsigned h, unsigned mi, unsigned s,
                         int tz_min, int64_t now_us)
{
    int64_t local_now = now_us + (int64_t)tz_min * 60000000;
    int year;
    unsigned now_month;
    sn_ingest_civil_of(local_now, &year, &now_month);
    int64_t t;
    /* A log is not written in the future: a date later than now (a day of slack for clocks
     * and zones) was written last year. */
    if (sn_ingest_civil_us(year, month, day, h, mi, s, &t))
        return t > local_now + 86400000000LL ? year - 1 : year;
    /* 29 February outside a leap year: from a year before, if any */
    return month > now_month ? year - 1 : year;
}

/* The year of a header without one: the reader's option or a guess for the first line, then
 * carried across a new year when the months go from late to early. A month more than six
 * months ahead of the last one is a late line from the year before. */
static int header_year(sn_reader *r, const sl_header *h)
{
    if (r->sl_month == 0) {
        r->sl_year = r->year_opt ? r->year_opt
                                 : sn_syslog_infer_year(h->mo, h->d, h->h, h->mi, h->s,
                                                        r->tz_offset_min, r->now_us);
        r->sl_month = (int)h->mo;
        return r->sl_year;
    }
    int step = (int)h->mo - r->sl_month;
    if (step > 6)
        return r->sl_year - 1;
    if (step < -6)
        r->sl_year++;
    r->sl_month = (int)h->mo;
    return r->sl_year;
}

static sn_status line_time(sn_reader *r, const sl_header *h, int year, long line, int64_t *us,
                           sn_error *err)
{
    if (h->iso) {
        if (sn_ingest_parse_timestamp_tz(h->stamp, h->stamp_n, r->tz_offset_min, us, err) == SN_OK)
            return SN_OK;
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, "timestamp", "%s", why);
    }
    int64_t t;
    if (!sn_ingest_civil_us(year, h->mo, h->d, h->h, h->mi, h->s, &t))
        return sn_error_set(err, SN_ERR_RANGE, false, r->name, line, "timestamp",
                            "'%.*s' is not a date in %d (the year the header leaves out; give "
                            "it with --year)",
                            (int)h->stamp_n, h->stamp, year);
    *us = t + h->frac_us - (int64_t)r->tz_offset_min * 60000000;
    return SN_OK;
}

/* An address as sshd and PAM write it: an IP address, or a host name when the daemon was told
 * to resolve names (sshd UseDNS, PAM rhost). Only something that looks like an address must
 * parse as one. */
static bool looks_numeric(const char *s, size_t n)
{
    bool dot = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':' || s[i] == '[')
            return true;
        if (s[i] == '.')
            dot = true;
        else if (!is_digit(s[i]))
            return false;
    }
    return dot;
}

/* Turns what the message said into the event (year: of the header, when it has none). */
static sn_status build_event(sn_reader *r, const sl_header *h, const sl_auth *a, int year,
                             const char *p, size_t n, long line, sn_event *ev, sn_error *err)
{
    sn_ingest_event_init(r, ev, line);
    size_t bad = sn_ingest_text_check(p, n);
    if (bad < n)
        return sn_error_set(err, SN_ERR_UTF8, false, r->name, line, NULL,
                            p[bad] ? "invalid UTF-8 (byte 0x%02x at offset %zu)"
                                   : "NUL byte (0x%02x) at offset %zu",
                            (unsigned char)p[bad], bad);
    if (a->user_n == 0)
        return sn_error_set(err, SN_ERR_MISSING, false, r->name, line, "user_id",
                            "the message names no user");
    if (a->user_n > SN_MAX_FIELD || a->target_n > SN_MAX_FIELD)
        return sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, line, "user_id",
                            "user name longer than the %d-byte limit", SN_MAX_FIELD);
    sn_status st = line_time(r, h, year, line, &ev->ts_us, err);
    if (st != SN_OK)
        return st;
    ev->raw_timestamp = (sn_str){h->stamp, h->stamp_n};
    ev->user_id = (sn_str){a->user, a->user_n};
    if (a->target_n) {
        ev->resource = (sn_str){a->target, a->target_n};
    } else {
        /* "host/sshd": the service on that machine */
        size_t k = h->host_n < 255 ? h->host_n : 255;
        while (k < h->host_n && k > 0 && ((unsigned char)h->host[k] & 0xC0) == 0x80)
            k--; /* cut a name longer than DNS allows at a character boundary */
        if (k) {
            memcpy(r->compose, h->host, k);
            r->compose[k++] = '/';
        }
        memcpy(r->compose + k, "sshd", 4);
        ev->resource = (sn_str){r->compose, k + 4};
    }
    sn_ingest_set_text(r, ev, SN_F_ACTION, a->action, strlen(a->action), err);
    ev->success = a->success;
    if (a->addr_n && looks_numeric(a->addr, a->addr_n)) {
        if (sn_parse_ip(a->addr, a->addr_n, &ev->ip, err) != SN_OK) {
            char why[sizeof(err->msg)];
            snprintf(why, sizeof(why), "%s", err->msg);
            return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, "source_ip", "%s", why);
        }
        ev->raw_ip = (sn_str){a->addr, a->addr_n};
    }
    st = sn_ingest_finish_event(r, ev, err);
    if (st != SN_OK)
        return st;
    return sn_ingest_repeat_hold(r, ev, a->count, err);
}

sn_status sn_syslog_open(sn_reader *r, sn_error *err)
{
    (void)r;
    (void)err;
    return SN_OK;
}

sn_status sn_syslog_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    if (sn_ingest_repeat_next(r, ev) == SN_OK)
        return SN_OK;
    for (;;) {
        const char *p;
        size_t n;
        long line;
        sn_status st = sn_ingest_next_line(r, &p, &n, &line, err);
        if (st != SN_OK)
            return st;
        sl_header h;
        const char *why = parse_header(p, n, &h);
        if (why) {
            char q[320];
            sn_ingest_quote(q, sizeof(q), p, n);
            return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                                "not a syslog line (RFC 3164 'Mmm dd hh:mm:ss host tag: "
                                "message'): %s: %s",
                                why, q);
        }
        /* every dated line counts for following the months across a new year */
        int year = h.iso ? 0 : header_year(r, &h);
        sl_auth a;
        sn_syslog_auth_message(&h, &a);
        if (a.kind == SL_BAD)
            return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, a.field, "%s", a.why);
        if (a.kind == SL_EVENT)
            return build_event(r, &h, &a, year, p, n, line, ev, err);
        r->stats.ignored++;
    }
}
