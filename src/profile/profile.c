/* Behavioural baselines: interning, hierarchical Pitman-Yor predictive probabilities, bursts. */
#include "profile_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_HORIZON_US (3600.0 * 1e6) /* volume: one hour */
#define HOUR_US 3600000000LL

static const char *const attr_names[SN_ATTR_COUNT] = {
    "network", "location", "resource", "action", "hour", "weekend", "outcome", "asn", "client",
};

const char *sn_attr_name(sn_attr a)
{
    return (unsigned)a < SN_ATTR_COUNT ? attr_names[a] : "?";
}

void sn_profile_params_default(sn_profile_params *p)
{
    /* Open vocabularies (networks, places, resources, autonomous systems, clients) expect new
     * values now and then: small concentration, discount 0.5. Closed small domains (actions, hours,
     * weekend, outcome) lean on the peers' distribution: larger concentration, no discount. */
    static const double theta[SN_ATTR_COUNT] = {1, 1, 1, 10, 10, 10, 10, 1, 1};
    static const double disc[SN_ATTR_COUNT] = {0.5, 0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5};
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        p->concentration[a] = theta[a];
        p->discount[a] = disc[a];
    }
    p->typical_prior_weight = 5.0;
    p->burst_seconds = 600.0;
}

sn_profiles *sn_profiles_new(const sn_profile_params *params)
{
    sn_profiles *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (params)
        p->params = *params;
    else
        sn_profile_params_default(&p->params);
    p->users = sn_strmap_new();
    p->peers = sn_strmap_new();
    p->titles = sn_strmap_new();
    int ok = p->users && p->peers && p->titles;
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        p->values[a] = sn_strmap_new();
        ok = ok && p->values[a];
        sn_u64map_init(&p->user_count[a]);
        sn_u64map_init(&p->peer_count[a]);
    }
    sn_u64map_init(&p->network_ids);
    sn_u64map_init(&p->source_ids);
    sn_u64map_init(&p->accounts);
    if (!ok) {
        sn_profiles_free(p);
        return NULL;
    }
    /* Fixed domains get their names up front so that ids equal values. */
    char name[8];
    for (int h = 0; h < 24; h++) {
        int n = snprintf(name, sizeof(name), "%02d:00", h);
        if (sn_strmap_intern(p->values[SN_ATTR_HOUR], name, (size_t)n) < 0)
            ok = 0;
    }
    ok = ok && sn_strmap_intern(p->values[SN_ATTR_WEEKEND], "weekday", 7) == 0;
    ok = ok && sn_strmap_intern(p->values[SN_ATTR_WEEKEND], "weekend", 7) == 1;
    ok = ok && sn_strmap_intern(p->values[SN_ATTR_OUTCOME], "success", 7) == 0;
    ok = ok && sn_strmap_intern(p->values[SN_ATTR_OUTCOME], "failure", 7) == 1;
    if (!ok) {
        sn_profiles_free(p);
        return NULL;
    }
    return p;
}

void sn_profiles_free(sn_profiles *p)
{
    if (!p)
        return;
    sn_strmap_free(p->users);
    sn_strmap_free(p->peers);
    sn_strmap_free(p->titles);
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        sn_strmap_free(p->values[a]);
        sn_u64map_free(&p->user_count[a]);
        sn_u64map_free(&p->peer_count[a]);
        free(p->org_count[a]);
    }
    sn_u64map_free(&p->network_ids);
    sn_u64map_free(&p->source_ids);
    sn_u64map_free(&p->accounts);
    free(p->user);
    free(p->peer);
    free(p->source);
    free(p);
}

static void init_user(sn_user *u)
{
    memset(u, 0, sizeof(*u));
    u->peer = u->title = -1;
    u->last_location = -1;
    u->last_hour_index = -1;
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        for (int t = 0; t < SN_TOP; t++)
            u->top_id[a][t] = -1;
}

