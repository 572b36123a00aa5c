/* Windows Security auditing events as JSON lines: the flat shape of NXLog and Sentinel exports
 * (EventID, TargetUserName, IpAddress... at the top level) and winlogbeat's nested one
 * (winlog.event_id, winlog.event_data.*, @timestamp, host.name). The logon and Kerberos/NTLM
 * events become access events, following Microsoft's "Advanced security audit policy" event
 * reference (events 4624, 4625, 4648, 4672, 4768, 4769, 4771, 4776); other event ids are
 * counted as ignored. */
#include "json_stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef enum wv_resource {
    WV_COMPUTER, /* the machine that logged the event */
    WV_SERVICE,  /* ServiceName: the service the Kerberos ticket is for */
    WV_KRBTGT,   /* the domain's ticket-granting service */
} wv_resource;

static const struct wv_kind {
    int id;
    const char *action;
    bool always_fails; /* the event id itself is the failure (4625, 4771) */
    bool subject;      /* the account is the Subject, not the Target (4672) */
    wv_resource resource;
} kinds[] = {
    {4624, "logon", false, false, WV_COMPUTER},
    {4625, "logon", true, false, WV_COMPUTER},
    {4648, "explicit_logon", false, false, WV_COMPUTER},
    {4672, "special_privileges", false, true, WV_COMPUTER},
    {4768, "kerberos_tgt", false, false, WV_KRBTGT},
    {4769, "kerberos_service_ticket", false, false, WV_SERVICE},
    {4771, "kerberos_preauth", true, false, WV_KRBTGT},
    {4776, "ntlm_validate", false, false, WV_COMPUTER},
};

/* Where the fields are: the event data of the nested shape, or the top level of the flat one. */
typedef struct wv_src {
    sn_jv root, winlog, data; /* winlog: none in the flat shape */
} wv_src;

/* A member of an object; none when o is no object or has no such member. */
static sn_jv member(sn_jv o, const char *key)
{
    return sn_jv_member(o, key, strlen(key), false);
}

static bool absent(sn_jv v)
{
    return sn_jv_typeof(v) == SN_JV_NONE;
}

static bool absent_or_null(sn_jv v)
{
    sn_jv_type t = sn_jv_typeof(v);
    return t == SN_JV_NONE || t == SN_JV_NULL;
}

static sn_jv event_id_value(sn_jv root, sn_jv *winlog)
{
    static const sn_jv none = {{NULL, NULL}};
    *winlog = member(root, "winlog");
    if (sn_jv_typeof(*winlog) != SN_JV_OBJECT)
        *winlog = none;
    bool nested = sn_jv_present(*winlog);
    sn_jv v = member(root, "EventID");
    if (absent(v) && nested)
        v = member(*winlog, "event_id");
    if (absent(v) && nested) /* ECS: event.code carries the id when winlog.event_id is left out */
        v = member(member(root, "event"), "code");
    return v;
}

bool sn_winevt_object_matches(sn_jv root)
{
    sn_jv winlog;
    return sn_jv_typeof(root) == SN_JV_OBJECT && !absent(event_id_value(root, &winlog));
}

static sn_status bad(sn_reader *r, long line, const char *field, sn_status code, const char *why,
                     sn_error *err)
{
    return sn_error_set(err, code, false, r->name, line, field, "%s", why);
}

/* A string field: *s NULL when absent, null, empty or "-" (Windows' placeholder for "none"). */
static sn_status text(sn_reader *r, long line, sn_jv obj, const char *key, const char **s,
                      size_t *n, sn_error *err)
{
    sn_jv v = member(obj, key);
    *s = NULL;
    *n = 0;
    if (absent_or_null(v))
        return SN_OK;
    size_t k;
    const char *p = sn_jv_string(v, &k);
    if (!p)
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, key,
                            "expected a string, got %s", sn_jv_type_name(v));
    if (k > SN_MAX_FIELD)
        return sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, line, key,
                            "field is %zu bytes, longer than the %d-byte limit", k, SN_MAX_FIELD);
    if (k == 0 || (k == 1 && p[0] == '-'))
        return SN_OK;
    *s = p;
    *n = k;
    return SN_OK;
}

static bool parse_number(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    bool hex = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex)
        i = 2;
    if (i == n)
        return false;
    for (; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (hex && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (hex && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX >> 4))
            return false;
        v = v * (hex ? 16 : 10) + d;
    }
    *out = v;
    return true;
}

