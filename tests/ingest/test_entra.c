/* The Microsoft Entra ID reader: exact events from sign-ins (success, a refused password over
 * IMAP, MFA required), with their place, coordinates and client, and from audit events
 * initiated by a user or by an application; in Microsoft Graph's pages (compact or
 * pretty-printed, with members after the records), Azure Monitor's records and Log Analytics'
 * rows; other categories ignored; bad records reported and skipped; and the OTRF Golden SAML
 * audit log read whole. Samples written from Microsoft Graph's signIn and directoryAudit
 * resource references and Azure Monitor's sign-in and audit log schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_transcript.h"
#include "testutil.h"

#include <jansson.h>

/* A page of GET /auditLogs/signIns: three sign-ins, then the link to the next page. */
static const char graph_page[] =
    "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\","
    "\"value\":[{\"id\":\"66ea54eb-6301-4ee5-be62-ff5a759b0100\",\"createdDateTime\":\"2024-03-05"
    "T14:21:09Z\",\"userDisplayName\":\"Alice Example\",\"userPrincipalName\":\"alice@contoso.com"
    "\",\"userId\":\"d7cc485d-2c1b-422c-98fd-5ce52859a4a3\",\"appId\":\"00000002-0000-0ff1-ce00-0"
    "00000000000\",\"appDisplayName\":\"Office 365 Exchange Online\",\"ipAddress\":\"198.51.100.2"
    "3\",\"clientAppUsed\":\"Browser\",\"correlationId\":\"65f9a4a2-6f0e-4d8b-9a2b-1b2f5c7e8d90\""
    ",\"conditionalAccessStatus\":\"success\",\"isInteractive\":true,\"riskDetail\":\"none\","
    "\"riskLevelAggregated\":\"none\",\"riskLevelDuringSignIn\":\"none\","
    "\"riskState\":\"none\",\"riskEventTypes_v2\":[],\"resourceDisplayName\":\"Office 365 Exchang"
    "e Online\",\"resourceId\":\"00000002-0000-0ff1-ce00-000000000000\","
    "\"status\":{\"errorCode\":0,\"failureReason\":\"Other.\",\"additionalDetails\":null},"
    "\"deviceDetail\":{\"deviceId\":\"\",\"displayName\":\"\",\"operatingSystem\":\"Windows 10\","
    "\"browser\":\"Edge 122.0.0\",\"isCompliant\":false,\"isManaged\":false,"
    "\"trustType\":\"\"},\"location\":{\"city\":\"Redmond\",\"state\":\"Washington\","
    "\"countryOrRegion\":\"US\",\"geoCoordinates\":{\"altitude\":null,\"latitude\":47.674,"
    "\"longitude\":-122.1215}},\"appliedConditionalAccessPolicies\":[],\"authenticationRequiremen"
    "t\":\"multiFactorAuthentication\"},{\"id\":\"66ea54eb-6301-4ee5-be62-ff5a759b0101\","
    "\"createdDateTime\":\"2024-03-05T14:25:41Z\",\"userDisplayName\":\"Alice Example\","
    "\"userPrincipalName\":\"alice@contoso.com\",\"userId\":\"d7cc485d-2c1b-422c-98fd-5ce52859a4a"
    "3\",\"appId\":\"00000002-0000-0ff1-ce00-000000000000\",\"appDisplayName\":\"Office 365 Excha"
    "nge Online\",\"ipAddress\":\"95.165.12.44\",\"clientAppUsed\":\"IMAP4\","
    "\"correlationId\":\"65f9a4a2-6f0e-4d8b-9a2b-1b2f5c7e8d90\",\"conditionalAccessStatus\":\"not"
    "Applied\",\"isInteractive\":false,\"riskDetail\":\"none\",\"riskLevelAggregated\":\"none\","
    "\"riskLevelDuringSignIn\":\"none\",\"riskState\":\"none\",\"riskEventTypes_v2\":[],"
    "\"resourceDisplayName\":\"Office 365 Exchange Online\",\"resourceId\":\"00000002-0000-0ff1-c"
    "e00-000000000000\",\"status\":{\"errorCode\":50126,\"failureReason\":\"Error validating cred"
    "entials due to invalid username or password.\",\"additionalDetails\":null},"
    "\"deviceDetail\":{\"deviceId\":\"\",\"displayName\":\"\",\"operatingSystem\":\"\","
    "\"browser\":\"\",\"isCompliant\":false,\"isManaged\":false,\"trustType\":\"\"},"
    "\"location\":{\"city\":\"Moscow\",\"state\":\"Moscow\",\"countryOrRegion\":\"RU\","
    "\"geoCoordinates\":{\"altitude\":null,\"latitude\":55.7522,\"longitude\":37.6156}},"
    "\"appliedConditionalAccessPolicies\":[],\"authenticationRequirement\":\"singleFactorAuthenti"
    "cation\"},{\"id\":\"66ea54eb-6301-4ee5-be62-ff5a759b0102\",\"createdDateTime\":\"2024-03-05T"
    "14:30:00Z\",\"userDisplayName\":\"Dan\",\"userPrincipalName\":\"dan@contoso.com\","
    "\"appDisplayName\":\"Azure Portal\",\"ipAddress\":\"2001:db8:aa::7\","
    "\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0\",\"clientAppUsed\":\"Browser"
    "\",\"status\":{\"errorCode\":0},\"location\":{\"city\":null,\"state\":null,"
    "\"countryOrRegion\":null,\"geoCoordinates\":null}}],\"@odata.nextLink\":\"https://graph.micr"
    "osoft.com/v1.0/auditLogs/signIns?$top=3&$skiptoken=9177f2e3532fcd4c4d225f68f7b9bdf7_3\"}\n";

