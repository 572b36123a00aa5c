/* The Elastic Common Schema and OCSF readers: exact events from authentication events (success,
 * failure, unknown outcome; geo points in each of their forms; dotted keys; fallbacks for the
 * user and the resource; OCSF's activities and status ids, epoch milliseconds and time_dt),
 * other categories and classes ignored and counted, bad records reported and skipped, and both
 * formats recognised. Samples written from the ECS field reference and the OCSF schema's
 * Authentication class (3002). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_transcript.h"

static const char ecs_events[] =
    /* 1: sshd: a public-key log-in, as Filebeat's system module writes it */
    "{\"@timestamp\":\"2024-03-05T14:21:09.000Z\",\"event\":{\"category\":[\"authentication\","
    "\"session\"],\"type\":[\"start\"],\"action\":\"ssh_login\",\"outcome\":\"success\","
    "\"kind\":\"event\",\"module\":\"system\",\"dataset\":\"system.auth\","
    "\"id\":\"evt-1\"},\"user\":{\"name\":\"alice\"},\"source\":{\"ip\":\"198.51.100.23\","
    "\"port\":51234,\"geo\":{\"city_name\":\"Amsterdam\",\"country_iso_code\":\"NL\","
    "\"continent_name\":\"Europe\",\"location\":{\"lat\":52.374,\"lon\":4.8897}}},"
    "\"host\":{\"name\":\"bastion-01\",\"hostname\":\"bastion-01\"},\"process\":{\"name\":\"sshd"
    "\",\"pid\":1234},\"ecs\":{\"version\":\"8.11.0\"}}\n"
    /* 2: a web sign-in that fails: category as one keyword, location as [lon, lat] */
    "{\"@timestamp\":\"2024-03-05T14:22:00Z\",\"event\":{\"category\":\"authentication\","
    "\"action\":\"user-login\",\"outcome\":\"failure\"},\"user\":{\"name\":\"bob\"},"
    "\"source\":{\"ip\":\"2001:db8::5\",\"geo\":{\"city_name\":\"Sydney\","
    "\"country_iso_code\":\"AU\",\"location\":[151.2093,-33.8688]}},\"destination\":{\"domain\":"
    "\"sso.example.com\"},\"user_agent\":{\"original\":\"Mozilla/5.0 (iPhone)\"},"
    "\"ecs\":{\"version\":\"8.11.0\"}}\n"
    /* 3: a process event (ignored) */
    "{\"@timestamp\":\"2024-03-05T14:22:30Z\",\"event\":{\"category\":[\"process\"],"
    "\"type\":[\"start\"],\"action\":\"exec\"},\"user\":{\"name\":\"alice\"},"
    "\"process\":{\"name\":\"bash\"},\"host\":{\"name\":\"bastion-01\"}}\n"
    /* 4: dotted keys; the outcome unknown; location as "lat,lon" */
    "{\"@timestamp\":\"2024-03-05T14:23:00Z\",\"event.category\":[\"authentication\"],"
    "\"event.outcome\":\"unknown\",\"user.name\":\"carol\",\"source.ip\":\"192.0.2.7\","
    "\"source.geo.location\":\"48.8566,2.3522\",\"host.name\":\"vpn-gw\"}\n"
    /* 5: a network flow without a category (ignored) */
    "{\"@timestamp\":\"2024-03-05T14:23:30Z\",\"event\":{\"kind\":\"event\","
    "\"dataset\":\"network_traffic.flow\"},\"source\":{\"ip\":\"192.0.2.7\"}}\n"
    /* 6: the e-mail when there is no name; the destination address; a zone offset */
    "{\"@timestamp\":\"2024-03-05T14:24:00.5+01:00\",\"event\":{\"category\":[\"authentication\"]"
    ",\"action\":\"logged-in\",\"outcome\":\"success\"},\"user\":{\"email\":\"dan@example.com\"},"
    "\"destination\":{\"ip\":\"10.0.0.5\"}}\n";
