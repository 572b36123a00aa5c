/* Feature vector of one event: the reference system's twelve context features and the
 * behavioural evidence from the baselines. */
#include "features.h"

#include "../enrich/enrich.h"

#include <math.h>
#include <string.h>

static const char *const feature_names[] = {
#define SN_X_NAME(id, name) name,
    SN_FEATURE_TABLE(SN_X_NAME)
#undef SN_X_NAME
};

const char *sn_feature_name(int i)
{
    return (i >= 0 && i < SN_FEATURE_COUNT) ? feature_names[i] : "?";
}

/* Country code at the end of "City, CC" (or the whole string when it is two letters). */
static bool location_country(const sn_event *ev, char cc[3])
{
    if (ev->country.n == 2)
        return sn_geo_normalise_cc(ev->country.p, 2, cc);
    const char *s = ev->location.p;
    size_t n = ev->location.n;
    while (n && (s[n - 1] == ' '))
        n--;
    if (n >= 2 && (n == 2 || s[n - 3] == ',' || s[n - 3] == ' '))
        return sn_geo_normalise_cc(s + n - 2, 2, cc);
    return false;
}

static bool country_listed(const char *list, const char cc[3])
{
    if (!list)
        return false;
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        if (p[0] && p[1] && (p[2] == ',' || p[2] == '\0' || p[2] == ' ') &&
            (p[0] & ~0x20) == cc[0] && (p[1] & ~0x20) == cc[1])
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

void sn_features_build(const sn_feature_config *cfg, const sn_event *ev, const sn_obs *o,
                       const sn_judgement *j, float *f, sn_event_context *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    int64_t secs = ev->ts_us >= 0 ? ev->ts_us / 1000000 : -((-ev->ts_us + 999999) / 1000000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    ctx->hour = (int)((secs - days * 86400) / 3600);
    ctx->weekday = (int)(((days % 7) + 7 + 3) % 7);
    if (o->sensitivity > 0)
        ctx->sensitivity = o->sensitivity;
    else
        ctx->sensitivity =
            ev->resource.n ? sn_resource_sensitivity(ev->resource.p, ev->resource.n) : 1;
    if (o->action_risk > 0)
        ctx->action_risk = o->action_risk;
    else
        ctx->action_risk = ev->action.n ? sn_action_risk(ev->action.p, ev->action.n) : 1;
    char cc[3];
    ctx->suspicious_location =
        location_country(ev, cc) && country_listed(cfg ? cfg->suspicious_countries : NULL, cc);
    int32_t loc = o->value[SN_ATTR_LOCATION];
    ctx->different_location = loc >= 0 && j->home_location >= 0 && loc != j->home_location;
    /* Only forward in time: an event older than the one before it (out-of-order input) says
     * nothing about how fast the user moved. */
    if (j->has_prev && j->prev_has_coords && o->has_coords && o->ts_us >= j->prev_ts_us) {
        ctx->has_travel = true;
        ctx->travel_rough = o->coords_from_ip || j->prev_coords_from_ip;
        ctx->travel_km = sn_geo_distance_km(j->prev_lat, j->prev_lon, o->lat, o->lon);
        ctx->travel_minutes = (double)(o->ts_us - j->prev_ts_us) / 60e6;
        /* One minute is the floor: clocks of different systems disagree by that much. */
        double hours = ctx->travel_minutes > 1.0 ? ctx->travel_minutes / 60.0 : 1.0 / 60.0;
        ctx->travel_kmh = ctx->travel_km / hours;
    }

    f[SN_F_HOUR] = (float)ctx->hour;
    f[SN_F_DAY_OF_WEEK] = (float)ctx->weekday;
    f[SN_F_IS_WEEKEND] = ctx->weekday >= 5;
    f[SN_F_IS_BUSINESS_HOURS] = ctx->hour >= 9 && ctx->hour < 18 && ctx->weekday < 5;
    f[SN_F_USER_TOTAL_EVENTS] = (float)j->user_events;
    f[SN_F_USER_UNIQUE_RESOURCES] = (float)j->user_resources;
    f[SN_F_USER_SUCCESS_RATE] = (float)j->user_success_rate;
    f[SN_F_RESOURCE_SENSITIVITY] = (float)ctx->sensitivity;
    f[SN_F_ACTION_RISK] = (float)ctx->action_risk;
    f[SN_F_COMBINED_RISK] = (float)(ctx->sensitivity * ctx->action_risk);
    f[SN_F_SUSPICIOUS_LOCATION] = ctx->suspicious_location;
    f[SN_F_DIFFERENT_LOCATION] = ctx->different_location;
    /* the seven attributes the forest was designed on; the autonomous system, which mostly
     * restates the network, is evidence of its own but no feature */
    for (int a = 0; a <= SN_ATTR_OUTCOME; a++)
        f[SN_F_NETWORK_SURPRISE + a] = (float)j->excess[a];
    double share = j->peer_share[SN_ATTR_RESOURCE];
    f[SN_F_PEER_RESOURCE_RARITY] = o->value[SN_ATTR_RESOURCE] >= 0 && o->peer >= 0
                                       ? (float)-log2(share > 1e-4 ? share : 1e-4)
                                       : 0.0f;
    f[SN_F_GEO_VELOCITY] = ctx->has_travel ? (float)log10(1.0 + ctx->travel_kmh) : 0.0f;
    f[SN_F_USER_FAIL_BURST] = (float)j->user_fail_burst;
    f[SN_F_SOURCE_FAIL_USERS] = (float)j->source_fail_users;
    f[SN_F_VOLUME_RATIO] =
        j->user_rate_usual > 0 ? (float)(j->user_rate_now / j->user_rate_usual) : 1.0f;
}
