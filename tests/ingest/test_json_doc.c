/* The simdjson document (json_doc.h) where it must agree with jansson: NUL characters, names
 * written twice; and events mapped from an object's members (sn_jsonl_event_from_members): the
 * names of the fields, the first member of each field, text in place of a value, and what an
 * event keeps of the reader's own text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sn_jdoc *doc;

static int setup(void **state)
{
    (void)state;
    doc = sn_jdoc_new();
    return doc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_jdoc_free(doc);
    return 0;
}

static bool parses(const char *text)
{
    sn_jv root;
    return sn_jdoc_parse(doc, text, strlen(text), false, 0, &root);
}

static void nul_characters(void **state)
{
    (void)state;
    sn_jdoc_allow_nul(doc, false);
    assert_false(parses("{\"a\":\"x\\u0000y\"}"));
    assert_false(parses("[[\"\\u0000\"]]"));
    assert_false(parses("{\"a\\u0000\":1}"));
    /* An escaped backslash before u0000 is text, not a NUL character. */
    assert_true(parses("{\"a\":\"C:\\\\u0000\"}"));
    assert_false(sn_jdoc_saw_nul(doc));

    sn_jdoc_allow_nul(doc, true);
    assert_true(parses("{\"a\":\"x\\u0000y\"}"));
    assert_true(sn_jdoc_saw_nul(doc));
    assert_true(parses("{\"a\":\"C:\\\\u0000\",\"b\":[\"\\\\\",\"\\u0001\"]}"));
    assert_false(sn_jdoc_saw_nul(doc));
    assert_true(parses("[1,{\"b\":[\"\\u0000\"]}]"));
    assert_true(sn_jdoc_saw_nul(doc));
    /* In a name, never: jansson cannot keep one. */
    assert_false(parses("{\"a\\u0000\":1}"));
    /* A long string goes through another search than a short one. */
    char text[256];
    snprintf(text, sizeof(text), "[\"%0100d\\u0000\"]", 7);
    assert_true(parses(text));
    assert_true(sn_jdoc_saw_nul(doc));
    sn_jdoc_allow_nul(doc, false);
    assert_false(parses(text));
}

static void names_written_twice(void **state)
{
    (void)state;
    /* The same length, first and last byte, another name. */
    assert_true(parses("{\"abc\":1,\"axc\":2,\"abc2\":3,\"\":4}"));
    assert_false(parses("{\"abc\":1,\"b\":2,\"abc\":3}"));
    assert_false(parses("{\"\":1,\"\":2}"));
    /* Sixteen names, compared among themselves; then seventeen and more, sorted. */
    char text[1024];
    for (int total = 15; total <= 40; total++) {
        size_t o = (size_t)snprintf(text, sizeof(text), "{");
        for (int i = 0; i < total; i++)
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\"k%02d\":%d", i ? "," : "", i, i);
        snprintf(text + o, sizeof(text) - o, "}");
        assert_true(parses(text));
        /* The last name written again as the first one. */
        char *last = strrchr(text, 'k');
        memcpy(last + 1, "00", 2);
        if (parses(text))
            fail_msg("%d names, one twice: accepted", total);
    }
    /* Nested objects are checked on their own. */
    assert_true(parses("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}"));
    assert_false(parses("{\"a\":{\"x\":1,\"x\":1}}"));
}

static void type_and_text_at_once(void **state)
{
    (void)state;
    sn_jv root;
    assert_true(sn_jdoc_parse(doc, "[\"ab\",7,null]", 13, false, 0, &root));
    sn_jiter it = sn_jv_iter(root);
    sn_jv v;
    const char *key, *s;
    size_t klen, n;
    assert_true(sn_jiter_next(&it, &v, &key, &klen));
    assert_int_equal(sn_jv_read(v, &s, &n), SN_JV_STRING);
    assert_int_equal(n, 2);
    assert_memory_equal(s, "ab", 2);
    assert_true(sn_jiter_next(&it, &v, &key, &klen));
    assert_int_equal(sn_jv_read(v, &s, &n), SN_JV_INTEGER);
    assert_null(s);
    assert_int_equal(n, 0);
    assert_true(sn_jiter_next(&it, &v, &key, &klen));
    assert_int_equal(sn_jv_read(v, &s, &n), SN_JV_NULL);
    sn_jv none = {{NULL, NULL}};
    assert_int_equal(sn_jv_read(none, &s, &n), SN_JV_NONE);
}

