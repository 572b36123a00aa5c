/* The AWS CloudTrail reader: exact events for each kind of caller (IAM user, root, assumed role,
 * AWS service, another account, anonymous), console sign-ins that fail, MFA, resources and
 * addresses; the same events from CloudTrail's own files (one line or pretty-printed, read in
 * pieces of any size) and from one record a line; bad records reported and skipped; a large
 * file streamed; and the format recognised. Samples written from the AWS CloudTrail User
 * Guide's record contents and userIdentity element. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_transcript.h"
#include "testutil.h"

#include <jansson.h>
#include <unistd.h>

static const char records[] =
    /* 1: an IAM user signs in to the console with MFA */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDACKCE"
    "VSQ6C2EXAMPLE\",\"arn\":\"arn:aws:iam::123456789012:user/alice\",\"accountId\":\"12345678901"
    "2\",\"userName\":\"alice\"},\"eventTime\":\"2024-03-05T14:21:09Z\","
    "\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\","
    "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.23\",\"userAgent\":\"Mozilla/5."
    "0 (Windows NT 10.0; Win64; x64)\",\"requestParameters\":null,\"responseElements\":{\"Console"
    "Login\":\"Success\"},\"additionalEventData\":{\"LoginTo\":\"https://console.aws.amazon.com/c"
    "onsole/home\",\"MobileVersion\":\"No\",\"MFAUsed\":\"Yes\"},\"eventID\":\"ev-01\","
    "\"readOnly\":false,\"eventType\":\"AwsConsoleSignIn\",\"managementEvent\":true,"
    "\"recipientAccountId\":\"123456789012\",\"eventCategory\":\"Management\"}\n"
    /* 2: a console sign-in that fails: the outcome is in responseElements, not errorCode */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDACKCE"
    "VSQ6C2BOBEXA\",\"accountId\":\"123456789012\",\"accessKeyId\":\"\","
    "\"userName\":\"bob\"},\"eventTime\":\"2024-03-05T14:22:40Z\",\"eventSource\":\"signin.amazon"
    "aws.com\",\"eventName\":\"ConsoleLogin\",\"awsRegion\":\"us-east-1\","
    "\"sourceIPAddress\":\"203.0.113.50\",\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)\","
    "\"errorMessage\":\"Failed authentication\",\"requestParameters\":null,"
    "\"responseElements\":{\"ConsoleLogin\":\"Failure\"},\"additionalEventData\":{\"LoginTo\":\"h"
    "ttps://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\","
    "\"MFAUsed\":\"No\"},\"eventID\":\"ev-02\",\"eventType\":\"AwsConsoleSignIn\","
    "\"recipientAccountId\":\"123456789012\"}\n"
    /* 3: the root user, qualified by its account */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"12345678901"
    "2\",\"arn\":\"arn:aws:iam::123456789012:root\",\"accountId\":\"123456789012\","
    "\"accessKeyId\":\"\"},\"eventTime\":\"2024-03-05T14:30:00Z\",\"eventSource\":\"signin.amazon"
    "aws.com\",\"eventName\":\"ConsoleLogin\",\"awsRegion\":\"us-east-1\","
    "\"sourceIPAddress\":\"192.0.2.10\",\"userAgent\":\"Mozilla/5.0\",\"requestParameters\":null,"
    "\"responseElements\":{\"ConsoleLogin\":\"Success\"},\"additionalEventData\":{\"MFAUsed\":\"N"
    "o\"},\"eventID\":\"ev-03\",\"eventType\":\"AwsConsoleSignIn\"}\n"
    /* 4: root named by its ARN alone */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\",\"arn\":\"arn:aws:iam::210987"
    "654321:root\"},\"eventTime\":\"2024-03-05T14:31:00Z\",\"eventSource\":\"sts.amazonaws.com\","
    "\"eventName\":\"GetCallerIdentity\",\"sourceIPAddress\":\"192.0.2.10\","
    "\"eventType\":\"AwsApiCall\"}\n"
    /* 5: an assumed role: the role and the session name; MFA from the session */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\","
    "\"principalId\":\"AROAEXAMPLEROLEID:alice@example.com\",\"arn\":\"arn:aws:sts::123456789012:"
    "assumed-role/Admin/alice@example.com\",\"accountId\":\"123456789012\","
    "\"accessKeyId\":\"ASIAEXAMPLEKEY\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
    "\"principalId\":\"AROAEXAMPLEROLEID\",\"arn\":\"arn:aws:iam::123456789012:role/Admin\","
    "\"accountId\":\"123456789012\",\"userName\":\"Admin\"},\"webIdFederationData\":{},"
    "\"attributes\":{\"creationDate\":\"2024-03-05T14:00:00Z\",\"mfaAuthenticated\":\"true\"}}},"
    "\"eventTime\":\"2024-03-05T14:35:12Z\",\"eventSource\":\"iam.amazonaws.com\","
    "\"eventName\":\"CreateAccessKey\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"2001:db8"
    "::1f\",\"userAgent\":\"aws-cli/2.15.0 Python/3.11.6\",\"requestParameters\":{\"userName\":\""
    "svc-backup\"},\"responseElements\":{\"accessKey\":{\"userName\":\"svc-backup\","
    "\"accessKeyId\":\"AKIAEXAMPLE\",\"status\":\"Active\"}},\"eventID\":\"ev-05\","
    "\"eventType\":\"AwsApiCall\"}\n"
    /* 6: an assumed role without its issuer: the session ARN; the bucket, not the object */
    "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\","
    "\"principalId\":\"AROAEXAMPLEAPPROLE:i-0abc123\",\"arn\":\"arn:aws:sts::123456789012:assumed"
    "-role/ec2-app/i-0abc123\"},\"eventTime\":\"2024-03-05T14:40:00Z\",\"eventSource\":\"s3.amazo"
    "naws.com\",\"eventName\":\"GetObject\",\"sourceIPAddress\":\"10.0.1.25\","
    "\"userAgent\":\"[aws-sdk-java/1.12.400]\",\"requestParameters\":{\"bucketName\":\"app-data\""
    ",\"key\":\"reports/q1.csv\",\"Host\":\"app-data.s3.amazonaws.com\"},"
    "\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::app-data/reports/q1.csv"
    "\"},{\"accountId\":\"123456789012\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::app-"
    "data\"}],\"eventType\":\"AwsApiCall\",\"managementEvent\":false,\"eventCategory\":\"Data\"}"
    "\n"
    /* 7: an AWS service acting: who invoked it; its service name is no address */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AWSService\","
    "\"invokedBy\":\"cloudtrail.amazonaws.com\"},\"eventTime\":\"2024-03-05T14:41:00Z\","
    "\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"GenerateDataKey\","
    "\"sourceIPAddress\":\"cloudtrail.amazonaws.com\",\"userAgent\":\"cloudtrail.amazonaws.com\","
    "\"requestParameters\":{\"keySpec\":\"AES_256\"},\"resources\":[{\"accountId\":\"123456789012"
    "\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab"
    "-34cd-56ef-1234567890ab\"}],\"eventType\":\"AwsApiCall\"}\n"
    /* 8: another account */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AWSAccount\","
    "\"principalId\":\"AIDAEXAMPLEOTHER\",\"accountId\":\"444455556666\"},"
    "\"eventTime\":\"2024-03-05T14:42:00Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"PutObject\",\"sourceIPAddress\":\"198.51.100.77\",\"requestParameters\":{\"b"
    "ucketName\":\"shared-drop\",\"key\":\"in/a.txt\"},\"eventType\":\"AwsApiCall\"}\n"
    /* 9: an anonymous probe of a public bucket, refused */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AWSAccount\","
    "\"principalId\":\"\",\"accountId\":\"ANONYMOUS_PRINCIPAL\"},\"eventTime\":\"2024-03-05T14:43"
    ":00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListObjects\","
    "\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"177.131.167.145\","
    "\"userAgent\":\"Go-http-client/1.1\",\"errorCode\":\"AccessDenied\","
    "\"errorMessage\":\"Access Denied\",\"requestParameters\":{\"bucketName\":\"honey-bucket\","
    "\"Host\":\"honey-bucket.s3-eu-west-1.amazonaws.com\"},\"responseElements\":null,"
    "\"eventID\":\"ev-09\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"123456789012\"}"
    "\n"
    /* 10: no identity at all, refused: anonymous */
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-03-05T14:44:00Z\",\"eventSource\":\"s3.amazo"
    "naws.com\",\"eventName\":\"GetObject\",\"sourceIPAddress\":\"185.220.101.4\","
    "\"errorCode\":\"AccessDenied\",\"requestParameters\":{\"bucketName\":\"honey-bucket\","
    "\"key\":\"secrets.txt\"},\"eventType\":\"AwsApiCall\"}\n"
    /* 11: an Insights event: about call rates, not a caller (ignored) */
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-03-05T14:45:00Z\",\"awsRegion\":\"us-east-1"
    "\",\"eventID\":\"ev-11\",\"eventType\":\"AwsCloudTrailInsight\",\"recipientAccountId\":\"123"
    "456789012\",\"sharedEventID\":\"ins-1\",\"insightDetails\":{\"state\":\"Start\","
    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"RunInstances\","
    "\"insightType\":\"ApiCallRateInsight\"},\"eventCategory\":\"Insight\"}\n"
    /* 12: an identity of type Anonymous; AWS Internal is no address */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Anonymous\","
    "\"principalId\":\"ANONYMOUS_PRINCIPAL\"},\"eventTime\":\"2024-03-05T14:46:00Z\","
    "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"sourceIPAddress\":\"AWS I"
    "nternal\",\"requestParameters\":{\"bucketName\":\"public-site\"}}\n"
    /* 13: a federated user: the ARN; a failed call */
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"FederatedUser\","
    "\"principalId\":\"123456789012:carol\",\"arn\":\"arn:aws:sts::123456789012:federated-user/ca"
    "rol\",\"accountId\":\"123456789012\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"IAMUs"
    "er\",\"userName\":\"fed-broker\"},\"attributes\":{\"mfaAuthenticated\":\"false\"}}},"
    "\"eventTime\":\"2024-03-05T14:47:00Z\",\"eventSource\":\"ec2.amazonaws.com\","
    "\"eventName\":\"DescribeInstances\",\"sourceIPAddress\":\"198.51.100.9\","
    "\"errorCode\":\"Client.UnauthorizedOperation\",\"errorMessage\":\"You are not authorized to "
    "perform this operation.\"}\n"
    /* 14: @timestamp in place of eventTime (as search exports write it); the role assumed */
    "{\"@timestamp\":\"2024-03-05T15:00:00.123Z\",\"eventVersion\":\"1.08\","
    "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"dave\",\"accountId\":\"123456789012\"}"
    ",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\","
    "\"sourceIPAddress\":\"::ffff:198.51.100.24\",\"resources\":[{\"ARN\":\"arn:aws:iam::12345678"
    "9012:role/Admin\",\"accountId\":\"123456789012\",\"type\":\"AWS::IAM::Role\"}],"
    "\"eventType\":\"AwsApiCall\"}\n";

