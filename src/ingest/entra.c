/* Microsoft Entra ID (Azure AD) sign-in and audit logs, in the three shapes they are exported
 * in: Microsoft Graph's signIn and directoryAudit resources (one per line, or a page
 * {"value": [...]}), Azure Monitor diagnostic records (the resource under "properties", one per
 * line or {"records": [...]}), and Log Analytics rows of the SigninLogs and AuditLogs tables
 * (PascalCase columns, dynamic columns as JSON text). Records of other categories are counted
 * as ignored. */
#include "json_stream.h"

static const char *const container_keys[] = {"value", "records", NULL};

/* Azure Monitor categories and Log Analytics tables of sign-ins and of audit events. */
static const char *const signin_kinds[] = {"SignInLogs",
                                           "SigninLogs",
                                           "NonInteractiveUserSignInLogs",
                                           "AADNonInteractiveUserSignInLogs",
                                           "ServicePrincipalSignInLogs",
                                           "AADServicePrincipalSignInLogs",
                                           "ManagedIdentitySignInLogs",
                                           "AADManagedIdentitySignInLogs",
                                           NULL};
static const char *const audit_kinds[] = {"AuditLogs", NULL};

static bool is_one_of(sn_jv v, const char *const *words)
{
    if (sn_jv_typeof(v) != SN_JV_STRING)
        return false;
    sn_str s = sn_jv_str(v);
    for (size_t i = 0; words[i]; i++)
        if (sn_jeq(s, words[i]))
            return true;
    return false;
}

/* What a record is: 1 a sign-in, 2 an audit event, 0 neither. */
static int kind_of(sn_jv root, sn_jv src)
{
    sn_jv category = sn_jpath(root, "category", true), table = sn_jpath(root, "Type", true);
    if (sn_jhas(src, "activityDisplayName", true) || is_one_of(category, audit_kinds) ||
        is_one_of(table, audit_kinds))
        return 2;
    if (sn_jhas(src, "userPrincipalName", true) || sn_jhas(src, "createdDateTime", true) ||
        sn_jhas(src, "appDisplayName", true) || is_one_of(category, signin_kinds) ||
        is_one_of(table, signin_kinds))
        return 1;
    return 0;
}

bool sn_entra_object_matches(sn_jv o)
{
    if (sn_jv_typeof(o) != SN_JV_OBJECT)
        return false;
    sn_jv props = sn_jpath(o, "properties", true);
    bool props_object = sn_jv_typeof(props) == SN_JV_OBJECT;
    sn_jv src = props_object ? props : o;
    sn_jv category = sn_jpath(o, "category", true), table = sn_jpath(o, "Type", true);
    return (sn_jhas(src, "activityDisplayName", true) &&
            (sn_jhas(src, "initiatedBy", true) || sn_jhas(src, "activityDateTime", true))) ||
           (sn_jhas(src, "createdDateTime", true) &&
            (sn_jhas(src, "userPrincipalName", true) || sn_jhas(src, "appDisplayName", true))) ||
           (props_object &&
            (is_one_of(category, signin_kinds) || is_one_of(category, audit_kinds))) ||
           is_one_of(table, signin_kinds) || is_one_of(table, audit_kinds);
}

/* The time of the event from the resource, else from the Azure Monitor or Log Analytics row. */
static sn_status event_time(sn_jctx *c, sn_jctx *top, const char *key)
{
    sn_status st = sn_jtime(c, key);
    if (st == SN_EOF)
        st = sn_jtime(top, "time");
    if (st == SN_EOF)
        st = sn_jtime(top, "TimeGenerated");
    if (st == SN_EOF)
        return sn_jbad(c, SN_ERR_MISSING, key,
                       "required field is missing (nor time or TimeGenerated)");
    return st;
}

static sn_status set_str(sn_jctx *c, int field, const char *path)
{
    sn_str s;
    sn_status st = sn_jstr(c, path, &s);
    return st != SN_OK ? st : sn_jset(c, field, s, path);
}

/* location (Graph, Azure Monitor) or LocationDetails (Log Analytics, where Location is the
 * country code): "City, CC", the code, and the coordinates Entra gives. */
