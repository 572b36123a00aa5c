/* The Windows Security event reader: exact events for each event id, the flat (NXLog) and the
 * nested (winlogbeat) shapes giving the same events, other ids counted as ignored, bad records
 * reported, and the OTRF PurpleSharp Active Directory playbook read whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest_impl.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void event_text(const sn_event *ev, char *out, size_t cap)
{
    char ts[32], ip[48];
    sn_format_timestamp(ev->ts_us, ts);
    sn_format_ip(&ev->ip, ip);
    snprintf(out, cap, "ok %ld %.*s|%s|%s|%.*s|%.*s|%d", ev->src_line, (int)ev->user_id.n,
             ev->user_id.p, ts, ev->ip.family ? ip : "-", (int)ev->resource.n, ev->resource.p,
             (int)ev->action.n, ev->action.p, ev->success);
}

/* One line per call, then "eof N ignored". */
static char *transcript(const char *data, sn_format fmt, const char *tz)
{
    static char out[1 << 16];
    size_t o = 0;
    sn_reader *r;
    sn_error err;
    char msg[1024];
    sn_reader_options opts = {.timezone = tz};
    if (sn_reader_open_mem_opts(&r, data, strlen(data), "t.json", fmt, &opts, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        snprintf(out, sizeof(out), "fatal %s\n", msg);
        return out;
    }
    assert_int_equal(sn_reader_format(r), SN_FORMAT_WINEVT);
    for (;;) {
        sn_event ev;
        sn_status st = sn_reader_next(r, &ev, &err);
        if (st == SN_EOF) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "eof %ld ignored\n",
                                  sn_reader_get_stats(r)->ignored);
            break;
        }
        if (st == SN_OK) {
            event_text(&ev, msg, sizeof(msg));
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", msg);
            assert_int_equal(ev.location.n, 0);
            continue;
        }
        sn_error_format(&err, msg, sizeof(msg));
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s\n", err.fatal ? "fatal " : "", msg);
        if (err.fatal)
            break;
    }
    sn_reader_close(r);
    return out;
}