static const char bad_lines[] =
    /* 1: no time */
    "{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
    "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"}}\n"
    /* 2: an identity that is a string */
    "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\",\"userIdentity\":\"alice\"}\n"
    /* 3: an address that is none */
    "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\","
    "\"userName\":\"a\"},\"sourceIPAddress\":\"10.0.0.300\"}\n"
    /* 4: no identity, not refused */
    "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\"}\n"
    /* 5: a day February does not have */
    "{\"eventTime\":\"2024-02-30T00:00:00Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\","
    "\"userName\":\"a\"}}\n"
    /* 6: an event name that is a number */
    "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":42,\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"}}\n"
    /* 7: MFAUsed neither Yes nor No */
    "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\","
    "\"userName\":\"a\"},\"additionalEventData\":{\"MFAUsed\":\"Maybe\"}}\n"
    /* 8: a line cut short */
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amaz"
    "\n"
    /* 9: fine */
    "{\"eventTime\":\"2024-03-05T14:21:10Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\","
    "\"userName\":\"carol\"},\"sourceIPAddress\":\"198.51.100.5\"}\n"
    /* 10: no JSON */
    "not json at all\n"
    /* 11: a trailing comma */
    "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventName\":\"GetObject\","
    "}\n"
    /* 12: an identity that names nobody */
    "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\"}}\n"
    /* 13: a number where the record goes */
    "42\n"
    /* 14: fine, without a newline at the end */
    "{\"eventTime\":\"2024-03-05T14:21:11Z\",\"eventSource\":\"s3.amazonaws.com\","
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\","
    "\"userName\":\"dave\"}}";