static sn_status place(sn_jctx *c)
{
    sn_jv loc = {{NULL, NULL}}, v = sn_jpath(c->base, "locationDetails", true);
    const char *key = "locationDetails";
    sn_str country = {0}, city = {0};
    sn_status st;
    if (!sn_jv_present(v) || sn_jv_typeof(v) == SN_JV_NULL) {
        key = "location";
        v = sn_jpath(c->base, key, true);
        sn_str text = sn_jv_str(v);
        if (text.n > 0 && text.p[0] != '{') {
            if ((st = sn_jstr(c, key, &country)) != SN_OK)
                return st;
            v = (sn_jv){{NULL, NULL}};
        }
    }
    if (sn_jv_present(v) && (st = sn_jobj(c, key, &loc)) != SN_OK)
        return st;
    if (sn_jv_present(loc)) {
        sn_jctx l = sn_jsub(c, loc, key);
        sn_str cc;
        if ((st = sn_jstr(&l, "city", &city)) != SN_OK ||
            (st = sn_jstr(&l, "countryOrRegion", &cc)) != SN_OK ||
            (st = sn_jcoords(&l, "geoCoordinates.latitude", "geoCoordinates.longitude")) != SN_OK)
            return st;
        if (cc.n)
            country = cc;
    }
    sn_str parts[2] = {city, country}, joined;
    if ((st = sn_jjoin(c, ", ", parts, 2, &joined, key)) != SN_OK)
        return st;
    c->ev->location = joined;
    if (country.n == 2)
        c->ev->country = country;
    return SN_OK;
}

static sn_status signin(sn_jctx *c, sn_jctx *top)
{
    static const char *const user_paths[] = {"userPrincipalName", "servicePrincipalName", "userId",
                                             "servicePrincipalId", NULL};
    static const char *const app_paths[] = {"appDisplayName", "resourceDisplayName", "appId", NULL};
    sn_str user, app, s;
    sn_jv status, device;
    long long code = 0;
    bool have_code = false;
    sn_status st = event_time(c, top, "createdDateTime");
    if (st != SN_OK || (st = sn_jstr_first(c, user_paths, &user)) != SN_OK)
        return st;
    if (!user.n)
        return sn_jbad(c, SN_ERR_MISSING, "userPrincipalName",
                       "required field is missing or empty");
    if ((st = sn_jset(c, SN_F_USER_ID, user, "userPrincipalName")) != SN_OK ||
        (st = set_str(c, SN_F_USERNAME, "userDisplayName")) != SN_OK ||
        (st = sn_jstr_first(c, app_paths, &app)) != SN_OK ||
        (st = sn_jset(c, SN_F_RESOURCE, app, "appDisplayName")) != SN_OK ||
        (st = sn_jset(c, SN_F_ACTION, (sn_str){"sign_in", 7}, "")) != SN_OK)
        return st;
    if ((st = sn_jip(c, "ipAddress", false)) != SN_OK ||
        (!c->ev->ip.family && (st = sn_jip(top, "callerIpAddress", true)) != SN_OK) ||
        (st = place(c)) != SN_OK)
        return st;
    /* status.errorCode 0 is success; Azure Monitor and Log Analytics repeat it as resultType */
    if ((st = sn_jobj(c, "status", &status)) != SN_OK)
        return st;
    if (sn_jv_present(status)) {
        sn_jctx sc = sn_jsub(c, status, "status");
        if ((st = sn_jint(&sc, "errorCode", &code, &have_code)) != SN_OK)
            return st;
    }
    if (!have_code && (st = sn_jint(top, "resultType", &code, &have_code)) != SN_OK)
        return st;
    if (have_code)
        c->ev->success = code == 0;
    /* the user agent when the record has it, else the client as Entra describes it */
    if ((st = sn_jstr(c, "userAgent", &s)) != SN_OK || (st = sn_jobj(c, "deviceDetail", &device)))
        return st;
    if (!s.n) {
        sn_str parts[3] = {{0}};
        if ((st = sn_jstr(c, "clientAppUsed", &parts[0])) != SN_OK)
            return st;
        if (sn_jv_present(device)) {
            sn_jctx d = sn_jsub(c, device, "deviceDetail");
            if ((st = sn_jstr(&d, "browser", &parts[1])) != SN_OK ||
                (st = sn_jstr(&d, "operatingSystem", &parts[2])) != SN_OK)
                return st;
        }
        if ((st = sn_jjoin(c, "; ", parts, 3, &s, "clientAppUsed")) != SN_OK)
            return st;
    }
    if ((st = sn_jset(c, SN_F_USER_AGENT, s, "userAgent")) != SN_OK ||
        (st = sn_jstr(c, "authenticationRequirement", &s)) != SN_OK)
        return st;
    if (sn_jeq(s, "multiFactorAuthentication"))
        c->ev->mfa = 1;
    else if (sn_jeq(s, "singleFactorAuthentication"))
        c->ev->mfa = 0;
    if ((st = set_str(c, SN_F_SESSION_ID, "sessionId")) != SN_OK ||
        (st = set_str(c, SN_F_EVENT_ID, "id")) != SN_OK)
        return st;
    return sn_jfinish(c);
}