/* One of each event id in the flat shape, with what Microsoft's reference documents for it. */
static const char flat[] =
    /* 1: a network logon (type 3) at the domain controller */
    "{\"@timestamp\":\"2020-10-22T08:29:53.908Z\",\"EventID\":4624,\"Hostname\":\"DC01."
    "contoso.local\",\"TargetUserName\":\"alice\",\"TargetDomainName\":\"CONTOSO.LOCAL\","
    "\"SubjectUserName\":\"-\",\"SubjectDomainName\":\"-\",\"IpAddress\":\"10.20.30.5\","
    "\"LogonType\":\"3\",\"host\":\"collector.example.net\"}\n"
    /* 2: a failed interactive logon; the domain in lower case, no address */
    "{\"@timestamp\":\"2020-10-22T08:29:55.210Z\",\"EventID\":4625,\"Hostname\":\"WS05."
    "contoso.local\",\"TargetUserName\":\"bob\",\"TargetDomainName\":\"contoso.local\","
    "\"IpAddress\":\"-\",\"LogonType\":\"2\",\"Status\":\"0xc000006d\",\"SubStatus\":"
    "\"0xc000006a\",\"WorkstationName\":\"WS05\"}\n"
    /* 3: explicit credentials of a local account; the time from TimeCreated (7 digits) */
    "{\"TimeCreated\":\"2020-10-22T08:30:00.1234567Z\",\"EventID\":\"4648\",\"Computer\":"
    "\"WS05.contoso.local\",\"SubjectUserName\":\"alice\",\"TargetUserName\":"
    "\"Administrator\",\"TargetDomainName\":\"WS05\",\"TargetServerName\":\"localhost\","
    "\"IpAddress\":\"::1\"}\n"
    /* 4: special privileges: the account is the Subject */
    "{\"@timestamp\":\"2020-10-22T08:29:53.907Z\",\"EventID\":4672,\"Hostname\":\"DC01."
    "contoso.local\",\"SubjectUserName\":\"alice\",\"SubjectDomainName\":\"CONTOSO\","
    "\"PrivilegeList\":\"SeDebugPrivilege\"}\n"
    /* 5, 6: a ticket-granting ticket, then one refused */
    "{\"TimeGenerated\":\"2020-10-22T08:30:01Z\",\"EventID\":4768,\"Computer\":\"DC01."
    "contoso.local\",\"TargetUserName\":\"carol\",\"TargetDomainName\":\"CONTOSO.LOCAL\","
    "\"IpAddress\":\"::ffff:10.20.30.6\",\"Status\":\"0x0\"}\n"
    "{\"TimeGenerated\":\"2020-10-22T08:30:01Z\",\"EventID\":4768,\"Computer\":\"DC01."
    "contoso.local\",\"TargetUserName\":\"carol\",\"TargetDomainName\":\"CONTOSO.LOCAL\","
    "\"IpAddress\":\"::ffff:10.20.30.6\",\"Status\":\"0x6\"}\n"
    /* 7: a service ticket; the account as user@REALM */
    "{\"@timestamp\":\"2020-10-22T08:29:55.403Z\",\"EventID\":4769,\"Hostname\":\"DC01."
    "contoso.local\",\"TargetUserName\":\"alice@CONTOSO.LOCAL\",\"TargetDomainName\":"
    "\"CONTOSO.LOCAL\",\"IpAddress\":\"::ffff:10.20.30.5\",\"Status\":\"0x0\",\"ServiceName\":"
    "\"sqlsvc\",\"TicketEncryptionType\":\"0x17\"}\n"
    /* 8: failed pre-authentication of a machine account; local time without a zone */
    "{\"EventTime\":\"2020-10-22 04:30:02\",\"EventID\":4771,\"Hostname\":\"DC01."
    "contoso.local\",\"TargetUserName\":\"WS06$\",\"IpAddress\":\"::ffff:10.20.30.6\","
    "\"Status\":\"0x18\",\"ServiceName\":\"krbtgt/CONTOSO.LOCAL\"}\n"
    /* 9: NTLM credentials refused by the domain controller */
    "{\"@timestamp\":\"2020-10-22T08:29:55.357Z\",\"EventID\":4776,\"Hostname\":\"DC01."
    "contoso.local\",\"TargetUserName\":\"bob\",\"Status\":\"0xc000006a\","
    "\"Workstation\":\"WS05\"}\n"
    /* 10: a logoff: not one of the events read */
    "{\"@timestamp\":\"2020-10-22T08:31:00Z\",\"EventID\":4634,\"Hostname\":\"h\","
    "\"TargetUserName\":\"alice\"}\n"
    /* 11: .NET's date, a well-known principal, the loopback address */
    "{\"TimeCreated\":\"/Date(1603355393907)/\",\"EventID\":4624,\"MachineName\":\"WEC\","
    "\"TargetUserName\":\"ANONYMOUS LOGON\",\"TargetDomainName\":\"NT AUTHORITY\","
    "\"IpAddress\":\"127.0.0.1\",\"LogonType\":3}\n";

static void each_event_id_gives_its_exact_event(void **state)
{
    (void)state;
    assert_string_equal(
        transcript(flat, SN_FORMAT_AUTO, "-04:00"),
        "ok 1 CONTOSO\\alice|2020-10-22T08:29:53.908000Z|10.20.30.5|DC01.contoso.local|"
        "logon|1\n"
        "ok 2 CONTOSO\\bob|2020-10-22T08:29:55.210000Z|-|WS05.contoso.local|"
        "logon|0\n"
        "ok 3 WS05\\Administrator|2020-10-22T08:30:00.123456Z|::1|WS05.contoso."
        "local|explicit_logon|1\n"
        "ok 4 CONTOSO\\alice|2020-10-22T08:29:53.907000Z|-|DC01.contoso.local|special_"
        "privileges|1\n"
        "ok 5 CONTOSO\\carol|2020-10-22T08:30:01.000000Z|10.20.30.6|krbtgt|kerberos_tgt|1\n"
        "ok 6 CONTOSO\\carol|2020-10-22T08:30:01.000000Z|10.20.30.6|krbtgt|kerberos_tgt|0\n"
        "ok 7 CONTOSO\\alice|2020-10-22T08:29:55.403000Z|10.20.30.5|sqlsvc|kerberos_"
        "service_ticket|1\n"
        "ok 8 WS06$|2020-10-22T08:30:02.000000Z|10.20.30.6|krbtgt|kerberos_preauth|0\n"
        "ok 9 bob|2020-10-22T08:29:55.357000Z|-|DC01.contoso.local|ntlm_validate|0\n"
        "ok 11 NT AUTHORITY\\ANONYMOUS LOGON|2020-10-22T08:29:53.907000Z|127.0.0.1|WEC|logon|1\n"
        "eof 1 ignored\n");
}