static const char ecs_bad[] =
    /* 1: no user */
    "{\"@timestamp\":\"2024-03-05T14:21:09Z\",\"event\":{\"category\":[\"authentication\"],"
    "\"outcome\":\"success\"}}\n"
    /* 2: an address that is none */
    "{\"@timestamp\":\"2024-03-05T14:21:09Z\",\"event\":{\"category\":[\"authentication\"],"
    "\"outcome\":\"success\"},\"user\":{\"name\":\"a\"},\"source\":{\"ip\":\"300.1.1.1\"}}\n"
    /* 3: an outcome ECS does not allow */
    "{\"@timestamp\":\"2024-03-05T14:21:09Z\",\"event\":{\"category\":[\"authentication\"],"
    "\"outcome\":\"ok\"},\"user\":{\"name\":\"a\"}}\n"
    /* 4: a category that is a number */
    "{\"@timestamp\":\"2024-03-05T14:21:09Z\",\"event\":{\"category\":5},"
    "\"user\":{\"name\":\"a\"}}\n"
    /* 5: no time */
    "{\"event\":{\"category\":[\"authentication\"]},\"user\":{\"name\":\"a\"}}\n"
    /* 6: a location that is no geo_point */
    "{\"@timestamp\":\"2024-03-05T14:21:09Z\",\"event\":{\"category\":[\"authentication\"],"
    "\"outcome\":\"success\"},\"user\":{\"name\":\"a\"},\"source\":{\"ip\":\"192.0.2.1\","
    "\"geo\":{\"location\":\"north\"}}}\n"
    /* 7: a name that is an array */
    "{\"@timestamp\":\"2024-03-05T14:21:09Z\",\"event\":{\"category\":[\"authentication\"],"
    "\"outcome\":\"success\"},\"user\":{\"name\":[\"a\"]}}\n"
    /* 8: fine */
    "{\"@timestamp\":\"2024-03-05T14:21:10Z\",\"event\":{\"category\":[\"authentication\"],"
    "\"outcome\":\"success\"},\"user\":{\"name\":\"a\"}}\n";
static const char ocsf_events[] =
    /* 1: a logon with MFA */
    "{\"time\":1709648469123,\"class_uid\":3002,\"class_name\":\"Authentication\","
    "\"category_uid\":3,\"category_name\":\"Identity & Access Management\","
    "\"activity_id\":1,\"activity_name\":\"Logon\",\"type_uid\":300201,\"severity_id\":1,"
    "\"status_id\":1,\"status\":\"Success\",\"user\":{\"name\":\"alice\","
    "\"uid\":\"00u1\",\"type_id\":1},\"src_endpoint\":{\"ip\":\"198.51.100.23\","
    "\"location\":{\"city\":\"Toronto\",\"country\":\"CA\",\"lat\":43.6532,"
    "\"long\":-79.3832}},\"dst_endpoint\":{\"hostname\":\"app01.example.com\","
    "\"ip\":\"10.0.0.8\"},\"service\":{\"name\":\"Okta\"},\"session\":{\"uid\":\"sess-1\"},"
    "\"is_mfa\":true,\"auth_protocol\":\"SAML\",\"auth_protocol_id\":5,\"http_request\":{\"user_a"
    "gent\":\"Mozilla/5.0\"},\"metadata\":{\"version\":\"1.1.0\",\"product\":{\"name\":\"Example "
    "IdP\",\"vendor_name\":\"Example\"},\"uid\":\"m-1\"}}\n"
    /* 2: a logon that fails: the user by uid, the service as resource, coordinates [long, lat] */
    "{\"time\":1709648529000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"type_uid\":300201,\"status_id\":2,\"status\":\"Failure\",\"status_detail\":\"INVALID_CREDE"
    "NTIALS\",\"user\":{\"uid\":\"00u2\"},\"src_endpoint\":{\"ip\":\"102.89.34.17\","
    "\"location\":{\"city\":\"Lagos\",\"country\":\"NG\",\"coordinates\":[3.3958,"
    "6.4531]}},\"service\":{\"name\":\"Okta\"},\"is_mfa\":false,\"metadata\":{\"version\":\"1.1.0"
    "\",\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n"
    /* 3: a logoff: time_dt only, status Other with its caption */
    "{\"time_dt\":\"2024-03-05T15:00:00Z\",\"class_uid\":3002,\"category_uid\":3,"
    "\"activity_id\":2,\"activity_name\":\"Logoff\",\"status_id\":99,\"status\":\"Success\","
    "\"user\":{\"name\":\"alice\"},\"dst_endpoint\":{\"hostname\":\"app01.example.com\"},"
    "\"metadata\":{\"version\":\"1.1.0\",\"product\":{\"name\":\"Example IdP\","
    "\"vendor_name\":\"Example\"}}}\n"
    /* 4: a Kerberos service ticket */
    "{\"time\":1709652000000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":4,"
    "\"activity_name\":\"Service Ticket Request\",\"status_id\":1,\"user\":{\"name\":\"bob@CORP.E"
    "XAMPLE.COM\"},\"src_endpoint\":{\"ip\":\"10.0.0.21\"},\"service\":{\"name\":\"MSSQLSvc/db01."
    "corp.example.com:1433\"},\"auth_protocol\":\"Kerberos\",\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n"
    /* 5: an activity of the producer's own, status unknown */
    "{\"time\":1709652060000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":99,"
    "\"activity_name\":\"Token Refresh\",\"status_id\":0,\"user\":{\"name\":\"carol\"},"
    "\"dst_endpoint\":{\"name\":\"api-gateway\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n"
    /* 6: Account Change (ignored) */
    "{\"time\":1709652070000,\"class_uid\":3001,\"category_uid\":3,\"activity_id\":3,"
    "\"user\":{\"name\":\"carol\"},\"metadata\":{\"version\":\"1.1.0\",\"product\":{\"name\":\"Ex"
    "ample IdP\",\"vendor_name\":\"Example\"}}}\n"
    /* 7: Network Activity (ignored) */
    "{\"time\":1709652080000,\"class_uid\":4001,\"category_uid\":4,\"activity_id\":6,"
    "\"src_endpoint\":{\"ip\":\"10.0.0.21\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n";