static const char exports[] =
    /* 1: Azure Monitor: a sign-in that needs MFA it did not get */
    "{\"time\":\"2024-03-05T14:40:00.1234567Z\",\"resourceId\":\"/tenants/72f988bf-86f1-41af-91ab"
    "-2d7cd011db47/providers/Microsoft.aadiam\",\"operationName\":\"Sign-in activity\","
    "\"operationVersion\":\"1.0\",\"category\":\"SignInLogs\",\"tenantId\":\"72f988bf-86f1-41af-9"
    "1ab-2d7cd011db47\",\"resultType\":\"50074\",\"resultSignature\":\"None\","
    "\"resultDescription\":\"Strong Authentication is required.\",\"durationMs\":0,"
    "\"callerIpAddress\":\"203.0.113.9\",\"correlationId\":\"0b6c1a2e-0000-4c1e-9f5e-2f7e6b1d0a11"
    "\",\"identity\":\"Bob\",\"Level\":4,\"location\":\"GB\",\"properties\":{\"id\":\"5b9c1f40-7a"
    "3d-4f4b-9d1c-2e8a6a1f2b00\",\"createdDateTime\":\"2024-03-05T14:40:00.1234567+00:00\","
    "\"userDisplayName\":\"Bob\",\"userPrincipalName\":\"bob@contoso.com\","
    "\"appDisplayName\":\"Azure Portal\",\"ipAddress\":\"203.0.113.9\",\"status\":{\"errorCode\":"
    "50074,\"failureReason\":\"Strong Authentication is required.\"},\"clientAppUsed\":\"Browser"
    "\",\"userAgent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/122.0\","
    "\"deviceDetail\":{\"operatingSystem\":\"Windows 10\",\"browser\":\"Edge 122.0.0\"},"
    "\"location\":{\"city\":\"London\",\"state\":\"London\",\"countryOrRegion\":\"GB\","
    "\"geoCoordinates\":{\"latitude\":51.5072,\"longitude\":-0.1276}},\"authenticationRequirement"
    "\":\"multiFactorAuthentication\"}}\n"
    /* 2: Azure Monitor: provisioning, no access event (ignored) */
    "{\"time\":\"2024-03-05T14:45:00Z\",\"operationName\":\"Process escrow\","
    "\"category\":\"ProvisioningLogs\",\"tenantId\":\"72f988bf-86f1-41af-91ab-2d7cd011db47\","
    "\"properties\":{\"id\":\"p1\",\"activityDateTime\":\"2024-03-05T14:45:00Z\","
    "\"jobId\":\"AAD2ADSync.x\",\"provisioningAction\":\"create\"}}\n"
    /* 3: Azure Monitor: an administrator adds a member to a role */
    "{\"time\":\"2024-03-05T15:00:00.5Z\",\"resourceId\":\"/tenants/72f988bf-86f1-41af-91ab-2d7cd"
    "011db47/providers/Microsoft.aadiam\",\"operationName\":\"Add member to role\","
    "\"operationVersion\":\"1.0\",\"category\":\"AuditLogs\",\"tenantId\":\"72f988bf-86f1-41af-91"
    "ab-2d7cd011db47\",\"resultSignature\":\"None\",\"durationMs\":0,\"callerIpAddress\":\"<null>"
    "\",\"correlationId\":\"c0ffee00-1111-2222-3333-444455556666\",\"Level\":4,"
    "\"properties\":{\"id\":\"Directory_c0ffee00-1111-2222-3333-444455556666_ABCDE_1\","
    "\"category\":\"RoleManagement\",\"correlationId\":\"c0ffee00-1111-2222-3333-444455556666\","
    "\"result\":\"success\",\"resultReason\":\"\",\"activityDisplayName\":\"Add member to role\","
    "\"activityDateTime\":\"2024-03-05T15:00:00.5Z\",\"loggedByService\":\"Core Directory\","
    "\"operationType\":\"Assign\",\"initiatedBy\":{\"user\":{\"id\":\"a1\","
    "\"displayName\":null,\"userPrincipalName\":\"admin@contoso.com\",\"ipAddress\":\"198.51.100."
    "99\"}},\"targetResources\":[{\"id\":\"d7\",\"displayName\":null,\"type\":\"User\","
    "\"userPrincipalName\":\"bob@contoso.com\",\"modifiedProperties\":[{\"displayName\":\"Role.Di"
    "splayName\",\"oldValue\":null,\"newValue\":\"\\\"Global Administrator\\\"\"}]}],"
    "\"additionalDetails\":[]}}\n"
    /* 4: Graph: consent refused, initiated by an application */
    "{\"id\":\"Directory_9f1b6c2d-0000-4e3f-8a7b-6c5d4e3f2a1b_K2J3_9\",\"category\":\"Application"
    "Management\",\"correlationId\":\"9f1b6c2d-0000-4e3f-8a7b-6c5d4e3f2a1b\","
    "\"result\":\"failure\",\"resultReason\":\"Microsoft.Online.Workflows.ValidationException\","
    "\"activityDisplayName\":\"Consent to application\",\"activityDateTime\":\"2024-03-05T15:05:0"
    "0Z\",\"loggedByService\":\"Core Directory\",\"operationType\":\"Assign\","
    "\"initiatedBy\":{\"app\":{\"appId\":null,\"displayName\":\"Graph Explorer\","
    "\"servicePrincipalId\":\"e2a5\",\"servicePrincipalName\":null},\"user\":null},"
    "\"targetResources\":[{\"id\":\"0f2b\",\"displayName\":\"Contoso Mail Reader\","
    "\"type\":\"ServicePrincipal\",\"modifiedProperties\":[]}],\"additionalDetails\":[{\"key\":\""
    "User-Agent\",\"value\":\"EvoSTS\"}]}\n"
    /* 5: Log Analytics: a sign-in row, dynamic columns as JSON text */
    "{\"TenantId\":\"72f988bf-86f1-41af-91ab-2d7cd011db47\",\"SourceSystem\":\"Azure AD\","
    "\"TimeGenerated\":\"2024-03-05T15:10:00.000Z\",\"ResourceId\":\"/tenants/72f988bf-86f1-41af-"
    "91ab-2d7cd011db47/providers/Microsoft.aadiam\",\"OperationName\":\"Sign-in activity\","
    "\"OperationVersion\":\"1.0\",\"Category\":\"SignInLogs\",\"ResultType\":\"0\","
    "\"ResultSignature\":\"None\",\"ResultDescription\":\"\",\"DurationMs\":\"0\","
    "\"CorrelationId\":\"1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f\",\"Identity\":\"Carol\","
    "\"Level\":\"4\",\"Location\":\"JP\",\"AppDisplayName\":\"Microsoft Teams\","
    "\"AppId\":\"1fec8e78-bce4-4aaf-ab1b-5451cc387264\",\"AuthenticationRequirement\":\"singleFac"
    "torAuthentication\",\"ClientAppUsed\":\"Mobile Apps and Desktop clients\","
    "\"CreatedDateTime\":\"2024-03-05T15:09:58.917Z\",\"DeviceDetail\":\"{\\\"deviceId\\\":\\\"\\"
    "\",\\\"operatingSystem\\\":\\\"Ios 17\\\",\\\"browser\\\":\\\"MSAL.iOS 1.2\\\"}\","
    "\"IPAddress\":\"192.0.2.200\",\"IsInteractive\":\"false\",\"LocationDetails\":\"{\\\"city\\"
    "\":\\\"Tokyo\\\",\\\"state\\\":\\\"Tokyo\\\",\\\"countryOrRegion\\\":\\\"JP\\\","
    "\\\"geoCoordinates\\\":{\\\"latitude\\\":35.6895,\\\"longitude\\\":139.6917}}\","
    "\"Status\":\"{\\\"errorCode\\\":0}\",\"UserDisplayName\":\"Carol\","
    "\"UserPrincipalName\":\"carol@contoso.com\",\"UserAgent\":\"\",\"Type\":\"SigninLogs\","
    "\"Id\":\"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d\"}\n";
