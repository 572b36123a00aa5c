/* What the service records in the audit log: the configuration and model at start, each answered
 * request by route template, each verdict of /analyze/access and /analyze/batch, each change of
 * the API keys; and the audit log the options ask for (on by default beside the store or the
 * model, its key made beside it, refused with an unusable key or an unwritable path, off only
 * when told). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include "audit/audit.h"
#include "server/auth.h"
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
    cfg.max_future_seconds = 0;  /* fixtures carry fixed dates, some ahead of the clock */
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

/* A new directory under /tmp; dir gets its path. */
static void temp_dir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/sn-svc-audit-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void options_turn_it_on_and_off(void **state)
{
    (void)state;
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0;  /* fixtures carry fixed dates, some ahead of the clock */
    cfg.insecure_no_auth = true; /* authentication is not what this tests */
    assert_string_equal(cfg.audit_log, "");
    assert_int_equal(cfg.audit_fsync_ms, 1000);
    assert_int_equal(cfg.selfwatch_window, 60);
    assert_int_equal(cfg.selfwatch_auth_failures_per_source, 20);
    assert_int_equal(cfg.selfwatch_auth_failures, 100);
    assert_int_equal(cfg.selfwatch_rate_limited_per_key, 50);
    assert_int_equal(cfg.selfwatch_rate_limited, 500);
    sn_audit *a = (sn_audit *)1;
    sn_audit_where where;
    sn_error err;
    snprintf(cfg.audit_log, sizeof(cfg.audit_log), "off");
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_OK);
    assert_null(a);
    assert_true(where.off);
    assert_string_equal(where.log, "");
    snprintf(cfg.audit_log, sizeof(cfg.audit_log), "OFF");
    a = (sn_audit *)1;
    assert_int_equal(sn_server_audit_open(&cfg, &a, NULL, &err), SN_OK);
    assert_null(a);

    /* On, no key configured: the key file beside the log is made, owner-only, and used again at
     * the next start. */
    char dir[64], log[128], key[128], msg[1024], want[1024];
    temp_dir(dir, sizeof(dir));
    snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
    snprintf(key, sizeof(key), "%s/audit.key", dir);
    snprintf(cfg.audit_log, sizeof(cfg.audit_log), "%s", log);
    unsetenv("SENTINEL_AUDIT_KEY");
    unsetenv("SENTINEL_AUDIT_PSEUDONYM_KEY");
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_OK);
    assert_non_null(a);
    assert_false(where.off);
    assert_false(where.default_log);
    assert_true(where.key_created);
    assert_string_equal(where.log, log);
    assert_string_equal(where.key, key);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 65);
    sn_audit_field f[] = {SN_AUDIT_S("event", "first")};
    sn_audit_rec rec = {"service", "sentinel", NULL, f, 1};
    assert_int_equal(sn_audit_record(a, &rec, &err), SN_OK);
    sn_audit_close(a);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_OK);
    assert_false(where.key_created);
    assert_int_equal(sn_audit_record(a, &rec, &err), SN_OK); /* the chain goes on: same key */
    sn_audit_close(a);
    sn_secret k;
    assert_int_equal(sn_audit_key_read(key, &k, &err), SN_OK);
    sn_audit_verifier v;
    assert_int_equal(sn_audit_verifier_init(&v, k.data, k.len, &err), SN_OK);
    sn_secret_free(&k);
    assert_int_equal(sn_audit_verify_file(log, &v, &err), SN_OK);
    assert_int_equal(v.fault, SN_AUDIT_FAULT_NONE);
    assert_int_equal(v.records, 2);

    /* A log that holds records is never continued with a new key. */
    assert_int_equal(unlink(key), 0);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_ERR_SECRET);
    assert_null(a);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want),
             "%s: cannot open the audit key file: No such file or directory; the audit log %s "
             "already holds records, so a new key cannot continue it: give the key it was "
             "written with (audit_key_file or SENTINEL_AUDIT_KEY), or move the log aside to "
             "start a new one",
             key, log);
    assert_string_equal(msg, want);
    assert_int_equal(access(key, F_OK), -1);

    /* A key others may read is no usable key. */
    temp(key_path, sizeof(key_path), "sn-svc-key");
    FILE *kf = fopen(key_path, "w");
    fputs("0123456789abcdef0123456789abcdef\n", kf);
    fclose(kf);
    chmod(key_path, 0644);
    snprintf(cfg.audit_key_file, sizeof(cfg.audit_key_file), "%s", key_path);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_ERR_SECRET);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want),
             "audit_key_file: the audit log is on (%s) but there is no usable audit key: %s: "
             "secret file may be read or changed by other users: make it readable by its owner "
             "only (chmod 600); give audit_key_file or SENTINEL_AUDIT_KEY, or set audit_log: off",
             log, key_path);
    assert_string_equal(msg, want);
    /* Too short a key. */
    setenv("SENTINEL_AUDIT_KEY", "short", 1);
    cfg.audit_key_file[0] = '\0';
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_ERR_SECRET);
    assert_string_equal(err.msg, "the audit key must be 32-256 bytes (for example the 64 "
                                 "characters `openssl rand -hex 32` prints)");
    /* From the environment, with pseudonyms from the environment (a new log). */
    assert_int_equal(unlink(log), 0);
    setenv("SENTINEL_AUDIT_KEY", "0123456789abcdef0123456789abcdef", 1);
    setenv("SENTINEL_AUDIT_PSEUDONYM_KEY", "abcdefabcdefabcdefabcdefabcdefab", 1);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_OK);
    assert_non_null(a);
    assert_string_equal(where.key, "SENTINEL_AUDIT_KEY");
    assert_false(where.key_created);
    assert_int_equal(access(key, F_OK), -1); /* no key file made */
    char p[67];
    assert_true(sn_audit_pseudonym(a, "U1", 2, p));
    sn_audit_close(a);
    /* From the owner-only file. */
    chmod(key_path, 0600);
    unsetenv("SENTINEL_AUDIT_KEY");
    unsetenv("SENTINEL_AUDIT_PSEUDONYM_KEY");
    snprintf(cfg.audit_key_file, sizeof(cfg.audit_key_file), "%s", key_path);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_OK);
    assert_string_equal(where.key, key_path);
    assert_false(sn_audit_pseudonym(a, "U1", 2, p));
    sn_audit_close(a);
    unlink(key_path);
    remove_dir(dir);
}