static sn_status event_id(sn_reader *r, long line, sn_jv v, long *id, sn_error *err)
{
    uint64_t u = 0;
    if (sn_jv_typeof(v) == SN_JV_INTEGER && sn_jv_integer(v) >= 0 && sn_jv_integer(v) <= 65535) {
        *id = (long)sn_jv_integer(v);
        return SN_OK;
    }
    sn_str t = sn_jv_str(v);
    if (t.p && parse_number(t.p, t.n, &u) && u <= 65535) {
        *id = (long)u;
        return SN_OK;
    }
    return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, "EventID",
                        "expected an event number (0 to 65535), got %s", sn_jv_type_name(v));
}

/* NTSTATUS or Kerberos result code: 0 is success (Status, or ErrorCode in some renderings). */
static sn_status status_code(sn_reader *r, long line, const wv_src *s, bool *failed, sn_error *err)
{
    static const char *const keys[] = {"Status", "ErrorCode"};
    for (size_t k = 0; k < 2; k++) {
        sn_jv v = member(s->data, keys[k]);
        uint64_t code;
        if (absent_or_null(v))
            continue;
        if (sn_jv_typeof(v) == SN_JV_INTEGER) {
            *failed = sn_jv_integer(v) != 0;
            return SN_OK;
        }
        sn_str t = sn_jv_str(v);
        if (!t.p || !parse_number(t.p, t.n, &code)) {
            char q[96];
            sn_ingest_quote(q, sizeof(q), t.p ? t.p : "", t.n);
            return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, keys[k],
                                "%s is not a status code such as 0x0 or 0xc000006d",
                                t.p ? q : sn_jv_type_name(v));
        }
        *failed = code != 0;
        return SN_OK;
    }
    *failed = false;
    return SN_OK;
}

/* DOMAIN\user. Microsoft's event reference notes that the same account domain is written as a
 * NetBIOS name (CONTOSO), or a lower- or upper-case DNS name (contoso.local, CONTOSO.LOCAL),
 * and Kerberos events name the account as user@REALM; all of them become CONTOSO\user, so one
 * account keeps one history. */
static sn_status account(sn_reader *r, long line, const wv_src *s, bool subject, sn_event *ev,
                         sn_error *err)
{
    const char *name_key = subject ? "SubjectUserName" : "TargetUserName";
    const char *dom_key = subject ? "SubjectDomainName" : "TargetDomainName";
    const char *name, *dom;
    size_t nn, dn;
    sn_status st = text(r, line, s->data, name_key, &name, &nn, err);
    if (st == SN_OK)
        st = text(r, line, s->data, dom_key, &dom, &dn, err);
    if (st != SN_OK)
        return st;
    if (!name)
        return bad(r, line, name_key, SN_ERR_MISSING, "required field is missing or empty", err);
    const char *at = memchr(name, '@', nn);
    if (at) {
        if (!dom) {
            dom = at + 1;
            dn = nn - (size_t)(at + 1 - name);
        }
        nn = (size_t)(at - name);
        if (nn == 0)
            return bad(r, line, name_key, SN_ERR_MISSING, "no account name before '@'", err);
    }
    size_t dl = 0;
    while (dom && dl < dn && dom[dl] != '.')
        dl++;
    if (dl + 1 + nn > sizeof(r->compose))
        return bad(r, line, name_key, SN_ERR_TOO_LONG, "domain and account name too long", err);
    size_t o = 0;
    for (size_t i = 0; i < dl; i++) {
        char c = dom[i];
        r->compose[o++] = (c >= 'a' && c <= 'z') ? (char)(c - ('a' - 'A')) : c;
    }
    if (dl)
        r->compose[o++] = '\\';
    memcpy(r->compose + o, name, nn);
    ev->user_id = (sn_str){r->compose, o + nn};
    return SN_OK;
}

