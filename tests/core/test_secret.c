/* Secrets from files and the environment, the permission check, key decoding and the keyed token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[64];

static void write_secret(const char *content, mode_t mode)
{
    snprintf(path, sizeof(path), "/tmp/sn-secret-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void reads_owner_only_file_without_trailing_newline(void **state)
{
    (void)state;
    write_secret("s3cret-value\r\n", 0600);
    sn_secret s;
    sn_error e;
    assert_int_equal(sn_secret_from_file(path, &s, &e), SN_OK);
    assert_int_equal(s.len, 12);
    assert_string_equal((const char *)s.data, "s3cret-value");
    sn_secret_free(&s);
    assert_null(s.data);
    unlink(path);
}

static void refuses_file_others_can_read_without_showing_it(void **state)
{
    (void)state;
    write_secret("do-not-print-me", 0644);
    sn_secret s;
    sn_error e;
    assert_int_equal(sn_secret_from_file(path, &s, &e), SN_ERR_SECRET);
    assert_null(s.data);
    assert_non_null(strstr(e.msg, "chmod 600"));
    char buf[1024];
    sn_error_format(&e, buf, sizeof(buf));
    assert_null(strstr(buf, "do-not-print-me"));
    assert_non_null(strstr(buf, path));
    unlink(path);
}

static void refuses_empty_missing_and_directory(void **state)
{
    (void)state;
    sn_secret s;
    sn_error e;
    write_secret("\n", 0600);
    assert_int_equal(sn_secret_from_file(path, &s, &e), SN_ERR_SECRET);
    unlink(path);
    assert_int_equal(sn_secret_from_file("/nonexistent/key", &s, &e), SN_ERR_SECRET);
    assert_int_equal(sn_secret_from_file("/tmp", &s, &e), SN_ERR_SECRET);
}

static void environment_and_file_precedence(void **state)
{
    (void)state;
    sn_secret s;
    sn_error e;
    setenv("SN_TEST_SECRET", "from-env", 1);
    assert_int_equal(sn_secret_load(NULL, "SN_TEST_SECRET", &s, &e), SN_OK);
    assert_string_equal((const char *)s.data, "from-env");
    sn_secret_free(&s);
    write_secret("from-file", 0400);
    assert_int_equal(sn_secret_load(path, "SN_TEST_SECRET", &s, &e), SN_OK);
    assert_string_equal((const char *)s.data, "from-file");
    sn_secret_free(&s);
    unlink(path);
    unsetenv("SN_TEST_SECRET");
    assert_int_equal(sn_secret_load(NULL, "SN_TEST_SECRET", &s, &e), SN_ERR_SECRET);
    assert_string_equal(e.field, "SN_TEST_SECRET");
    assert_int_equal(sn_secret_load(NULL, NULL, &s, &e), SN_ERR_SECRET);
}

static void decodes_hex_keys(void **state)
{
    (void)state;
    sn_secret s = {(unsigned char *)"000102030405060708090a0b0c0d0e0f"
                                    "101112131415161718191A1B1C1D1E1F",
                   64};
    unsigned char key[32];
    sn_error e;
    assert_int_equal(sn_secret_key32(&s, key, &e), SN_OK);
    for (int i = 0; i < 32; i++)
        assert_int_equal(key[i], i);
    sn_secret bad = {(unsigned char *)"zz", 2};
    assert_int_equal(sn_secret_key32(&bad, key, &e), SN_ERR_SECRET);
    sn_secret nothex = {(unsigned char *)"g00102030405060708090a0b0c0d0e0f"
                                         "101112131415161718191a1b1c1d1e1f",
                        64};
    assert_int_equal(sn_secret_key32(&nothex, key, &e), SN_ERR_SECRET);
}

/* RFC 4231, test case 2. */
static void hmac_known_answer(void **state)
{
    (void)state;
    char out[65];
    const char *msg = "what do ya want for nothing?";
    assert_int_equal(sn_hmac_hex((const unsigned char *)"Jefe", 4, msg, strlen(msg), out), SN_OK);
    assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_owner_only_file_without_trailing_newline),
        cmocka_unit_test(refuses_file_others_can_read_without_showing_it),
        cmocka_unit_test(refuses_empty_missing_and_directory),
        cmocka_unit_test(environment_and_file_precedence),
        cmocka_unit_test(decodes_hex_keys),
        cmocka_unit_test(hmac_known_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
