/* User risk score: per-user rings of judged events, their window statistics (kept up to date as
 * events arrive, so a query costs one pass over the peer group), and the five weighted factors. */
#include "user_risk.h"

#include "../core/strmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const factor_names[] = {
#define SN_X_UF(id, name, weight) name,
    SN_USER_FACTOR_TABLE(SN_X_UF)
#undef SN_X_UF
};

static const double factor_weights[] = {
#define SN_X_UF(id, name, weight) weight,
    SN_USER_FACTOR_TABLE(SN_X_UF)
#undef SN_X_UF
};

const char *sn_user_factor_name(sn_user_factor f)
{
    return (unsigned)f < SN_UF_COUNT ? factor_names[f] : "?";
}

double sn_user_factor_weight(sn_user_factor f)
{
    return (unsigned)f < SN_UF_COUNT ? factor_weights[f] : 0.0;
}

void sn_user_risk_params_default(sn_user_risk_params *p)
{
    p->window_days = 30.0;
    p->per_user = 1000;
}

void sn_user_obs_from_verdict(const sn_event *ev, const sn_verdict *v, sn_user_obs *out)
{
    memset(out, 0, sizeof(*out));
    out->ts_us = ev->ts_us;
    out->anomaly_score = (float)v->anomaly_score;
    out->is_anomaly = v->is_anomaly;
    out->success = ev->success;
    out->sensitivity = (uint8_t)v->features[SN_F_RESOURCE_SENSITIVITY];
    out->action_risk = (uint8_t)v->features[SN_F_ACTION_RISK];
    out->business_hours = v->features[SN_F_IS_BUSINESS_HOURS] != 0.0f;
    out->suspicious_location = v->features[SN_F_SUSPICIOUS_LOCATION] != 0.0f;
}

/* Sums over one user's window. The anomaly scores are summed in fixed point (units of 2^-24
 * bits), so that taking an event out of the sum leaves exactly what adding the others gives. */
typedef struct window_stats {
    uint32_t events, anomalies, sensitive, risky_actions, failures, outcomes_known, violations;
    int64_t score_fx;
} window_stats;

#define SCORE_UNIT 16777216.0 /* 2^24 */

typedef struct user_rec {
    /* The user's latest events by time, earliest at head (equal times in arrival order); grows
     * by doubling up to per_user. The window is the tail from position win_first on: its sums
     * are kept up to date event by event. */
    sn_user_obs *ring;
    uint32_t cap, len, head;
    bool init;
    uint32_t win_first;
    int32_t dept; /* -1 unknown */
    int64_t latest_us;
    window_stats win;
} user_rec;

typedef struct dept_rec {
    int32_t *members;
    uint32_t n, cap;
} dept_rec;

struct sn_user_history {
    sn_user_risk_params p;
    sn_strmap *user_ids, *dept_ids;
    user_rec *users;
    size_t users_cap;
    dept_rec *depts;
    size_t depts_cap;
};

sn_user_history *sn_user_history_new(const sn_user_risk_params *p)
{
    sn_user_history *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    if (p)
        h->p = *p;
    else
        sn_user_risk_params_default(&h->p);
    if (h->p.per_user < 1)
        h->p.per_user = 1;
    if (!(h->p.window_days > 0))
        h->p.window_days = 30.0;
    h->user_ids = sn_strmap_new();
    h->dept_ids = sn_strmap_new();
    if (!h->user_ids || !h->dept_ids) {
        sn_user_history_free(h);
        return NULL;
    }
    return h;
}

void sn_user_history_free(sn_user_history *h)
{
    if (!h)
        return;
    int32_t nu = h->user_ids ? sn_strmap_count(h->user_ids) : 0;
    for (int32_t i = 0; i < nu && h->users; i++)
        free(h->users[i].ring);
    int32_t nd = h->dept_ids ? sn_strmap_count(h->dept_ids) : 0;
    for (int32_t i = 0; i < nd && h->depts; i++)
        free(h->depts[i].members);
    free(h->users);
    free(h->depts);
    sn_strmap_free(h->user_ids);
    sn_strmap_free(h->dept_ids);
    free(h);
}

