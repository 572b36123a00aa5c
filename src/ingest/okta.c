/* Okta System Log: LogEvent objects as the System Log API (/api/v1/logs) returns them, a JSON
 * array, or one per line as log streaming and exports write them. Fields follow Okta's
 * "System Log API" LogEvent reference (actor, client, outcome, target, authenticationContext). */
#include "json_stream.h"

bool sn_okta_object_matches(sn_jv o)
{
    return sn_jv_typeof(sn_jv_member(o, "eventType", 9, false)) == SN_JV_STRING &&
           sn_jv_typeof(sn_jv_member(o, "actor", 5, false)) == SN_JV_OBJECT &&
           (sn_jv_present(sn_jv_member(o, "published", 9, false)) ||
            sn_jv_present(sn_jv_member(o, "uuid", 4, false)));
}

/* The resource: the first target (an app instance for a single sign-on, a user for an
 * administrator's change), else the product part of the event type ("user" of
 * "user.session.start"). */
static sn_status resource(sn_jctx *c, sn_str event_type)
{
    sn_jv first;
    sn_str name = {0};
    sn_status st = sn_jfirst(c, "target", &first);
    if (st != SN_OK)
        return st;
    if (sn_jv_present(first)) {
        sn_jctx t = sn_jsub(c, first, "target[0]");
        if ((st = sn_jstr(&t, "displayName", &name)) != SN_OK)
            return st;
        if (!name.n && (st = sn_jstr(&t, "alternateId", &name)) != SN_OK)
            return st;
    }
    if (!name.n) {
        const char *dot = memchr(event_type.p, '.', event_type.n);
        name = (sn_str){event_type.p, dot ? (size_t)(dot - event_type.p) : event_type.n};
    }
    c->ev->resource = name;
    return SN_OK;
}

/* Where the client was: Okta names the country ("United States"), so the location is
 * "City, Country" and the country field is set only when it is a two-letter code; the
 * geolocation's coordinates stand for the place. */
static sn_status place(sn_jctx *c)
{
    sn_str city, country, loc;
    sn_status st = sn_jstr(c, "client.geographicalContext.city", &city);
    if (st == SN_OK)
        st = sn_jstr(c, "client.geographicalContext.country", &country);
    if (st != SN_OK)
        return st;
    sn_str parts[2] = {city, country};
    if ((st = sn_jjoin(c, ", ", parts, 2, &loc, "client.geographicalContext")) != SN_OK)
        return st;
    c->ev->location = loc;
    if (country.n == 2)
        c->ev->country = country;
    return sn_jcoords(c, "client.geographicalContext.geolocation.lat",
                      "client.geographicalContext.geolocation.lon");
}

static sn_status okta_build(sn_jctx *c, bool *ignored)
{
    (void)ignored;
    sn_jv actor;
    sn_str user, type, result, s;
    sn_status st = sn_jtime(c, "published");
    if (st == SN_EOF)
        return sn_jbad(c, SN_ERR_MISSING, "published", "required field is missing");
    if (st != SN_OK || (st = sn_jobj(c, "actor", &actor)) != SN_OK)
        return st;
    if (!sn_jv_present(actor))
        return sn_jbad(c, SN_ERR_MISSING, "actor", "required field is missing");
    sn_jctx a = sn_jsub(c, actor, "actor");
    if ((st = sn_jstr(&a, "alternateId", &user)) != SN_OK)
        return st;
    if (!user.n)
        return sn_jbad(c, SN_ERR_MISSING, "actor.alternateId",
                       "required field is missing or empty");
    if ((st = sn_jset(c, SN_F_USER_ID, user, "actor.alternateId")) != SN_OK ||
        (st = sn_jstr(c, "eventType", &type)) != SN_OK)
        return st;
    if (!type.n)
        return sn_jbad(c, SN_ERR_MISSING, "eventType", "required field is missing or empty");
    if ((st = sn_jset(c, SN_F_ACTION, type, "eventType")) != SN_OK ||
        (st = resource(c, type)) != SN_OK || (st = sn_jstr(c, "outcome.result", &result)) != SN_OK)
        return st;
    /* SKIPPED, CHALLENGE and UNKNOWN say nothing about success */
    if (sn_jeq(result, "SUCCESS") || sn_jeq(result, "ALLOW"))
        c->ev->success = 1;
    else if (sn_jeq(result, "FAILURE") || sn_jeq(result, "DENY"))
        c->ev->success = 0;
    if ((st = sn_jip(c, "client.ipAddress", false)) != SN_OK ||
        (st = sn_jstr(c, "client.userAgent.rawUserAgent", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_USER_AGENT, s, "client.userAgent.rawUserAgent")) != SN_OK ||
        (st = place(c)) != SN_OK ||
        (st = sn_jstr(c, "authenticationContext.externalSessionId", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_SESSION_ID, s, "authenticationContext.externalSessionId")) != SN_OK ||
        (st = sn_jstr(c, "uuid", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_EVENT_ID, s, "uuid")) != SN_OK)
        return st;
    return sn_jfinish(c);
}

sn_status sn_okta_open(sn_reader *r, sn_error *err)
{
    (void)err;
    sn_jstream_open(r, NULL);
    return SN_OK;
}

sn_status sn_okta_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    return sn_jstream_next_event(r, ev, err, okta_build);
}
