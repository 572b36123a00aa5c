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
    assert_int_equal(risk("sudoedit"), 2); /* unknown: the middle of the scale */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(authentication_actions_are_on_the_reference_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