static void field_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int id;
    } cases[] = {
        {"event_id", SN_F_EVENT_ID},
        {"user_id", SN_F_USER_ID},
        {"username", SN_F_USERNAME},
        {"department", SN_F_DEPARTMENT},
        {"job_title", SN_F_JOB_TITLE},
        {"resource", SN_F_RESOURCE},
        {"action", SN_F_ACTION},
        {"timestamp", SN_F_TIMESTAMP},
        {"source_ip", SN_F_SOURCE_IP},
        {"location", SN_F_LOCATION},
        {"success", SN_F_SUCCESS},
        {"is_anomaly", SN_F_IS_ANOMALY},
        {"anomaly_type", SN_F_ANOMALY_TYPE},
        {"country", SN_F_COUNTRY},
        {"latitude", SN_F_LATITUDE},
        {"longitude", SN_F_LONGITUDE},
        {"user_agent", SN_F_USER_AGENT},
        {"session_id", SN_F_SESSION_ID},
        {"mfa", SN_F_MFA},
        {"user", SN_F_USER_ID},
        {"userid", SN_F_USER_ID},
        {"user_name", SN_F_USERNAME},
        {"ip", SN_F_SOURCE_IP},
        {"src_ip", SN_F_SOURCE_IP},
        {"source_ip_address", SN_F_SOURCE_IP},
        {"time", SN_F_TIMESTAMP},
        {"@timestamp", SN_F_TIMESTAMP},
        {"label", SN_F_IS_ANOMALY},
        {"lat", SN_F_LATITUDE},
        {"lon", SN_F_LONGITUDE},
        {"lng", SN_F_LONGITUDE},
        {"useragent", SN_F_USER_AGENT},
        /* Case and the blanks around a name do not matter. */
        {"USER_ID", SN_F_USER_ID},
        {" Timestamp\t", SN_F_TIMESTAMP},
        {"\r\nLng ", SN_F_LONGITUDE},
        {"@TimeStamp", SN_F_TIMESTAMP},
        /* Anything else is no field. */
        {"user id", -1},
        {"user_idx", -1},
        {"", -1},
        {"   ", -1},
        {"a_name_longer_than_any_field", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int id = sn_ingest_field_lookup(cases[i].name, strlen(cases[i].name));
        if (id != cases[i].id)
            fail_msg("'%s': field %d, want %d", cases[i].name, id, cases[i].id);
    }
    for (int id = 0; id < SN_F_COUNT; id++)
        assert_string_equal(sn_ingest_field_name(id), cases[id].name);
}

/* The members of the object text, in order, into m (cap of them); returns how many. */
static size_t members_of(const char *text, sn_jmember *m, size_t cap)
{
    sn_jv root;
    assert_true(sn_jdoc_parse(doc, text, strlen(text), false, 0, &root));
    sn_jiter it = sn_jv_iter(root);
    size_t n = 0;
    while (n < cap && sn_jiter_next(&it, &m[n].value, &m[n].name, &m[n].name_n)) {
        m[n].text = NULL;
        m[n].text_n = 0;
        n++;
    }
    return n;
}

static void str_is(sn_str s, const char *want)
{
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
}

