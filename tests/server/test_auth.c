/* Who may call the REST API, in process: API keys from the keys file (wrong, revoked, expired,
 * re-read on change), JWT bearer tokens (expiry, lifetime, audience, issuer, alg none,
 * algorithm confusion), roles and scopes on the route table, raw scores withheld from viewers and
 * services, rate limits exact under concurrency and bounded in memory, CORS, and start-up refused
 * without a credential. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "server/auth.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static const char *path_in(const char *name)
{
    static char p[8][128];
    static int slot;
    slot = (slot + 1) % 8;
    snprintf(p[slot], sizeof(p[slot]), "%s/%s", dir, name);
    return p[slot];
}

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sn-auth-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The answer to one request with headers; the body stays valid until the next call. */
/* A request with an Authorization header or a session cookie (either NULL); the answer stays
 * until the next call. */
static sn_http_response *call_with(sn_service *s, const char *method, const char *path,
                                   const char *authorization, const char *cookie, const char *body)
{
    static sn_http_response r;
    free(r.body);
    sn_http_request req = {.method = method,
                           .path = path,
                           .content_type = body ? "application/json" : NULL,
                           .authorization = authorization,
                           .cookie = cookie,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .remote = "192.0.2.7"};
    sn_service_handle(s, &req, &r);
    /* NUL-terminate for string comparisons. */
    char *b = realloc(r.body, r.body_len + 1);
    assert_non_null(b);
    b[r.body_len] = '\0';
    r.body = b;
    return &r;
}

static sn_http_response *call(sn_service *s, const char *method, const char *path,
                              const char *authorization, const char *body)
{
    return call_with(s, method, path, authorization, NULL, body);
}

static void base_config(sn_server_config *cfg)
{
    sn_server_config_default(cfg);
    cfg->max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    snprintf(cfg->model, sizeof(cfg->model), "test.bin");
}

static sn_service *service(const sn_server_config *cfg)
{
    sn_service *s = NULL;
    sn_error err;
    sn_status st = sn_service_new(&s, fx_engine(true), cfg, NULL, &err);
    if (st != SN_OK)
        fail_msg("service: %s", err.msg);
    return s;
}

/* Adds a key to the keys file and returns "Bearer KEY" (static slot). */
static const char *add_key(const char *file, sn_role role, const char *scope, int64_t expires,
                           char id_out[SN_KEY_ID_LEN + 1])
{
    static char bearer[4][SN_KEY_TEXT_LEN + 16];
    static int slot;
    slot = (slot + 1) % 4;
    sn_keylist l;
    sn_error err;
    assert_int_equal(sn_keys_load(file, true, &l, &err), SN_OK);
    sn_key_record r;
    memset(&r, 0, sizeof(r));
    r.role = role;
    snprintf(r.scope, sizeof(r.scope), "%s", scope);
    char text[SN_KEY_TEXT_LEN + 1];
    assert_int_equal(sn_key_generate(&r, text, &err), SN_OK);
    r.expires = expires;
    assert_int_equal(sn_keylist_add(&l, &r), SN_OK);
    assert_int_equal(sn_keys_save(file, &l, &err), SN_OK);
    sn_keylist_free(&l);
    if (id_out)
        memcpy(id_out, r.id, sizeof(r.id));
    snprintf(bearer[slot], sizeof(bearer[slot]), "Bearer %s", text);
    return bearer[slot];
}

/* Marks the key of id revoked in the keys file, as `sentinel keys revoke` does. */
static void revoke_key(const char *file, const char *id)
{
    sn_keylist l;
    sn_error err;
    assert_int_equal(sn_keys_load(file, false, &l, &err), SN_OK);
    for (size_t i = 0; i < l.n; i++)
        if (!strcmp(l.items[i].id, id))
            l.items[i].revoked = (int64_t)time(NULL);
    assert_int_equal(sn_keys_save(file, &l, &err), SN_OK);
    sn_keylist_free(&l);
}

#define EVENT(id, user, dept)                                                                      \
    "{\"event_id\":\"" id "\",\"user_id\":\"" user "\",\"department\":\"" dept "\",\"resource\":"  \
    "\"crm_system\",\"action\":\"read\",\"timestamp\":\"2026-12-20 10:00:00\",\"source_ip\":"      \
    "\"192.168.1.10\",\"location\":\"Mumbai, IN\",\"success\":true}"

/* An event no baseline expects: a new place, the small hours, an admin action that failed. */
#define ODD(user, dept)                                                                            \
    "{\"user_id\":\"" user "\",\"department\":\"" dept "\",\"resource\":\"payroll_system\","       \
    "\"action\":\"admin\",\"timestamp\":\"2026-12-21 03:12:00\",\"source_ip\":\"175.45.176.1\","   \
    "\"location\":\"Pyongyang, KP\",\"success\":false}"

static const char UNAUTH[] = "{\"error\":{\"code\":\"unauthenticated\",\"message\":"
                             "\"authentication required: send Authorization: Bearer <API key or "
                             "token>\"}}";

/* ---- Start-up ---------------------------------------------------------------------------- */