/* "/Date(1603355393907)/": milliseconds, as .NET's JSON serialiser writes DateTime. */
static bool dotnet_date(const char *s, size_t n, int64_t *us)
{
    if (n < 9 || memcmp(s, "/Date(", 6) != 0 || memcmp(s + n - 2, ")/", 2) != 0)
        return false;
    size_t i = 6, end = n - 2;
    bool neg = i < end && s[i] == '-';
    if (neg)
        i++;
    int64_t ms = 0;
    size_t digits = 0;
    while (i < end && s[i] >= '0' && s[i] <= '9' && digits < 15) {
        ms = ms * 10 + (s[i++] - '0');
        digits++;
    }
    /* an offset such as "+0200" only says which zone to show the instant in */
    if (digits == 0 || (i < end && s[i] != '+' && s[i] != '-'))
        return false;
    *us = (neg ? -ms : ms) * 1000;
    return true;
}

static sn_status timestamp(sn_reader *r, long line, const wv_src *s, sn_event *ev, sn_error *err)
{
    /* The shipper's UTC stamp first; EventTime is NXLog's local time without a zone. */
    static const char *const keys[] = {"@timestamp", "TimeCreated", "TimeGenerated", "EventTime"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        sn_jv v = member(s->root, keys[k]);
        sn_jv_type t = sn_jv_typeof(v);
        const char *p;
        size_t n;
        char num[64];
        if (t == SN_JV_NONE || t == SN_JV_NULL)
            continue;
        if (t == SN_JV_STRING) {
            p = sn_jv_string(v, &n);
        } else if (t == SN_JV_INTEGER || t == SN_JV_REAL) {
            int k2 = t == SN_JV_INTEGER
                         ? snprintf(num, sizeof(num), "%" PRId64, sn_jv_integer(v))
                         : snprintf(num, sizeof(num), "%.6f", sn_jv_number(v));
            if (k2 <= 0 || (size_t)k2 >= sizeof(num) ||
                !(p = sn_ingest_scratch(r, num, (size_t)k2)))
                return bad(r, line, keys[k], SN_ERR_RANGE, "number out of range", err);
            n = (size_t)k2;
        } else {
            return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, keys[k],
                                "expected a string or a number, got %s", sn_jv_type_name(v));
        }
        if (n > SN_MAX_FIELD)
            return bad(r, line, keys[k], SN_ERR_TOO_LONG, "timestamp too long", err);
        if (!dotnet_date(p, n, &ev->ts_us) &&
            sn_ingest_parse_timestamp_tz(p, n, r->tz_offset_min, &ev->ts_us, err) != SN_OK) {
            char why[sizeof(err->msg)];
            snprintf(why, sizeof(why), "%s", err->msg);
            return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, keys[k], "%s", why);
        }
        ev->raw_timestamp = (sn_str){p, n};
        return SN_OK;
    }
    return bad(r, line, "timestamp", SN_ERR_MISSING,
               "required field is missing (@timestamp, TimeCreated, TimeGenerated or EventTime)",
               err);
}

static sn_status computer(sn_reader *r, long line, const wv_src *s, sn_str *out, sn_error *err)
{
    static const char *const keys[] = {"Hostname", "Computer", "ComputerName", "MachineName"};
    const char *p = NULL;
    size_t n = 0;
    sn_status st = SN_OK;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && !p && st == SN_OK; k++)
        st = text(r, line, s->root, keys[k], &p, &n, err);
    if (!p && st == SN_OK)
        st = text(r, line, s->winlog, "computer_name", &p, &n, err);
    /* In the flat shape "host" is the collector, a string; in ECS host.name is the machine. */
    if (!p && st == SN_OK)
        st = text(r, line, member(s->root, "host"), "name", &p, &n, err);
    *out = (sn_str){p, n};
    return st;
}

static sn_status address(sn_reader *r, long line, const wv_src *s, sn_event *ev, sn_error *err)
{
    const char *p, *key = "IpAddress";
    size_t n;
    sn_status st = text(r, line, s->data, key, &p, &n, err);
    if (st == SN_OK && !p && sn_jv_present(s->winlog)) {
        key = "source.ip";
        st = text(r, line, member(s->root, "source"), "ip", &p, &n, err);
    }
    if (st != SN_OK || !p)
        return st;
    /* "::1" and "127.0.0.1" are the machine itself: real addresses, kept as they are */
    if (sn_parse_ip(p, n, &ev->ip, err) != SN_OK) {
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, key, "%s", why);
    }
    ev->raw_ip = (sn_str){p, n};
    return SN_OK;
}