static const char records_answer[] =
    "ok 1 alice|2024-03-05T14:21:09.000000Z|198.51.100.23|signin.amazonaws.com|consolelogin|1 "
    "mfa=1 ua='Mozilla/5.0 (Windows NT 10.0; Win64; x64)' id=ev-01\n"
    "ok 2 bob|2024-03-05T14:22:40.000000Z|203.0.113.50|signin.amazonaws.com|consolelogin|0 "
    "mfa=0 ua='Mozilla/5.0 (X11; Linux x86_64)' id=ev-02\n"
    "ok 3 root@123456789012|2024-03-05T14:30:00.000000Z|192.0.2.10|signin.amazonaws.com|"
    "consolelogin|1 mfa=0 ua='Mozilla/5.0' id=ev-03\n"
    "ok 4 root@210987654321|2024-03-05T14:31:00.000000Z|192.0.2.10|sts.amazonaws.com|"
    "getcalleridentity|1\n"
    "ok 5 Admin/alice@example.com|2024-03-05T14:35:12.000000Z|2001:db8::1f|iam.amazonaws.com|"
    "createaccesskey|1 mfa=1 ua='aws-cli/2.15.0 Python/3.11.6' id=ev-05\n"
    "ok 6 arn:aws:sts::123456789012:assumed-role/ec2-app/i-0abc123|2024-03-05T14:40:00.000000Z|"
    "10.0.1.25|s3.amazonaws.com/app-data|getobject|1 ua='[aws-sdk-java/1.12.400]'\n"
    "ok 7 cloudtrail.amazonaws.com|2024-03-05T14:41:00.000000Z|-|kms.amazonaws.com/"
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab|"
    "generatedatakey|1 ua='cloudtrail.amazonaws.com'\n"
    "ok 8 444455556666|2024-03-05T14:42:00.000000Z|198.51.100.77|s3.amazonaws.com/shared-drop|"
    "putobject|1\n"
    "ok 9 anonymous|2024-03-05T14:43:00.000000Z|177.131.167.145|s3.amazonaws.com/honey-bucket|"
    "listobjects|0 ua='Go-http-client/1.1' id=ev-09\n"
    "ok 10 anonymous|2024-03-05T14:44:00.000000Z|185.220.101.4|s3.amazonaws.com/honey-bucket|"
    "getobject|0\n"
    "ok 12 anonymous|2024-03-05T14:46:00.000000Z|-|s3.amazonaws.com/public-site|getobject|1\n"
    "ok 13 arn:aws:sts::123456789012:federated-user/carol|2024-03-05T14:47:00.000000Z|"
    "198.51.100.9|ec2.amazonaws.com|describeinstances|0 mfa=0\n"
    "ok 14 dave|2024-03-05T15:00:00.123000Z|198.51.100.24|sts.amazonaws.com/"
    "arn:aws:iam::123456789012:role/Admin|assumerole|1\n"
    "eof 1 ignored\n";