static void dept_remove(dept_rec *d, int32_t user);

void sn_user_history_forget(sn_user_history *h, const char *user_id, size_t n)
{
    int32_t id = sn_strmap_find(h->user_ids, user_id, n);
    if (id < 0 || (size_t)id >= h->users_cap)
        return;
    user_rec *u = &h->users[id];
    if (u->dept >= 0 && (size_t)u->dept < h->depts_cap)
        dept_remove(&h->depts[u->dept], id);
    if (u->ring)
        memset(u->ring, 0, u->cap * sizeof(*u->ring));
    free(u->ring);
    memset(u, 0, sizeof(*u));
    u->dept = -1;
}

int32_t sn_user_history_users(const sn_user_history *h)
{
    return sn_strmap_count(h->user_ids);
}

const char *sn_user_history_user_id(const sn_user_history *h, int32_t i)
{
    return sn_strmap_str(h->user_ids, i);
}

/* Grows a zero-filled array of records so that index id exists. */
static int grow(void **arr, size_t *cap, size_t elem, int32_t id)
{
    if ((size_t)id < *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc <= (size_t)id)
        nc *= 2;
    char *p = realloc(*arr, nc * elem);
    if (!p)
        return -1;
    memset(p + *cap * elem, 0, (nc - *cap) * elem);
    *arr = p;
    *cap = nc;
    return 0;
}

static int dept_add(dept_rec *d, int32_t user)
{
    if (d->n == d->cap) {
        uint32_t nc = d->cap ? d->cap * 2 : 8;
        int32_t *m = realloc(d->members, nc * sizeof(*m));
        if (!m)
            return -1;
        d->members = m;
        d->cap = nc;
    }
    d->members[d->n++] = user;
    return 0;
}

static void dept_remove(dept_rec *d, int32_t user)
{
    for (uint32_t i = 0; i < d->n; i++)
        if (d->members[i] == user) {
            d->members[i] = d->members[--d->n];
            return;
        }
}

static bool is_violation(const sn_user_obs *o)
{
    return !o->business_hours || o->suspicious_location;
}

static int64_t window_us(const sn_user_history *h)
{
    return (int64_t)(h->p.window_days * 86400.0 * 1e6);
}

static int64_t score_fixed(const sn_user_obs *o)
{
    double x = o->anomaly_score;
    x = x > 0 ? (x < 1e9 ? x : 1e9) : 0.0; /* NaN and negatives count as 0 */
    return (int64_t)(x * SCORE_UNIT + 0.5);
}

/* Adds an event to the window sums (sign 1) or takes it out (sign -1). */
static void window_apply(window_stats *w, const sn_user_obs *o, int sign)
{
    uint32_t d = sign > 0 ? 1u : (uint32_t)-1; /* unsigned wrap-around subtracts */
    w->events += d;
    w->anomalies += o->is_anomaly ? d : 0;
    w->sensitive += o->sensitivity >= 3 ? d : 0;
    w->risky_actions += o->action_risk >= 3 ? d : 0;
    if (o->success >= 0) {
        w->outcomes_known += d;
        w->failures += o->success == 0 ? d : 0;
    }
    w->violations += is_violation(o) ? d : 0;
    w->score_fx += sign * score_fixed(o);
}

static sn_user_obs *ring_at(const user_rec *u, uint32_t k)
{
    return &u->ring[(u->head + k) % u->cap];
}

/* Moves the events from position lo on one place later, into the free place after the last
 * (len < cap): at most two stretches of the ring and the event that crosses its end. */
static void shift_right(user_rec *u, uint32_t lo)
{
    if (lo == u->len)
        return;
    uint32_t from = (u->head + lo) % u->cap, end = (u->head + u->len) % u->cap;
    if (from < end) {
        memmove(&u->ring[from + 1], &u->ring[from], (end - from) * sizeof(*u->ring));
        return;
    }
    memmove(&u->ring[1], &u->ring[0], end * sizeof(*u->ring));
    u->ring[0] = u->ring[u->cap - 1];
    memmove(&u->ring[from + 1], &u->ring[from], (u->cap - 1 - from) * sizeof(*u->ring));
}