static const char ocsf_bad[] =
    /* 1: no class */
    "{\"time\":1709648469000,\"category_uid\":3,\"user\":{\"name\":\"a\"}}\n"
    /* 2: a time that is no number */
    "{\"time\":\"yesterday\",\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"name\":\"a\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n"
    /* 3: no user */
    "{\"time\":1709648469000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"type_id\":1},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n"
    /* 4: an address that is none */
    "{\"time\":1709648469000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"name\":\"a\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}},"
    "\"src_endpoint\":{\"ip\":\"abc\"}}\n"
    /* 5: coordinates out of range */
    "{\"time\":1709648469000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"name\":\"a\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}},"
    "\"src_endpoint\":{\"location\":{\"coordinates\":[200,10]}}}\n"
    /* 6: is_mfa neither true nor false */
    "{\"time\":1709648469000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"name\":\"a\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}},"
    "\"is_mfa\":\"perhaps\"}\n"
    /* 7: no time at all */
    "{\"class_uid\":3002,\"category_uid\":3,\"user\":{\"name\":\"a\"}}\n"
    /* 8: a class that is no number */
    "{\"time\":1709648469000,\"class_uid\":\"x\",\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"name\":\"a\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n"
    /* 9: a time before 1970 */
    "{\"time\":-1,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"name\":\"a\"}}\n"
    /* 10: fine */
    "{\"time\":1709648470000,\"class_uid\":3002,\"category_uid\":3,\"activity_id\":1,"
    "\"status_id\":1,\"user\":{\"name\":\"a\"},\"metadata\":{\"version\":\"1.1.0\","
    "\"product\":{\"name\":\"Example IdP\",\"vendor_name\":\"Example\"}}}\n";