static void each_caller_and_outcome_gives_its_exact_event(void **state)
{
    (void)state;
    assert_string_equal(jt(records, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL), records_answer);
    assert_string_equal(jt(records, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL), records_answer);
}

/* The records of the JSON-lines sample in one {"Records": [...]} file, as CloudTrail delivers
 * them (flags: JSON_COMPACT for its one line, JSON_INDENT(n) pretty-printed). Caller frees. */
static char *as_cloudtrail_file(const char *lines, size_t flags)
{
    json_t *all = json_array();
    for (const char *p = lines; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        json_error_t je;
        json_t *rec = json_loadb(p, n, 0, &je);
        assert_non_null(rec);
        json_array_append_new(all, rec);
        p += n + (e ? 1 : 0);
    }
    json_t *file = json_pack("{s:o}", "Records", all);
    char *s = json_dumps(file, flags | JSON_PRESERVE_ORDER);
    json_decref(file);
    assert_non_null(s);
    return s;
}

static void cloudtrail_files_give_the_same_events(void **state)
{
    (void)state;
    char *want = jt_without_lines(records_answer);
    char *one_line = as_cloudtrail_file(records, JSON_COMPACT);
    char *pretty = as_cloudtrail_file(records, JSON_INDENT(2));
    const char *t = jt(one_line, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL);
    assert_non_null(strstr(t, "ok 1 alice|"));
    assert_non_null(strstr(t, "ok 1 dave|"));
    char *got = jt_without_lines(t);
    assert_string_equal(got, want);
    free(got);
    /* pretty-printed, each record where its '{' is: "{", "  \"Records\": [", "    {" */
    t = jt(pretty, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL);
    assert_non_null(strstr(t, "ok 3 alice|"));
    got = jt_without_lines(t);
    assert_string_equal(got, want);
    free(got);
    /* however the input is cut by reads */
    jt_same_in_pieces(pretty, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL);
    jt_same_in_pieces(one_line, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL);
    jt_same_in_pieces(records, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL);
    free(one_line);
    free(pretty);
    free(want);
}

