/* What the service records in the audit log: the configuration and model at start, each answered
 * request by route template, each verdict of /analyze/access and /analyze/batch; and the audit
 * log the options ask for (refused without a usable key, off when told). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include "audit/audit.h"
#include "server/server_internal.h"

#include <sys/stat.h>
#include <unistd.h>

static char path[64], key_path[64];

static void temp(char *p, size_t cap, const char *stem)
{
    snprintf(p, cap, "/tmp/%s-XXXXXX", stem);
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
}

static char *slurp(void)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void records_start_calls_and_verdicts(void **state)
{
    (void)state;
    temp(path, sizeof(path), "sn-svc-audit");
    sn_audit_options o = {.path = path,
                          .key = (const unsigned char *)"0123456789abcdef0123456789abcdef",
                          .key_len = 32};
    sn_audit *a;
    sn_error err;
    assert_int_equal(sn_audit_open(&a, &o, &err), SN_OK);
    sn_service *s = fx_service(true, 1000);
    assert_non_null(s);
    sn_service_set_audit(s, a);
    sn_service_audit_start(s);
    static const char one[] =
        "{\"event_id\":\"A1\",\"user_id\":\"U0007\",\"department\":\"Sales\",\"resource\":"
        "\"crm_system\",\"action\":\"read\",\"timestamp\":\"2026-12-10 10:00:00\",\"source_ip\":"
        "\"192.168.7.10\",\"location\":\"Mumbai, IN\",\"success\":true,\"password\":\"hunter2\"}";
    sn_http_request req = {.source = "198.51.100.4",
                           .caller = "svc-7",
                           .method = "POST",
                           .path = "/api/v1/analyze/access",
                           .content_type = "application/json",
                           .body = one,
                           .body_len = strlen(one)};
    sn_http_response resp;
    sn_service_handle(s, &req, &resp);
    assert_int_equal(resp.status, 200);
    free(resp.body);
    sn_service_audit_call(s, "svc-7", "198.51.100.4", "POST", "/api/v1/analyze/access", 200, 812);
    size_t len = 0;
    char *batch = fx_batch(300, &len);
    assert_non_null(batch);
    /* One event of the batch refused: 299 verdicts recorded. */
    memcpy(strstr(batch, "192.168.5.10"), "192.168.5.1x", 12);
    req.path = "/api/v1/analyze/batch";
    req.caller = NULL;
    req.body = batch;
    req.body_len = len;
    sn_service_handle(s, &req, &resp);
    assert_int_equal(resp.status, 200);
    free(resp.body);
    free(batch);
    sn_service_audit_call(s, NULL, NULL, "GET", "/api/v1/user/U0007/risk-score", 200, 40);
    fx_answer *m = fx_call(s, "GET", "/metrics", NULL, NULL, 0);
    assert_non_null(strstr(m->body, "sentinel_audit_records_total 304\n"));
    assert_non_null(strstr(m->body, "sentinel_audit_write_failures_total 0\n"));
    sn_service_free(s);
    sn_audit_close(a);

    char *text = slurp();
    char digest[65], want[512];
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.insecure_no_auth = true; /* as the fixture's service */
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.batch_limit = 1000;
    sn_server_config_digest(&cfg, digest);
    snprintf(want, sizeof(want),
             "{\"seq\":1,\"time\":\"%.27s\",\"kind\":\"config_change\",\"actor\":\"sentinel\","
             "\"source\":null,\"details\":{\"event\":\"in force at start\",\"config_sha256\":"
             "\"%s\",\"config_file\":null,\"version\":\"" SENTINEL_VERSION "\"}",
             text + 17, digest);
    assert_int_equal(strncmp(text, want, strlen(want)), 0);
    assert_non_null(strstr(text, "\"seq\":2,"));
    assert_non_null(strstr(text, "\"kind\":\"model_change\",\"actor\":\"sentinel\",\"source\":null,"
                                 "\"details\":{\"event\":\"loaded at start\",\"model_file\":"
                                 "\"test.bin\",\"trained_at\":"));
    assert_non_null(strstr(text,
                           "\"kind\":\"prediction\",\"actor\":\"svc-7\",\"source\":"
                           "\"198.51.100.4\",\"details\":{\"route\":\"/api/v1/analyze/"
                           "access\",\"event_id\":\"A1\",\"user\":\"U0007\",\"risk_level\":"));
    assert_non_null(strstr(text, "\"kind\":\"api_call\",\"actor\":\"svc-7\",\"source\":"
                                 "\"198.51.100.4\",\"details\":{\"method\":\"POST\",\"route\":"
                                 "\"/api/v1/analyze/access\",\"status\":200,\"duration_us\":812}"));
    /* The route template, never the user id of the path. */
    assert_non_null(strstr(text, "\"route\":\"/api/v1/user/{user_id}/risk-score\",\"status\":200"));
    assert_null(strstr(text, "U0007/risk-score"));
    assert_null(strstr(text, "hunter2"));
    assert_int_equal(count(text, "\"kind\":\"prediction\",\"actor\":\"anonymous\""), 299);
    assert_int_equal(count(text, "\"route\":\"/api/v1/analyze/batch\",\"event_id\":\"B"), 299);
    assert_null(strstr(text, "\"event_id\":\"B5\""));
    assert_int_equal(count(text, "\n"), 304);
    free(text);

    sn_audit_verifier v;
    assert_int_equal(sn_audit_verifier_init(
                         &v, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32, &err),
                     SN_OK);
    assert_int_equal(sn_audit_verify_file(path, &v, &err), SN_OK);
    assert_int_equal(v.fault, SN_AUDIT_FAULT_NONE);
    assert_int_equal(v.records, 304);
    unlink(path);
}