static void ecs_authentication_events_exactly(void **state)
{
    (void)state;
    static const char answer[] =
        "ok 1 alice|2024-03-05T14:21:09.000000Z|198.51.100.23|bastion-01|ssh_login|1 "
        "loc='Amsterdam, NL' cc=NL at=52.3740,4.8897 id=evt-1\n"
        "ok 2 bob|2024-03-05T14:22:00.000000Z|2001:db8::5|sso.example.com|user-login|0 "
        "loc='Sydney, AU' cc=AU at=-33.8688,151.2093 ua='Mozilla/5.0 (iPhone)'\n"
        "ok 4 carol|2024-03-05T14:23:00.000000Z|192.0.2.7|vpn-gw|authentication|-1 "
        "at=48.8566,2.3522\n"
        "ok 6 dan@example.com|2024-03-05T13:24:00.500000Z|-|10.0.0.5|logged-in|1\n"
        "eof 2 ignored\n";
    assert_string_equal(jt(ecs_events, SN_FORMAT_AUTO, SN_FORMAT_ECS), answer);
    assert_string_equal(jt(ecs_events, SN_FORMAT_ECS, SN_FORMAT_ECS), answer);
    jt_same_in_pieces(ecs_events, SN_FORMAT_AUTO, SN_FORMAT_ECS);
}

static void ecs_bad_records_are_reported_and_skipped(void **state)
{
    (void)state;
    assert_string_equal(
        jt(ecs_bad, SN_FORMAT_AUTO, SN_FORMAT_ECS),
        "t.json:1: user.name: required field is missing or empty\n"
        "t.json:2: source.ip: '300.1.1.1' is not an IPv4 or IPv6 address\n"
        "t.json:3: event.outcome: 'ok' is not success, failure or unknown\n"
        "t.json:4: event.category: expected a string or an array of strings, got an integer\n"
        "t.json:5: @timestamp: required field is missing\n"
        "t.json:6: source.geo.location: expected a geo_point ({\"lat\": y, \"lon\": x}, [x, y] or "
        "\"y,x\"), got a string\n"
        "t.json:7: user.name: expected a string, got an array\n"
        "ok 8 a|2024-03-05T14:21:10.000000Z|-||authentication|1\n"
        "eof 0 ignored\n");
    jt_same_in_pieces(ecs_bad, SN_FORMAT_AUTO, SN_FORMAT_ECS);
}

static const char ocsf_answer[] =
    "ok 1 alice|2024-03-05T14:21:09.123000Z|198.51.100.23|app01.example.com|logon|1 mfa=1 "
    "loc='Toronto, CA' cc=CA at=43.6532,-79.3832 ua='Mozilla/5.0' sid=sess-1 id=m-1\n"
    "ok 2 00u2|2024-03-05T14:22:09.000000Z|102.89.34.17|Okta|logon|0 mfa=0 loc='Lagos, NG' "
    "cc=NG at=6.4531,3.3958\n"
    "ok 3 alice|2024-03-05T15:00:00.000000Z|-|app01.example.com|logoff|1\n"
    "ok 4 bob@CORP.EXAMPLE.COM|2024-03-05T15:20:00.000000Z|10.0.0.21|"
    "MSSQLSvc/db01.corp.example.com:1433|service_ticket_request|1\n"
    "ok 5 carol|2024-03-05T15:21:00.000000Z|-|api-gateway|token_refresh|-1\n"
    "eof 2 ignored\n";