static void bad_lines_are_reported_and_skipped(void **state)
{
    (void)state;
    assert_string_equal(
        jt(bad_lines, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL),
        "t.json:1: eventTime: required field is missing (eventTime or @timestamp)\n"
        "t.json:2: userIdentity: expected an object, got a string\n"
        "t.json:3: sourceIPAddress: '10.0.0.300' is not an IPv4 or IPv6 address\n"
        "t.json:4: userIdentity: required field is missing\n"
        "t.json:5: eventTime: '2024-02-30T00:00:00Z' is not a valid timestamp: day 30 out of "
        "range for 2024-02\n"
        "t.json:6: eventName: expected a string, got an integer\n"
        "t.json:7: additionalEventData.MFAUsed: 'Maybe' is not a boolean (true/false, 1/0, "
        "yes/no, success/failure)\n"
        "t.json:8: not valid JSON (RFC 8259): the record is not closed before line 9, which "
        "starts another\n"
        "ok 9 carol|2024-03-05T14:21:10.000000Z|198.51.100.5|s3.amazonaws.com|getobject|1\n"
        "t.json:10: not valid JSON (RFC 8259): expected a JSON object or an array of them, got "
        "'not json at all'\n"
        "t.json:11: not valid JSON (RFC 8259): string or '}' expected near '}' at column 61\n"
        "t.json:12: userIdentity: no userName, arn, principalId, accountId or invokedBy names "
        "the caller\n"
        "t.json:13: not valid JSON (RFC 8259): expected a JSON object or an array of them, got "
        "'42'\n"
        "ok 14 dave|2024-03-05T14:21:11.000000Z|-|s3.amazonaws.com|getobject|1\n"
        "eof 0 ignored\n");
    jt_same_in_pieces(bad_lines, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL);
    /* invalid UTF-8 and a NUL byte in a record */
    static const char bytes[] =
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventName\":\"A\xff\"}\n"
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventName\":\"A\\u0000\"}\n";
    assert_string_equal(jt(bytes, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL),
                        "t.json:1: invalid UTF-8 (byte 0xff at offset 50)\n"
                        "t.json:2: not valid JSON (RFC 8259): \\u0000 is not allowed without "
                        "JSON_ALLOW_NUL near '\"A\\u0000\"' at column 57\n"
                        "eof 0 ignored\n");
}

/* The records jansson refuses are refused, in its words, wherever the offence sits: a member
 * named twice in a nested object, small or with more than sixteen members; U+0000 in a member
 * name; integers past the 64-bit range. What it accepts is read: escaped member names, -0 and
 * exponents. */