static void refuses_to_start_without_a_credential(void **state)
{
    (void)state;
    sn_server_config cfg;
    base_config(&cfg);
    sn_service *s = NULL;
    sn_error err;
    assert_int_equal(sn_service_new(&s, fx_engine(true), &cfg, NULL, &err), SN_ERR_USAGE);
    assert_null(s);
    assert_string_equal(err.field, "--keys-file");
    /* Without authentication only on loopback. */
    cfg.insecure_no_auth = true;
    snprintf(cfg.listen, sizeof(cfg.listen), "0.0.0.0:8080");
    assert_int_equal(sn_server_config_check(&cfg, &err), SN_ERR_USAGE);
    assert_string_equal(err.field, "--insecure-no-auth");
    snprintf(cfg.listen, sizeof(cfg.listen), "[::1]:8080");
    assert_int_equal(sn_server_config_check(&cfg, &err), SN_OK);
    snprintf(cfg.listen, sizeof(cfg.listen), "127.0.0.2:8080");
    assert_int_equal(sn_server_config_check(&cfg, &err), SN_OK);
}

static void refuses_a_keys_file_others_can_read(void **state)
{
    (void)state;
    const char *file = path_in("open.jsonl");
    add_key(file, SN_ROLE_ADMIN, "*", 0, NULL);
    assert_int_equal(chmod(file, 0644), 0);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", file);
    sn_service *s = NULL;
    sn_error err;
    assert_int_equal(sn_service_new(&s, fx_engine(true), &cfg, NULL, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "chmod 600"));
}

/* A keys file opened to others admits no key; once made private again (chmod alone, which
 * changes neither its contents nor its modification time) its keys work again. */
static void a_keys_file_fixed_by_chmod_is_read_again(void **state)
{
    (void)state;
    const char *file = path_in("chmod.jsonl");
    const char *bearer = add_key(file, SN_ROLE_VIEWER, "*", 0, NULL);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", file);
    sn_service *s = NULL;
    sn_error err;
    assert_int_equal(sn_service_new(&s, fx_engine(true), &cfg, NULL, &err), SN_OK);
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", bearer, NULL)->status, 200);
    assert_int_equal(chmod(file, 0644), 0);
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", bearer, NULL)->status, 401);
    assert_int_equal(chmod(file, 0600), 0);
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", bearer, NULL)->status, 200);
    sn_service_free(s);
}

static void keys_file_is_private_and_holds_no_secret(void **state)
{
    (void)state;
    const char *file = path_in("private.jsonl");
    const char *bearer = add_key(file, SN_ROLE_ANALYST, "", 0, NULL);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *f = fopen(file, "r");
    char text[4096] = {0};
    assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
    fclose(f);
    const char *secret = bearer + strlen("Bearer sn_") + SN_KEY_ID_LEN + 1;
    assert_int_equal(strlen(secret), SN_KEY_SECRET_LEN);
    assert_null(strstr(text, secret));
}

/* ---- API keys ----------------------------------------------------------------------------- */

static void api_keys_checked_and_reread_on_change(void **state)
{
    (void)state;
    const char *file = path_in("keys.jsonl");
    char id[SN_KEY_ID_LEN + 1];
    const char *analyst = add_key(file, SN_ROLE_ANALYST, "*", 0, id);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", file);
    sn_service *s = service(&cfg);

    sn_http_response *r = call(s, "GET", "/api/v1/anomalies", NULL, NULL);
    assert_int_equal(r->status, 401);
    assert_true(r->challenge);
    assert_string_equal(r->body, UNAUTH);
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", analyst, NULL)->status, 200);
    /* /health needs no credential. */
    assert_int_equal(call(s, "GET", "/health", NULL, NULL)->status, 200);

    /* The same id with another secret. */
    char wrong[SN_KEY_TEXT_LEN + 16];
    snprintf(wrong, sizeof(wrong), "%s", analyst);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
    r = call(s, "GET", "/api/v1/anomalies", wrong, NULL);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"invalid_credentials\",\"message\":"
                                 "\"invalid API key\"}}");
    r = call(s, "GET", "/api/v1/anomalies", "Basic YWRtaW46YWRtaW4=", NULL);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"invalid_credentials\",\"message\":"
                                 "\"unsupported authorization scheme: use Bearer\"}}");

    /* A key added while the server runs works at once; revoking one stops it at once. */
    const char *later = add_key(file, SN_ROLE_VIEWER, "*", 0, NULL);
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", later, NULL)->status, 200);
    revoke_key(file, id);
    r = call(s, "GET", "/api/v1/anomalies", analyst, NULL);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"invalid_credentials\",\"message\":"
                                 "\"this API key has been revoked\"}}");
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", later, NULL)->status, 200);

    /* An expired key. */
    const char *old = add_key(file, SN_ROLE_VIEWER, "*", (int64_t)time(NULL) - 5, NULL);
    r = call(s, "GET", "/api/v1/anomalies", old, NULL);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"invalid_credentials\",\"message\":"
                                 "\"this API key has expired\"}}");
    sn_service_free(s);
}

/* ---- Roles, scopes, raw scores -------------------------------------------------------------- */