static void ocsf_authentication_events_exactly(void **state)
{
    (void)state;
    assert_string_equal(jt(ocsf_events, SN_FORMAT_AUTO, SN_FORMAT_OCSF), ocsf_answer);
    assert_string_equal(jt(ocsf_events, SN_FORMAT_OCSF, SN_FORMAT_OCSF), ocsf_answer);
    jt_same_in_pieces(ocsf_events, SN_FORMAT_AUTO, SN_FORMAT_OCSF);
    /* the raw time is the number as written */
    sn_reader *r;
    sn_error err;
    sn_event ev;
    assert_int_equal(
        sn_reader_open_mem(&r, ocsf_events, strlen(ocsf_events), "t", SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ts_us, 1709648469123000LL);
    assert_int_equal(ev.raw_timestamp.n, 13);
    assert_memory_equal(ev.raw_timestamp.p, "1709648469123", 13);
    sn_reader_close(r);
}

/* Producers that write a JSON array of events (Security Lake queries, AppFabric) give the same
 * events. */
static void ocsf_arrays_give_the_same_events(void **state)
{
    (void)state;
    size_t n = strlen(ocsf_events);
    char *array = malloc(n + 16);
    assert_non_null(array);
    size_t o = 0;
    array[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (ocsf_events[i] == '\n') {
            array[o++] = i + 1 < n ? ',' : ']';
            array[o++] = '\n';
        } else {
            array[o++] = ocsf_events[i];
        }
    }
    array[o] = '\0';
    assert_string_equal(jt(array, SN_FORMAT_AUTO, SN_FORMAT_OCSF), ocsf_answer);
    free(array);
}

static void ocsf_bad_records_are_reported_and_skipped(void **state)
{
    (void)state;
    assert_string_equal(jt(ocsf_bad, SN_FORMAT_OCSF, SN_FORMAT_OCSF),
                        "t.json:1: class_uid: required field is missing\n"
                        "t.json:2: time: 'yesterday' is not an integer\n"
                        "t.json:3: user.name: required field is missing (or user.uid)\n"
                        "t.json:4: src_endpoint.ip: 'abc' is not an IPv4 or IPv6 address\n"
                        "t.json:5: src_endpoint.location.coordinates: [200, 10] is out of range\n"
                        "t.json:6: is_mfa: 'perhaps' is not a boolean (true/false, 1/0, yes/no, "
                        "success/failure)\n"
                        "t.json:7: time: required field is missing (or time_dt)\n"
                        "t.json:8: class_uid: 'x' is not an integer\n"
                        "t.json:9: time: -1 ms is out of range for a timestamp (epoch "
                        "milliseconds from 0 to 253402300799999)\n"
                        "ok 10 a|2024-03-05T14:21:10.000000Z|-||logon|1\n"
                        "eof 0 ignored\n");
    jt_same_in_pieces(ocsf_bad, SN_FORMAT_OCSF, SN_FORMAT_OCSF);
}

static void recognised_and_named(void **state)
{
    (void)state;
    sn_format f;
    assert_int_equal(sn_format_from_name("ecs", &f), 0);
    assert_int_equal(f, SN_FORMAT_ECS);
    assert_int_equal(sn_format_from_name("ocsf", &f), 0);
    assert_int_equal(f, SN_FORMAT_OCSF);
    assert_string_equal(sn_format_name(SN_FORMAT_ECS), "ecs");
    assert_string_equal(sn_format_name(SN_FORMAT_OCSF), "ocsf");
    assert_int_equal(sn_format_from_name("json", &f), -1);
    /* winlogbeat writes ECS too; its Windows events stay Windows events */
    assert_string_equal(
        jt("{\"@timestamp\":\"2020-10-22T08:29:56Z\",\"event\":{\"code\":\"4624\",\"category\":"
           "[\"authentication\"],\"outcome\":\"success\"},\"host\":{\"name\":\"dc01\"},\"winlog\":"
           "{\"event_data\":{\"TargetUserName\":\"alice\",\"TargetDomainName\":\"CONTOSO\"}}}\n",
           SN_FORMAT_AUTO, SN_FORMAT_WINEVT),
        "ok 1 CONTOSO\\alice|2020-10-22T08:29:56.000000Z|-|dc01|logon|1\neof 0 ignored\n");
    /* an ECS document told by ecs.version alone, of another category */
    assert_string_equal(jt("{\"@timestamp\":\"2024-03-05T14:21:09Z\",\"ecs\":{\"version\":\"8.0\"},"
                           "\"message\":\"hello\"}\n",
                           SN_FORMAT_AUTO, SN_FORMAT_ECS),
                        "eof 1 ignored\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ecs_authentication_events_exactly),
        cmocka_unit_test(ecs_bad_records_are_reported_and_skipped),
        cmocka_unit_test(ocsf_authentication_events_exactly),
        cmocka_unit_test(ocsf_arrays_give_the_same_events),
        cmocka_unit_test(ocsf_bad_records_are_reported_and_skipped),
        cmocka_unit_test(recognised_and_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