static const char bad_records[] =
    /* 1: a sign-in naming nobody */
    "{\"createdDateTime\":\"2024-03-05T14:21:09Z\",\"appDisplayName\":\"X\"}\n"
    /* 2: an error code that is not a number */
    "{\"createdDateTime\":\"2024-03-05T14:21:09Z\",\"userPrincipalName\":\"a@contoso.com\","
    "\"status\":{\"errorCode\":\"abc\"}}\n"
    /* 3: an address that is none */
    "{\"createdDateTime\":\"2024-03-05T14:21:09Z\",\"userPrincipalName\":\"a@contoso.com\","
    "\"ipAddress\":\"1.2.3\"}\n"
    /* 4: a latitude out of range */
    "{\"createdDateTime\":\"2024-03-05T14:21:09Z\",\"userPrincipalName\":\"a@contoso.com\","
    "\"location\":{\"city\":\"X\",\"countryOrRegion\":\"US\",\"geoCoordinates\":{\"latitude\":100"
    ",\"longitude\":1}}}\n"
    /* 5: an audit event without initiatedBy */
    "{\"activityDisplayName\":\"Add user\",\"activityDateTime\":\"2024-03-05T14:21:09Z\"}\n"
    /* 6: an audit event initiated by nobody named */
    "{\"activityDisplayName\":\"Add user\",\"activityDateTime\":\"2024-03-05T14:21:09Z\","
    "\"initiatedBy\":{\"user\":null,\"app\":null}}\n"
    /* 7: Log Analytics: JSON text cut short */
    "{\"TimeGenerated\":\"2024-03-05T14:21:09Z\",\"ActivityDisplayName\":\"Add user\","
    "\"InitiatedBy\":\"{\\\"user\\\":\"}\n"
    /* 8: a time that is true */
    "{\"createdDateTime\":true,\"userPrincipalName\":\"a@contoso.com\"}\n"
    /* 9: Azure Monitor: the bad field named under properties */
    "{\"time\":\"2024-03-05T14:21:09Z\",\"category\":\"SignInLogs\",\"properties\":{\"createdDate"
    "Time\":\"2024-03-05T14:21:09Z\",\"userPrincipalName\":\"a@contoso.com\","
    "\"ipAddress\":\"nope\"}}\n"
    /* 10: Azure Monitor: risky users, no access event (ignored) */
    "{\"time\":\"2024-03-05T14:21:09Z\",\"category\":\"RiskyUsers\",\"properties\":{\"id\":\"r1\""
    "}}\n"
    /* 11: fine: Log Analytics audit row */
    "{\"TimeGenerated\":\"2024-03-05T14:21:10Z\",\"ActivityDisplayName\":\"Reset user password\","
    "\"Result\":\"success\",\"InitiatedBy\":\"{\\\"user\\\":{\\\"userPrincipalName\\\":\\\"helpde"
    "sk@contoso.com\\\",\\\"ipAddress\\\":\\\"10.1.2.3\\\"}}\",\"TargetResources\":\"[{\\\"displa"
    "yName\\\":null,\\\"userPrincipalName\\\":\\\"erin@contoso.com\\\",\\\"type\\\":\\\"User\\\"}"
    "]\",\"Type\":\"AuditLogs\"}\n";