static void roles_scopes_and_raw_scores(void **state)
{
    (void)state;
    const char *file = path_in("roles.jsonl");
    const char *admin = add_key(file, SN_ROLE_ADMIN, "", 0, NULL);
    const char *analyst = add_key(file, SN_ROLE_ANALYST, "*", 0, NULL);
    const char *service_key = add_key(file, SN_ROLE_SERVICE, "", 0, NULL);
    const char *finance = add_key(file, SN_ROLE_VIEWER, "department:Finance", 0, NULL);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", file);
    sn_service *s = service(&cfg);

    /* Analysis: analysts and services only. */
    sn_http_response *r =
        call(s, "POST", "/api/v1/analyze/access", analyst, EVENT("E1", "UFIN", "Finance"));
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"anomaly_score\":"));
    assert_non_null(strstr(r->body, "\"risk_score\":"));
    r = call(s, "POST", "/api/v1/analyze/access", service_key, EVENT("E2", "USAL", "Sales"));
    assert_int_equal(r->status, 200);
    assert_null(strstr(r->body, "anomaly_score"));
    assert_null(strstr(r->body, "\"risk_score\""));
    assert_non_null(strstr(r->body, "\"risk_band\":\""));
    assert_non_null(strstr(r->body, "\"risk_level\":"));
    assert_non_null(strstr(r->body, "\"recommendation\":"));
    r = call(s, "POST", "/api/v1/analyze/access", finance, EVENT("E3", "UFIN", "Finance"));
    assert_int_equal(r->status, 403);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"forbidden\",\"message\":\"the viewer "
                                 "role may not use this endpoint\"}}");
    assert_int_equal(
        call(s, "POST", "/api/v1/analyze/access", admin, EVENT("E4", "U", "D"))->status, 403);

    /* The model: admins only. */
    assert_int_equal(call(s, "GET", "/api/v1/model/metrics", admin, NULL)->status, 200);
    r = call(s, "GET", "/api/v1/model/metrics", finance, NULL);
    assert_int_equal(r->status, 403);
    assert_int_equal(call(s, "GET", "/api/v1/model/metrics", analyst, NULL)->status, 403);
    assert_int_equal(call(s, "GET", "/metrics", service_key, NULL)->status, 200);
    assert_int_equal(call(s, "GET", "/metrics", finance, NULL)->status, 403);
    assert_int_equal(call(s, "GET", "/openapi.json", finance, NULL)->status, 200);
    assert_int_equal(call(s, "POST", "/api/v1/roles/discover", service_key, NULL)->status, 403);
    /* admitted (no predictor is loaded here) */
    assert_int_equal(call(s, "POST", "/api/v1/predict/access", service_key, "{}")->status, 503);

    /* User risk by scope: the Finance viewer reads Finance users, without raw scores. */
    r = call(s, "GET", "/api/v1/user/UFIN/risk-score", finance, NULL);
    assert_int_equal(r->status, 200);
    assert_null(strstr(r->body, "anomaly_score"));
    assert_non_null(strstr(r->body, "\"risk_band\":\""));
    assert_non_null(strstr(r->body, "\"risk_level\":"));
    /* ... and their dashboard figures: a band for the highest risk, never the score. */
    r = call(s, "GET", "/api/v1/user/UFIN/events", finance, NULL);
    assert_int_equal(r->status, 200);
    assert_null(strstr(r->body, "risk_score"));
    assert_non_null(strstr(r->body, "\"max_risk_band\":\""));
    r = call(s, "GET", "/api/v1/user/UFIN/events", analyst, NULL);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"max_risk_score\":"));
    r = call(s, "GET", "/api/v1/user/USAL/risk-score", finance, NULL);
    assert_int_equal(r->status, 403);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"out_of_scope\",\"message\":\"this user is "
                                 "outside the departments the caller may read\",\"field\":"
                                 "\"user_id\"}}");
    /* Not even whether a user exists. */
    assert_int_equal(call(s, "GET", "/api/v1/user/NOBODY/risk-score", finance, NULL)->status, 403);
    assert_int_equal(call(s, "GET", "/api/v1/user/NOBODY/risk-score", admin, NULL)->status, 404);
    r = call(s, "GET", "/api/v1/user/USAL/risk-score", admin, NULL);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"mean_anomaly_score\":"));
    assert_int_equal(call(s, "GET", "/api/v1/user/USAL/risk-score", analyst, NULL)->status, 200);
    /* The list of anomalies: only those of the caller's departments, and for a viewer without
     * raw scores. */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            call(s, "POST", "/api/v1/analyze/access", analyst, ODD("UFIN", "Finance"))->status,
            200);
        assert_int_equal(
            call(s, "POST", "/api/v1/analyze/access", analyst, ODD("USAL", "Sales"))->status, 200);
    }
    r = call(s, "GET", "/api/v1/anomalies", admin, NULL);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"user_id\":\"USAL\""));
    assert_non_null(strstr(r->body, "\"user_id\":\"UFIN\""));
    r = call(s, "GET", "/api/v1/anomalies", finance, NULL);
    assert_int_equal(r->status, 200);
    assert_null(strstr(r->body, "anomaly_score"));
    assert_null(strstr(r->body, "\"user_id\":\"USAL\""));
    assert_non_null(strstr(r->body, "\"user_id\":\"UFIN\""));
    sn_service_free(s);
}

static void scope_rules(void **state)
{
    (void)state;
    sn_principal p = {.role = SN_ROLE_VIEWER};
    assert_false(sn_scope_covers(&p, "Finance"));
    snprintf(p.scope, sizeof(p.scope), "department:Finance, department:HR");
    assert_true(sn_scope_covers(&p, "Finance"));
    assert_true(sn_scope_covers(&p, "HR"));
    assert_false(sn_scope_covers(&p, "Fin"));
    assert_false(sn_scope_covers(&p, NULL));
    snprintf(p.scope, sizeof(p.scope), "*");
    assert_true(sn_scope_covers(&p, NULL));
    p.role = SN_ROLE_ADMIN;
    p.scope[0] = '\0';
    assert_true(sn_scope_covers(&p, "Sales"));
}

