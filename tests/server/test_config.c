/* The server's options: defaults, the YAML file, the environment and the command line, in that
 * order of precedence, and bad values refused with the option and its source named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "server/server.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sn_status parse(sn_server_config *c, sn_error *err, int argc, const char **argv)
{
    bool help;
    return sn_server_config_parse(c, argc, (char **)argv, &help, err);
}

static const char *yaml(const char *text)
{
    return tu_temp_file(text, strlen(text));
}

static void test_defaults(void **state)
{
    (void)state;
    sn_server_config c;
    sn_server_config_default(&c);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.model, "");
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.body_limit, 4 * 1024 * 1024);
    assert_int_equal(c.batch_limit, 10000);
    assert_int_equal(c.log_level, SN_LOG_INFO);
    assert_true(isnan(c.alert_threshold));
    assert_int_equal(c.connection_timeout, 30);
    assert_true(c.user_window_days == 30.0);
}

static void test_command_line(void **state)
{
    (void)state;
    sn_server_config c;
    sn_error err;
    const char *argv[] = {
        "serve",         "--model",   "m.bin", "--listen=[::1]:0",  "--body-limit",
        "2MiB",          "--threads", "3",     "--alert-threshold", "62.5",
        "--batch_limit", "10"};
    assert_int_equal(parse(&c, &err, 12, argv), SN_OK);
    assert_string_equal(c.model, "m.bin");
    assert_string_equal(c.listen, "[::1]:0");
    assert_int_equal(c.body_limit, 2 * 1024 * 1024);
    assert_int_equal(c.threads, 3);
    assert_true(c.alert_threshold == 62.5);
    assert_int_equal(c.batch_limit, 10);
}

static void test_bad_values_named(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value, *field;
    } cases[] = {
        {"--threads", "abc", "--threads"},
        {"--threads", "5000", "--threads"},
        {"--body-limit", "12XB", "--body-limit"},
        {"--body-limit", "10", "--body-limit"},
        {"--alert-threshold", "101", "--alert-threshold"},
        {"--listen", "8080", "--listen"},
        {"--listen", "::1:8080", "--listen"},
        {"--listen", "host:65536", "--listen"},
        {"--listen", "host:", "--listen"},
        {"--connection-timeout", "0", "--connection-timeout"},
        {"--log-level", "loud", "--log-level"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sn_server_config c;
        sn_error err;
        const char *argv[] = {"serve", "--model", "m", cases[i].name, cases[i].value};
        assert_int_equal(parse(&c, &err, 5, argv), SN_ERR_USAGE);
        assert_string_equal(err.field, cases[i].field);
        assert_non_null(strstr(err.msg, cases[i].value));
    }
    sn_server_config c;
    sn_error err;
    const char *unknown[] = {"serve", "--model", "m", "--verbose", "1"};
    assert_int_equal(parse(&c, &err, 5, unknown), SN_ERR_USAGE);
    assert_non_null(strstr(err.msg, "--verbose"));
    const char *missing_value[] = {"serve", "--model"};
    assert_int_equal(parse(&c, &err, 2, missing_value), SN_ERR_USAGE);
    const char *positional[] = {"serve", "m.bin"};
    assert_int_equal(parse(&c, &err, 2, positional), SN_ERR_USAGE);
    const char *no_model[] = {"serve"};
    assert_int_equal(parse(&c, &err, 1, no_model), SN_ERR_USAGE);
    assert_string_equal(err.field, "--model");
    const char *levels[] = {"serve", "--model", "m", "--log-level", "WARN"};
    assert_int_equal(parse(&c, &err, 5, levels), SN_OK);
    assert_int_equal(c.log_level, SN_LOG_WARN);
    levels[4] = "off";
    assert_int_equal(parse(&c, &err, 5, levels), SN_OK);
    assert_int_equal(c.log_level, SN_LOG_OFF);
}

static void test_help(void **state)
{
    (void)state;
    sn_server_config c;
    sn_error err;
    bool help = false;
    const char *argv[] = {"serve", "--threads", "nonsense", "--help"};
    assert_int_equal(sn_server_config_parse(&c, 4, (char **)argv, &help, &err), SN_OK);
    assert_true(help);
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    sn_server_config_help(f);
    fclose(f);
    static const char *const names[] = {"--listen",
                                        "--model",
                                        "--config",
                                        "--threads",
                                        "--body-limit",
                                        "--batch-limit",
                                        "--alert-threshold",
                                        "--connection-timeout",
                                        "--max-connections",
                                        "--recent-anomalies",
                                        "--user-history",
                                        "--user-window-days",
                                        "--shutdown-timeout",
                                        "--log-level",
                                        "SENTINEL_BODY_LIMIT",
                                        "body_limit: in the file"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_non_null(strstr(text, names[i]));
    free(text);
}

static void test_precedence(void **state)
{
    (void)state;
    const char *path = yaml("# options\nmodel: file.bin\nbatch_limit: 5\nthreads: 2\n"
                            "listen: \"0.0.0.0:9000\"\nalert_threshold: ~\n");
    assert_non_null(path);
    setenv("SENTINEL_BATCH_LIMIT", "6", 1);
    setenv("SENTINEL_THREADS", "", 1); /* empty: not set */
    sn_server_config c;
    sn_error err;
    const char *argv[] = {"serve", "--config", path, "--listen", "127.0.0.1:1"};
    sn_status st = parse(&c, &err, 5, argv);
    unsetenv("SENTINEL_BATCH_LIMIT");
    unsetenv("SENTINEL_THREADS");
    assert_int_equal(st, SN_OK);
    assert_string_equal(c.model, "file.bin");     /* file */
    assert_int_equal(c.threads, 2);               /* file */
    assert_int_equal(c.batch_limit, 6);           /* environment over file */
    assert_string_equal(c.listen, "127.0.0.1:1"); /* command line over file */
    assert_true(isnan(c.alert_threshold));
    assert_string_equal(c.config, path);

    /* The file named in the environment. */
    setenv("SENTINEL_CONFIG", path, 1);
    const char *bare[] = {"serve"};
    st = parse(&c, &err, 1, bare);
    unsetenv("SENTINEL_CONFIG");
    assert_int_equal(st, SN_OK);
    assert_string_equal(c.model, "file.bin");

    setenv("SENTINEL_THREADS", "many", 1);
    st = parse(&c, &err, 5, argv);
    unsetenv("SENTINEL_THREADS");
    unlink(path);
    assert_int_equal(st, SN_ERR_USAGE);
    assert_string_equal(err.field, "SENTINEL_THREADS");
}

