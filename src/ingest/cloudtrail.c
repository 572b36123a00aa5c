/* AWS CloudTrail: the log files CloudTrail delivers ({"Records": [...]}, on one line or
 * pretty-printed, however large) and records one per line (CloudTrail Lake and EventBridge
 * exports). Fields follow the AWS CloudTrail User Guide's "CloudTrail record contents" and
 * "userIdentity element"; every API call is an access event, except Insights events (which
 * describe call rates, not a caller), counted as ignored. */
#include "json_stream.h"

static const char *const container_keys[] = {"Records", NULL};

bool sn_cloudtrail_object_matches(sn_jv o)
{
    return sn_jv_typeof(sn_jv_member(o, "eventSource", 11, false)) == SN_JV_STRING &&
           sn_jv_typeof(sn_jv_member(o, "eventName", 9, false)) == SN_JV_STRING &&
           (sn_jv_present(sn_jv_member(o, "eventTime", 9, false)) ||
            sn_jv_present(sn_jv_member(o, "userIdentity", 12, false)) ||
            sn_jv_present(sn_jv_member(o, "eventVersion", 12, false)));
}

static bool contains(sn_str s, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= s.n; i++)
        if (!memcmp(s.p + i, word, w))
            return true;
    return false;
}

/* What follows the last sep in s (all of s without one). */
static sn_str tail_after(sn_str s, char sep)
{
    for (size_t i = s.n; i > 0; i--)
        if (s.p[i - 1] == sep)
            return (sn_str){s.n - i ? s.p + i : NULL, s.n - i};
    return s;
}

/* Field i (from 0) of an ARN, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. */
static sn_str arn_field(sn_str arn, int i)
{
    size_t start = 0;
    for (size_t k = 0; k <= arn.n; k++) {
        if (k < arn.n && arn.p[k] != ':')
            continue;
        if (i-- == 0)
            return (sn_str){k > start ? arn.p + start : NULL, k - start};
        start = k + 1;
    }
    return (sn_str){0};
}

static const sn_str anonymous = {"anonymous", 9};

/* An AWS account id (exactly 12 digits) as a number; 0 when s is none. */
static uint64_t account_number(sn_str s)
{
    if (s.n != 12)
        return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < 12; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return 0;
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    }
    return x;
}

/* userIdentity types that are identities of the account they belong to (the CloudTrail User
 * Guide's "userIdentity element"); AWSAccount (another account calling in), AWSService and
 * Anonymous are not. */
static bool own_identity_type(sn_str type)
{
    static const char *const types[] = {"Root",         "IAMUser",       "AssumedRole",
                                        "FederatedUser", "SAMLUser",      "WebIdentityUser",
                                        "IdentityCenterUser", NULL};
    for (size_t i = 0; types[i]; i++)
        if (sn_jeq(type, types[i]))
            return true;
    return false;
}

/* The caller, by userIdentity.type. An AssumedRole caller is the role with the session name
 * (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or principalId ROLEID:SESSION), so that each
 * person behind a shared role keeps a history; the root user is qualified with its account. */
static sn_status caller(sn_jctx *c, sn_str error_code, sn_str *user)
{
    sn_jv id;
    sn_status st = sn_jobj(c, "userIdentity", &id);
    if (st != SN_OK)
        return st;
    if (!sn_jv_present(id)) {
        /* S3 and other services log requests they refused before any identity was known */
        if (contains(error_code, "AccessDenied")) {
            *user = anonymous;
            c->ev->anonymous = true;
            return SN_OK;
        }
        return sn_jbad(c, SN_ERR_MISSING, "userIdentity", "required field is missing");
    }
    sn_jctx u = sn_jsub(c, id, "userIdentity");
    sn_str type, name, arn, principal, account, invoked_by;
    if ((st = sn_jstr(&u, "type", &type)) != SN_OK || (st = sn_jstr(&u, "userName", &name)) ||
        (st = sn_jstr(&u, "arn", &arn)) || (st = sn_jstr(&u, "principalId", &principal)) ||
        (st = sn_jstr(&u, "accountId", &account)) || (st = sn_jstr(&u, "invokedBy", &invoked_by)))
        return st;
    /* anonymous S3 requests: type AWSAccount, account ANONYMOUS_PRINCIPAL */
    if (sn_jeq(type, "Anonymous") || sn_jeq(account, "ANONYMOUS_PRINCIPAL") ||
        sn_jeq(principal, "ANONYMOUS_PRINCIPAL")) {
        *user = anonymous;
        c->ev->anonymous = true;
        return SN_OK;
    }
    c->ev->caller_account = account_number(account);
    if (!c->ev->caller_account)
        c->ev->caller_account = account_number(arn_field(arn, 4));
    if (!c->ev->caller_account && sn_jeq(type, "AWSAccount"))
        c->ev->caller_account = account_number(principal);
    c->ev->caller_is_principal = c->ev->caller_account && own_identity_type(type);
    *user = (sn_str){0};
    if (sn_jeq(type, "Root")) {
        if (!account.n)
            account = arn_field(arn, 4); /* arn:aws:iam::ACCOUNT:root */
        sn_str parts[2] = {{"root", 4}, account};
        return sn_jjoin(c, "@", parts, 2, user, "userIdentity");
    }
    if (sn_jeq(type, "AssumedRole")) {
        sn_str issuer, session = {0};
        if ((st = sn_jstr(&u, "sessionContext.sessionIssuer.userName", &issuer)) != SN_OK)
            return st;
        if (contains(arn, ":assumed-role/"))
            session = tail_after(arn, '/');
        else if (principal.n && tail_after(principal, ':').n < principal.n)
            session = tail_after(principal, ':');
        if (issuer.n) {
            sn_str parts[2] = {issuer, session};
            return sn_jjoin(c, "/", parts, 2, user, "userIdentity");
        }
    } else if (sn_jeq(type, "AWSService")) {
        *user = invoked_by;
    } else if (sn_jeq(type, "AWSAccount")) {
        *user = account;
    } else {
        *user = name;
    }
    /* any other type (FederatedUser, SAMLUser, WebIdentityUser, IdentityCenterUser...), or
     * one of the above without its usual field */
    const sn_str *chain[] = {&name, &arn, &principal, &account, &invoked_by};
    for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]) && !user->n; i++)
        *user = *chain[i];
    if (!user->n)
        return sn_jbad(c, SN_ERR_MISSING, "userIdentity",
                       "no userName, arn, principalId, accountId or invokedBy names the caller");
    return SN_OK;
}

