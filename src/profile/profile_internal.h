/* State of the baselines, shared by the profile layer's own files only. */
#ifndef SN_PROFILE_INTERNAL_H
#define SN_PROFILE_INTERNAL_H

#include "profile.h"

#include "../core/strmap.h"
#include "../core/u64map.h"

#define SN_TOP 3
/* Values of an open vocabulary (network, location, resource, action) a user's counts keep inline
 * before spilling into the shared hash map: most users have fewer, and one user's counts then sit
 * in a few cache lines instead of scattered over a large table. */
#define SN_INLINE 8
#define SN_INLINE_ATTRS 4

typedef struct sn_level {
    uint32_t n[SN_ATTR_COUNT];  /* observations with the attribute */
    uint32_t k[SN_ATTR_COUNT];  /* distinct values */
    double ssum[SN_ATTR_COUNT]; /* sum of surprisals, for the typical surprisal */
    /* Counts of the small fixed domains, kept inline: no hash lookups on the hot path. */
    uint32_t hour[24], weekend[2], outcome[2];
} sn_level;

/* The inline count of value v of a fixed-domain attribute, or NULL for open vocabularies
 * (counted in the hash maps). */
static inline uint32_t *sn_level_small(sn_level *l, int a, int32_t v)
{
    switch (a) {
    case SN_ATTR_HOUR:
        return (unsigned)v < 24 ? &l->hour[v] : NULL;
    case SN_ATTR_WEEKEND:
        return (unsigned)v < 2 ? &l->weekend[v] : NULL;
    case SN_ATTR_OUTCOME:
        return (unsigned)v < 2 ? &l->outcome[v] : NULL;
    default:
        return NULL;
    }
}

typedef struct sn_user {
    sn_level st;
    int32_t peer, title;
    uint32_t events, successes;
    int64_t first_ts, last_ts;
    double last_lat, last_lon;
    bool last_has_coords;
    bool last_coords_from_ip;
    int32_t last_location;
    float last_location_bits; /* surprisal of the last event's location when it happened */
    double fail_burst;
    int64_t fail_ts;
    double rate_now;
    int64_t rate_ts;
    double novel_burst; /* resources new to the user, decayed over the burst horizon */
    int64_t novel_ts;
    uint32_t active_hours;
    int64_t last_hour_index;
    int32_t inline_id[SN_INLINE_ATTRS][SN_INLINE];
    uint32_t inline_count[SN_INLINE_ATTRS][SN_INLINE];
    uint8_t inline_len[SN_INLINE_ATTRS];
    int32_t top_id[SN_ATTR_COUNT][SN_TOP];
    uint32_t top_count[SN_ATTR_COUNT][SN_TOP];
} sn_user;

typedef struct sn_source {
    double fail_burst, users_burst;
    int64_t ts;
    int32_t recent_users[8];
    uint8_t recent_next;
} sn_source;

struct sn_profiles {
    sn_profile_params params;
    sn_strmap *users, *peers, *titles;
    sn_strmap *values[SN_ATTR_COUNT]; /* names of values; hour/weekend/outcome are fixed */
    sn_u64map network_ids;            /* network key -> id + 1 */
    sn_user *user;
    int32_t user_cap;
    sn_level *peer;
    int32_t peer_cap;
    sn_level org;
    uint32_t *org_count[SN_ATTR_COUNT];
    int32_t org_cap[SN_ATTR_COUNT];
    sn_u64map user_count[SN_ATTR_COUNT]; /* (user + 1) << 32 | value -> count */
    sn_u64map peer_count[SN_ATTR_COUNT]; /* (peer + 1) << 32 | value -> count */
    sn_u64map source_ids;                /* source key -> index + 1 */
    /* AWS accounts -> (requests as a foreign account << 1) | 1 when the history showed the
     * account to be the organisation's. Those learned stay when the history is reset. */
    sn_u64map accounts;
    sn_source *source;
    uint32_t source_len, source_cap;
};

static inline uint64_t sn_pair_key(int32_t owner, int32_t value)
{
    return ((uint64_t)(uint32_t)(owner + 1) << 32) | (uint32_t)value;
}

/* Grow the arrays so that index id is valid; 0 or -1 when out of memory. */
int sn__profiles_grow_users(sn_profiles *p, int32_t id);
int sn__profiles_grow_peers(sn_profiles *p, int32_t id);
int sn__profiles_grow_org(sn_profiles *p, sn_attr a, int32_t id);

#endif