/* ---- JWT ---------------------------------------------------------------------------------- */

static char *make_token(jwt_alg_t alg, const void *key, size_t key_len, const char *claims)
{
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
    assert_int_equal(jwt_set_alg(jwt, alg, key, (int)key_len), 0);
    char *t = jwt_encode_str(jwt);
    jwt_free(jwt);
    assert_non_null(t);
    return t;
}

static const char *bearer_of(char *token)
{
    static char b[4096];
    snprintf(b, sizeof(b), "Bearer %s", token);
    free(token);
    return b;
}

__attribute__((format(printf, 1, 2))) static char *claimsf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    assert_true(vasprintf(&out, fmt, ap) > 0);
    va_end(ap);
    return out;
}

static const char HS_SECRET[] = "0123456789abcdef0123456789abcdef0123456789abcdef";

/* A dashboard request with the session cookie (NULL: none). */
static sn_http_response *session_call(sn_service *s, const char *method, const char *path,
                                      const char *cookie, const char *body)
{
    return call_with(s, method, path, NULL, cookie, body);
}

/* Signs in with credential; the session's cookie ("sn_session=...") into cookie. */
static void open_session(sn_service *s, const char *credential, char cookie[160])
{
    char body[4200];
    snprintf(body, sizeof(body), "{\"credential\":\"%s\"}", credential);
    sn_http_response *r = session_call(s, "POST", "/api/v1/session", NULL, body);
    assert_int_equal(r->status, 200);
    const char *semi = strchr(r->set_cookie, ';');
    assert_non_null(semi);
    snprintf(cookie, 160, "%.*s", (int)(semi - r->set_cookie), r->set_cookie);
}

/* A dashboard session lasts no longer than what opened it: a revoked key ends its sessions at
 * their next request, and a session opened with a token ends when the token expires. */
static void sessions_end_with_their_credential(void **state)
{
    (void)state;
    const char *file = path_in("session-keys.jsonl");
    char id[SN_KEY_ID_LEN + 1];
    const char *viewer = add_key(file, SN_ROLE_VIEWER, "*", 0, id);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", file);
    const char *secret_file = path_in("session-hs256.secret");
    FILE *f = fopen(secret_file, "w");
    fputs(HS_SECRET, f);
    fclose(f);
    assert_int_equal(chmod(secret_file, 0600), 0);
    snprintf(cfg.jwt_hs256_secret_file, sizeof(cfg.jwt_hs256_secret_file), "%s", secret_file);
    sn_service *s = service(&cfg);
    char cookie[160];
    open_session(s, viewer + strlen("Bearer "), cookie);
    assert_int_equal(session_call(s, "GET", "/api/v1/session", cookie, NULL)->status, 200);
    revoke_key(file, id);
    sn_http_response *r = session_call(s, "GET", "/api/v1/session", cookie, NULL);
    assert_int_equal(r->status, 401);
    assert_int_equal(session_call(s, "GET", "/api/v1/anomalies", cookie, NULL)->status, 401);

    long now = (long)time(NULL);
    char claims[256];
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"carol\",\"role\":\"viewer\",\"iat\":%ld,"
             "\"exp\":%ld}",
             now, now + 120);
    char *token = make_token(JWT_ALG_HS256, HS_SECRET, strlen(HS_SECRET), claims);
    open_session(s, token, cookie);
    free(token);
    r = session_call(s, "GET", "/api/v1/session", cookie, NULL);
    assert_int_equal(r->status, 200);
    /* expires_at: the token's exp and the clock skew allowed, not the 8-hour session */
    char want[32];
    sn_format_timestamp(((int64_t)now + 120 + cfg.jwt_clock_skew) * 1000000, want);
    const char *at = strstr(r->body, "\"expires_at\":\"");
    assert_non_null(at);
    assert_memory_equal(at + strlen("\"expires_at\":\""), want, 19);
    sn_service_free(s);
}

