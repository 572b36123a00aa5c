/* Dashboard sign-in and assets in process: the sign-in page for a browser without a session,
 * the session cookie and its attributes, the CSRF token on requests that change state, signing
 * out, the bounded table and expiry, and the embedded assets with their ETag and gzip copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <ctype.h>
#include <unistd.h>

static sn_service *svc;

static int setup(void **state)
{
    (void)state;
    svc = fx_service(true, 100);
    return svc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    return 0;
}

typedef struct reply {
    int status;
    char body[1 << 20];
    size_t len;
    char content_type[64], etag[80], encoding[16], cookie[256], allow[64];
    bool csp;
} reply;

static reply r;

/* One request; cookie, csrf and fetch_site may be NULL. */
static reply *call(sn_service *s, const char *method, const char *path, const char *body,
                   const char *cookie, const char *csrf, const char *fetch_site)
{
    sn_http_request req = {.method = method,
                           .path = path,
                           .content_type = body ? "application/json" : NULL,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .cookie = cookie,
                           .csrf_token = csrf,
                           .fetch_site = fetch_site};
    sn_http_response resp;
    sn_service_handle(s, &req, &resp);
    memset(&r, 0, sizeof(r));
    r.status = resp.status;
    assert_true(resp.body_len < sizeof(r.body));
    if (resp.body_len)
        memcpy(r.body, resp.body, resp.body_len);
    r.len = resp.body_len;
    snprintf(r.content_type, sizeof(r.content_type), "%s",
             resp.content_type ? resp.content_type : "application/json");
    snprintf(r.etag, sizeof(r.etag), "%s", resp.etag ? resp.etag : "");
    snprintf(r.encoding, sizeof(r.encoding), "%s",
             resp.content_encoding ? resp.content_encoding : "");
    snprintf(r.cookie, sizeof(r.cookie), "%s", resp.set_cookie);
    snprintf(r.allow, sizeof(r.allow), "%s", resp.allow ? resp.allow : "");
    r.csp = resp.csp != NULL;
    free(resp.body);
    return &r;
}

/* Signs in to s; writes "sn_session=..." for a Cookie header and the CSRF token. */
static void sign_in(sn_service *s, char cookie[128], char csrf[65])
{
    reply *a = call(s, "POST", "/api/v1/session", "{\"credential\":\"an-api-key\"}", NULL, NULL,
                    "same-origin");
    assert_int_equal(a->status, 200);
    size_t n = strcspn(a->cookie, ";");
    assert_true(n < 128);
    memcpy(cookie, a->cookie, n);
    cookie[n] = '\0';
    json_t *j = json_loads(a->body, 0, NULL);
    assert_non_null(j);
    snprintf(csrf, 65, "%s", json_string_value(json_object_get(j, "csrf_token")));
    json_decref(j);
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return s[n] == '\0' || s[n] == ';';
}

static void test_signed_out_browser_gets_the_sign_in_page(void **state)
{
    (void)state;
    reply *a = call(svc, "GET", "/", NULL, NULL, NULL, "none");
    assert_int_equal(a->status, 200);
    assert_string_equal(a->content_type, "text/html; charset=utf-8");
    assert_true(a->csp);
    assert_non_null(strstr(a->body, "id=\"signin\""));
    assert_null(strstr(a->body, "app.js"));
    assert_int_equal(call(svc, "GET", "/assets/app.js", NULL, NULL, NULL, "same-origin")->status,
                     401);
    assert_int_equal(call(svc, "GET", "/assets/signin.js", NULL, NULL, NULL, "same-origin")->status,
                     200);
    assert_string_equal(r.content_type, "text/javascript; charset=utf-8");
    assert_int_equal(call(svc, "GET", "/assets/app.css", NULL, NULL, NULL, "same-origin")->status,
                     200);
    assert_string_equal(r.content_type, "text/css; charset=utf-8");
    /* Every API answer is 401 for a browser without a session; /health stays public. */
    static const char *const paths[] = {"/api/v1/stats/overview", "/api/v1/anomalies",
                                        "/api/v1/model/metrics",  "/metrics",
                                        "/openapi.json",          "/api/v1/session"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        a = call(svc, "GET", paths[i], NULL, NULL, NULL, "same-origin");
        if (a->status != 401)
            fail_msg("%s answered %d", paths[i], a->status);
        assert_non_null(strstr(a->body, "\"code\":\"unauthenticated\""));
    }
    assert_int_equal(call(svc, "GET", "/health", NULL, NULL, NULL, "same-origin")->status, 200);
    /* A client that is not a browser is left to the API's own authentication (none here). */
    assert_int_equal(call(svc, "GET", "/api/v1/stats/overview", NULL, NULL, NULL, NULL)->status,
                     200);
}

