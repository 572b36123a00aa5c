/* Open Cybersecurity Schema Framework events, one per line or in a JSON array (as Amazon
 * Security Lake, AWS AppFabric and other OCSF producers write them): the Authentication class
 * (class_uid 3002, Identity & Access Management) becomes access events; other classes are
 * counted as ignored. Attribute names follow the OCSF schema (1.x): time in epoch
 * milliseconds, status_id 1 success and 2 failure, activity_id 1 Logon, 2 Logoff... */
#include "json_stream.h"

#include <inttypes.h>
#include <stdio.h>

#define OCSF_AUTHENTICATION 3002

bool sn_ocsf_object_matches(sn_jv o)
{
    return sn_jv_typeof(sn_jv_member(o, "class_uid", 9, false)) == SN_JV_INTEGER &&
           (sn_jv_present(sn_jv_member(o, "category_uid", 12, false)) ||
            sn_jv_present(sn_jv_member(o, "type_uid", 8, false)) ||
            sn_jv_typeof(sn_jv_member(o, "metadata", 8, false)) == SN_JV_OBJECT);
}

/* time: epoch milliseconds (OCSF's timestamp_t), else time_dt (RFC 3339). */
static sn_status event_time(sn_jctx *c)
{
    long long ms;
    bool have;
    sn_status st = sn_jint(c, "time", &ms, &have);
    if (st != SN_OK)
        return st;
    if (!have) {
        st = sn_jtime(c, "time_dt");
        if (st == SN_EOF)
            return sn_jbad(c, SN_ERR_MISSING, "time", "required field is missing (or time_dt)");
        return st;
    }
    /* epoch milliseconds from 1970 (as the other readers take epoch numbers) to year 9999 */
    if (ms < 0 || ms > 253402300799999LL)
        return sn_jbad(c, SN_ERR_RANGE, "time",
                       "%lld ms is out of range for a timestamp (epoch milliseconds from 0 to "
                       "253402300799999)",
                       ms);
    char num[32];
    int k = snprintf(num, sizeof(num), "%lld", ms);
    const char *p = sn_ingest_scratch(c->r, num, (size_t)k);
    if (!p)
        return sn_jbad(c, SN_ERR_LIMIT, "time", "no room for the timestamp");
    c->ev->ts_us = (int64_t)ms * 1000;
    c->ev->raw_timestamp = (sn_str){p, (size_t)k};
    return SN_OK;
}

/* activity_id of the Authentication class, as action words; other ids (0 Unknown, 99 Other)
 * take activity_name. */
static const char *const activities[] = {
    NULL,
    "logon",
    "logoff",
    "authentication_ticket",
    "service_ticket_request",
    "service_ticket_renew",
    "preauth",
};

static sn_status action(sn_jctx *c)
{
    long long id = 0;
    bool have;
    sn_str name, word = {0};
    sn_status st = sn_jint(c, "activity_id", &id, &have);
    if (st != SN_OK || (st = sn_jstr(c, "activity_name", &name)) != SN_OK)
        return st;
    if (have && id > 0 && id < (long long)(sizeof(activities) / sizeof(activities[0])))
        word = sn_jlit(activities[id]);
    else if ((st = sn_jword(c, name, &word, "activity_name")) != SN_OK)
        return st;
    if (!word.n)
        word = sn_jlit(have && id == 99 ? "other" : "unknown");
    return sn_jset(c, SN_F_ACTION, word, "activity_id");
}