static void jwt_hs256_claims(void **state)
{
    (void)state;
    const char *secret_file = path_in("hs256.secret");
    FILE *f = fopen(secret_file, "w");
    fputs(HS_SECRET, f);
    fclose(f);
    assert_int_equal(chmod(secret_file, 0600), 0);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.jwt_hs256_secret_file, sizeof(cfg.jwt_hs256_secret_file), "%s", secret_file);
    snprintf(cfg.jwt_issuer, sizeof(cfg.jwt_issuer), "https://idp.example");
    snprintf(cfg.jwt_audience, sizeof(cfg.jwt_audience), "sentinel");
    sn_service *s = service(&cfg);
    long now = (long)time(NULL);
    char claims[512];
    const unsigned char *key = (const unsigned char *)HS_SECRET;
    size_t klen = strlen(HS_SECRET);
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"alice\",\"role\":\"analyst\",\"iss\":\"https://idp.example\","
             "\"aud\":[\"other\",\"sentinel\"],\"iat\":%ld,\"exp\":%ld}",
             now, now + 300);
    sn_http_response *r = call(s, "GET", "/api/v1/anomalies",
                               bearer_of(make_token(JWT_ALG_HS256, key, klen, claims)), NULL);
    assert_int_equal(r->status, 200);

    struct {
        char *claims;
        const char *message;
    } bad[] = {
        {claimsf("{\"sub\":\"alice\",\"role\":\"analyst\",\"iss\":\"https://idp.example\","
                 "\"aud\":\"sentinel\",\"iat\":%ld,\"exp\":%ld}",
                 now - 1000, now - 100),
         "token expired"},
        {claimsf("{\"sub\":\"alice\",\"role\":\"analyst\",\"iss\":\"https://idp.example\","
                 "\"aud\":\"sentinel\",\"iat\":%ld,\"nbf\":%ld}",
                 now, now),
         "invalid token: no exp claim"},
        {claimsf("{\"sub\":\"alice\",\"role\":\"analyst\",\"iss\":\"https://idp.example\","
                 "\"aud\":\"sentinel\",\"iat\":%ld,\"exp\":%ld}",
                 now, now + 3600),
         "invalid token: lifetime longer than accepted"},
        {claimsf("{\"sub\":\"alice\",\"role\":\"analyst\",\"iss\":\"https://idp.example\","
                 "\"aud\":\"sentinel\",\"exp\":%ld,\"nbf\":%ld}",
                 now + 300, now + 200),
         "invalid token: not valid yet (nbf)"},
        {claimsf("{\"sub\":\"alice\",\"role\":\"analyst\",\"iss\":\"https://idp.example\","
                 "\"aud\":\"elsewhere\",\"iat\":%ld,\"exp\":%ld}",
                 now, now + 300),
         "invalid token: wrong audience"},
        {claimsf("{\"sub\":\"alice\",\"role\":\"analyst\",\"iss\":\"https://evil.example\","
                 "\"aud\":\"sentinel\",\"iat\":%ld,\"exp\":%ld}",
                 now, now + 300),
         "invalid token: wrong issuer"},
        {claimsf("{\"sub\":\"alice\",\"role\":\"root\",\"iss\":\"https://idp.example\","
                 "\"aud\":\"sentinel\",\"iat\":%ld,\"exp\":%ld}",
                 now, now + 300),
         "invalid token: role claim missing or unknown"},
        {claimsf("{\"role\":\"analyst\",\"iss\":\"https://idp.example\","
                 "\"aud\":\"sentinel\",\"iat\":%ld,\"exp\":%ld}",
                 now, now + 300),
         "invalid token: no sub claim"},
    };
    char want[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = call(s, "GET", "/api/v1/anomalies",
                 bearer_of(make_token(JWT_ALG_HS256, key, klen, bad[i].claims)), NULL);
        free(bad[i].claims);
        snprintf(want, sizeof(want),
                 "{\"error\":{\"code\":\"invalid_credentials\",\"message\":\"%s\"}}",
                 bad[i].message);
        assert_int_equal(r->status, 401);
        assert_string_equal(r->body, want);
    }
    /* Signed with another secret; unsigned ("alg": "none"). */
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"alice\",\"role\":\"admin\",\"iss\":\"https://idp.example\","
             "\"aud\":\"sentinel\",\"iat\":%ld,\"exp\":%ld}",
             now, now + 300);
    static const char other[] = "ffffffffffffffffffffffffffffffffffffffffffffffff";
    r = call(s, "GET", "/api/v1/model/metrics",
             bearer_of(make_token(JWT_ALG_HS256, other, strlen(other), claims)), NULL);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"invalid_credentials\",\"message\":"
                                 "\"invalid token: malformed or bad signature\"}}");
    /* libjwt itself refuses an unsigned token when given a key; the algorithm check behind it
     * is what jwt_rs256_refuses_algorithm_confusion exercises. */
    r = call(s, "GET", "/api/v1/model/metrics",
             bearer_of(make_token(JWT_ALG_NONE, NULL, 0, claims)), NULL);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"invalid_credentials\",\"message\":"
                                 "\"invalid token: malformed or bad signature\"}}");
    assert_int_equal(call(s, "GET", "/api/v1/model/metrics",
                          bearer_of(make_token(JWT_ALG_HS256, key, klen, claims)), NULL)
                         ->status,
                     200);
    /* The department claim is the scope. */
    snprintf(claims, sizeof(claims),
             "{\"sub\":\"bob\",\"role\":\"viewer\",\"department\":\"Finance\",\"iss\":"
             "\"https://idp.example\",\"aud\":\"sentinel\",\"exp\":%ld}",
             now + 300);
    r = call(s, "GET", "/api/v1/user/SOMEONE/risk-score",
             bearer_of(make_token(JWT_ALG_HS256, key, klen, claims)), NULL);
    assert_int_equal(r->status, 403);
    sn_service_free(s);
}