void sn_profiles_reset(sn_profiles *p)
{
    for (int32_t i = 0; i < p->user_cap; i++) {
        int32_t peer = p->user[i].peer, title = p->user[i].title;
        init_user(&p->user[i]);
        p->user[i].peer = peer;
        p->user[i].title = title;
    }
    if (p->peer)
        memset(p->peer, 0, (size_t)p->peer_cap * sizeof(sn_level));
    memset(&p->org, 0, sizeof(p->org));
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        if (p->org_count[a])
            memset(p->org_count[a], 0, (size_t)p->org_cap[a] * sizeof(uint32_t));
        sn_u64map_clear(&p->user_count[a]);
        sn_u64map_clear(&p->peer_count[a]);
    }
    sn_u64map_clear(&p->source_ids);
    p->source_len = 0;
    /* the organisation's accounts stay; the requests of foreign ones were history */
    sn_u64map own;
    sn_u64map_init(&own);
    for (size_t i = 0; i < p->accounts.cap; i++) {
        if (!p->accounts.keys[i] || !(p->accounts.vals[i] & 1))
            continue;
        uint32_t *slot = sn_u64map_slot(&own, p->accounts.keys[i]);
        if (!slot) {
            /* out of memory: keep them all rather than lose the organisation's */
            sn_u64map_free(&own);
            return;
        }
        *slot = 1;
    }
    sn_u64map_free(&p->accounts);
    p->accounts = own;
}

int sn__profiles_grow_users(sn_profiles *p, int32_t id)
{
    if (id < p->user_cap)
        return 0;
    int32_t nc = p->user_cap ? p->user_cap : 256;
    while (nc <= id)
        nc *= 2;
    sn_user *nu = realloc(p->user, (size_t)nc * sizeof(*nu));
    if (!nu)
        return -1;
    for (int32_t i = p->user_cap; i < nc; i++)
        init_user(&nu[i]);
    p->user = nu;
    p->user_cap = nc;
    return 0;
}

int sn__profiles_grow_peers(sn_profiles *p, int32_t id)
{
    if (id < p->peer_cap)
        return 0;
    int32_t nc = p->peer_cap ? p->peer_cap : 16;
    while (nc <= id)
        nc *= 2;
    sn_level *np = realloc(p->peer, (size_t)nc * sizeof(*np));
    if (!np)
        return -1;
    memset(np + p->peer_cap, 0, (size_t)(nc - p->peer_cap) * sizeof(*np));
    p->peer = np;
    p->peer_cap = nc;
    return 0;
}

int sn__profiles_grow_org(sn_profiles *p, sn_attr a, int32_t id)
{
    if (id < p->org_cap[a])
        return 0;
    int32_t nc = p->org_cap[a] ? p->org_cap[a] : 64;
    while (nc <= id)
        nc *= 2;
    uint32_t *n = realloc(p->org_count[a], (size_t)nc * sizeof(uint32_t));
    if (!n)
        return -1;
    memset(n + p->org_cap[a], 0, (size_t)(nc - p->org_cap[a]) * sizeof(uint32_t));
    p->org_count[a] = n;
    p->org_cap[a] = nc;
    return 0;
}

/* Network of an address: IPv4 /16, IPv6 /48 (IPv4-mapped IPv6 as IPv4). Key is never 0. */
static uint64_t network_key(const sn_ip *ip)
{
    const uint8_t *b = ip->addr;
    if (ip->family == 6) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, 12) != 0)
            return (6ULL << 56) | ((uint64_t)b[0] << 40) | ((uint64_t)b[1] << 32) |
                   ((uint64_t)b[2] << 24) | ((uint64_t)b[3] << 16) | ((uint64_t)b[4] << 8) | b[5];
        b += 12;
    }
    return (4ULL << 56) | ((uint64_t)b[0] << 8) | b[1];
}

/* The name of a network key, for reasons: "10.1.0.0/16", "2001:db8:1::/48". Only written for a
 * network seen for the first time. */
static void network_name(uint64_t key, char *name, size_t n)
{
    if (key >> 56 == 6)
        snprintf(name, n, "%x:%x:%x::/48", (unsigned)(key >> 32) & 0xffff,
                 (unsigned)(key >> 16) & 0xffff, (unsigned)key & 0xffff);
    else
        snprintf(name, n, "%u.%u.0.0/16", (unsigned)(key >> 8) & 0xff, (unsigned)key & 0xff);
}

static uint64_t source_key(const sn_ip *ip)
{
    return sn_hash_bytes(ip->addr, 16, ip->family) | 1;
}

/* The id of s in m, checked first against the id the user had last time: a user's department
 * and title rarely change, and one comparison is cheaper than hashing and probing. */
static int32_t intern_as_before(sn_strmap *m, int32_t before, const char *s, size_t n)
{
    if (before >= 0 && sn_strmap_len(m, before) == n && memcmp(sn_strmap_str(m, before), s, n) == 0)
        return before;
    return sn_strmap_intern(m, s, n);
}

