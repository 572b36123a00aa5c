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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(authentication_actions_are_on_the_reference_scale),
        cmocka_unit_test(cloud_actions_are_classed_by_their_words),
        cmocka_unit_test(rights_changes_are_told_from_administrative_sign_ins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