static void jwt_remembered_tokens_still_expire(void **state)
{
    (void)state;
    const char *secret_file = path_in("hs256.secret");
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.jwt_hs256_secret_file, sizeof(cfg.jwt_hs256_secret_file), "%s", secret_file);
    sn_jwt_verifier *v;
    sn_error err;
    assert_int_equal(sn_jwt_verifier_new(&v, &cfg, &err), SN_OK);
    long now = (long)time(NULL);
    char *claims = claimsf("{\"sub\":\"carol\",\"role\":\"viewer\",\"nbf\":%ld,\"exp\":%ld}",
                           now + 100, now + 300);
    char *t = make_token(JWT_ALG_HS256, HS_SECRET, strlen(HS_SECRET), claims);
    free(claims);
    sn_principal who;
    const char *why;
    /* Not yet valid, then valid (and remembered), then expired although remembered. */
    assert_int_equal(sn_jwt_verify(v, t, now, &who, &why), SN_AUTH_INVALID);
    assert_int_equal(sn_jwt_verify(v, t, now + 100, &who, &why), SN_AUTH_OK);
    assert_string_equal(who.id, "sub:carol");
    assert_int_equal(sn_jwt_verify(v, t, now + 100, &who, &why), SN_AUTH_OK);
    assert_string_equal(who.id, "sub:carol");
    assert_int_equal(sn_jwt_verify(v, t, now + 361, &who, &why), SN_AUTH_EXPIRED);
    assert_string_equal(why, "token expired");
    /* A token differing in its last character is not taken for the remembered one. */
    t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(sn_jwt_verify(v, t, now + 100, &who, &why), SN_AUTH_INVALID);
    free(t);
    sn_jwt_verifier_free(v);
}

/* PEM text of a key pair's private and public halves (caller frees). */
static void pem_pair(EVP_PKEY *k, char **priv, char **pub)
{
    assert_non_null(k);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    *priv = strndup(data, (size_t)n);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
    n = BIO_get_mem_data(b, &data);
    *pub = strndup(data, (size_t)n);
    BIO_free(b);
    EVP_PKEY_free(k);
}

static void jwt_es256_and_short_secrets(void **state)
{
    (void)state;
    char *priv, *pub;
    pem_pair(EVP_EC_gen("P-256"), &priv, &pub);
    const char *pub_file = path_in("es256.pub");
    FILE *f = fopen(pub_file, "w");
    fputs(pub, f);
    fclose(f);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.jwt_public_key_file, sizeof(cfg.jwt_public_key_file), "%s", pub_file);
    snprintf(cfg.jwt_algorithm, sizeof(cfg.jwt_algorithm), "ES256");
    sn_service *s = service(&cfg);
    char *claims =
        claimsf("{\"sub\":\"dan\",\"role\":\"admin\",\"exp\":%ld}", (long)time(NULL) + 300);
    assert_int_equal(call(s, "GET", "/api/v1/model/metrics",
                          bearer_of(make_token(JWT_ALG_ES256, priv, strlen(priv), claims)), NULL)
                         ->status,
                     200);
    /* RS256 is not ES256, even from the same issuer. */
    char *rsa_priv, *rsa_pub;
    pem_pair(EVP_RSA_gen(2048), &rsa_priv, &rsa_pub);
    sn_http_response *r =
        call(s, "GET", "/api/v1/model/metrics",
             bearer_of(make_token(JWT_ALG_RS256, rsa_priv, strlen(rsa_priv), claims)), NULL);
    assert_int_equal(r->status, 401);
    free(claims);
    sn_service_free(s);
    free(priv);
    free(pub);
    free(rsa_priv);
    free(rsa_pub);
    /* An HS256 secret shorter than 32 bytes is refused at start. */
    const char *short_file = path_in("short.secret");
    f = fopen(short_file, "w");
    fputs("tooshort", f);
    fclose(f);
    assert_int_equal(chmod(short_file, 0600), 0);
    base_config(&cfg);
    snprintf(cfg.jwt_hs256_secret_file, sizeof(cfg.jwt_hs256_secret_file), "%s", short_file);
    sn_service *none = NULL;
    sn_error err;
    assert_int_equal(sn_service_new(&none, fx_engine(true), &cfg, NULL, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "at least 32 bytes"));
}

static void jwt_rs256_refuses_algorithm_confusion(void **state)
{
    (void)state;
    char *priv, *pub;
    pem_pair(EVP_RSA_gen(2048), &priv, &pub);
    const char *pub_file = path_in("rs256.pub");
    FILE *f = fopen(pub_file, "w");
    fputs(pub, f);
    fclose(f);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.jwt_public_key_file, sizeof(cfg.jwt_public_key_file), "%s", pub_file);
    sn_service *s = service(&cfg);
    char claims[256];
    snprintf(claims, sizeof(claims), "{\"sub\":\"svc\",\"role\":\"admin\",\"exp\":%ld}",
             (long)time(NULL) + 300);
    sn_http_response *r =
        call(s, "GET", "/api/v1/model/metrics",
             bearer_of(make_token(JWT_ALG_RS256, priv, strlen(priv), claims)), NULL);
    assert_int_equal(r->status, 200);
    /* HS256 keyed with the public key's PEM text: libjwt verifies it, the server must not. */
    r = call(s, "GET", "/api/v1/model/metrics",
             bearer_of(make_token(JWT_ALG_HS256, pub, strlen(pub), claims)), NULL);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"invalid_credentials\",\"message\":"
                                 "\"invalid token: signing algorithm not accepted\"}}");
    sn_service_free(s);
    free(priv);
    free(pub);
}

/* ---- Rate limits -------------------------------------------------------------------------- */

typedef struct burst {
    sn_service *s;
    const char *bearer;
    int ok, limited;
} burst;

