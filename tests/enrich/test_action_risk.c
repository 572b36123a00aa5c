/* Action risk of the authentication logs' actions: logging in is low, taking administrator
 * rights is admin (README, "Resource sensitivity and action risk"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "enrich/enrich.h"

#include <string.h>

static int risk(const char *a)
{
    return sn_action_risk(a, strlen(a));
}

static void authentication_actions_are_on_the_reference_scale(void **state)
{
    (void)state;
    assert_int_equal(risk("login"), 1);
    assert_int_equal(risk("logon"), 1);
    assert_int_equal(risk("kerberos_tgt"), 1);
    assert_int_equal(risk("kerberos_service_ticket"), 1);
    assert_int_equal(risk("kerberos_preauth"), 1);
    assert_int_equal(risk("ntlm_validate"), 1);
    assert_int_equal(risk("explicit_logon"), 2);
    assert_int_equal(risk("special_privileges"), risk("admin"));
    assert_int_equal(risk("sudo"), 5);
    assert_int_equal(risk("su"), 5);
    assert_int_equal(risk("frobnicate"), 2); /* no known word: the middle of the scale */
}

static bool rights(const char *a)
{
    return sn_action_changes_rights(a, strlen(a));
}

/* Cloud and directory actions the tables do not name are classed by their words. */
static void cloud_actions_are_classed_by_their_words(void **state)
{
    (void)state;
    assert_int_equal(risk("GetObject"), 1);
    assert_int_equal(risk("ListBuckets"), 1);
    assert_int_equal(risk("GetBucketPolicy"), 1);
    assert_int_equal(risk("DescribeInstances"), 1);
    assert_int_equal(risk("PutObject"), 3);
    assert_int_equal(risk("update_application"), 3);
    assert_int_equal(risk("sudoedit"), 3);
    assert_int_equal(risk("DeleteUser"), 4);
    assert_int_equal(risk("user.lifecycle.deactivate"), 4);
    assert_int_equal(risk("AttachUserPolicy"), 5);
    assert_int_equal(risk("CreateAccessKey"), 5);
    assert_int_equal(risk("add_delegated_permission_grant"), 5);
    assert_int_equal(risk("update_application_certificates_and_secrets_management"), 5);
    assert_int_equal(risk("user.account.privilege.grant"), 5);
    assert_int_equal(risk("AssumeRole"), 2);
}

static void rights_changes_are_told_from_administrative_sign_ins(void **state)
{
    (void)state;
    assert_true(rights("add_delegated_permission_grant"));
    assert_true(rights("update_application_certificates_and_secrets_management"));
    assert_true(rights("AttachUserPolicy"));
    assert_true(rights("PutRolePolicy"));
    assert_true(rights("CreateAccessKey"));
    assert_true(rights("add_member_to_role"));
    assert_true(rights("app.oauth2.consent.grant"));
    assert_true(rights("grant"));
    assert_true(rights("escalate"));
    assert_false(rights("admin"));
    assert_false(rights("special_privileges"));
    assert_false(rights("sudo"));
    assert_false(rights("GetBucketPolicy"));
    assert_false(rights("ListRoles"));
    assert_false(rights("AssumeRole"));
    assert_false(rights("read"));
}

static void client_families_leave_versions_out(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.0.0 Safari/537.36",
         "Chrome on Windows"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
         "Edge on Windows"},
        {"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
         "Firefox on Linux"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
         "like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
         "Safari on iOS"},
        {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
         "Gecko) Version/17.1 Safari/605.1.15",
         "Safari on macOS"},
        {"Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
         "Internet Explorer on Windows"},
        {"aws-cli/2.13.0 Python/3.11.4 Linux/5.10.184 exe/x86_64.amzn.2 prompt/off", "aws-cli"},
        {"[aws-cli/1.18.69 Python/2.7.18 Linux/4.14.301]", "aws-cli"},
        {"Boto3/1.28.40 md/Botocore#1.31.40 ua/2.0 os/linux", "Boto3"},
        {"python-requests/2.31.0", "python-requests"},
        {"curl/8.4.0", "curl"},
        {"okta-auth-js/7.0.0", "okta-auth-js"},
        {"s3.amazonaws.com", "s3.amazonaws.com"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = sn_client_family(cases[i][0], strlen(cases[i][0]), out, sizeof(out));
        assert_string_equal(out, cases[i][1]);
        assert_int_equal(n, strlen(cases[i][1]));
    }
    assert_int_equal(sn_client_family("", 0, out, sizeof(out)), 0);
    assert_int_equal(sn_client_family("  [", 3, out, sizeof(out)), 0);
    assert_int_equal(sn_client_family("12.0/3", 6, out, sizeof(out)), 0);
    /* a long name is cut to what fits */
    char tiny[8];
    assert_int_equal(sn_client_family("python-requests/2", 17, tiny, sizeof(tiny)), 7);
    assert_string_equal(tiny, "python-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(authentication_actions_are_on_the_reference_scale),
        cmocka_unit_test(cloud_actions_are_classed_by_their_words),
        cmocka_unit_test(rights_changes_are_told_from_administrative_sign_ins),
        cmocka_unit_test(client_families_leave_versions_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