/* The User-Agent entry of additionalDetails ([{"key": ..., "value": ...}]). */
static sn_status detail_user_agent(sn_jctx *c, sn_str *out)
{
    sn_jv details;
    sn_status st = sn_jarray(c, "additionalDetails", &details);
    if (st != SN_OK || !sn_jv_present(details))
        return st;
    sn_jiter it = sn_jv_iter(details);
    sn_jv d;
    const char *name;
    size_t nn;
    while (sn_jiter_next(&it, &d, &name, &nn)) {
        sn_str k = sn_jv_str(sn_jpath(d, "key", true));
        if (k.n == 10 && !memcmp(k.p, "User-Agent", 10)) {
            sn_jctx dc = sn_jsub(c, d, "additionalDetails[]");
            return sn_jstr(&dc, "value", out);
        }
    }
    return SN_OK;
}

static sn_status audit(sn_jctx *c, sn_jctx *top)
{
    static const char *const who[] = {"user.userPrincipalName",
                                      "app.displayName",
                                      "app.servicePrincipalName",
                                      "user.id",
                                      "app.appId",
                                      NULL};
    sn_jv by, target;
    sn_str user, activity, action, s;
    sn_status st = event_time(c, top, "activityDateTime");
    if (st != SN_OK || (st = sn_jobj(c, "initiatedBy", &by)) != SN_OK)
        return st;
    if (!sn_jv_present(by))
        return sn_jbad(c, SN_ERR_MISSING, "initiatedBy", "required field is missing");
    sn_jctx b = sn_jsub(c, by, "initiatedBy");
    if ((st = sn_jstr_first(&b, who, &user)) != SN_OK)
        return st;
    if (!user.n)
        return sn_jbad(c, SN_ERR_MISSING, "initiatedBy",
                       "neither user.userPrincipalName nor app.displayName names who acted");
    if ((st = sn_jset(c, SN_F_USER_ID, user, "initiatedBy")) != SN_OK ||
        (st = sn_jstr(c, "activityDisplayName", &activity)) != SN_OK ||
        (!activity.n && (st = sn_jstr(top, "operationName", &activity)) != SN_OK))
        return st;
    if (!activity.n)
        return sn_jbad(c, SN_ERR_MISSING, "activityDisplayName",
                       "required field is missing or empty");
    if ((st = sn_jword(c, activity, &action, "activityDisplayName")) != SN_OK ||
        (st = sn_jset(c, SN_F_ACTION, action, "activityDisplayName")) != SN_OK ||
        (st = sn_jfirst(c, "targetResources", &target)) != SN_OK)
        return st;
    if (sn_jv_present(target)) {
        sn_jctx t = sn_jsub(c, target, "targetResources[0]");
        if ((st = sn_jstr(&t, "displayName", &s)) != SN_OK ||
            (!s.n && (st = sn_jstr(&t, "userPrincipalName", &s)) != SN_OK) ||
            (st = sn_jset(c, SN_F_RESOURCE, s, "targetResources[0].displayName")) != SN_OK)
            return st;
    }
    if ((st = sn_jstr(c, "result", &s)) != SN_OK)
        return st;
    if (sn_jeq(s, "success"))
        c->ev->success = 1;
    else if (sn_jeq(s, "failure") || sn_jeq(s, "timeout"))
        c->ev->success = 0;
    if ((st = sn_jip(&b, "user.ipAddress", false)) != SN_OK ||
        (!c->ev->ip.family && (st = sn_jip(&b, "app.ipAddress", false)) != SN_OK) ||
        (!c->ev->ip.family && (st = sn_jip(top, "callerIpAddress", true)) != SN_OK) ||
        (st = sn_jstr(c, "userAgent", &s)) != SN_OK ||
        (!s.n && (st = detail_user_agent(c, &s)) != SN_OK) ||
        (st = sn_jset(c, SN_F_USER_AGENT, s, "userAgent")) != SN_OK ||
        (st = set_str(c, SN_F_EVENT_ID, "id")) != SN_OK)
        return st;
    return sn_jfinish(c);
}

static sn_status entra_build(sn_jctx *c, bool *ignored)
{
    c->loose = true;
    sn_jv props;
    sn_status st = sn_jobj(c, "properties", &props);
    if (st != SN_OK)
        return st;
    sn_jctx top = *c;
    sn_jctx src = sn_jv_present(props) ? sn_jsub(c, props, "properties") : *c;
    switch (kind_of(c->base, src.base)) {
    case 1:
        return signin(&src, &top);
    case 2:
        return audit(&src, &top);
    default:
        *ignored = true;
        return SN_OK;
    }
}

sn_status sn_entra_open(sn_reader *r, sn_error *err)
{
    (void)err;
    sn_jstream_open(r, container_keys);
    return SN_OK;
}

sn_status sn_entra_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    return sn_jstream_next_event(r, ev, err, entra_build);
}