/* src_endpoint.location: "City, CC", the code, and lat/long (or coordinates [long, lat]). */
static sn_status place(sn_jctx *c)
{
    sn_jv loc;
    sn_str city, cc, joined;
    sn_status st = sn_jobj(c, "src_endpoint.location", &loc);
    if (st != SN_OK || !sn_jv_present(loc))
        return st;
    sn_jctx l = sn_jsub(c, loc, "src_endpoint.location");
    if ((st = sn_jstr(&l, "city", &city)) != SN_OK || (st = sn_jstr(&l, "country", &cc)) != SN_OK)
        return st;
    sn_str parts[2] = {city, cc};
    if ((st = sn_jjoin(c, ", ", parts, 2, &joined, "src_endpoint.location")) != SN_OK)
        return st;
    c->ev->location = joined;
    if (cc.n == 2)
        c->ev->country = cc;
    if ((st = sn_jcoords(&l, "lat", "long")) != SN_OK || c->r->coords_seen == 3)
        return st;
    sn_jv xy = sn_jpath(loc, "coordinates", false);
    if (!sn_jv_present(xy) || sn_jv_typeof(xy) == SN_JV_NULL)
        return SN_OK;
    double lon, lat;
    if (!sn_jv_pair(xy, &lon, &lat))
        return sn_jbad(&l, SN_ERR_PARSE, "coordinates", "expected [longitude, latitude]");
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180))
        return sn_jbad(&l, SN_ERR_RANGE, "coordinates", "[%g, %g] is out of range", lon, lat);
    c->ev->lat = lat;
    c->ev->lon = lon;
    c->r->coords_seen = 3;
    return SN_OK;
}

static sn_status ocsf_build(sn_jctx *c, bool *ignored)
{
    static const char *const user_paths[] = {"user.name", "user.uid", "user.email_addr", NULL};
    static const char *const target_paths[] = {"dst_endpoint.hostname", "service.name",
                                               "dst_endpoint.name", NULL};
    long long class_uid = 0, status_id = 0;
    bool have, have_status;
    sn_str user, s;
    sn_status st = sn_jint(c, "class_uid", &class_uid, &have);
    if (st != SN_OK)
        return st;
    if (!have)
        return sn_jbad(c, SN_ERR_MISSING, "class_uid", "required field is missing");
    if (class_uid != OCSF_AUTHENTICATION) {
        *ignored = true;
        return SN_OK;
    }
    if ((st = event_time(c)) != SN_OK || (st = sn_jstr_first(c, user_paths, &user)) != SN_OK)
        return st;
    if (!user.n)
        return sn_jbad(c, SN_ERR_MISSING, "user.name", "required field is missing (or user.uid)");
    if ((st = sn_jset(c, SN_F_USER_ID, user, "user.name")) != SN_OK || (st = action(c)) != SN_OK ||
        (st = sn_jstr_first(c, target_paths, &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_RESOURCE, s, "dst_endpoint.hostname")) != SN_OK ||
        (st = sn_jint(c, "status_id", &status_id, &have_status)) != SN_OK)
        return st;
    if (have_status && status_id == 1) {
        c->ev->success = 1;
    } else if (have_status && status_id == 2) {
        c->ev->success = 0;
    } else {
        /* 0 Unknown, 99 Other, or no id: the status caption may still say */
        if ((st = sn_jstr(c, "status", &s)) != SN_OK)
            return st;
        if (sn_jeq(s, "Success"))
            c->ev->success = 1;
        else if (sn_jeq(s, "Failure"))
            c->ev->success = 0;
    }
    if ((st = sn_jip(c, "src_endpoint.ip", false)) != SN_OK || (st = place(c)) != SN_OK ||
        (st = sn_jstr(c, "http_request.user_agent", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_USER_AGENT, s, "http_request.user_agent")) != SN_OK ||
        (st = sn_jstr(c, "session.uid", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_SESSION_ID, s, "session.uid")) != SN_OK ||
        (st = sn_jbool(c, "is_mfa", &c->ev->mfa)) != SN_OK ||
        (st = sn_jstr(c, "metadata.uid", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_EVENT_ID, s, "metadata.uid")) != SN_OK)
        return st;
    return sn_jfinish(c);
}

sn_status sn_ocsf_open(sn_reader *r, sn_error *err)
{
    (void)err;
    sn_jstream_open(r, NULL);
    return SN_OK;
}

sn_status sn_ocsf_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    return sn_jstream_next_event(r, ev, err, ocsf_build);
}