static void timestamps_and_addresses_exactly(void **state)
{
    (void)state;
    sn_reader *r;
    sn_error err;
    sn_event ev;
    assert_int_equal(sn_reader_open_mem(&r, flat, strlen(flat), "t.json", SN_FORMAT_WINEVT, &err),
                     SN_OK);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ts_us, 1603355393908000LL);
    assert_int_equal(ev.ip.family, 4);
    assert_memory_equal(ev.ip.addr, "\x0a\x14\x1e\x05", 4);
    assert_int_equal(ev.raw_timestamp.n, 24);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ip.family, 0); /* "-" */
    assert_int_equal(ev.raw_ip.n, 0);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ip.family, 6); /* "::1" is kept: the machine itself */
    while (sn_reader_next(r, &ev, &err) == SN_OK && ev.src_line != 8) {
    }
    /* no zone option: EventTime is read as UTC */
    assert_int_equal(ev.ts_us, 1603341002000000LL);
    sn_reader_close(r);
}

/* The flat object as winlogbeat would ship it: the id in winlog.event_id (a string here), the
 * machine in winlog.computer_name, the rest in winlog.event_data, and ECS's host and event. */
static char *to_nested(const char *line, size_t n)
{
    json_error_t jerr;
    json_t *in = json_loadb(line, n, 0, &jerr);
    assert_non_null(in);
    json_t *data = json_object(), *winlog = json_object(), *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        if (!strcmp(key, "@timestamp") || !strcmp(key, "TimeCreated") ||
            !strcmp(key, "TimeGenerated") || !strcmp(key, "EventTime")) {
            json_object_set(out, key, v);
        } else if (!strcmp(key, "EventID")) {
            char id[16];
            snprintf(id, sizeof(id), "%lld",
                     json_is_integer(v) ? (long long)json_integer_value(v)
                                        : atoll(json_string_value(v)));
            json_object_set_new(winlog, "event_id", json_string(id));
            json_object_set_new(out, "event", json_pack("{s:s,s:s}", "code", id, "kind", "event"));
        } else if (!strcmp(key, "Hostname") || !strcmp(key, "Computer") ||
                   !strcmp(key, "MachineName")) {
            json_object_set(winlog, "computer_name", v);
        } else if (!strcmp(key, "host")) {
            continue; /* the collector, not the machine */
        } else {
            json_object_set(data, key, v);
        }
    }
    json_object_set_new(winlog, "channel", json_string("Security"));
    json_object_set_new(winlog, "event_data", data);
    json_object_set_new(out, "winlog", winlog);
    json_object_set_new(out, "host", json_pack("{s:s}", "name", "collector"));
    char *s = json_dumps(out, JSON_COMPACT);
    json_decref(in);
    json_decref(out);
    return s;
}