static const char graph_page_answer[] =
    "alice@contoso.com|2024-03-05T14:21:09.000000Z|198.51.100.23|Office 365 Exchange Online|"
    "sign_in|1 mfa=1 loc='Redmond, US' cc=US at=47.6740,-122.1215 ua='Browser; Edge 122.0.0; "
    "Windows 10' id=66ea54eb-6301-4ee5-be62-ff5a759b0100 name='Alice Example'\n"
    "alice@contoso.com|2024-03-05T14:25:41.000000Z|95.165.12.44|Office 365 Exchange Online|"
    "sign_in|0 mfa=0 loc='Moscow, RU' cc=RU at=55.7522,37.6156 ua='IMAP4' "
    "id=66ea54eb-6301-4ee5-be62-ff5a759b0101 name='Alice Example'\n"
    "dan@contoso.com|2024-03-05T14:30:00.000000Z|2001:db8:aa::7|Azure Portal|sign_in|1 "
    "ua='Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0' id=66ea54eb-6301-4ee5-be62-ff5a759b0102 "
    "name='Dan'\n"
    "eof 0 ignored\n";

static void graph_sign_ins_give_their_exact_events(void **state)
{
    (void)state;
    char *got = jt_without_lines(jt(graph_page, SN_FORMAT_AUTO, SN_FORMAT_ENTRA));
    assert_string_equal(got, graph_page_answer);
    free(got);
    /* pretty-printed, as Graph Explorer shows it: the first sign-in opens on line 4 */
    json_error_t je;
    json_t *page = json_loads(graph_page, 0, &je);
    assert_non_null(page);
    char *pretty = json_dumps(page, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(page);
    const char *t = jt(pretty, SN_FORMAT_AUTO, SN_FORMAT_ENTRA);
    assert_non_null(strstr(t, "ok 4 alice@contoso.com|"));
    got = jt_without_lines(t);
    assert_string_equal(got, graph_page_answer);
    free(got);
    jt_same_in_pieces(pretty, SN_FORMAT_AUTO, SN_FORMAT_ENTRA);
    jt_same_in_pieces(graph_page, SN_FORMAT_ENTRA, SN_FORMAT_ENTRA);
    free(pretty);
}

static void exports_give_their_exact_events(void **state)
{
    (void)state;
    static const char answer[] =
        "ok 1 bob@contoso.com|2024-03-05T14:40:00.123456Z|203.0.113.9|Azure Portal|sign_in|0 "
        "mfa=1 loc='London, GB' cc=GB at=51.5072,-0.1276 ua='Mozilla/5.0 (Windows NT 10.0; Win64; "
        "x64) Edg/122.0' id=5b9c1f40-7a3d-4f4b-9d1c-2e8a6a1f2b00 name='Bob'\n"
        "ok 3 admin@contoso.com|2024-03-05T15:00:00.500000Z|198.51.100.99|bob@contoso.com|"
        "add_member_to_role|1 id=Directory_c0ffee00-1111-2222-3333-444455556666_ABCDE_1\n"
        "ok 4 Graph Explorer|2024-03-05T15:05:00.000000Z|-|Contoso Mail Reader|"
        "consent_to_application|0 ua='EvoSTS' id=Directory_9f1b6c2d-0000-4e3f-8a7b-6c5d4e3f2a1b_"
        "K2J3_9\n"
        "ok 5 carol@contoso.com|2024-03-05T15:09:58.917000Z|192.0.2.200|Microsoft Teams|sign_in|1 "
        "mfa=0 loc='Tokyo, JP' cc=JP at=35.6895,139.6917 ua='Mobile Apps and Desktop clients; "
        "MSAL.iOS 1.2; Ios 17' id=7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d name='Carol'\n"
        "eof 1 ignored\n";
    assert_string_equal(jt(exports, SN_FORMAT_AUTO, SN_FORMAT_ENTRA), answer);
    jt_same_in_pieces(exports, SN_FORMAT_AUTO, SN_FORMAT_ENTRA);
    /* the same records as an Event Hub batch: {"records": [...]} */
    size_t n = strlen(exports);
    char *batch = malloc(n + 64);
    assert_non_null(batch);
    size_t o = (size_t)sprintf(batch, "{\"records\": [\n");
    for (size_t i = 0; i < n; i++) {
        batch[o++] = exports[i];
        if (exports[i] == '\n' && i + 1 < n) {
            o--;
            o += (size_t)sprintf(batch + o, ",\n");
        }
    }
    o += (size_t)sprintf(batch + o, "]}\n");
    char *want = jt_without_lines(answer),
         *got = jt_without_lines(jt(batch, SN_FORMAT_AUTO, SN_FORMAT_ENTRA));
    assert_string_equal(got, want);
    free(want);
    free(got);
    free(batch);
}

static void bad_records_are_reported_and_skipped(void **state)
{
    (void)state;
    static const char answer[] =
        "t.json:1: userPrincipalName: required field is missing or empty\n"
        "t.json:2: status.errorCode: 'abc' is not an integer\n"
        "t.json:3: ipAddress: '1.2.3' is not an IPv4 or IPv6 address\n"
        "t.json:4: location.geoCoordinates.latitude: 100 is out of range (-90 to 90 degrees)\n"
        "t.json:5: initiatedBy: required field is missing\n"
        "t.json:6: initiatedBy: neither user.userPrincipalName nor app.displayName names who "
        "acted\n"
        "t.json:7: initiatedBy: the JSON text in this string is not valid: unexpected token "
        "near end of file\n"
        "t.json:8: createdDateTime: expected a string or a number, got true\n"
        "t.json:9: properties.ipAddress: 'nope' is not an IPv4 or IPv6 address\n"
        "ok 11 helpdesk@contoso.com|2024-03-05T14:21:10.000000Z|10.1.2.3|erin@contoso.com|"
        "reset_user_password|1\n"
        "eof 1 ignored\n";
    assert_string_equal(jt(bad_records, SN_FORMAT_AUTO, SN_FORMAT_ENTRA), answer);
    jt_same_in_pieces(bad_records, SN_FORMAT_AUTO, SN_FORMAT_ENTRA);
}

/* Activity names as action words. */
static void activities_become_action_words(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"Add delegated permission grant", "add_delegated_permission_grant"},
        {"Update application \xE2\x80\x93 Certificates and secrets management ",
         "update_application_certificates_and_secrets_management"},
        {"  Reset password (self-service)", "reset_password_self_service"},
        /* only ASCII letters change case, as for every action */
        {"\xc3\x84ndere Benutzer", "\xc3\x84ndere_benutzer"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rec[512], want[512];
        snprintf(rec, sizeof(rec),
                 "{\"activityDisplayName\":\"%s\",\"activityDateTime\":\"2024-03-05T14:21:09Z\","
                 "\"initiatedBy\":{\"user\":{\"userPrincipalName\":\"a@b\"}}}\n",
                 cases[i][0]);
        snprintf(want, sizeof(want),
                 "ok 1 a@b|2024-03-05T14:21:09.000000Z|-||%s|-1\neof 0 ignored\n", cases[i][1]);
        assert_string_equal(jt(rec, SN_FORMAT_AUTO, SN_FORMAT_ENTRA), want);
    }
}