static void what_jansson_refuses_is_refused(void **state)
{
    (void)state;
    static const char lines[] =
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\",\"eventName\":\"E\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\",\"userName\":\"b\"}}\n"
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\",\"eventName\":\"E\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"},\"requestParameters\":{"
        "\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,"
        "\"k10\":0,\"k11\":1,\"k12\":2,\"k13\":3,\"k14\":4,\"k15\":5,\"k16\":6,\"k17\":7,"
        "\"k3\":[]}}\n"
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\",\"eventName\":\"E\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"},\"x\":[{\"a\\u0000\":1}]}\n"
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\",\"eventName\":\"E\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"},\"x\":9223372036854775808}\n"
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\",\"eventName\":\"E\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"},\"x\":-9223372036854775809}\n"
        "{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\",\"event\\u004eame\":\"E\","
        "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"},\"x\":[-0,1E2,"
        "-9223372036854775808]}\n";
    assert_string_equal(
        jt(lines, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL),
        "t.json:1: not valid JSON (RFC 8259): duplicate object key near '\"userName\"' at "
        "column 128\n"
        "t.json:2: not valid JSON (RFC 8259): duplicate object key near '\"k3\"' at column 271\n"
        "t.json:3: not valid JSON (RFC 8259): NUL byte in object key not supported near "
        "'\"a\\u0000\"' at column 134\n"
        "t.json:4: not valid JSON (RFC 8259): too big integer near '9223372036854775808' at "
        "column 142\n"
        "t.json:5: not valid JSON (RFC 8259): too big negative integer near "
        "'-9223372036854775809' at column 143\n"
        "ok 6 a|2024-03-05T14:21:09.000000Z|-|s|e|1\n"
        "eof 0 ignored\n");
    jt_same_in_pieces(lines, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL);
}

/* A record gone wrong inside CloudTrail's file: the others are read, and a file cut short says
 * where. */
/* Records one per line with a file's opening cut into them: the cut record is reported once, the
 * records after it are read as they come, and the end of an array that never was is not asked
 * for. */