static void the_default_log_is_beside_the_store_or_the_model(void **state)
{
    (void)state;
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    char out[4096];
    snprintf(cfg.model, sizeof(cfg.model), "/srv/sentinel/model.bin");
    assert_true(sn_server_audit_default_path(&cfg, out, sizeof(out)));
    assert_string_equal(out, "/srv/sentinel/audit.jsonl");
    snprintf(cfg.model, sizeof(cfg.model), "model.bin");
    assert_true(sn_server_audit_default_path(&cfg, out, sizeof(out)));
    assert_string_equal(out, "audit.jsonl");
    snprintf(cfg.model, sizeof(cfg.model), "/model.bin");
    assert_true(sn_server_audit_default_path(&cfg, out, sizeof(out)));
    assert_string_equal(out, "/audit.jsonl");
    snprintf(cfg.db, sizeof(cfg.db), "/var/lib/sentinel/store.db");
    assert_true(sn_server_audit_default_path(&cfg, out, sizeof(out)));
    assert_string_equal(out, "/var/lib/sentinel/audit.jsonl");
    snprintf(cfg.db, sizeof(cfg.db), "postgres://db.internal/sentinel");
    snprintf(cfg.model, sizeof(cfg.model), "models/m.bin");
    assert_true(sn_server_audit_default_path(&cfg, out, sizeof(out)));
    assert_string_equal(out, "models/audit.jsonl");
    assert_false(sn_server_audit_default_path(&cfg, out, 18));

    /* Unset audit_log: on, at that path, with its key made beside it. */
    char dir[64], want[1024], msg[1024];
    temp_dir(dir, sizeof(dir));
    cfg.db[0] = '\0';
    snprintf(cfg.model, sizeof(cfg.model), "%s/m.bin", dir);
    unsetenv("SENTINEL_AUDIT_KEY");
    unsetenv("SENTINEL_AUDIT_PSEUDONYM_KEY");
    sn_audit *a = NULL;
    sn_audit_where where;
    sn_error err;
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_OK);
    assert_non_null(a);
    assert_true(where.default_log);
    assert_true(where.key_created);
    snprintf(want, sizeof(want), "%s/audit.jsonl", dir);
    assert_string_equal(where.log, want);
    snprintf(want, sizeof(want), "%s/audit.key", dir);
    assert_string_equal(where.key, want);
    struct stat st;
    assert_int_equal(stat(where.key, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    sn_audit_close(a);
    /* A key file others may read stops the start, saying so. */
    assert_int_equal(chmod(where.key, 0644), 0);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_ERR_SECRET);
    assert_null(a);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want),
             "%s/audit.key: the audit key file may be read or changed by other users (mode "
             "0644): make it readable by its owner only (chmod 600)",
             dir);
    assert_string_equal(msg, want);
    /* A default path that cannot be written stops the start, naming it and the way out. */
    snprintf(cfg.model, sizeof(cfg.model), "%s/gone/m.bin", dir);
    assert_int_equal(sn_server_audit_open(&cfg, &a, &where, &err), SN_ERR_IO);
    assert_null(a);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want),
             "cannot write the audit log %s/gone/audit.jsonl: No such file or directory; give "
             "--audit-log FILE (audit_log, SENTINEL_AUDIT_LOG) to keep it elsewhere, or "
             "--audit-log off to run without an audit log",
             dir);
    assert_string_equal(msg, want);
    remove_dir(dir);
}