/* OTRF's Golden SAML simulation: Log Analytics rows of AuditLogs, read whole. */
static void real_golden_saml_audit_log(void **state)
{
    (void)state;
    const char *path = tu_data_path("otrf/AADAuditEvents.json");
    if (!path) {
        skip();
        return;
    }
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char data[1 << 16];
    size_t n = fread(data, 1, sizeof(data) - 1, f);
    fclose(f);
    assert_true(n < sizeof(data) - 1);
    data[n] = '\0';
#define PS "ua='Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.17763.1971'"
    assert_string_equal(
        jt(data, SN_FORMAT_AUTO, SN_FORMAT_ENTRA),
        "ok 1 pgustavo@simulandlabs.com|2021-08-02T13:29:25.983000Z|-|SimuLandApp|"
        "update_application_certificates_and_secrets_management|1 " PS
        " id=Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832\n"
        "ok 2 pgustavo@simulandlabs.com|2021-08-02T13:29:25.983000Z|-|SimuLandApp|"
        "update_application_certificates_and_secrets_management|1 " PS
        " id=Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832\n"
        "ok 3 pgustavo@simulandlabs.com|2021-08-02T13:25:12.246000Z|-|SimuLandApp|"
        "update_application|1 " PS
        " id=Directory_ae69aa7a-e9b7-4066-84f2-58582994d8cb_7H1JL_8584070\n"
        "ok 4 pgustavo@simulandlabs.com|2021-08-02T13:27:20.017000Z|-|Microsoft Graph|"
        "add_delegated_permission_grant|1 " PS
        " id=Directory_630d7f0c-acc4-4596-85ab-7e5d839b4291_9VRQI_37762000\n"
        "eof 0 ignored\n");
#undef PS
    /* and through the file reader */
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_ENTRA);
    sn_event ev;
    while (sn_reader_next(r, &ev, &err) == SN_OK) {
    }
    assert_int_equal(sn_reader_get_stats(r)->records, 4);
    assert_int_equal(sn_reader_get_stats(r)->skipped, 0);
    assert_int_equal(sn_reader_get_stats(r)->ignored, 0);
    sn_reader_close(r);
}