static void test_sign_in_sets_a_strict_cookie(void **state)
{
    (void)state;
    reply *a = call(svc, "POST", "/api/v1/session", "{\"credential\":\"an-api-key\"}", NULL, NULL,
                    "same-origin");
    assert_int_equal(a->status, 200);
    static const char name[] = "sn_session=";
    assert_memory_equal(a->cookie, name, sizeof(name) - 1);
    assert_true(is_hex(a->cookie + sizeof(name) - 1, 64));
    assert_string_equal(a->cookie + sizeof(name) - 1 + 64,
                        "; Path=/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict");
    json_t *j = json_loads(a->body, 0, NULL);
    /* without authentication every credential stands for the one anonymous admin */
    assert_string_equal(json_string_value(json_object_get(j, "subject")), "anonymous");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "admin");
    const char *csrf = json_string_value(json_object_get(j, "csrf_token"));
    assert_true(is_hex(csrf, 64));
    json_decref(j);
    /* Two sign-ins never share an id. */
    char first[256];
    snprintf(first, sizeof(first), "%s", a->cookie);
    a = call(svc, "POST", "/api/v1/session", "{\"credential\":\"an-api-key\"}", NULL, NULL, NULL);
    assert_int_equal(a->status, 200);
    assert_string_not_equal(a->cookie, first);
}

static void test_sign_in_refusals(void **state)
{
    (void)state;
    reply *a = call(svc, "POST", "/api/v1/session", "{\"credential\":\"\"}", NULL, NULL, NULL);
    assert_int_equal(a->status, 401);
    assert_non_null(strstr(a->body, "\"code\":\"invalid_credential\""));
    assert_string_equal(a->cookie, "");
    assert_int_equal(call(svc, "POST", "/api/v1/session", "{}", NULL, NULL, NULL)->status, 422);
    assert_int_equal(
        call(svc, "POST", "/api/v1/session", "{\"credential\":7}", NULL, NULL, NULL)->status, 422);
    assert_int_equal(
        call(svc, "POST", "/api/v1/session", "{\"credential\":", NULL, NULL, NULL)->status, 400);
    /* A form posted from another site does not sign in. */
    a = call(svc, "POST", "/api/v1/session", "{\"credential\":\"k\"}", NULL, NULL, "cross-site");
    assert_int_equal(a->status, 403);
    assert_string_equal(a->cookie, "");
    a = call(svc, "PUT", "/api/v1/session", NULL, NULL, NULL, NULL);
    assert_int_equal(a->status, 405);
    assert_string_equal(a->allow, "GET, HEAD, POST, DELETE");
    sn_http_request req = {.method = "POST",
                           .path = "/api/v1/session",
                           .content_type = "text/plain",
                           .body = "{}",
                           .body_len = 2};
    sn_http_response resp;
    sn_service_handle(svc, &req, &resp);
    assert_int_equal(resp.status, 415);
    free(resp.body);
}

static void test_session_opens_the_dashboard(void **state)
{
    (void)state;
    char cookie[128], csrf[65];
    sign_in(svc, cookie, csrf);
    reply *a = call(svc, "GET", "/", NULL, cookie, NULL, "none");
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "/assets/app.js"));
    assert_int_equal(call(svc, "GET", "/assets/app.js", NULL, cookie, NULL, "same-origin")->status,
                     200);
    a = call(svc, "GET", "/api/v1/session", NULL, cookie, NULL, "same-origin");
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, csrf));
    assert_int_equal(
        call(svc, "GET", "/api/v1/stats/overview", NULL, cookie, NULL, "same-origin")->status, 200);
    /* A cookie among others, with spaces, still counts. */
    char many[256];
    snprintf(many, sizeof(many), "theme=dark; %s ; other=1", cookie);
    assert_int_equal(call(svc, "GET", "/api/v1/anomalies", NULL, many, NULL, "same-origin")->status,
                     200);
    /* A forged or mangled id does not. */
    char forged[128];
    snprintf(forged, sizeof(forged), "%s", cookie);
    forged[20] = forged[20] == 'a' ? 'b' : 'a';
    assert_int_equal(call(svc, "GET", "/api/v1/anomalies", NULL, forged, NULL, NULL)->status, 401);
    assert_int_equal(
        call(svc, "GET", "/api/v1/anomalies", NULL, "sn_session=xyz", NULL, NULL)->status, 401);
}

static void test_state_changes_need_the_csrf_token(void **state)
{
    (void)state;
    char cookie[128], csrf[65];
    sign_in(svc, cookie, csrf);
    static const char event[] =
        "{\"user_id\":\"U0002\",\"resource\":\"crm_system\",\"action\":\"read\","
        "\"timestamp\":\"2026-12-05 10:00:00\",\"source_ip\":\"192.168.253.10\",\"success\":true}";
    reply *a = call(svc, "POST", "/api/v1/analyze/access", event, cookie, NULL, "same-origin");
    assert_int_equal(a->status, 403);
    assert_non_null(strstr(a->body, "\"code\":\"csrf_failed\""));
    char wrong[65];
    snprintf(wrong, sizeof(wrong), "%s", csrf);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    assert_int_equal(
        call(svc, "POST", "/api/v1/analyze/access", event, cookie, wrong, "same-origin")->status,
        403);
    assert_int_equal(
        call(svc, "POST", "/api/v1/analyze/access", event, cookie, csrf, "same-origin")->status,
        200);
    /* Another session's token is not this one's. */
    char cookie2[128], csrf2[65];
    sign_in(svc, cookie2, csrf2);
    assert_int_equal(
        call(svc, "POST", "/api/v1/analyze/access", event, cookie, csrf2, "same-origin")->status,
        403);
}