/* The rest of sn_profiles_observe once the user's id is known. */
static sn_status observe_as(sn_profiles *p, const sn_event *ev, int32_t user, sn_obs *o)
{
    memset(o, 0, sizeof(*o));
    o->user = user;
    sn_user *u = &p->user[o->user];
    o->peer = -1;
    o->title = -1;
    if (ev->department.n) {
        o->peer = intern_as_before(p->peers, u->peer, ev->department.p, ev->department.n);
        if (o->peer < 0 || sn__profiles_grow_peers(p, o->peer) != 0)
            return SN_ERR_NOMEM;
        u->peer = o->peer;
    } else {
        o->peer = u->peer;
    }
    if (ev->job_title.n) {
        o->title = intern_as_before(p->titles, u->title, ev->job_title.p, ev->job_title.n);
        if (o->title < 0)
            return SN_ERR_NOMEM;
        u->title = o->title;
    } else {
        o->title = u->title;
    }
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        o->value[a] = -1;
    if (ev->ip.family) {
        uint64_t key = network_key(&ev->ip);
        uint32_t id1 = sn_u64map_get(&p->network_ids, key);
        if (!id1) {
            char name[64];
            network_name(key, name, sizeof(name));
            int32_t id = sn_strmap_intern(p->values[SN_ATTR_NETWORK], name, strlen(name));
            uint32_t *slot = id < 0 ? NULL : sn_u64map_slot(&p->network_ids, key);
            if (!slot)
                return SN_ERR_NOMEM;
            *slot = id1 = (uint32_t)id + 1;
        }
        o->value[SN_ATTR_NETWORK] = (int32_t)id1 - 1;
        o->source_key = source_key(&ev->ip);
    } else if (ev->resource.n) {
        /* Tagged so that a resource never collides with an address. */
        o->source_key = sn_hash_bytes(ev->resource.p, ev->resource.n, 0x7265736f75726365ULL) | 1;
        o->source_is_resource = true;
    }
    const sn_str *loc = ev->location.n ? &ev->location : (ev->country.n ? &ev->country : NULL);
    if (loc) {
        o->value[SN_ATTR_LOCATION] = sn_strmap_intern(p->values[SN_ATTR_LOCATION], loc->p, loc->n);
        if (o->value[SN_ATTR_LOCATION] < 0)
            return SN_ERR_NOMEM;
    }
    if (ev->resource.n) {
        o->value[SN_ATTR_RESOURCE] =
            sn_strmap_intern(p->values[SN_ATTR_RESOURCE], ev->resource.p, ev->resource.n);
        if (o->value[SN_ATTR_RESOURCE] < 0)
            return SN_ERR_NOMEM;
    }
    if (ev->action.n) {
        o->value[SN_ATTR_ACTION] =
            sn_strmap_intern(p->values[SN_ATTR_ACTION], ev->action.p, ev->action.n);
        if (o->value[SN_ATTR_ACTION] < 0)
            return SN_ERR_NOMEM;
    }
    int64_t secs = ev->ts_us >= 0 ? ev->ts_us / 1000000 : -((-ev->ts_us + 999999) / 1000000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int weekday = (int)(((days % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday; Monday = 0 */
    o->value[SN_ATTR_HOUR] = (int32_t)(sod / 3600);
    o->value[SN_ATTR_WEEKEND] = weekday >= 5;
    if (ev->success >= 0)
        o->value[SN_ATTR_OUTCOME] = ev->success ? 0 : 1;
    o->success = ev->success;
    o->weak_cipher = ev->weak_cipher;
    o->anonymous = ev->anonymous;
    o->caller_account = ev->caller_account;
    o->owner_account = ev->owner_account;
    o->caller_is_principal = ev->caller_is_principal;
    o->ts_us = ev->ts_us;
    o->has_coords = ev->has_coords;
    o->lat = ev->lat;
    o->lon = ev->lon;
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        if (o->value[a] >= 0 && sn__profiles_grow_org(p, (sn_attr)a, o->value[a]) != 0)
            return SN_ERR_NOMEM;
    return SN_OK;
}

sn_status sn_profiles_observe(sn_profiles *p, const sn_event *ev, sn_obs *o)
{
    int32_t user = sn_strmap_intern(p->users, ev->user_id.p, ev->user_id.n);
    if (user < 0 || sn__profiles_grow_users(p, user) != 0)
        return SN_ERR_NOMEM;
    return observe_as(p, ev, user, o);
}

sn_status sn_profiles_observe_many(sn_profiles *p, const sn_event *ev, size_t n, sn_obs *o)
{
    /* Three passes over the events, in order: hashes (and where their lookups start), ids
     * (and the users' records), the rest. Ids come out as one event after the other would
     * give them. */
    for (size_t i = 0; i < n; i++) {
        uint64_t h = sn_strmap_hash(p->users, ev[i].user_id.p, ev[i].user_id.n);
        o[i].source_key = h; /* kept here until the ids are known */
        sn_strmap_prefetch(p->users, h);
    }
    for (size_t i = 0; i < n; i++) {
        int32_t user =
            sn_strmap_intern_hashed(p->users, ev[i].user_id.p, ev[i].user_id.n, o[i].source_key);
        if (user < 0 || sn__profiles_grow_users(p, user) != 0)
            return SN_ERR_NOMEM;
        o[i].user = user;
        __builtin_prefetch(&p->user[user].peer);
    }
    for (size_t i = 0; i < n; i++) {
        sn_status st = observe_as(p, &ev[i], o[i].user, &o[i]);
        if (st != SN_OK)
            return st;
    }
    return SN_OK;
}

sn_status sn_profiles_set_value(sn_profiles *p, sn_obs *o, sn_attr a, const char *name, size_t n)
{
    if ((unsigned)a >= SN_ATTR_COUNT || sn_level_small(&p->org, a, 0))
        return SN_ERR_USAGE; /* the fixed domains come from the event alone */
    int32_t id = sn_strmap_intern(p->values[a], name, n);
    if (id < 0 || sn__profiles_grow_org(p, a, id) != 0)
        return SN_ERR_NOMEM;
    o->value[a] = id;
    return SN_OK;
}

/* Pitman-Yor predictive probability of a value seen `c` times among `n` observations with `k`
 * distinct values, backing off to `base` for the mass of new values. */
static double py_prob(double c, double n, double k, double theta, double d, double base)
{
    double pnew = (theta + d * k) / (n + theta);
    double seen = c > 0 ? (c - d) / (n + theta) : 0.0;
    return seen + pnew * base;
}

static double decay(double value, int64_t from_us, int64_t to_us, double horizon_us)
{
    if (to_us <= from_us || value == 0.0) /* nothing to decay: no exp() */
        return value;
    return value * exp(-(double)(to_us - from_us) / horizon_us);
}

/* The user's count of value v of attribute a (inline, hash map, or fixed-domain array). */
static uint32_t user_count(const sn_profiles *p, const sn_user *u, int32_t user, int a, int32_t v)
{
    const uint32_t *small = sn_level_small((sn_level *)&u->st, a, v);
    if (small)
        return *small;
    if (a < SN_INLINE_ATTRS) {
        for (int i = 0; i < u->inline_len[a]; i++)
            if (u->inline_id[a][i] == v)
                return u->inline_count[a][i];
        if (u->inline_len[a] < SN_INLINE)
            return 0;
    }
    return sn_u64map_get(&p->user_count[a], sn_pair_key(user, v));
}

/* Where the user's count of value v lives, created at 0 when absent; NULL when out of memory. */
static uint32_t *user_count_slot(sn_profiles *p, sn_user *u, int32_t user, int a, int32_t v)
{
    uint32_t *small = sn_level_small(&u->st, a, v);
    if (small)
        return small;
    if (a < SN_INLINE_ATTRS) {
        for (int i = 0; i < u->inline_len[a]; i++)
            if (u->inline_id[a][i] == v)
                return &u->inline_count[a][i];
        if (u->inline_len[a] < SN_INLINE) {
            int i = u->inline_len[a]++;
            u->inline_id[a][i] = v;
            u->inline_count[a][i] = 0;
            return &u->inline_count[a][i];
        }
    }
    return sn_u64map_slot(&p->user_count[a], sn_pair_key(user, v));
}

void sn_profiles_prefetch(const sn_profiles *p, const sn_obs *o)
{
    const char *u = (const char *)&p->user[o->user];
    for (size_t off = 0; off < sizeof(sn_user); off += 64)
        __builtin_prefetch(u + off);
}

/* Whether the caller's AWS account is foreign to the organisation. The account of the resources
 * called is the organisation's, and so is the account of an identity calling where that account
 * is unknown (a trail without recipientAccountId); another account calling in is foreign unless
 * configured or learned as the organisation's. */
static bool caller_is_foreign(const sn_profiles *p, const sn_obs *o)
{
    uint64_t a = o->caller_account;
    if (!a || o->caller_trusted || a == o->owner_account)
        return false;
    if (o->caller_is_principal && !o->owner_account)
        return false;
    return !(sn_u64map_get(&p->accounts, a) & 1);
}

static void account_judge(const sn_profiles *p, const sn_obs *o, sn_judgement *j)
{
    j->foreign_account = caller_is_foreign(p, o);
    if (j->foreign_account)
        j->foreign_calls = sn_u64map_get(&p->accounts, o->caller_account) >> 1;
}

/* Learns the organisation's accounts from the event, and counts a foreign caller's requests. */
static sn_status account_update(sn_profiles *p, const sn_obs *o, const sn_judgement *j)
{
    uint32_t *slot;
    if (o->owner_account) {
        if (!(slot = sn_u64map_slot(&p->accounts, o->owner_account)))
            return SN_ERR_NOMEM;
        *slot |= 1;
    }
    if (!o->caller_account)
        return SN_OK;
    if (j->foreign_account) {
        if (!(slot = sn_u64map_slot(&p->accounts, o->caller_account)))
            return SN_ERR_NOMEM;
        if (*slot >> 1 < UINT32_MAX >> 1)
            *slot += 2;
    } else if (o->caller_is_principal && !o->owner_account) {
        if (!(slot = sn_u64map_slot(&p->accounts, o->caller_account)))
            return SN_ERR_NOMEM;
        *slot |= 1;
    }
    return SN_OK;
}

void sn_profiles_judge(const sn_profiles *p, const sn_obs *o, sn_judgement *j)
{
    memset(j, 0, sizeof(*j));
    const sn_user *u = &p->user[o->user];
    const sn_level *peer = o->peer >= 0 ? &p->peer[o->peer] : NULL;
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        int32_t v = o->value[a];
        if (v < 0)
            continue;
        double th = p->params.concentration[a], d = p->params.discount[a];
        double cg = p->org_count[a][v];
        double pg = py_prob(cg, p->org.n[a], p->org.k[a], th, d, 1.0);
        double pp = pg;
        double typical_prior = p->org.n[a] ? p->org.ssum[a] / p->org.n[a] : 0.0;
        j->org_n[a] = p->org.n[a];
        j->org_share[a] = p->org.n[a] ? cg / p->org.n[a] : 0.0;
        if (peer) {
            const uint32_t *small = sn_level_small((sn_level *)peer, a, v);
            double cp = small ? *small : sn_u64map_get(&p->peer_count[a], sn_pair_key(o->peer, v));
            pp = py_prob(cp, peer->n[a], peer->k[a], th, d, pg);
            j->peer_share[a] = peer->n[a] ? cp / peer->n[a] : 0.0;
            j->peer_n[a] = peer->n[a];
            if (peer->n[a])
                typical_prior = peer->ssum[a] / peer->n[a];
        }
        uint32_t cu = user_count(p, u, o->user, a, v);
        double pu = py_prob(cu, u->st.n[a], u->st.k[a], th, d, pp);
        if (pu < 1e-300)
            pu = 1e-300;
        double bits = -log2(pu);
        double w = p->params.typical_prior_weight;
        double typical = (u->st.ssum[a] + w * typical_prior) / (u->st.n[a] + w);
        j->bits[a] = bits;
        j->typical[a] = typical;
        j->excess[a] = bits > typical ? bits - typical : 0.0;
        j->user_count[a] = cu;
        j->user_n[a] = u->st.n[a];
        j->user_distinct[a] = u->st.k[a];
    }
    account_judge(p, o, j);
    j->user_events = u->events;
    j->user_resources = u->st.k[SN_ATTR_RESOURCE];
    j->user_success_rate = u->events ? (double)u->successes / u->events : 1.0;
    j->home_location = u->top_id[SN_ATTR_LOCATION][0];
    j->has_prev = u->events > 0;
    j->prev_ts_us = u->last_ts;
    j->prev_has_coords = u->last_has_coords;
    j->prev_coords_from_ip = u->last_coords_from_ip;
    j->prev_lat = u->last_lat;
    j->prev_lon = u->last_lon;
    j->prev_location = u->last_location;
    j->prev_location_bits = u->last_location_bits;
    j->first_ts_us = u->events ? u->first_ts : o->ts_us;
    bool failed = o->success == 0;
    j->user_fail_before = decay(u->fail_burst, u->fail_ts, o->ts_us, p->params.burst_seconds * 1e6);
    j->user_fail_burst = j->user_fail_before + failed;
    bool novel = o->value[SN_ATTR_RESOURCE] >= 0 && j->user_count[SN_ATTR_RESOURCE] == 0;
    j->user_novel_burst =
        decay(u->novel_burst, u->novel_ts, o->ts_us, p->params.burst_seconds * 1e6) + novel;
    if (o->source_key) {
        uint32_t si = sn_u64map_get(&p->source_ids, o->source_key);
        if (si) {
            const sn_source *s = &p->source[si - 1];
            j->source_fail_burst =
                decay(s->fail_burst, s->ts, o->ts_us, p->params.burst_seconds * 1e6);
            j->source_fail_users =
                decay(s->users_burst, s->ts, o->ts_us, p->params.burst_seconds * 1e6);
            if (failed) {
                bool seen = false;
                for (int i = 0; i < 8; i++)
                    seen = seen || s->recent_users[i] == o->user + 1;
                j->source_fail_users += !seen;
            }
        } else if (failed) {
            j->source_fail_users = 1;
        }
        j->source_fail_burst += failed;
        /* Without an address the source is the target host: other accounts' successes there
         * are not part of a spray against it. */
        if (o->source_is_resource && !failed)
            j->source_fail_users = 0;
    }
    j->user_rate_now = decay(u->rate_now, u->rate_ts, o->ts_us, RATE_HORIZON_US) + 1.0;
    j->user_rate_usual = u->active_hours ? (double)u->events / u->active_hours : 0.0;
}

static void top_update(sn_user *u, int a, int32_t v, uint32_t count)
{
    int32_t *ids = u->top_id[a];
    uint32_t *cs = u->top_count[a];
    int pos = -1;
    for (int t = 0; t < SN_TOP; t++)
        if (ids[t] == v)
            pos = t;
    if (pos < 0) {
        if (ids[SN_TOP - 1] >= 0 && cs[SN_TOP - 1] >= count)
            return;
        pos = SN_TOP - 1;
        ids[pos] = v;
    }
    cs[pos] = count;
    while (pos > 0 && cs[pos] > cs[pos - 1]) {
        int32_t ti = ids[pos];
        uint32_t tc = cs[pos];
        ids[pos] = ids[pos - 1];
        cs[pos] = cs[pos - 1];
        ids[pos - 1] = ti;
        cs[pos - 1] = tc;
        pos--;
    }
}

sn_status sn_profiles_update(sn_profiles *p, const sn_obs *o, const sn_judgement *j)
{
    if (account_update(p, o, j) != SN_OK)
        return SN_ERR_NOMEM;
    sn_user *u = &p->user[o->user];
    sn_level *peer = o->peer >= 0 ? &p->peer[o->peer] : NULL;
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        int32_t v = o->value[a];
        if (v < 0)
            continue;
        uint32_t *cu = user_count_slot(p, u, o->user, a, v);
        if (!cu)
            return SN_ERR_NOMEM;
        if ((*cu)++ == 0)
            u->st.k[a]++;
        u->st.n[a]++;
        u->st.ssum[a] += j->bits[a];
        top_update(u, a, v, *cu);
        if (peer) {
            uint32_t *cp = sn_level_small(peer, a, v);
            if (!cp && !(cp = sn_u64map_slot(&p->peer_count[a], sn_pair_key(o->peer, v))))
                return SN_ERR_NOMEM;
            if ((*cp)++ == 0)
                peer->k[a]++;
            peer->n[a]++;
            peer->ssum[a] += j->bits[a];
        }
        if (p->org_count[a][v]++ == 0)
            p->org.k[a]++;
        p->org.n[a]++;
        p->org.ssum[a] += j->bits[a];
    }
    if (u->events == 0)
        u->first_ts = o->ts_us;
    u->events++;
    u->successes += o->success != 0;
    u->last_ts = o->ts_us;
    u->last_has_coords = o->has_coords;
    u->last_coords_from_ip = o->coords_from_ip;
    u->last_lat = o->lat;
    u->last_lon = o->lon;
    if (o->value[SN_ATTR_LOCATION] >= 0) {
        u->last_location = o->value[SN_ATTR_LOCATION];
        u->last_location_bits = (float)j->bits[SN_ATTR_LOCATION];
    }
    if (o->success == 0) {
        u->fail_burst = j->user_fail_burst;
        u->fail_ts = o->ts_us;
    }
    u->rate_now = j->user_rate_now;
    if (o->value[SN_ATTR_RESOURCE] >= 0 && j->user_count[SN_ATTR_RESOURCE] == 0) {
        u->novel_burst = j->user_novel_burst;
        u->novel_ts = o->ts_us;
    }
    u->rate_ts = o->ts_us;
    int64_t hour_index = o->ts_us / HOUR_US;
    if (hour_index != u->last_hour_index) {
        u->active_hours++;
        u->last_hour_index = hour_index;
    }
    if (o->source_key && o->success == 0) {
        uint32_t *si = sn_u64map_slot(&p->source_ids, o->source_key);
        if (!si)
            return SN_ERR_NOMEM;
        if (!*si) {
            if (p->source_len == p->source_cap) {
                uint32_t nc = p->source_cap ? p->source_cap * 2 : 64;
                sn_source *ns = realloc(p->source, nc * sizeof(*ns));
                if (!ns)
                    return SN_ERR_NOMEM;
                p->source = ns;
                p->source_cap = nc;
            }
            memset(&p->source[p->source_len], 0, sizeof(sn_source));
            *si = ++p->source_len;
        }
        sn_source *s = &p->source[*si - 1];
        s->fail_burst = j->source_fail_burst;
        s->users_burst = j->source_fail_users;
        s->ts = o->ts_us;
        bool seen = false;
        for (int i = 0; i < 8; i++)
            seen = seen || s->recent_users[i] == o->user + 1;
        if (!seen) {
            s->recent_users[s->recent_next] = o->user + 1;
            s->recent_next = (uint8_t)((s->recent_next + 1) % 8);
        }
    }
    return SN_OK;
}

/* Takes c observations of one value of attribute a, counted at *count, out of a level. */
static void level_take(sn_level *l, uint32_t *count, int a, uint32_t c)
{
    if (!count || !*count)
        return;
    uint32_t take = c < *count ? c : *count;
    *count -= take;
    if (*count == 0 && l->k[a])
        l->k[a]--;
    l->n[a] = l->n[a] > take ? l->n[a] - take : 0;
}

/* Value v of attribute a counted c times for user u: out of the user's peer group and the
 * organisation. */
static void forget_value(sn_profiles *p, const sn_user *u, int a, int32_t v, uint32_t c)
{
    if (!c || v < 0)
        return;
    if (u->peer >= 0 && u->peer < p->peer_cap) {
        sn_level *peer = &p->peer[u->peer];
        uint32_t *cp = sn_level_small(peer, a, v);
        if (!cp) {
            uint64_t key = sn_pair_key(u->peer, v);
            cp = sn_u64map_get(&p->peer_count[a], key) ? sn_u64map_slot(&p->peer_count[a], key)
                                                       : NULL;
        }
        level_take(peer, cp, a, c);
    }
    if (v < p->org_cap[a])
        level_take(&p->org, &p->org_count[a][v], a, c);
}

bool sn_profiles_forget_user(sn_profiles *p, const char *user, size_t n)
{
    int32_t id = sn_strmap_find(p->users, user, n);
    if (id < 0 || id >= p->user_cap)
        return false;
    sn_user *u = &p->user[id];
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        /* The user's share of the typical surprisal of the group and the organisation. */
        if (u->peer >= 0 && u->peer < p->peer_cap) {
            double *ps = &p->peer[u->peer].ssum[a];
            *ps = *ps > u->st.ssum[a] ? *ps - u->st.ssum[a] : 0.0;
        }
        p->org.ssum[a] = p->org.ssum[a] > u->st.ssum[a] ? p->org.ssum[a] - u->st.ssum[a] : 0.0;
        if (sn_level_small(&u->st, a, 0)) {
            int32_t domain = a == SN_ATTR_HOUR ? 24 : 2;
            for (int32_t v = 0; v < domain; v++)
                forget_value(p, u, a, v, *sn_level_small(&u->st, a, v));
            continue;
        }
        if (a < SN_INLINE_ATTRS)
            for (int i = 0; i < u->inline_len[a]; i++)
                forget_value(p, u, a, u->inline_id[a][i], u->inline_count[a][i]);
        sn_u64map *m = &p->user_count[a];
        for (size_t i = 0; i < m->cap; i++) {
            uint64_t k = m->keys[i];
            if (!k || (int32_t)(k >> 32) - 1 != id || !m->vals[i])
                continue;
            forget_value(p, u, a, (int32_t)(uint32_t)k, m->vals[i]);
            m->vals[i] = 0;
        }
    }
    /* Failure sources remember the users they failed for: not this one any more. */
    for (uint32_t i = 0; i < p->source_len; i++)
        for (int k = 0; k < 8; k++)
            if (p->source[i].recent_users[k] == id + 1)
                p->source[i].recent_users[k] = 0;
    init_user(u); /* the id stays interned: a later event of the same user starts afresh */
    return true;
}

const char *sn_profiles_value_name(const sn_profiles *p, sn_attr a, int32_t id)
{
    return (unsigned)a < SN_ATTR_COUNT ? sn_strmap_str(p->values[a], id) : NULL;
}

const char *sn_profiles_user_name(const sn_profiles *p, int32_t user)
{
    return sn_strmap_str(p->users, user);
}

const char *sn_profiles_peer_name(const sn_profiles *p, int32_t peer)
{
    return sn_strmap_str(p->peers, peer);
}

int32_t sn_profiles_user_count(const sn_profiles *p)
{
    return sn_strmap_count(p->users);
}

int32_t sn_profiles_user_id(const sn_profiles *p, const char *user, size_t n)
{
    return sn_strmap_find(p->users, user, n);
}

void sn_profile_counts_free(sn_profile_counts *c)
{
    free(c->user_name);
    free(c->user_peer);
    free(c->user_title);
    free(c->value_name);
    free(c->cell);
    memset(c, 0, sizeof(*c));
}

sn_status sn_profiles_copy_counts(const sn_profiles *p, sn_attr a, sn_profile_counts *out)
{
    memset(out, 0, sizeof(*out));
    if ((unsigned)a >= SN_INLINE_ATTRS)
        return SN_OK;
    int32_t nu = sn_strmap_count(p->users), nv = sn_strmap_count(p->values[a]);
    const sn_u64map *m = &p->user_count[a];
    size_t n = m->len;
    for (int32_t u = 0; u < nu; u++)
        n += p->user[u].inline_len[a];
    out->user_name = malloc((size_t)(nu > 0 ? nu : 1) * sizeof(char *));
    out->user_peer = malloc((size_t)(nu > 0 ? nu : 1) * sizeof(char *));
    out->user_title = malloc((size_t)(nu > 0 ? nu : 1) * sizeof(char *));
    out->value_name = malloc((size_t)(nv > 0 ? nv : 1) * sizeof(char *));
    out->cell = malloc((n ? n : 1) * sizeof(sn_profile_cell));
    if (!out->user_name || !out->user_peer || !out->user_title || !out->value_name || !out->cell) {
        sn_profile_counts_free(out);
        return SN_ERR_NOMEM;
    }
    out->users = nu;
    out->values = nv;
    for (int32_t u = 0; u < nu; u++) {
        const sn_user *us = &p->user[u];
        out->user_name[u] = sn_strmap_str(p->users, u);
        out->user_peer[u] = us->peer >= 0 ? sn_strmap_str(p->peers, us->peer) : NULL;
        out->user_title[u] = us->title >= 0 ? sn_strmap_str(p->titles, us->title) : NULL;
        for (int i = 0; i < us->inline_len[a]; i++)
            out->cell[out->n++] = (sn_profile_cell){u, us->inline_id[a][i], us->inline_count[a][i]};
    }
    for (int32_t v = 0; v < nv; v++)
        out->value_name[v] = sn_strmap_str(p->values[a], v);
    /* Values past the inline ones live in the shared map, keyed (user + 1) << 32 | value. */
    for (size_t s = 0; s < m->cap; s++)
        if (m->keys[s])
            out->cell[out->n++] = (sn_profile_cell){(int32_t)(m->keys[s] >> 32) - 1,
                                                    (int32_t)(uint32_t)m->keys[s], m->vals[s]};
    return SN_OK;
}

int sn_profiles_user_top(const sn_profiles *p, int32_t user, sn_attr a, int32_t *ids,
                         uint32_t *counts, int max)
{
    if (user < 0 || user >= sn_strmap_count(p->users) || (unsigned)a >= SN_ATTR_COUNT)
        return 0;
    const sn_user *u = &p->user[user];
    int k = 0;
    for (int t = 0; t < SN_TOP && k < max; t++) {
        if (u->top_id[a][t] < 0)
            break;
        ids[k] = u->top_id[a][t];
        counts[k] = u->top_count[a][t];
        k++;
    }
    return k;
}

void sn_profiles_user_hours(const sn_profiles *p, int32_t user, int *from, int *to)
{
    *from = *to = -1;
    if (user < 0 || user >= sn_strmap_count(p->users))
        return;
    const sn_user *u = &p->user[user];
    uint32_t total = 0;
    for (int h = 0; h < 24; h++)
        total += u->st.hour[h];
    if (!total)
        return;
    /* Shortest circular window of hours holding at least 90% of the user's events. */
    int best_start = 0, best_len = 24;
    for (int s = 0; s < 24; s++) {
        uint32_t acc = 0;
        for (int len = 1; len <= 24; len++) {
            acc += u->st.hour[(s + len - 1) % 24];
            if (acc * 10 >= total * 9) {
                if (len < best_len) {
                    best_len = len;
                    best_start = s;
                }
                break;
            }
        }
    }
    *from = best_start;
    *to = (best_start + best_len - 1) % 24;
}