static void a_cut_container_among_lines_is_one_error(void **state)
{
    (void)state;
#define CT_REC(u, t)                                                                               \
    "{\"eventTime\":\"2024-03-05T14:21:" t "Z\",\"eventSource\":\"s3.amazonaws.com\","             \
    "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"" u         \
    "\"}}\n"
    static const char file[] =
        CT_REC("ann", "01") "{\"Records\":[{\"eventSource\":\"x\"\n" CT_REC("bob", "02")
            CT_REC("cat", "03") CT_REC("dan", "04");
#undef CT_REC
    assert_string_equal(jt(file, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL),
                        "ok 1 ann|2024-03-05T14:21:01.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "t.json:2: not valid JSON (RFC 8259): the record is not closed before "
                        "line 3, which starts another\n"
                        "ok 3 bob|2024-03-05T14:21:02.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "ok 4 cat|2024-03-05T14:21:03.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "ok 5 dan|2024-03-05T14:21:04.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "eof 0 ignored\n");
    jt_same_in_pieces(file, SN_FORMAT_CLOUDTRAIL, SN_FORMAT_CLOUDTRAIL);
}

static void bad_records_inside_a_file(void **state)
{
    (void)state;
    static const char file[] =
        "{\"Records\": [\n"
        "  {\"eventTime\": \"2024-03-05T14:21:09Z\", \"eventSource\": \"s3.amazonaws.com\",\n"
        "   \"eventName\": \"GetObject\", \"userIdentity\": {\"type\": \"IAMUser\", \"userName\": "
        "\"alice\"}},\n"
        "  {\"eventTime\": \"2024-03-05T14:21:10Z\", \"eventSource\": \"s3.amazonaws.com\"\n"
        "   \"eventName\": \"GetObject\", \"userIdentity\": {\"type\": \"IAMUser\", \"userName\": "
        "\"bob\"}},\n"
        "  {\"eventTime\": \"2024-03-05T14:21:11Z\", \"eventSource\": \"s3.amazonaws.com\",\n"
        "   \"eventName\": \"PutObject\", \"userIdentity\": {\"type\": \"IAMUser\", \"userName\": "
        "\"carol\"}}\n"
        "  {\"eventTime\": \"2024-03-05T14:21:12Z\", \"eventSource\": \"s3.amazonaws.com\",\n"
        "   \"eventName\": \"PutObject\", \"userIdentity\": {\"type\": \"IAMUser\", \"userName\": "
        "\"dave\"}},\n"
        "  {\"eventTime\": \"2024-03-05T14:21:13Z\", \"eventSource\": \"s3.amaz";
    assert_string_equal(jt(file, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL),
                        "ok 2 alice|2024-03-05T14:21:09.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "t.json:4: not valid JSON (RFC 8259): '}' expected near '\"eventName\"' "
                        "at line 5, column 14\n"
                        "ok 6 carol|2024-03-05T14:21:11.000000Z|-|s3.amazonaws.com|putobject|1\n"
                        "t.json:8: not valid JSON (RFC 8259): expected ',' or ']' after the "
                        "record before this one\n"
                        "ok 8 dave|2024-03-05T14:21:12.000000Z|-|s3.amazonaws.com|putobject|1\n"
                        "t.json:10: not valid JSON (RFC 8259): the input ends inside the record\n"
                        "eof 0 ignored\n");
    jt_same_in_pieces(file, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL);
    /* the array closed, the object not */
    static const char open_object[] =
        "{\"Records\":[{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s3.amazonaws."
        "com\","
        "\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"Root\",\"accountId\":\"1\"}}],\n"
        "\"next\": [1, 2, 3]\n";
    assert_string_equal(jt(open_object, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL),
                        "ok 1 root@1|2024-03-05T14:21:09.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "t.json:1: not valid JSON (RFC 8259): the input ends inside the object "
                        "holding the records (no closing '}')\n"
                        "eof 0 ignored\n");
    /* stray commas */
    static const char commas[] = "{\"Records\":[,{\"eventTime\":\"2024-03-05T14:21:09Z\","
                                 "\"eventSource\":\"s\",\"eventName\":"
                                 "\"E\",\"userIdentity\":{\"type\":\"Root\"}},,\"x\"]}\n";
    assert_string_equal(jt(commas, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL),
                        "t.json:1: not valid JSON (RFC 8259): ',' without a record before it\n"
                        "ok 1 root|2024-03-05T14:21:09.000000Z|-|s|e|1\n"
                        "t.json:1: not valid JSON (RFC 8259): ',' without a record before it\n"
                        "t.json:1: expected a JSON object, got a string\n"
                        "eof 0 ignored\n");
}

/* A closing brace where a record goes is one bad record of one byte: reading goes on after it
 * (it once made the reader return the same error forever). */
static void a_brace_where_a_record_goes_is_consumed(void **state)
{
    (void)state;
    static const char data[] =
        "{\"Records\":[}, {\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\","
        "\"eventName\":\"E\",\"userIdentity\":{\"type\":\"Root\"}}}]}\n";
    assert_string_equal(jt(data, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL),
                        "t.json:1: not valid JSON (RFC 8259): unexpected token near '}' at "
                        "column 1\n"
                        "ok 1 root|2024-03-05T14:21:09.000000Z|-|s|e|1\n"
                        "t.json:1: not valid JSON (RFC 8259): expected ',' or ']' after the "
                        "record before this one\n"
                        "t.json:1: not valid JSON (RFC 8259): unexpected token near '}' at "
                        "column 1\n"
                        "eof 0 ignored\n");
    jt_same_in_pieces(data, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL);
}

/* A record longer than the limit is reported without being kept; the records after it read. */
static void an_over_long_record_is_skipped(void **state)
{
    (void)state;
    size_t pad = 300 * 1024;
    const char *head = "{\"Records\": [\n  {\"eventTime\": \"2024-03-05T14:21:09Z\", \"x\": \"";
    const char *tail = "\"},\n  {\"eventTime\": \"2024-03-05T14:21:10Z\", \"eventSource\": "
                       "\"s3.amazonaws.com\", \"eventName\": \"GetObject\", \"userIdentity\": "
                       "{\"type\": \"IAMUser\", \"userName\": \"erin\"}}\n]}\n";
    size_t n = strlen(head) + pad + strlen(tail);
    char *data = malloc(n + 1);
    assert_non_null(data);
    memcpy(data, head, strlen(head));
    memset(data + strlen(head), 'a', pad);
    memcpy(data + strlen(head) + pad, tail, strlen(tail) + 1);
    assert_string_equal(jt_read(data, n, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL, 0),
                        "t.json:2: record is longer than 262144 bytes\n"
                        "ok 3 erin|2024-03-05T14:21:10.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "eof 0 ignored\n");
    assert_string_equal(jt_read(data, n, SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL, 4093),
                        "t.json:2: record is longer than 262144 bytes\n"
                        "ok 3 erin|2024-03-05T14:21:10.000000Z|-|s3.amazonaws.com|getobject|1\n"
                        "eof 0 ignored\n");
    free(data);
}

/* One record of the large file: user, address, bucket, and a 200-digit key. */
#define LARGE_RECORD                                                                               \
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":"              \
    "\"user%ld\"},\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":"                         \
    "\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"sourceIPAddress\":"                        \
    "\"198.51.100.%ld\",\"requestParameters\":{\"bucketName\":\"b%ld\",\"key\":\"%0200ld\"}}"

/* A file of {"Records": [...]} on one line, many times the reader's buffer, streams through. */
static void a_large_file_streams(void **state)
{
    (void)state;
    const long count = 40000;
    char path[] = "/tmp/sn_ct_large_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("{\"Records\":[", f);
    for (long i = 0; i < count; i++) {
        if (i)
            fputc(',', f);
        fprintf(f, LARGE_RECORD, i % 1000, i % 250, i % 7, i);
    }
    fputs("]}", f);
    long size = ftell(f);
    fclose(f);
    assert_true(size > 12 * 1000 * 1000); /* over ten times the reader's buffer */
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_CLOUDTRAIL);
    sn_event ev;
    long n = 0, s3 = 0;
    while (sn_reader_next(r, &ev, &err) == SN_OK) {
        char want[32];
        snprintf(want, sizeof(want), "user%ld", n % 1000);
        assert_int_equal(ev.user_id.n, strlen(want));
        assert_memory_equal(ev.user_id.p, want, ev.user_id.n);
        assert_int_equal(ev.src_line, 1);
        s3 += ev.resource.n == 19 && !memcmp(ev.resource.p, "s3.amazonaws.com/b", 18);
        n++;
    }
    assert_int_equal(n, count);
    assert_int_equal(s3, count);
    assert_int_equal(sn_reader_get_stats(r)->skipped, 0);
    assert_int_equal(sn_reader_get_stats(r)->lines, 1);
    sn_reader_close(r);
    unlink(path);
}

static void recognised_and_named(void **state)
{
    (void)state;
    sn_format f;
    assert_int_equal(sn_format_from_name("cloudtrail", &f), 0);
    assert_int_equal(f, SN_FORMAT_CLOUDTRAIL);
    assert_string_equal(sn_format_name(SN_FORMAT_CLOUDTRAIL), "cloudtrail");
    /* an empty file of records, and its pretty-printed opening */
    assert_string_equal(jt("{\"Records\":[]}", SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL),
                        "eof 0 ignored\n");
    assert_string_equal(
        jt("\xEF\xBB\xBF\n  {\n    \"Records\" : [ ]\n  }\n", SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL),
        "eof 0 ignored\n");
    /* the reference fields stay JSON lines; a CloudTrail record in an array is CloudTrail */
    assert_string_equal(jt("{\"user_id\":\"U1\",\"timestamp\":\"2024-03-05T14:21:09Z\","
                           "\"eventSource\":\"x\",\"eventName\":\"y\",\"eventTime\":\"z\"}\n",
                           SN_FORMAT_AUTO, SN_FORMAT_JSONL),
                        "ok 1 U1|2024-03-05T14:21:09.000000Z|-|||-1\neof 0 ignored\n");
    assert_string_equal(
        jt("[{\"eventTime\":\"2024-03-05T14:21:09Z\",\"eventSource\":\"s\",\"eventName\":\"E\","
           "\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"sso.amazonaws.com\"}}]",
           SN_FORMAT_AUTO, SN_FORMAT_CLOUDTRAIL),
        "ok 1 sso.amazonaws.com|2024-03-05T14:21:09.000000Z|-|s|e|1\neof 0 ignored\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_caller_and_outcome_gives_its_exact_event),
        cmocka_unit_test(cloudtrail_files_give_the_same_events),
        cmocka_unit_test(bad_lines_are_reported_and_skipped),
        cmocka_unit_test(bad_records_inside_a_file),
        cmocka_unit_test(a_cut_container_among_lines_is_one_error),
        cmocka_unit_test(what_jansson_refuses_is_refused),
        cmocka_unit_test(a_brace_where_a_record_goes_is_consumed),
        cmocka_unit_test(an_over_long_record_is_skipped),
        cmocka_unit_test(a_large_file_streams),
        cmocka_unit_test(recognised_and_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