/* eventSource, with the bucket or the first resource ARN the call was about. The bucket wins
 * over resources[]: for S3 object calls the first ARN is the object's, and every object would
 * be a new resource. */
static sn_status resource(sn_jctx *c)
{
    sn_str source, target;
    sn_status st = sn_jstr(c, "eventSource", &source);
    if (st == SN_OK)
        st = sn_jstr(c, "requestParameters.bucketName", &target);
    if (st != SN_OK)
        return st;
    if (!target.n) {
        sn_jv first;
        if ((st = sn_jfirst(c, "resources", &first)) != SN_OK)
            return st;
        if (sn_jv_present(first)) {
            sn_jctx res = sn_jsub(c, first, "resources[0]");
            if ((st = sn_jstr(&res, "ARN", &target)) != SN_OK)
                return st;
        }
    }
    sn_str parts[2] = {source, target}, joined;
    if ((st = sn_jjoin(c, "/", parts, 2, &joined, "eventSource")) != SN_OK)
        return st;
    c->ev->resource = joined;
    return SN_OK;
}

static sn_status cloudtrail_build(sn_jctx *c, bool *ignored)
{
    sn_str type, error_code, name, login, user, s;
    sn_status st = sn_jstr(c, "eventType", &type);
    if (st != SN_OK)
        return st;
    if (sn_jeq(type, "AwsCloudTrailInsight")) {
        *ignored = true;
        return SN_OK;
    }
    st = sn_jtime(c, "eventTime");
    if (st == SN_EOF)
        st = sn_jtime(c, "@timestamp");
    if (st == SN_EOF)
        return sn_jbad(c, SN_ERR_MISSING, "eventTime",
                       "required field is missing (eventTime or @timestamp)");
    if (st != SN_OK || (st = sn_jstr(c, "errorCode", &error_code)) != SN_OK ||
        (st = caller(c, error_code, &user)) != SN_OK ||
        (st = sn_jset(c, SN_F_USER_ID, user, "userIdentity")) != SN_OK ||
        (st = sn_jstr(c, "eventName", &name)) != SN_OK)
        return st;
    if (!name.n)
        return sn_jbad(c, SN_ERR_MISSING, "eventName", "required field is missing or empty");
    if ((st = sn_jset(c, SN_F_ACTION, name, "eventName")) != SN_OK || (st = resource(c)) != SN_OK)
        return st;
    /* a console sign-in that failed says so in responseElements, not always in errorCode */
    if ((st = sn_jstr(c, "responseElements.ConsoleLogin", &login)) != SN_OK)
        return st;
    c->ev->success = (error_code.n || sn_jeq(login, "Failure")) ? 0 : 1;
    if ((st = sn_jstr(c, "recipientAccountId", &s)) != SN_OK)
        return st;
    c->ev->owner_account = account_number(s);
    if ((st = sn_jip(c, "sourceIPAddress", true)) != SN_OK ||
        (st = sn_jstr(c, "userAgent", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_USER_AGENT, s, "userAgent")) != SN_OK ||
        (st = sn_jstr(c, "eventID", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_EVENT_ID, s, "eventID")) != SN_OK)
        return st;
    /* MFAUsed ("Yes"/"No") on console sign-ins; mfaAuthenticated on calls of a session */
    if ((st = sn_jbool(c, "additionalEventData.MFAUsed", &c->ev->mfa)) != SN_OK)
        return st;
    if (c->ev->mfa < 0 &&
        (st = sn_jbool(c, "userIdentity.sessionContext.attributes.mfaAuthenticated",
                       &c->ev->mfa)) != SN_OK)
        return st;
    return sn_jfinish(c);
}

sn_status sn_cloudtrail_open(sn_reader *r, sn_error *err)
{
    (void)err;
    sn_jstream_open(r, container_keys);
    return SN_OK;
}

sn_status sn_cloudtrail_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    return sn_jstream_next_event(r, ev, err, cloudtrail_build);
}