static void events_from_members(void **state)
{
    (void)state;
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open_objects(&r, "request", &err), SN_OK);
    sn_jmember m[16];
    sn_event ev;
    /* The first member of each field counts, whatever the case of its name; text stands in for
     * a value. */
    size_t n = members_of("{\"User_ID\":\"U1\",\"user\":\"U2\",\"Action\":\"Read\",\"resource\":"
                          "\"crm\",\"lat\":10,\"LON\":\"20.5\",\"extra\":[1],\"mfa\":null}",
                          m, 14);
    assert_int_equal(n, 8);
    m[n++] = (sn_jmember){"timestamp", 9, {{NULL, NULL}}, "2026-12-05 10:00:00", 19};
    m[n++] = (sn_jmember){"event_id", 8, {{NULL, NULL}}, "E-9", 3};
    assert_int_equal(sn_jsonl_event_from_members(r, m, n, 3, &ev, &err), SN_OK);
    str_is(ev.user_id, "U1");
    str_is(ev.action, "read");
    str_is(ev.resource, "crm");
    str_is(ev.event_id, "E-9");
    str_is(ev.raw_timestamp, "2026-12-05 10:00:00");
    assert_true(ev.has_coords);
    assert_true(ev.lat == 10.0 && ev.lon == 20.5);
    assert_int_equal(ev.src_line, 3);

    /* "time" comes first and holds nothing: the timestamp after it does not count. */
    n = members_of("{\"user_id\":\"U1\",\"time\":\"\",\"timestamp\":\"2026-12-05 10:00:00\"}", m,
                   16);
    assert_int_equal(sn_jsonl_event_from_members(r, m, n, 4, &ev, &err), SN_ERR_MISSING);
    assert_string_equal(err.field, "timestamp");
    assert_string_equal(err.file, "request");
    assert_int_equal(err.line, 4);
    n = members_of("{\"user_id\":\"U1\",\"timestamp\":\"2026-12-05 10:00:00\",\"resource\":{}}",
                   m, 16);
    assert_int_equal(sn_jsonl_event_from_members(r, m, n, 5, &ev, &err), SN_ERR_PARSE);
    assert_string_equal(err.field, "resource");
    assert_string_equal(err.msg, "expected a string, got an object");

    /* What the reader wrote (the lower-cased action, a number as text) moves out of it; the
     * rest stays where it was. */
    n = members_of("{\"user_id\":42,\"action\":\"WRITE\",\"resource\":\"vpn\",\"timestamp\":"
                   "\"2026-12-05 10:00:00\"}",
                   m, 16);
    assert_int_equal(sn_jsonl_event_from_members(r, m, n, 1, &ev, &err), SN_OK);
    const char *resource = ev.resource.p;
    char buf[64];
    size_t used = sn_event_detach(&ev, r, buf, sizeof(buf));
    assert_int_equal(used, 2 + 5);
    assert_ptr_equal(ev.user_id.p, buf);
    assert_ptr_equal(ev.action.p, buf + 2);
    assert_ptr_equal(ev.resource.p, resource);
    assert_int_equal(sn_event_detach(&ev, r, buf, 6), 0); /* nothing of the reader's left */
    sn_event again;
    n = members_of("{\"user_id\":7,\"action\":\"delete\",\"timestamp\":\"2026-12-05 10:00:00\"}", m,
                   16);
    assert_int_equal(sn_jsonl_event_from_members(r, m, n, 2, &again, &err), SN_OK);
    str_is(ev.user_id, "42");
    str_is(ev.action, "write");
    /* Too little room: nothing is moved. */
    sn_event small = again;
    assert_int_equal(sn_event_detach(&small, r, buf, 6), (size_t)-1);
    assert_ptr_equal(small.user_id.p, again.user_id.p);
    assert_ptr_equal(small.action.p, again.action.p);
    sn_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nul_characters),
        cmocka_unit_test(names_written_twice),
        cmocka_unit_test(type_and_text_at_once),
        cmocka_unit_test(field_names),
        cmocka_unit_test(events_from_members),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