static void *burst_thread(void *arg)
{
    burst *b = arg;
    for (int i = 0; i < 50; i++) {
        sn_http_request req = {.method = "GET",
                               .path = "/api/v1/anomalies",
                               .authorization = b->bearer,
                               .remote = "192.0.2.9"};
        sn_http_response r;
        sn_service_handle(b->s, &req, &r);
        if (r.status == 200)
            b->ok++;
        else if (r.status == 429 && r.retry_after >= 1 && r.rate_remaining == 0)
            b->limited++;
        free(r.body);
    }
    return NULL;
}

static void rate_limit_exact_under_concurrency(void **state)
{
    (void)state;
    const char *file = path_in("rate.jsonl");
    const char *viewer = add_key(file, SN_ROLE_VIEWER, "*", 0, NULL);
    const char *other = add_key(file, SN_ROLE_VIEWER, "*", 0, NULL);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", file);
    cfg.rate_general = (sn_rate){100, 3600};
    sn_service *s = service(&cfg);
    burst b[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (burst){s, viewer, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, burst_thread, &b[i]), 0);
    }
    int ok = 0, limited = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ok += b[i].ok;
        limited += b[i].limited;
    }
    assert_int_equal(ok, 100);
    assert_int_equal(limited, 300);
    sn_http_response *r = call(s, "GET", "/api/v1/anomalies", viewer, NULL);
    assert_int_equal(r->status, 429);
    assert_int_equal(r->rate_limit, 100);
    assert_int_equal(r->rate_remaining, 0);
    assert_int_equal(r->retry_after, 36);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"more than "
                                 "100 requests per hour to these endpoints; retry in 36 s\"}}");
    /* Another key has its own allowance. */
    r = call(s, "GET", "/api/v1/anomalies", other, NULL);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->rate_limit, 100);
    assert_int_equal(r->rate_remaining, 99);
    assert_int_equal(r->rate_reset, 36);
    sn_service_free(s);
}

static void analysis_limit_and_failed_logins(void **state)
{
    (void)state;
    const char *file = path_in("analysis.jsonl");
    const char *analyst = add_key(file, SN_ROLE_ANALYST, "*", 0, NULL);
    sn_server_config cfg;
    base_config(&cfg);
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", file);
    cfg.rate_general = (sn_rate){5, 3600};
    cfg.rate_analysis = (sn_rate){3, 60};
    sn_service *s = service(&cfg);
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            call(s, "POST", "/api/v1/analyze/access", analyst, EVENT("R", "UR", "Sales"))->status,
            200);
    sn_http_response *r =
        call(s, "POST", "/api/v1/analyze/access", analyst, EVENT("R", "UR", "Sales"));
    assert_int_equal(r->status, 429);
    assert_int_equal(r->retry_after, 20);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"more than 3 "
                                 "requests per minute to the analysis endpoints; retry in 20 "
                                 "s\"}}");
    /* The general allowance is separate. */
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", analyst, NULL)->status, 200);
    /* Refused credentials spend the address's general allowance: then 429, not 401. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(call(s, "GET", "/api/v1/anomalies", "Bearer sn_guess", NULL)->status, 401);
    assert_int_equal(call(s, "GET", "/api/v1/anomalies", "Bearer sn_guess", NULL)->status, 429);
    /* /health is limited by address too, and the address is spent. */
    assert_int_equal(call(s, "GET", "/health", NULL, NULL)->status, 429);
    sn_service_free(s);
}

static void rate_limit_memory_is_bounded(void **state)
{
    (void)state;
    sn_ratelimit *rl = sn_ratelimit_new(16);
    assert_non_null(rl);
    sn_rate rate = {10, 60};
    sn_rate_decision d;
    char who[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(who, sizeof(who), "addr:10.0.%d.%d", i / 256, i % 256);
        sn_ratelimit_take(rl, SN_RATE_GENERAL, &rate, who, 1000000 + i, &d);
        assert_true(d.allowed);
        assert_true(sn_ratelimit_tracked(rl) <= 16);
    }
    /* A full table of callers none of whom is idle: the older half goes at once. */
    sn_ratelimit *busy = sn_ratelimit_new(16);
    for (int i = 0; i < 16; i++) {
        snprintf(who, sizeof(who), "addr:b%d", i);
        sn_ratelimit_take(busy, SN_RATE_GENERAL, &rate, who, 1000000 + i * 1000, &d);
    }
    assert_int_equal(sn_ratelimit_tracked(busy), 16);
    sn_ratelimit_take(busy, SN_RATE_GENERAL, &rate, "addr:late", 1016000, &d);
    assert_int_equal(sn_ratelimit_tracked(busy), 8);
    sn_ratelimit_free(busy);
    /* Idle callers (bucket full again after a period) are forgotten first: fill the table,
     * then a newcomer a minute later finds every one of them idle. */
    for (int i = 0; sn_ratelimit_tracked(rl) < 16; i++) {
        snprintf(who, sizeof(who), "addr:f%d", i);
        sn_ratelimit_take(rl, SN_RATE_GENERAL, &rate, who, 2000000, &d);
    }
    sn_ratelimit_take(rl, SN_RATE_GENERAL, &rate, "addr:new", 2000000 + 61000000, &d);
    assert_int_equal(sn_ratelimit_tracked(rl), 1);
    /* Refill: 10 a minute is one every 6 seconds. */
    for (int i = 0; i < 9; i++)
        sn_ratelimit_take(rl, SN_RATE_GENERAL, &rate, "addr:new", 63000000, &d);
    assert_true(d.allowed);
    assert_int_equal(d.remaining, 0);
    sn_ratelimit_take(rl, SN_RATE_GENERAL, &rate, "addr:new", 63000000, &d);
    assert_false(d.allowed);
    assert_int_equal(d.retry_after, 6);
    sn_ratelimit_take(rl, SN_RATE_GENERAL, &rate, "addr:new", 69000000, &d);
    assert_true(d.allowed);
    sn_ratelimit_free(rl);
}