/* TicketEncryptionType of a granted Kerberos ticket: DES (0x1, 0x3) and RC4 (0x17, 0x18) are
 * the weak ones (RFC 3961, RFC 4757; AES is 0x11 and 0x12). Failed requests carry 0xffffffff. */
static sn_status ticket_cipher(sn_reader *r, long line, const wv_src *s, sn_event *ev,
                               sn_error *err)
{
    sn_jv v = member(s->data, "TicketEncryptionType");
    uint64_t type;
    if (sn_jv_typeof(v) == SN_JV_INTEGER) {
        type = (uint64_t)sn_jv_integer(v);
    } else {
        const char *p;
        size_t n;
        sn_status st = text(r, line, s->data, "TicketEncryptionType", &p, &n, err);
        if (st != SN_OK || !p)
            return st;
        if (!parse_number(p, n, &type))
            return bad(r, line, "TicketEncryptionType", SN_ERR_PARSE,
                       "not an encryption type number (such as 0x12)", err);
    }
    ev->weak_cipher = type == 0x1 || type == 0x3 || type == 0x17 || type == 0x18;
    return SN_OK;
}

/* One line to one event; *ignored when it is a Windows event of another kind. */
static sn_status winevt_build(sn_reader *r, const char *p, size_t n, long line, sn_event *ev,
                              bool *ignored, sn_error *err)
{
    sn_ingest_event_init(r, ev, line);
    wv_src s;
    sn_status st = sn_jsonl_parse_line(r, p, n, line, &s.root, err);
    if (st != SN_OK)
        return st;
    if (sn_jv_typeof(s.root) != SN_JV_OBJECT)
        return sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                            "expected a JSON object, got %s", sn_jv_type_name(s.root));
    sn_jv idv = event_id_value(s.root, &s.winlog);
    if (absent(idv))
        return bad(r, line, "EventID", SN_ERR_MISSING,
                   "no EventID or winlog.event_id: not a Windows event", err);
    long id = 0;
    if ((st = event_id(r, line, idv, &id, err)) != SN_OK)
        return st;
    const struct wv_kind *kind = NULL;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if (kinds[k].id == id)
            kind = &kinds[k];
    if (!kind) {
        *ignored = true;
        return SN_OK;
    }
    sn_jv data = member(s.winlog, "event_data");
    s.data = sn_jv_typeof(data) == SN_JV_OBJECT ? data : s.root;

    if ((st = account(r, line, &s, kind->subject, ev, err)) != SN_OK ||
        (st = timestamp(r, line, &s, ev, err)) != SN_OK ||
        (st = address(r, line, &s, ev, err)) != SN_OK)
        return st;
    bool failed = kind->always_fails;
    if (!failed && (st = status_code(r, line, &s, &failed, err)) != SN_OK)
        return st;
    ev->success = failed ? 0 : 1;
    sn_ingest_set_text(r, ev, SN_F_ACTION, kind->action, strlen(kind->action), err);
    if ((kind->id == 4768 || kind->id == 4769) && !failed &&
        (st = ticket_cipher(r, line, &s, ev, err)) != SN_OK)
        return st;
    if (kind->resource == WV_KRBTGT) {
        ev->resource = (sn_str){"krbtgt", 6};
    } else if (kind->resource == WV_SERVICE) {
        const char *svc;
        size_t sn;
        if ((st = text(r, line, s.data, "ServiceName", &svc, &sn, err)) != SN_OK)
            return st;
        if (!svc)
            return bad(r, line, "ServiceName", SN_ERR_MISSING, "required field is missing or empty",
                       err);
        ev->resource = (sn_str){svc, sn};
    } else if ((st = computer(r, line, &s, &ev->resource, err)) != SN_OK) {
        return st;
    }
    return sn_ingest_finish_event(r, ev, err);
}

sn_status sn_winevt_open(sn_reader *r, sn_error *err)
{
    (void)r;
    (void)err;
    return SN_OK;
}

sn_status sn_winevt_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    for (;;) {
        sn_jsonl_release(r);
        const char *p;
        size_t n;
        long line;
        sn_status st = sn_ingest_next_line(r, &p, &n, &line, err);
        if (st != SN_OK)
            return st;
        bool ignored = false;
        st = winevt_build(r, p, n, line, ev, &ignored, err);
        if (ignored) {
            r->stats.ignored++;
            continue;
        }
        if (st != SN_OK)
            sn_jsonl_release(r);
        return st;
    }
}