/* Where the window starts for a latest time (everything counts before the first event). */
static int64_t window_from(const sn_user_history *h, int64_t latest)
{
    int64_t w = window_us(h);
    return latest == INT64_MIN ? INT64_MIN : (latest < INT64_MIN + w ? INT64_MIN : latest - w);
}

/* Keeps o among the user's events in time order, and the window's sums with it. */
static void keep_event(const sn_user_history *h, user_rec *u, const sn_user_obs *o)
{
    int64_t from = window_from(h, u->latest_us);
    if (u->len == u->cap) {
        /* Full: the earliest event gives way, or o itself when it is earlier still. */
        const sn_user_obs *first = ring_at(u, 0);
        if (o->ts_us < first->ts_us)
            return;
        if (u->win_first == 0)
            window_apply(&u->win, first, -1);
        else
            u->win_first--;
        u->head = (u->head + 1) % u->cap;
        u->len--;
    }
    /* After every event of the same time or earlier: mostly at the end. */
    uint32_t lo = 0, hi = u->len;
    if (u->len && ring_at(u, u->len - 1)->ts_us <= o->ts_us) {
        lo = u->len;
    } else {
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (ring_at(u, mid)->ts_us <= o->ts_us)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    shift_right(u, lo);
    *ring_at(u, lo) = *o;
    u->len++;
    if (o->ts_us >= from)
        window_apply(&u->win, o, 1);
    else
        u->win_first++; /* it sits before the window's start */
    if (o->ts_us > u->latest_us) {
        u->latest_us = o->ts_us;
        from = window_from(h, u->latest_us);
        while (u->win_first < u->len && ring_at(u, u->win_first)->ts_us < from) {
            window_apply(&u->win, ring_at(u, u->win_first), -1);
            u->win_first++;
        }
    }
}

sn_status sn_user_history_add(sn_user_history *h, const sn_event *ev, const sn_verdict *v)
{
    int32_t id = sn_strmap_intern(h->user_ids, ev->user_id.p, ev->user_id.n);
    if (id < 0 || grow((void **)&h->users, &h->users_cap, sizeof(user_rec), id) != 0)
        return SN_ERR_NOMEM;
    user_rec *u = &h->users[id];
    if (!u->init) {
        u->init = true;
        u->dept = -1;
        u->latest_us = INT64_MIN;
    }
    if (u->len == u->cap && u->cap < h->p.per_user) {
        uint32_t nc = u->cap ? u->cap * 2 : 16;
        if (nc > h->p.per_user)
            nc = h->p.per_user;
        sn_user_obs *r = malloc(nc * sizeof(*r));
        if (!r)
            return SN_ERR_NOMEM;
        for (uint32_t k = 0; k < u->len; k++)
            r[k] = u->ring[(u->head + k) % u->cap];
        free(u->ring);
        u->ring = r;
        u->cap = nc;
        u->head = 0;
    }
    if (ev->department.n) {
        int32_t d = sn_strmap_intern(h->dept_ids, ev->department.p, ev->department.n);
        if (d < 0 || grow((void **)&h->depts, &h->depts_cap, sizeof(dept_rec), d) != 0)
            return SN_ERR_NOMEM;
        if (d != u->dept) {
            if (dept_add(&h->depts[d], id) != 0)
                return SN_ERR_NOMEM;
            if (u->dept >= 0)
                dept_remove(&h->depts[u->dept], id);
            u->dept = d;
        }
    }
    sn_user_obs o;
    sn_user_obs_from_verdict(ev, v, &o);
    keep_event(h, u, &o);
    return SN_OK;
}

static double clamp100(double x)
{
    return x < 0 ? 0 : (x > 100 ? 100 : x);
}

static double share(uint32_t k, uint32_t n)
{
    return n ? (double)k / n : 0.0;
}

static void recommend(sn_user_risk *r, const char *text)
{
    if (r->n_recommendations < SN_USER_MAX_RECOMMENDATIONS)
        r->recommendations[r->n_recommendations++] = text;
}

bool sn_user_risk_compute(const sn_user_history *h, const char *user_id, size_t n,
                          sn_user_risk *out)
{
    memset(out, 0, sizeof(*out));
    int32_t id = sn_strmap_find(h->user_ids, user_id, n);
    if (id < 0 || (size_t)id >= h->users_cap || h->users[id].len == 0)
        return false;
    const user_rec *u = &h->users[id];
    const window_stats *w = &u->win;
    out->events = w->events;
    out->anomalies = w->anomalies;
    out->sensitive = w->sensitive;
    out->risky_actions = w->risky_actions;
    out->failures = w->failures;
    out->outcomes_known = w->outcomes_known;
    out->violations = w->violations;
    out->mean_anomaly_score = w->events ? (double)w->score_fx / SCORE_UNIT / w->events : 0.0;
    out->latest_us = u->latest_us;
    out->window_start_us = u->latest_us - window_us(h);

    /* Peers: the other members of the group, each by the mean of their own window. */
    double peer_sum = 0, peer_sq = 0;
    if (u->dept >= 0) {
        snprintf(out->department, sizeof(out->department), "%s",
                 sn_strmap_str(h->dept_ids, u->dept));
        const dept_rec *d = &h->depts[u->dept];
        for (uint32_t i = 0; i < d->n; i++) {
            const user_rec *p = &h->users[d->members[i]];
            if (d->members[i] == id || p->win.events == 0)
                continue;
            double m = (double)p->win.score_fx / SCORE_UNIT / p->win.events;
            peer_sum += m;
            peer_sq += m * m;
            out->peers++;
        }
    }
    double peer_dev = 0.0;
    if (out->peers > 0)
        out->peer_mean_anomaly_score = peer_sum / out->peers;
    if (out->peers >= 2) {
        double mean = out->peer_mean_anomaly_score;
        double var = (peer_sq - out->peers * mean * mean) / (out->peers - 1);
        double sd = var > 0 ? sqrt(var) : 0.0;
        /* A spread under one bit would make small differences look extreme. */
        double z = (out->mean_anomaly_score - mean) / (sd > 1.0 ? sd : 1.0);
        peer_dev = 100.0 * z / 3.0;
    }

    out->factor[SN_UF_ANOMALY] = clamp100(500.0 * share(w->anomalies, w->events));
    out->factor[SN_UF_PEER_DEVIATION] = clamp100(peer_dev);
    out->factor[SN_UF_SENSITIVE_ACCESS] = clamp100(
        100.0 * (0.6 * share(w->sensitive, w->events) + 0.4 * share(w->risky_actions, w->events)));
    out->factor[SN_UF_FAILED_ATTEMPTS] = clamp100(1000.0 * share(w->failures, w->outcomes_known));
    out->factor[SN_UF_POLICY_VIOLATIONS] = clamp100(500.0 * share(w->violations, w->events));
    double total = 0;
    for (int f = 0; f < SN_UF_COUNT; f++)
        total += factor_weights[f] * out->factor[f];
    out->risk_score = clamp100(total);
    out->level = sn_level_from_risk(out->risk_score);

    if (out->factor[SN_UF_ANOMALY] > 50)
        recommend(out, "repeated anomalous access: increase monitoring and review the flagged "
                       "events");
    if (out->factor[SN_UF_PEER_DEVIATION] > 60)
        recommend(out, "access pattern far from the peer group's: review permissions");
    if (out->factor[SN_UF_SENSITIVE_ACCESS] > 70)
        recommend(out, "frequent access to sensitive resources or high-risk actions: require "
                       "MFA");
    if (out->factor[SN_UF_FAILED_ATTEMPTS] > 40)
        recommend(out, "repeated failed attempts: investigate credentials");
    if (out->factor[SN_UF_POLICY_VIOLATIONS] > 50)
        recommend(out, "access outside business hours or from suspicious countries: review "
                       "policy exceptions");
    if (out->level >= SN_HIGH)
        recommend(out, "require an immediate security review");
    if (out->n_recommendations == 0)
        recommend(out, "continue normal monitoring");
    return true;
}