static void recognised_and_named(void **state)
{
    (void)state;
    sn_format f;
    assert_int_equal(sn_format_from_name("entra", &f), 0);
    assert_int_equal(f, SN_FORMAT_ENTRA);
    assert_int_equal(sn_format_from_name("azuread", &f), 0);
    assert_int_equal(f, SN_FORMAT_ENTRA);
    assert_string_equal(sn_format_name(SN_FORMAT_ENTRA), "entra");
    /* an empty page */
    assert_string_equal(
        jt("{\"@odata.context\":\"x\",\"value\":[]}", SN_FORMAT_AUTO, SN_FORMAT_ENTRA),
        "eof 0 ignored\n");
    /* a Log Analytics row told by its table alone */
    assert_string_equal(jt("{\"Type\":\"SigninLogs\",\"TimeGenerated\":\"2024-03-05T14:21:09Z\","
                           "\"UserPrincipalName\":\"a@b\",\"ResultType\":\"50053\"}\n",
                           SN_FORMAT_AUTO, SN_FORMAT_ENTRA),
                        "ok 1 a@b|2024-03-05T14:21:09.000000Z|-||sign_in|0\neof 0 ignored\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(graph_sign_ins_give_their_exact_events),
        cmocka_unit_test(exports_give_their_exact_events),
        cmocka_unit_test(bad_records_are_reported_and_skipped),
        cmocka_unit_test(activities_become_action_words),
        cmocka_unit_test(real_golden_saml_audit_log),
        cmocka_unit_test(recognised_and_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