/* The lines of a file, NUL-separated in place; returns how many (at most cap). */
static size_t lines_of(char *text, char **lines, size_t cap)
{
    size_t n = 0;
    for (char *p = text; *p && n < cap;) {
        char *nl = strchr(p, '\n');
        lines[n++] = p;
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/* The part of a record from its kind to its details' end, as a test expects it. */
static void expect_record(const char *line, const char *details)
{
    char want[2048];
    snprintf(want, sizeof(want),
             "\"kind\":\"key_change\",\"actor\":\"sentinel\",\"source\":null,\"details\":%s,"
             "\"prev\":",
             details);
    if (!strstr(line, want))
        fail_msg("record %s\nexpected %s", line, want);
}

/* A new key of role and scope, added to list and saved; text gets the key. */
static sn_key_record *new_key(sn_keylist *l, const char *file, sn_role role, const char *scope,
                              const char *name, int64_t expires, char *text)
{
    sn_key_record r;
    memset(&r, 0, sizeof(r));
    r.role = role;
    snprintf(r.scope, sizeof(r.scope), "%s", scope);
    snprintf(r.name, sizeof(r.name), "%s", name);
    sn_error err;
    assert_int_equal(sn_key_generate(&r, text, &err), SN_OK);
    r.expires = expires;
    assert_int_equal(sn_keylist_add(l, &r), SN_OK);
    assert_int_equal(sn_keys_save(file, l, &err), SN_OK);
    return &l->items[l->n - 1];
}

static size_t count_lines(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return 0;
    size_t n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

static void key_changes_are_recorded_without_secrets(void **state)
{
    (void)state;
    char dir[64], keys[96], log[96], text1[SN_KEY_TEXT_LEN + 1], text2[SN_KEY_TEXT_LEN + 1];
    temp_dir(dir, sizeof(dir));
    snprintf(keys, sizeof(keys), "%s/keys.jsonl", dir);
    snprintf(log, sizeof(log), "%s/audit.jsonl", dir);
    sn_keylist l = {0};
    new_key(&l, keys, SN_ROLE_ANALYST, "department:Finance", "soc-1", 0, text1);
    char id1[SN_KEY_ID_LEN + 1], id2[SN_KEY_ID_LEN + 1], salt1[33], hash1[65];
    memcpy(id1, l.items[0].id, sizeof(id1));
    memcpy(salt1, l.items[0].salt, sizeof(salt1));
    memcpy(hash1, l.items[0].hash, sizeof(hash1));

    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    snprintf(cfg.keys_file, sizeof(cfg.keys_file), "%s", keys);
    sn_auth *auth;
    sn_error err;
    assert_int_equal(sn_auth_new(&auth, &cfg, NULL, &err), SN_OK);
    sn_audit_options o = {.path = log,
                          .key = (const unsigned char *)"0123456789abcdef0123456789abcdef",
                          .key_len = 32};
    sn_audit *a;
    assert_int_equal(sn_audit_open(&a, &o, &err), SN_OK);
    /* Nothing is recorded before the log is given. */
    sn_auth_poll_keys(auth);
    assert_int_equal(count_lines(log), 0);
    sn_auth_audit_keys(auth, a);
    assert_int_equal(count_lines(log), 1);

    /* A key created while the server runs: the watch records it within a second or so, with
     * nobody calling. */
    new_key(&l, keys, SN_ROLE_SERVICE, "", "ingest", 1900000000, text2);
    memcpy(id2, l.items[1].id, sizeof(id2));
    for (int i = 0; i < 100 && count_lines(log) < 2; i++)
        usleep(50000);
    assert_int_equal(count_lines(log), 2);
    /* Revoked: recorded at the next look (here asked for; a request with a key asks too). */
    l.items[0].revoked = 1800000000;
    assert_int_equal(sn_keys_save(keys, &l, &err), SN_OK);
    sn_auth_poll_keys(auth);
    sn_auth_poll_keys(auth); /* looked at twice, recorded once */
    assert_int_equal(count_lines(log), 3);
    /* Removed from the file. */
    l.n = 1;
    assert_int_equal(sn_keys_save(keys, &l, &err), SN_OK);
    sn_auth_poll_keys(auth);
    /* A file others may read admits no key, and says so; fixed by chmod, it is read again. */
    assert_int_equal(chmod(keys, 0644), 0);
    sn_auth_poll_keys(auth);
    assert_int_equal(chmod(keys, 0600), 0);
    sn_auth_poll_keys(auth);
    /* Its role and scope changed by hand. */
    l.items[0].role = SN_ROLE_ADMIN;
    snprintf(l.items[0].scope, sizeof(l.items[0].scope), "*");
    assert_int_equal(sn_keys_save(keys, &l, &err), SN_OK);
    sn_auth_poll_keys(auth);
    sn_auth_free(auth);
    sn_audit_close(a);
    sn_keylist_free(&l);

    char *text;
    {
        FILE *f = fopen(log, "rb");
        assert_non_null(f);
        text = calloc(1, 1 << 16);
        assert_non_null(text);
        assert_true(fread(text, 1, (1 << 16) - 1, f) > 0);
        fclose(f);
    }
    /* Never a key, its secret, its salt or its hash. */
    assert_null(strstr(text, text1 + 4 + SN_KEY_ID_LEN));
    assert_null(strstr(text, text2 + 4 + SN_KEY_ID_LEN));
    assert_null(strstr(text, salt1));
    assert_null(strstr(text, hash1));
    assert_null(strstr(text, "\"redacted\""));
    char *lines[16];
    assert_int_equal(lines_of(text, lines, 16), 7);
    char want[1024];
    snprintf(want, sizeof(want),
             "{\"action\":\"present_at_start\",\"key_id\":\"%s\",\"name\":\"soc-1\",\"role\":"
             "\"analyst\",\"scope\":\"department:Finance\",\"expires\":null,\"revoked\":false,"
             "\"keys_file\":\"%s\"}",
             id1, keys);
    expect_record(lines[0], want);
    snprintf(want, sizeof(want),
             "{\"action\":\"created\",\"key_id\":\"%s\",\"name\":\"ingest\",\"role\":\"service\","
             "\"scope\":\"\",\"expires\":\"2030-03-17T17:46:40.000000Z\",\"revoked\":false,"
             "\"keys_file\":\"%s\"}",
             id2, keys);
    expect_record(lines[1], want);
    snprintf(want, sizeof(want),
             "{\"action\":\"revoked\",\"key_id\":\"%s\",\"name\":\"soc-1\",\"role\":\"analyst\","
             "\"scope\":\"department:Finance\",\"expires\":null,\"revoked\":true,\"keys_file\":"
             "\"%s\"}",
             id1, keys);
    expect_record(lines[2], want);
    snprintf(want, sizeof(want),
             "{\"action\":\"removed\",\"key_id\":\"%s\",\"name\":\"ingest\",\"role\":\"service\","
             "\"scope\":\"\",\"expires\":\"2030-03-17T17:46:40.000000Z\",\"revoked\":false,"
             "\"keys_file\":\"%s\"}",
             id2, keys);
    expect_record(lines[3], want);
    snprintf(want, sizeof(want),
             "{\"action\":\"file_unusable\",\"keys_file\":\"%s\",\"error\":\"keys file may be "
             "read or changed by other users: make it readable by its owner only (chmod 600)\"}",
             keys);
    expect_record(lines[4], want);
    snprintf(want, sizeof(want), "{\"action\":\"file_usable\",\"keys_file\":\"%s\"}", keys);
    expect_record(lines[5], want);
    snprintf(want, sizeof(want),
             "{\"action\":\"changed\",\"key_id\":\"%s\",\"name\":\"soc-1\",\"role\":\"admin\","
             "\"scope\":\"*\",\"expires\":null,\"revoked\":true,\"keys_file\":\"%s\"}",
             id1, keys);
    expect_record(lines[6], want);
    free(text);

    sn_audit_verifier v;
    assert_int_equal(sn_audit_verifier_init(
                         &v, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32, &err),
                     SN_OK);
    assert_int_equal(sn_audit_verify_file(log, &v, &err), SN_OK);
    assert_int_equal(v.fault, SN_AUDIT_FAULT_NONE);
    assert_int_equal(v.records, 7);
    remove_dir(dir);
}

static void the_config_digest_follows_every_option(void **state)
{
    (void)state;
    sn_server_config a, b;
    sn_server_config_default(&a);
    a.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    sn_server_config_default(&b);
    b.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
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
    assert_int_equal(sn_server_audit_open(&cfg, &a, NULL, &err), SN_OK);
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
        cmocka_unit_test(the_default_log_is_beside_the_store_or_the_model),
        cmocka_unit_test(key_changes_are_recorded_without_secrets),
        cmocka_unit_test(the_config_digest_follows_every_option),
        cmocka_unit_test(options_come_from_the_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
