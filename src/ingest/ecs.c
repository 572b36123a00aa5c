/* Elastic Common Schema events, one JSON document per line (as Beats, Elastic Agent and
 * Logstash write them, nested or with dotted keys): those whose event.category holds
 * "authentication" become access events; the other categories are counted as ignored. Field
 * names and allowed values follow the ECS reference (event, user, source, host, destination,
 * user_agent field sets). */
#include "json_stream.h"

bool sn_ecs_object_matches(sn_jv o)
{
    if (!sn_jv_present(sn_jv_member(o, "@timestamp", 10, false)))
        return false;
    static const char *const event_fields[] = {"event.category", "event.kind",    "event.outcome",
                                               "event.action",   "event.dataset", "event.module",
                                               "ecs.version"};
    for (size_t i = 0; i < sizeof(event_fields) / sizeof(event_fields[0]); i++)
        if (sn_jv_present(sn_jpath(o, event_fields[i], false)))
            return true;
    return false;
}

/* Whether event.category (a keyword, or an array of them) holds "authentication". */
static sn_status is_authentication(sn_jctx *c, bool *yes)
{
    sn_jv v = sn_jpath(c->base, "event.category", false);
    sn_jv_type t = sn_jv_typeof(v);
    *yes = false;
    if (t == SN_JV_NONE || t == SN_JV_NULL)
        return SN_OK;
    if (t == SN_JV_STRING) {
        *yes = sn_jeq(sn_jv_str(v), "authentication");
        return SN_OK;
    }
    if (t != SN_JV_ARRAY)
        return sn_jbad(c, SN_ERR_PARSE, "event.category",
                       "expected a string or an array of strings, got %s", sn_jv_type_name(v));
    sn_jiter it = sn_jv_iter(v);
    sn_jv e;
    const char *k;
    size_t kn;
    while (sn_jiter_next(&it, &e, &k, &kn)) {
        if (sn_jv_typeof(e) != SN_JV_STRING)
            return sn_jbad(c, SN_ERR_PARSE, "event.category",
                           "expected an array of strings, got %s in it", sn_jv_type_name(e));
        if (sn_jeq(sn_jv_str(e), "authentication"))
            *yes = true;
    }
    return SN_OK;
}

/* source.geo.location is a geo_point: {"lat": y, "lon": x}, [x, y] (GeoJSON order), or
 * "y,x". */
static sn_status geo_point(sn_jctx *c)
{
    const char *path = "source.geo.location";
    sn_jv v = sn_jpath(c->base, path, false);
    sn_jv_type t = sn_jv_typeof(v);
    if (t == SN_JV_NONE || t == SN_JV_NULL)
        return SN_OK;
    if (t == SN_JV_OBJECT) {
        sn_jctx g = sn_jsub(c, v, path);
        return sn_jcoords(&g, "lat", "lon");
    }
    double lat, lon;
    bool ok = false;
    if (t == SN_JV_ARRAY && sn_jv_pair(v, &lon, &lat)) {
        ok = true;
    } else if (t == SN_JV_STRING) {
        size_t n;
        const char *s = sn_jv_string(v, &n);
        const char *comma = memchr(s, ',', n);
        ok = comma && sn_ingest_parse_double(s, (size_t)(comma - s), &lat) &&
             sn_ingest_parse_double(comma + 1, n - (size_t)(comma + 1 - s), &lon);
    }
    if (!ok)
        return sn_jbad(c, SN_ERR_PARSE, path,
                       "expected a geo_point ({\"lat\": y, \"lon\": x}, [x, y] or \"y,x\"), got %s",
                       sn_jv_type_name(v));
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180))
        return sn_jbad(c, SN_ERR_RANGE, path,
                       "%g, %g is out of range (latitude -90 to 90, "
                       "longitude -180 to 180)",
                       lat, lon);
    c->ev->lat = lat;
    c->ev->lon = lon;
    c->r->coords_seen = 3;
    return SN_OK;
}

static sn_status ecs_build(sn_jctx *c, bool *ignored)
{
    static const char *const user_paths[] = {"user.name", "user.email", "user.id", NULL};
    static const char *const target_paths[] = {"host.name", "destination.domain",
                                               "destination.address", "destination.ip", NULL};
    bool auth;
    sn_str user, s, city, cc, loc;
    sn_status st = is_authentication(c, &auth);
    if (st != SN_OK)
        return st;
    if (!auth) {
        *ignored = true;
        return SN_OK;
    }
    st = sn_jtime(c, "@timestamp");
    if (st == SN_EOF)
        return sn_jbad(c, SN_ERR_MISSING, "@timestamp", "required field is missing");
    if (st != SN_OK || (st = sn_jstr_first(c, user_paths, &user)) != SN_OK)
        return st;
    if (!user.n)
        return sn_jbad(c, SN_ERR_MISSING, "user.name", "required field is missing or empty");
    if ((st = sn_jset(c, SN_F_USER_ID, user, "user.name")) != SN_OK ||
        (st = sn_jstr(c, "event.action", &s)) != SN_OK)
        return st;
    if (!s.n)
        s = (sn_str){"authentication", 14};
    if ((st = sn_jset(c, SN_F_ACTION, s, "event.action")) != SN_OK ||
        (st = sn_jstr_first(c, target_paths, &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_RESOURCE, s, "host.name")) != SN_OK ||
        (st = sn_jstr(c, "event.outcome", &s)) != SN_OK)
        return st;
    if (sn_jeq(s, "success")) {
        c->ev->success = 1;
    } else if (sn_jeq(s, "failure")) {
        c->ev->success = 0;
    } else if (s.n && !sn_jeq(s, "unknown")) {
        char q[96];
        sn_ingest_quote(q, sizeof(q), s.p, s.n);
        return sn_jbad(c, SN_ERR_PARSE, "event.outcome", "%s is not success, failure or unknown",
                       q);
    }
    if ((st = sn_jip(c, "source.ip", false)) != SN_OK ||
        (st = sn_jstr(c, "source.geo.city_name", &city)) != SN_OK ||
        (st = sn_jstr(c, "source.geo.country_iso_code", &cc)) != SN_OK)
        return st;
    sn_str parts[2] = {city, cc};
    if ((st = sn_jjoin(c, ", ", parts, 2, &loc, "source.geo")) != SN_OK)
        return st;
    c->ev->location = loc;
    if (cc.n == 2)
        c->ev->country = cc;
    if ((st = geo_point(c)) != SN_OK || (st = sn_jstr(c, "user_agent.original", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_USER_AGENT, s, "user_agent.original")) != SN_OK ||
        (st = sn_jstr(c, "event.id", &s)) != SN_OK ||
        (st = sn_jset(c, SN_F_EVENT_ID, s, "event.id")) != SN_OK)
        return st;
    return sn_jfinish(c);
}

sn_status sn_ecs_open(sn_reader *r, sn_error *err)
{
    (void)err;
    sn_jstream_open(r, NULL);
    return SN_OK;
}

sn_status sn_ecs_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    return sn_jstream_next_event(r, ev, err, ecs_build);
}