/* Every event of data, read flat and read nested, is the same event. Returns the count. */
static long same_events_in_both_shapes(const char *data, size_t n)
{
    size_t cap = n * 2 + 4096, o = 0;
    char *nested = malloc(cap);
    assert_non_null(nested);
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(data + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - data - i) : n - i;
        if (len) {
            char *s = to_nested(data + i, len);
            size_t k = strlen(s);
            if (o + k + 2 > cap) {
                cap = (o + k + 2) * 2;
                char *bigger = realloc(nested, cap);
                assert_non_null(bigger);
                nested = bigger;
            }
            memcpy(nested + o, s, k);
            o += k;
            free(s);
        }
        nested[o++] = '\n';
        i += len + 1;
    }
    sn_reader *a, *b;
    sn_error err;
    assert_int_equal(sn_reader_open_mem(&a, data, n, "t.json", SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_open_mem(&b, nested, o, "t.json", SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_format(b), SN_FORMAT_WINEVT);
    long count = 0;
    for (;;) {
        sn_event ea, eb;
        sn_status sa = sn_reader_next(a, &ea, &err);
        sn_status sb = sn_reader_next(b, &eb, &err);
        assert_int_equal(sa, sb);
        if (sa == SN_EOF)
            break;
        assert_int_equal(sa, SN_OK);
        char ta[1024], tb[1024];
        event_text(&ea, ta, sizeof(ta));
        event_text(&eb, tb, sizeof(tb));
        assert_string_equal(ta, tb);
        assert_int_equal(ea.ts_us, eb.ts_us);
        assert_memory_equal(&ea.ip, &eb.ip, sizeof(ea.ip));
        count++;
    }
    assert_int_equal(sn_reader_get_stats(a)->ignored, sn_reader_get_stats(b)->ignored);
    sn_reader_close(a);
    sn_reader_close(b);
    free(nested);
    return count;
}

static void both_shapes_give_the_same_event(void **state)
{
    (void)state;
    assert_int_equal(same_events_in_both_shapes(flat, strlen(flat)), 10);
    /* a winlogbeat 8 record as shipped, with event.code only */
    const char *beat =
        "{\"@timestamp\":\"2020-10-22T08:29:55.403Z\",\"agent\":{\"type\":\"winlogbeat\"},"
        "\"event\":{\"code\":\"4769\",\"outcome\":\"success\"},\"host\":{\"name\":\"dc01\"},"
        "\"winlog\":{\"channel\":\"Security\",\"provider_name\":\"Microsoft-Windows-Security-"
        "Auditing\",\"event_data\":{\"TargetUserName\":\"alice@CONTOSO.LOCAL\","
        "\"TargetDomainName\":\"CONTOSO.LOCAL\",\"IpAddress\":\"::ffff:10.20.30.5\","
        "\"Status\":\"0x0\",\"ServiceName\":\"sqlsvc\",\"TicketEncryptionType\":\"0x17\"}}}\n"
        "{\"@timestamp\":\"2020-10-22T08:29:56Z\",\"host\":{\"name\":\"dc01\"},\"winlog\":"
        "{\"event_id\":4624,\"event_data\":{\"TargetUserName\":\"alice\",\"TargetDomainName\":"
        "\"CONTOSO\",\"IpAddress\":\"-\"}},\"source\":{\"ip\":\"10.20.30.5\"}}\n";
    assert_string_equal(transcript(beat, SN_FORMAT_AUTO, NULL),
                        "ok 1 CONTOSO\\alice|2020-10-22T08:29:55.403000Z|10.20.30.5|"
                        "sqlsvc|kerberos_service_ticket|1\n"
                        "ok 2 CONTOSO\\alice|2020-10-22T08:29:56.000000Z|10.20.30.5|"
                        "dc01|logon|1\n"
                        "eof 0 ignored\n");
}

static void bad_records_are_reported_and_skipped(void **state)
{
    (void)state;
    assert_string_equal(
        transcript(
            "{\"EventID\":4624,\"@timestamp\":\"2020-10-22T08:29:53Z\",\"Hostname\":\"h\"}\n"
            "{\"EventID\":4624,\"@timestamp\":\"2020-10-22T08:29:53Z\",\"TargetUserName\":\"a\","
            "\"IpAddress\":\"10.0.0.300\"}\n"
            "{\"EventID\":4776,\"@timestamp\":\"2020-10-22T08:29:53Z\",\"TargetUserName\":\"a\","
            "\"Status\":\"%%2313\"}\n"
            "{\"EventID\":4624,\"@timestamp\":\"2020-10-22T08:29:53Z\",\"TargetUserName\":[\"a\"]}"
            "\n"
            "{\"user_id\":\"U1\",\"timestamp\":\"2020-10-22T08:29:53Z\"}\n"
            "{\"EventID\":\"x46\",\"@timestamp\":\"2020-10-22T08:29:53Z\"}\n"
            "{\"EventID\":4624,\"TargetUserName\":\"a\"}\n"
            "{\"EventID\":4769,\"@timestamp\":\"2020-10-22T08:29:53Z\",\"TargetUserName\":\"a\"}\n"
            "{\"EventID\":4769,\"@timestamp\":\"2020-13-22T08:29:53Z\",\"TargetUserName\":\"a\"}\n"
            "{\"EventID\":4624,\"@timestamp\":\"2020-10-22T08:29:53Z\",\"TargetUserName\":"
            "\"@REALM\"}\n"
            "not json\n"
            "{\"EventID\":4624,\"@timestamp\":\"2020-10-22T08:29:53Z\",\"TargetUserName\":\"ok\"}"
            "\n",
            SN_FORMAT_AUTO, NULL),
        "t.json:1: TargetUserName: required field is missing or empty\n"
        "t.json:2: IpAddress: '10.0.0.300' is not an IPv4 or IPv6 address\n"
        "t.json:3: Status: '%%2313' is not a status code such as 0x0 or 0xc000006d\n"
        "t.json:4: TargetUserName: expected a string, got an array\n"
        "t.json:5: EventID: no EventID or winlog.event_id: not a Windows event\n"
        "t.json:6: EventID: expected an event number (0 to 65535), got a string\n"
        "t.json:7: timestamp: required field is missing (@timestamp, TimeCreated, TimeGenerated "
        "or EventTime)\n"
        "t.json:8: ServiceName: required field is missing or empty\n"
        "t.json:9: @timestamp: '2020-13-22T08:29:53Z' is not a valid timestamp: month 13 out of "
        "range 1-12\n"
        "t.json:10: TargetUserName: no account name before '@'\n"
        "t.json:11: not valid JSON (RFC 8259): '[' or '{' expected near 'not' at column 3\n"
        "ok 12 ok|2020-10-22T08:29:53.000000Z|-||logon|1\n"
        "eof 0 ignored\n");
}

static void auto_detection_tells_windows_events_from_json_lines(void **state)
{
    (void)state;
    sn_format f;
    assert_int_equal(sn_format_from_name("winevt", &f), 0);
    assert_int_equal(f, SN_FORMAT_WINEVT);
    assert_string_equal(sn_format_name(SN_FORMAT_WINEVT), "winevt");
    sn_reader *r;
    sn_error err;
    const char *jl = "{\"user_id\":\"U1\",\"timestamp\":\"2026-09-04T09:03:24Z\"}\n";
    assert_int_equal(sn_reader_open_mem(&r, jl, strlen(jl), "t", SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_JSONL);
    sn_reader_close(r);
    const char *w = "{\"EventID\":4624}\n";
    assert_int_equal(sn_reader_open_mem(&r, w, strlen(w), "t", SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_WINEVT);
    sn_reader_close(r);
    const char *nested = "{\"winlog\":{\"event_id\":\"4625\"}}";
    assert_int_equal(sn_reader_open_mem(&r, nested, strlen(nested), "t", SN_FORMAT_AUTO, &err),
                     SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_WINEVT);
    sn_reader_close(r);
}

/* Which ticket encryption types are weak: RC4 and DES, as a string in hex or decimal or as a
 * number; AES is not; a failed request carries none. */
static void weak_ticket_ciphers_are_marked(void **state)
{
    (void)state;
    static const struct {
        const char *type;
        bool weak;
    } cases[] = {{"\"0x17\"", true},  {"\"0x18\"", true}, {"\"0x1\"", true},
                 {"\"3\"", true},     {"23", true},       {"\"0x12\"", false},
                 {"\"0x11\"", false}, {"18", false},      {"null", false}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[512];
        snprintf(line, sizeof(line),
                 "{\"@timestamp\":\"2020-10-22T08:29:55Z\",\"EventID\":4769,\"Hostname\":\"dc\","
                 "\"TargetUserName\":\"a\",\"Status\":\"0x0\",\"ServiceName\":\"svc\","
                 "\"TicketEncryptionType\":%s}\n",
                 cases[i].type);
        sn_reader *r;
        sn_error err;
        assert_int_equal(
            sn_reader_open_mem(&r, line, strlen(line), "t.json", SN_FORMAT_WINEVT, &err), SN_OK);
        sn_event ev;
        assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
        assert_int_equal(ev.weak_cipher, cases[i].weak);
        sn_reader_close(r);
    }
    const char *bad = "{\"@timestamp\":\"2020-10-22T08:29:55Z\",\"EventID\":4769,\"Hostname\":"
                      "\"dc\",\"TargetUserName\":\"a\",\"Status\":\"0x0\",\"ServiceName\":\"s\","
                      "\"TicketEncryptionType\":\"rc4\"}\n";
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open_mem(&r, bad, strlen(bad), "t.json", SN_FORMAT_WINEVT, &err),
                     SN_OK);
    sn_event ev;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_ERR_PARSE);
    char msg[512];
    sn_error_format(&err, msg, sizeof(msg));
    assert_string_equal(msg, "t.json:1: TicketEncryptionType: not an encryption type number "
                             "(such as 0x12)");
    sn_reader_close(r);
}

static void real_purplesharp_playbook(void **state)
{
    (void)state;
    const char *path = tu_data_path("otrf/purplesharp_ad_playbook_I_auth_events.jsonl");
    if (!path) {
        skip();
        return;
    }
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_WINEVT);
    sn_event ev;
    sn_status st;
    long failed_logons = 0, roast = 0, tickets = 0, logons_from_attacker = 0;
    int64_t first_fail = 0, last_fail = 0;
    char spray_users[8][64];
    while ((st = sn_reader_next(r, &ev, &err)) != SN_EOF) {
        assert_int_equal(st, SN_OK);
        char ip[48] = "-";
        if (ev.ip.family)
            sn_format_ip(&ev.ip, ip);
        bool action_is_logon = ev.action.n == 5 && !memcmp(ev.action.p, "logon", 5);
        if (action_is_logon && ev.success == 0) {
            /* the spray: one failure each for seven accounts on one workstation */
            assert_true(failed_logons < 8);
            snprintf(spray_users[failed_logons], 64, "%.*s", (int)ev.user_id.n, ev.user_id.p);
            for (long k = 0; k < failed_logons; k++)
                assert_string_not_equal(spray_users[k], spray_users[failed_logons]);
            assert_int_equal(ev.resource.n, strlen("WORKSTATION5.theshire.local"));
            assert_memory_equal(ev.resource.p, "WORKSTATION5.theshire.local", ev.resource.n);
            if (failed_logons == 0)
                first_fail = ev.ts_us;
            last_fail = ev.ts_us;
            failed_logons++;
        }
        if (ev.action.n == 23 && !memcmp(ev.action.p, "kerberos_service_ticket", 23)) {
            tickets++;
            if (ev.user_id.n == 17 && !memcmp(ev.user_id.p, "THESHIRE\\pgustavo", 17) &&
                !strcmp(ip, "172.18.39.5"))
                roast++;
        }
        if (action_is_logon && ev.success == 1 && !strcmp(ip, "172.18.39.5"))
            logons_from_attacker++;
    }
    const sn_reader_stats *s = sn_reader_get_stats(r);
    assert_int_equal(s->records, 123);
    assert_int_equal(s->skipped, 0);
    assert_int_equal(s->ignored, 0);
    assert_int_equal(failed_logons, 7);
    assert_true(last_fail - first_fail < 20000); /* within milliseconds */
    assert_int_equal(tickets, 17);
    assert_int_equal(roast, 14);
    assert_int_equal(logons_from_attacker, 7);
    sn_reader_close(r);

    /* the same 123 events from the winlogbeat shape */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char data[1 << 20];
    size_t n = fread(data, 1, sizeof(data), f);
    fclose(f);
    assert_true(n < sizeof(data));
    assert_int_equal(same_events_in_both_shapes(data, n), 123);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_event_id_gives_its_exact_event),
        cmocka_unit_test(timestamps_and_addresses_exactly),
        cmocka_unit_test(both_shapes_give_the_same_event),
        cmocka_unit_test(bad_records_are_reported_and_skipped),
        cmocka_unit_test(auto_detection_tells_windows_events_from_json_lines),
        cmocka_unit_test(weak_ticket_ciphers_are_marked),
        cmocka_unit_test(real_purplesharp_playbook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