static void options_turn_it_on_and_off(void **state)
{
    (void)state;
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.insecure_no_auth = true; /* authentication is not what this tests */
    assert_string_equal(cfg.audit_log, "");
    assert_int_equal(cfg.audit_fsync_ms, 1000);
    assert_int_equal(cfg.selfwatch_window, 60);
    assert_int_equal(cfg.selfwatch_auth_failures_per_source, 20);
    assert_int_equal(cfg.selfwatch_auth_failures, 100);
    assert_int_equal(cfg.selfwatch_rate_limited_per_key, 50);
    assert_int_equal(cfg.selfwatch_rate_limited, 500);
    sn_audit *a = (sn_audit *)1;
    sn_error err;
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_OK);
    assert_null(a);
    snprintf(cfg.audit_log, sizeof(cfg.audit_log), "OFF");
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_OK);
    assert_null(a);

    /* On, without a key: refused, saying what to do. */
    temp(path, sizeof(path), "sn-svc-audit");
    snprintf(cfg.audit_log, sizeof(cfg.audit_log), "%s", path);
    unsetenv("SENTINEL_AUDIT_KEY");
    unsetenv("SENTINEL_AUDIT_PSEUDONYM_KEY");
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_ERR_SECRET);
    assert_null(a);
    char msg[1024], want[1024];
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want),
             "audit_key_file: the audit log is on (%s) but there is no usable audit key: "
             "SENTINEL_AUDIT_KEY: environment variable is not set; give audit_key_file or "
             "SENTINEL_AUDIT_KEY, or set audit_log: off",
             path);
    assert_string_equal(msg, want);
    /* A key others may read is no usable key either. */
    temp(key_path, sizeof(key_path), "sn-svc-key");
    FILE *f = fopen(key_path, "w");
    fputs("0123456789abcdef0123456789abcdef\n", f);
    fclose(f);
    chmod(key_path, 0644);
    snprintf(cfg.audit_key_file, sizeof(cfg.audit_key_file), "%s", key_path);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "chmod 600"));
    /* Too short a key. */
    setenv("SENTINEL_AUDIT_KEY", "short", 1);
    cfg.audit_key_file[0] = '\0';
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_ERR_SECRET);
    assert_string_equal(err.msg, "the audit key must be 32-256 bytes (for example the 64 "
                                 "characters `openssl rand -hex 32` prints)");
    /* From the environment, with pseudonyms from the environment. */
    setenv("SENTINEL_AUDIT_KEY", "0123456789abcdef0123456789abcdef", 1);
    setenv("SENTINEL_AUDIT_PSEUDONYM_KEY", "abcdefabcdefabcdefabcdefabcdefab", 1);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_OK);
    assert_non_null(a);
    char p[67];
    assert_true(sn_audit_pseudonym(a, "U1", 2, p));
    sn_audit_close(a);
    /* From the owner-only file. */
    chmod(key_path, 0600);
    unsetenv("SENTINEL_AUDIT_KEY");
    unsetenv("SENTINEL_AUDIT_PSEUDONYM_KEY");
    snprintf(cfg.audit_key_file, sizeof(cfg.audit_key_file), "%s", key_path);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_OK);
    assert_false(sn_audit_pseudonym(a, "U1", 2, p));
    sn_audit_close(a);
    unlink(key_path);
    unlink(path);
}