/* ---- CORS --------------------------------------------------------------------------------- */

static void cors_allowlist(void **state)
{
    (void)state;
    sn_server_config cfg;
    base_config(&cfg);
    cfg.insecure_no_auth = true;
    snprintf(cfg.cors_origins, sizeof(cfg.cors_origins),
             "https://dashboard.example.com, https://api.example.com");
    sn_service *s = service(&cfg);
    sn_http_request req = {
        .method = "GET", .path = "/api/v1/anomalies", .origin = "https://dashboard.example.com"};
    sn_http_response r;
    sn_service_handle(s, &req, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.cors_origin, "https://dashboard.example.com");
    assert_true(r.vary_origin);
    assert_false(r.cors_credentials);
    free(r.body);
    req.origin = "https://evil.example";
    sn_service_handle(s, &req, &r);
    assert_int_equal(r.status, 200);
    assert_null(r.cors_origin);
    free(r.body);
    /* Preflight. */
    req.method = "OPTIONS";
    sn_service_handle(s, &req, &r);
    assert_int_equal(r.status, 403);
    assert_null(r.cors_origin);
    assert_string_equal(r.body, "{\"error\":{\"code\":\"origin_not_allowed\",\"message\":\"this "
                                "origin may not call the API from a browser\"}}");
    free(r.body);
    req.origin = "https://api.example.com";
    req.path = "/api/v1/analyze/batch";
    sn_service_handle(s, &req, &r);
    assert_int_equal(r.status, 204);
    assert_string_equal(r.cors_origin, "https://api.example.com");
    assert_string_equal(r.preflight_methods, "POST");
    assert_int_equal(r.body_len, 0);
    free(r.body);
    sn_service_free(s);

    cfg.cors_allow_credentials = true;
    s = service(&cfg);
    req.method = "GET";
    req.path = "/health";
    sn_service_handle(s, &req, &r);
    assert_true(r.cors_credentials);
    free(r.body);
    sn_service_free(s);
    /* A wildcard is never accepted. */
    sn_error err;
    snprintf(cfg.cors_origins, sizeof(cfg.cors_origins), "*");
    assert_int_equal(sn_server_config_check(&cfg, &err), SN_ERR_USAGE);
}

static void rate_and_bool_options(void **state)
{
    (void)state;
    sn_server_config c;
    sn_server_config_default(&c);
    c.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    assert_int_equal(c.rate_general.count, 1000);
    assert_int_equal(c.rate_general.period_s, 3600);
    assert_int_equal(c.rate_analysis.count, 100);
    assert_int_equal(c.rate_analysis.period_s, 60);
    assert_int_equal(c.rate_training.count, 1);
    assert_int_equal(c.rate_training.period_s, 3600);
    assert_false(c.insecure_no_auth);
    assert_string_equal(c.tls_min_version, "1.3");
    assert_int_equal(c.jwt_max_lifetime, 900);
    assert_int_equal(c.jwt_clock_skew, 60);
    const char *argv[] = {"serve",
                          "--model",
                          "m",
                          "--insecure-no-auth",
                          "--rate-limit-analysis",
                          "5/second",
                          "--rate-limit-general=0"};
    bool help;
    sn_error err;
    assert_int_equal(sn_server_config_parse(&c, 7, (char **)argv, &help, &err), SN_OK);
    assert_true(c.insecure_no_auth);
    assert_int_equal(c.rate_analysis.count, 5);
    assert_int_equal(c.rate_analysis.period_s, 1);
    assert_int_equal(c.rate_general.count, 0);
    const char *bad[] = {"serve", "--model", "m", "--rate-limit-training", "5/fortnight"};
    assert_int_equal(sn_server_config_parse(&c, 5, (char **)bad, &help, &err), SN_ERR_USAGE);
    assert_string_equal(err.field, "--rate-limit-training");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_to_start_without_a_credential),
        cmocka_unit_test(refuses_a_keys_file_others_can_read),
        cmocka_unit_test(a_keys_file_fixed_by_chmod_is_read_again),
        cmocka_unit_test(keys_file_is_private_and_holds_no_secret),
        cmocka_unit_test(api_keys_checked_and_reread_on_change),
        cmocka_unit_test(sessions_end_with_their_credential),
        cmocka_unit_test(roles_scopes_and_raw_scores),
        cmocka_unit_test(scope_rules),
        cmocka_unit_test(jwt_hs256_claims),
        cmocka_unit_test(jwt_remembered_tokens_still_expire),
        cmocka_unit_test(jwt_rs256_refuses_algorithm_confusion),
        cmocka_unit_test(jwt_es256_and_short_secrets),
        cmocka_unit_test(rate_limit_exact_under_concurrency),
        cmocka_unit_test(analysis_limit_and_failed_logins),
        cmocka_unit_test(rate_limit_memory_is_bounded),
        cmocka_unit_test(cors_allowlist),
        cmocka_unit_test(rate_and_bool_options),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