static void test_yaml_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        long line;
        const char *field, *why;
    } cases[] = {
        {"model: m\nthreads: lots\n", 2, "threads", "not an integer"},
        {"model: m\n\nfrobnicate: 1\n", 3, "", "unknown option"},
        {"model: m\nbody-limit: 1MiB\n", 2, "", "unknown option"},
        {"model: m\nthreads: 1\nthreads: 2\n", 3, "threads", "given twice"},
        {"model: m\nlisten:\n  host: x\n", 3, "listen", "got a mapping"},
        {"model: m\nlisten: [a, b]\n", 2, "listen", "got a list"},
        {"- model\n", 1, "", "expected a mapping"},
        {"model: m\nconfig: other.yaml\n", 2, "config", "command line"},
        {"model: m\n\tthreads: 1\n", 2, "", "not valid YAML"},
        {"model: m\n---\nmodel: n\n", 2, "", "one YAML document"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = yaml(cases[i].text);
        sn_server_config c;
        sn_error err;
        const char *argv[] = {"serve", "--config", path};
        sn_status st = parse(&c, &err, 3, argv);
        unlink(path);
        assert_int_equal(st, SN_ERR_USAGE);
        assert_string_equal(err.file, path);
        if (err.line != cases[i].line)
            fail_msg("case %zu: line %ld: %s", i, err.line, err.msg);
        assert_string_equal(err.field, cases[i].field);
        if (!strstr(err.msg, cases[i].why))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, cases[i].why);
    }
    /* An empty file (or one of comments) sets nothing. */
    const char *path = yaml("# nothing\n");
    sn_server_config c;
    sn_error err;
    const char *argv[] = {"serve", "--config", path, "--model", "m"};
    sn_status st = parse(&c, &err, 5, argv);
    unlink(path);
    assert_int_equal(st, SN_OK);
    const char *missing[] = {"serve", "--config", "/nonexistent/serve.yaml"};
    assert_int_equal(parse(&c, &err, 3, missing), SN_ERR_USAGE);
    assert_string_equal(err.field, "--config");
}

static void test_split_listen(void **state)
{
    (void)state;
    char host[64];
    int port;
    assert_true(sn_server_split_listen("127.0.0.1:0", host, sizeof(host), &port));
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
    assert_true(sn_server_split_listen("[::1]:8080", host, sizeof(host), &port));
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
    assert_true(sn_server_split_listen("localhost:65535", host, sizeof(host), &port));
    assert_false(sn_server_split_listen(":80", host, sizeof(host), &port));
    assert_false(sn_server_split_listen("[::1]80", host, sizeof(host), &port));
    assert_false(sn_server_split_listen("a b:80", host, sizeof(host), &port));
    assert_false(sn_server_split_listen("h:-1", host, sizeof(host), &port));
    assert_false(sn_server_split_listen("h:123456", host, sizeof(host), &port));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),         cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_bad_values_named), cmocka_unit_test(test_help),
        cmocka_unit_test(test_precedence),       cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_split_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