static void test_sign_out(void **state)
{
    (void)state;
    char cookie[128], csrf[65];
    sign_in(svc, cookie, csrf);
    assert_int_equal(
        call(svc, "DELETE", "/api/v1/session", NULL, cookie, NULL, "same-origin")->status, 403);
    reply *a = call(svc, "DELETE", "/api/v1/session", NULL, cookie, csrf, "same-origin");
    assert_int_equal(a->status, 200);
    assert_string_equal(a->cookie,
                        "sn_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    assert_int_equal(call(svc, "GET", "/api/v1/session", NULL, cookie, NULL, "same-origin")->status,
                     401);
    a = call(svc, "GET", "/", NULL, cookie, NULL, "none");
    assert_non_null(strstr(a->body, "id=\"signin\""));
    assert_int_equal(call(svc, "GET", "/api/v1/anomalies", NULL, cookie, NULL, NULL)->status, 401);
}

static sn_service *service_with(int sessions, int ttl)
{
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0;  /* fixtures carry fixed dates, some ahead of the clock */
    cfg.insecure_no_auth = true; /* sessions, not keys, are what this tests */
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.sessions = sessions;
    cfg.session_ttl = ttl;
    sn_engine *e = fx_engine(true);
    sn_service *s;
    sn_error err;
    assert_non_null(e);
    assert_int_equal(sn_service_new(&s, e, &cfg, NULL, &err), SN_OK);
    return s;
}

static void test_table_is_bounded(void **state)
{
    (void)state;
    sn_service *s = service_with(2, 3600);
    char c1[128], c2[128], c3[128], t[65];
    sign_in(s, c1, t);
    sign_in(s, c2, t);
    sign_in(s, c3, t);
    /* The session closest to expiry (the oldest) made room. */
    assert_int_equal(call(s, "GET", "/api/v1/session", NULL, c1, NULL, NULL)->status, 401);
    assert_int_equal(call(s, "GET", "/api/v1/session", NULL, c2, NULL, NULL)->status, 200);
    assert_int_equal(call(s, "GET", "/api/v1/session", NULL, c3, NULL, NULL)->status, 200);
    sn_service_free(s);
}

static void test_sessions_expire(void **state)
{
    (void)state;
    sn_service *s = service_with(4, 1);
    char c[128], t[65];
    sign_in(s, c, t);
    assert_int_equal(call(s, "GET", "/api/v1/session", NULL, c, NULL, NULL)->status, 200);
    sleep(2);
    assert_int_equal(call(s, "GET", "/api/v1/session", NULL, c, NULL, NULL)->status, 401);
    sn_service_free(s);
}

static void test_assets_revalidate_and_compress(void **state)
{
    (void)state;
    reply *a = call(svc, "GET", "/assets/app.css", NULL, NULL, NULL, NULL);
    assert_int_equal(a->status, 200);
    size_t plain = a->len;
    char etag[80];
    snprintf(etag, sizeof(etag), "%s", a->etag);
    assert_int_equal(strlen(etag), 34);
    assert_true(etag[0] == '"' && etag[33] == '"');
    assert_string_equal(a->encoding, "");
    sn_http_request req = {.method = "GET", .path = "/assets/app.css", .if_none_match = etag};
    sn_http_response resp;
    sn_service_handle(svc, &req, &resp);
    assert_int_equal(resp.status, 304);
    assert_int_equal(resp.body_len, 0);
    free(resp.body);
    req.if_none_match = "\"something-else\"";
    req.accept_encoding = "br, gzip;q=0.8";
    sn_service_handle(svc, &req, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_encoding, "gzip");
    assert_true(resp.body_len > 2 && resp.body_len < plain);
    assert_int_equal((unsigned char)resp.body[0], 0x1f);
    assert_int_equal((unsigned char)resp.body[1], 0x8b);
    free(resp.body);
    req.accept_encoding = "gzip;q=0";
    sn_service_handle(svc, &req, &resp);
    assert_null(resp.content_encoding);
    assert_int_equal(resp.body_len, plain);
    free(resp.body);
    assert_int_equal(call(svc, "GET", "/assets/none.js", NULL, NULL, NULL, NULL)->status, 404);
    assert_int_equal(call(svc, "POST", "/", "{}", NULL, NULL, NULL)->status, 405);
    assert_string_equal(r.allow, "GET, HEAD");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_out_browser_gets_the_sign_in_page),
        cmocka_unit_test(test_sign_in_sets_a_strict_cookie),
        cmocka_unit_test(test_sign_in_refusals),
        cmocka_unit_test(test_session_opens_the_dashboard),
        cmocka_unit_test(test_state_changes_need_the_csrf_token),
        cmocka_unit_test(test_sign_out),
        cmocka_unit_test(test_table_is_bounded),
        cmocka_unit_test(test_sessions_expire),
        cmocka_unit_test(test_assets_revalidate_and_compress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