static void the_config_digest_follows_every_option(void **state)
{
    (void)state;
    sn_server_config a, b;
    sn_server_config_default(&a);
    sn_server_config_default(&b);
    char da[65], db[65];
    sn_server_config_digest(&a, da);
    sn_server_config_digest(&b, db);
    assert_string_equal(da, db);
    assert_int_equal(strlen(da), 64);
    b.selfwatch_window = 61;
    sn_server_config_digest(&b, db);
    assert_string_not_equal(da, db);
    b = a;
    snprintf(b.audit_key_file, sizeof(b.audit_key_file), "/etc/sentinel/audit.key");
    sn_server_config_digest(&b, db);
    assert_string_not_equal(da, db);
}

static void options_come_from_the_command_line(void **state)
{
    (void)state;
    char *argv[] = {"serve",
                    "--model",
                    "m.bin",
                    "--audit-log",
                    "/var/a.jsonl",
                    "--audit-fsync-ms",
                    "0",
                    "--selfwatch-auth-failures-per-source",
                    "5",
                    "--selfwatch-window",
                    "30"};
    sn_server_config cfg;
    bool help;
    sn_error err;
    assert_int_equal(sn_server_config_parse(&cfg, 11, argv, &help, &err), SN_OK);
    assert_string_equal(cfg.audit_log, "/var/a.jsonl");
    assert_int_equal(cfg.audit_fsync_ms, 0);
    assert_int_equal(cfg.selfwatch_auth_failures_per_source, 5);
    assert_int_equal(cfg.selfwatch_window, 30);
    /* `audit_log: off` in the file turns it off explicitly. */
    char yaml[64];
    temp(yaml, sizeof(yaml), "sn-svc-yaml");
    FILE *f = fopen(yaml, "w");
    fputs("model: m.bin\naudit_log: off\naudit_key_file: /etc/sentinel/audit.key\n", f);
    fclose(f);
    char *from_file[] = {"serve", "--config", yaml};
    assert_int_equal(sn_server_config_parse(&cfg, 3, from_file, &help, &err), SN_OK);
    assert_string_equal(cfg.audit_log, "off");
    assert_string_equal(cfg.audit_key_file, "/etc/sentinel/audit.key");
    sn_audit *a = (sn_audit *)1;
    assert_int_equal(sn_server_audit_open(&cfg, &a, &err), SN_OK);
    assert_null(a);
    unlink(yaml);
    char *bad[] = {"serve", "--model", "m.bin", "--audit-fsync-ms", "-1"};
    assert_int_equal(sn_server_config_parse(&cfg, 5, bad, &help, &err), SN_ERR_USAGE);
    char msg[512];
    sn_error_format(&err, msg, sizeof(msg));
    assert_string_equal(msg, "--audit-fsync-ms: '-1' is not an integer in [0, 60000]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_start_calls_and_verdicts),
        cmocka_unit_test(options_turn_it_on_and_off),
        cmocka_unit_test(the_config_digest_follows_every_option),
        cmocka_unit_test(options_come_from_the_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
