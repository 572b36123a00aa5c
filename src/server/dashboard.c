/* The web dashboard's figures: what the service counts over every event it judges (totals,
 * levels, an hourly timeline, the hour-by-weekday heat map, sources of failures, per-user
 * timelines, places and resources) and the three endpoints that serve them: the overview, the
 * paged and filtered anomaly table, and a user's events with the baseline the engine keeps for
 * them. Everything here runs under the service lock. */
#include "dashboard.h"
#include "auth.h"

#include "../core/strmap.h"
#include "../core/u64map.h"
#include "../profile/profile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The timeline covers the latest 90 days of event time, hour by hour. */
#define DASH_HOURS (24 * 90)
/* Failure sources counted one by one; failures from sources past this many are counted
 * together, so that an attacker's many addresses cannot grow memory without bound. */
#define DASH_MAX_SOURCES 10000
/* Most recent events kept per user for the user page's timeline. */
#define DASH_USER_EVENTS 50
/* Lines of the overview's lists. */
#define DASH_TOP 10
/* Users whose full risk score the overview computes to pick the riskiest (the ones with the
 * most alerts: the score is too costly to compute for every user on each request). */
#define DASH_RISK_CANDIDATES 50

typedef struct dash_event {
    int64_t ts_us;
    float risk;
    int32_t resource, location, action; /* ids, -1 when absent */
    sn_ip ip;
    uint8_t level;
    int8_t success;
    bool anomaly;
} dash_event;

typedef struct dash_user {
    uint64_t events, anomalies, failures;
    float max_risk;
    int32_t dept; /* department of the first event naming one; -1 */
    dash_event *recent;
    uint32_t cap, head, count; /* ring of the most recent events */
} dash_user;

typedef struct hour_bin {
    int64_t hour; /* hours since the epoch; INT64_MIN when unused */
    uint32_t events, anomalies;
} hour_bin;

struct sn_dash {
    uint64_t events, anomalies, failures, levels[SN_CRITICAL + 1];
    uint64_t heat[7][24], heat_anomalies[7][24]; /* weekday (Monday 0) x hour, UTC */
    hour_bin hours[DASH_HOURS];
    int64_t first_hour, last_hour;
    int64_t first_us, last_us;
    sn_strmap *users, *resources, *locations, *actions, *depts, *sources;
    dash_user *user;
    size_t user_cap;
    uint64_t *source_failures;
    size_t source_cap;
    uint64_t other_source_failures;
    uint32_t *dept_users;
    size_t dept_cap;
    sn_u64map user_resource; /* (user, resource) -> events */
    sn_u64map user_location; /* (user, location) -> events */
    sn_u64map dept_resource; /* (department, resource) -> users */
};

static uint64_t pair(int32_t a, int32_t b)
{
    return ((uint64_t)(uint32_t)(a + 1) << 32) | (uint32_t)(b + 1);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

sn_dash *sn_dash_new(void)
{
    sn_dash *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    for (size_t i = 0; i < DASH_HOURS; i++)
        d->hours[i].hour = INT64_MIN;
    d->users = sn_strmap_new();
    d->resources = sn_strmap_new();
    d->locations = sn_strmap_new();
    d->actions = sn_strmap_new();
    d->depts = sn_strmap_new();
    d->sources = sn_strmap_new();
    sn_u64map_init(&d->user_resource);
    sn_u64map_init(&d->user_location);
    sn_u64map_init(&d->dept_resource);
    if (!d->users || !d->resources || !d->locations || !d->actions || !d->depts || !d->sources) {
        sn_dash_free(d);
        return NULL;
    }
    return d;
}

void sn_dash_free(sn_dash *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->user_cap; i++)
        free(d->user[i].recent);
    free(d->user);
    free(d->source_failures);
    free(d->dept_users);
    sn_strmap_free(d->users);
    sn_strmap_free(d->resources);
    sn_strmap_free(d->locations);
    sn_strmap_free(d->actions);
    sn_strmap_free(d->depts);
    sn_strmap_free(d->sources);
    sn_u64map_free(&d->user_resource);
    sn_u64map_free(&d->user_location);
    sn_u64map_free(&d->dept_resource);
    free(d);
}

/* Makes arr (of elem-byte items, zeroed when new) hold index id. */
static bool grow(void **arr, size_t *cap, size_t elem, int32_t id)
{
    if ((size_t)id < *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n <= (size_t)id)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return false;
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *arr = p;
    *cap = n;
    return true;
}

/* Interns s; -1 when absent or out of memory. */
static int32_t intern(sn_strmap *m, const sn_str *s)
{
    return s->n ? sn_strmap_intern(m, s->p, s->n) : -1;
}

static void count_hour(sn_dash *d, int64_t ts_us, bool anomaly)
{
    int64_t hour = floor_div(ts_us, 3600 * (int64_t)1000000);
    int64_t day = floor_div(hour, 24);
    int wd = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
    int hd = (int)(hour - day * 24);
    d->heat[wd][hd]++;
    d->heat_anomalies[wd][hd] += anomaly;
    if (d->events == 1 || hour < d->first_hour)
        d->first_hour = hour;
    if (d->events == 1 || hour > d->last_hour)
        d->last_hour = hour;
    if (d->events == 1 || ts_us < d->first_us)
        d->first_us = ts_us;
    if (d->events == 1 || ts_us > d->last_us)
        d->last_us = ts_us;
    hour_bin *b = &d->hours[((hour % DASH_HOURS) + DASH_HOURS) % DASH_HOURS];
    if (b->hour != hour) {
        if (b->hour > hour)
            return; /* older than the window the bin now holds */
        b->hour = hour;
        b->events = b->anomalies = 0;
    }
    b->events++;
    b->anomalies += anomaly;
}

static bool add_recent(dash_user *u, const dash_event *e)
{
    if (u->count == u->cap && u->cap < DASH_USER_EVENTS) {
        uint32_t n = u->cap ? u->cap * 2 : 4;
        if (n > DASH_USER_EVENTS)
            n = DASH_USER_EVENTS;
        dash_event *p = malloc(n * sizeof(*p));
        if (!p)
            return false;
        for (uint32_t i = 0; i < u->count; i++)
            p[i] = u->recent[(u->head + i) % u->cap];
        free(u->recent);
        u->recent = p;
        u->cap = n;
        u->head = 0;
    }
    if (u->count < u->cap) {
        u->recent[(u->head + u->count++) % u->cap] = *e;
    } else {
        u->recent[u->head] = *e;
        u->head = (u->head + 1) % u->cap;
    }
    return true;
}

sn_status sn_dash_record(sn_dash *d, const sn_event *ev, const sn_verdict *v)
{
    d->events++;
    d->anomalies += v->is_anomaly;
    if ((unsigned)v->level <= SN_CRITICAL)
        d->levels[v->level]++;
    count_hour(d, ev->ts_us, v->is_anomaly);
    int32_t uid = sn_strmap_intern(d->users, ev->user_id.p, ev->user_id.n);
    if (uid < 0 || !grow((void **)&d->user, &d->user_cap, sizeof(*d->user), uid))
        return SN_ERR_NOMEM;
    dash_user *u = &d->user[uid];
    if (u->events == 0)
        u->dept = -1;
    u->events++;
    u->anomalies += v->is_anomaly;
    if ((float)v->risk_score > u->max_risk)
        u->max_risk = (float)v->risk_score;
    const sn_str *place = ev->location.n ? &ev->location : &ev->country;
    dash_event e = {.ts_us = ev->ts_us,
                    .risk = (float)v->risk_score,
                    .resource = intern(d->resources, &ev->resource),
                    .location = intern(d->locations, place),
                    .action = intern(d->actions, &ev->action),
                    .ip = ev->ip,
                    .level = (uint8_t)v->level,
                    .success = ev->success,
                    .anomaly = v->is_anomaly};
    if (!add_recent(u, &e))
        return SN_ERR_NOMEM;
    if (u->dept < 0 && ev->department.n) {
        int32_t dept = sn_strmap_intern(d->depts, ev->department.p, ev->department.n);
        if (dept < 0 || !grow((void **)&d->dept_users, &d->dept_cap, sizeof(uint32_t), dept))
            return SN_ERR_NOMEM;
        u->dept = dept;
        d->dept_users[dept]++;
        /* Resources the user had used before naming a department now count for it. */
        for (size_t i = 0; i < d->user_resource.cap; i++) {
            uint64_t k = d->user_resource.keys[i];
            if (k && (int32_t)(k >> 32) - 1 == uid && d->user_resource.vals[i]) {
                uint32_t *n =
                    sn_u64map_slot(&d->dept_resource, pair(dept, (int32_t)(uint32_t)k - 1));
                if (!n)
                    return SN_ERR_NOMEM;
                ++*n;
            }
        }
    }
    if (e.resource >= 0) {
        uint32_t *n = sn_u64map_slot(&d->user_resource, pair(uid, e.resource));
        if (!n)
            return SN_ERR_NOMEM;
        if (++*n == 1 && u->dept >= 0) {
            uint32_t *m = sn_u64map_slot(&d->dept_resource, pair(u->dept, e.resource));
            if (!m)
                return SN_ERR_NOMEM;
            ++*m;
        }
    }
    if (e.location >= 0) {
        uint32_t *n = sn_u64map_slot(&d->user_location, pair(uid, e.location));
        if (!n)
            return SN_ERR_NOMEM;
        ++*n;
    }
    if (ev->success == 0) {
        d->failures++;
        u->failures++;
        if (ev->ip.family) {
            char ip[48];
            sn_format_ip(&ev->ip, ip);
            size_t n = strlen(ip);
            int32_t id = sn_strmap_find(d->sources, ip, n);
            if (id < 0 && sn_strmap_count(d->sources) < DASH_MAX_SOURCES)
                id = sn_strmap_intern(d->sources, ip, n);
            if (id >= 0 && grow((void **)&d->source_failures, &d->source_cap, sizeof(uint64_t), id))
                d->source_failures[id]++;
            else
                d->other_source_failures++;
        }
    }
    return SN_OK;
}

void sn_dash_forget_user(sn_dash *d, const char *user, size_t n)
{
    int32_t uid = sn_strmap_find(d->users, user, n);
    if (uid < 0 || (size_t)uid >= d->user_cap)
        return;
    dash_user *u = &d->user[uid];
    /* The user's resources and places: counts set to 0, which every reader takes as unused,
     * and the department's users of each resource one fewer. */
    for (size_t i = 0; i < d->user_resource.cap; i++) {
        uint64_t k = d->user_resource.keys[i];
        if (!k || (int32_t)(k >> 32) - 1 != uid || !d->user_resource.vals[i])
            continue;
        if (u->dept >= 0) {
            uint32_t *m =
                sn_u64map_slot(&d->dept_resource, pair(u->dept, (int32_t)(uint32_t)k - 1));
            if (m && *m)
                --*m;
        }
        d->user_resource.vals[i] = 0;
    }
    for (size_t i = 0; i < d->user_location.cap; i++) {
        uint64_t k = d->user_location.keys[i];
        if (k && (int32_t)(k >> 32) - 1 == uid)
            d->user_location.vals[i] = 0;
    }
    if (u->dept >= 0 && d->dept_users[u->dept])
        d->dept_users[u->dept]--;
    if (u->recent)
        memset(u->recent, 0, u->cap * sizeof(*u->recent));
    free(u->recent);
    memset(u, 0, sizeof(*u));
    u->dept = -1;
}

/* ---- Query arguments ---------------------------------------------------------------------- */

static const char *arg(const sn_http_request *req, const char *name, bool *present)
{
    *present = false;
    const char *v = NULL;
    for (size_t i = 0; i < req->n_args; i++)
        if (req->args[i].name && !strcmp(req->args[i].name, name)) {
            *present = true;
            v = req->args[i].value ? req->args[i].value : "";
        }
    return v;
}

/* An integer argument in [min, max]; def when absent. False when present but not one. */
static bool int_arg(const sn_http_request *req, const char *name, long min, long max, long def,
                    long *out)
{
    bool present;
    const char *v = arg(req, name, &present);
    *out = def;
    if (!present)
        return true;
    char *end = NULL;
    errno = 0;
    long x = v[0] >= '0' && v[0] <= '9' ? strtol(v, &end, 10) : -1;
    if (errno || !end || *end || x < min || x > max)
        return false;
    *out = x;
    return true;
}

static void range_error(sn_http_response *resp, const char *name, long min, long max)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "%s must be an integer from %ld to %ld", name, min, max);
    sn_service_error(resp, 422, "invalid_field", msg, name);
}

static void json_time(sn_buf *b, int64_t ts_us)
{
    char ts[32];
    sn_format_timestamp(ts_us, ts);
    sn_buf_putc(b, '"');
    sn_buf_puts(b, ts);
    sn_buf_putc(b, '"');
}

static void json_name(sn_buf *b, const sn_strmap *m, int32_t id)
{
    if (id < 0) {
        sn_buf_puts(b, "null");
        return;
    }
    sn_buf_json_str(b, sn_strmap_str(m, id), sn_strmap_len(m, id));
}

/* ---- GET /api/v1/anomalies ---------------------------------------------------------------- */

/* SORT_RECENT: newest verdict first, the order the ring keeps (and the API's first answer). */
typedef enum sort_key { SORT_TIME, SORT_RISK, SORT_USER, SORT_LEVEL, SORT_RECENT } sort_key;

typedef struct anomaly_query {
    unsigned levels; /* bit per sn_level; 0: any */
    const char *user;
    const char *q;
    sort_key key;
    bool descending;
    const sn_principal *who; /* only what its scope covers; NULL: everything */
} anomaly_query;

/* Sorting needs the ring; qsort has no context argument, so the comparison gets it through
 * the items themselves. */
typedef struct sort_item {
    const sn_anomaly_entry *e;
    uint32_t age; /* 0 newest: ties keep newest first */
} sort_item;

static int cmp_key(const sort_item *x, const sort_item *y, sort_key key)
{
    switch (key) {
    case SORT_RISK:
        return (x->e->risk > y->e->risk) - (x->e->risk < y->e->risk);
    case SORT_LEVEL:
        return (int)x->e->level - (int)y->e->level;
    case SORT_USER: {
        const char *a = x->e->json + x->e->len + 1, *b = y->e->json + y->e->len + 1;
        return strcmp(a, b);
    }
    case SORT_TIME:
    case SORT_RECENT:
        break;
    }
    return (x->e->ts_us > y->e->ts_us) - (x->e->ts_us < y->e->ts_us);
}

#define DEFINE_CMP(name, key, sign)                                                                \
    static int name(const void *a, const void *b)                                                  \
    {                                                                                              \
        const sort_item *x = a, *y = b;                                                            \
        int c = (sign)*cmp_key(x, y, key);                                                         \
        return c ? c : (x->age > y->age) - (x->age < y->age);                                      \
    }
DEFINE_CMP(cmp_time_asc, SORT_TIME, 1)
DEFINE_CMP(cmp_time_desc, SORT_TIME, -1)
DEFINE_CMP(cmp_risk_asc, SORT_RISK, 1)
DEFINE_CMP(cmp_risk_desc, SORT_RISK, -1)
DEFINE_CMP(cmp_user_asc, SORT_USER, 1)
DEFINE_CMP(cmp_user_desc, SORT_USER, -1)
DEFINE_CMP(cmp_level_asc, SORT_LEVEL, 1)
DEFINE_CMP(cmp_level_desc, SORT_LEVEL, -1)

static int (*const comparators[4][2])(const void *, const void *) = {
    {cmp_time_asc, cmp_time_desc},
    {cmp_risk_asc, cmp_risk_desc},
    {cmp_user_asc, cmp_user_desc},
    {cmp_level_asc, cmp_level_desc},
};

static bool contains_nocase(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return true;
    for (size_t i = 0; i + m <= n; i++)
        if (!strncasecmp(hay + i, needle, m))
            return true;
    return false;
}

static bool matches(const sn_anomaly_entry *e, const anomaly_query *q, size_t user_n, size_t q_n)
{
    if (q->who && !sn_scope_covers(q->who, sn_anomaly_entry_department(e)))
        return false;
    if (q->levels && !(q->levels & (1u << e->level)))
        return false;
    const char *user = e->json + e->len + 1;
    if (q->user && (e->user_len != user_n || memcmp(user, q->user, user_n) != 0))
        return false;
    if (!q->q)
        return true;
    const char *resource = user + e->user_len + 1;
    return contains_nocase(user, e->user_len, q->q, q_n) ||
           contains_nocase(resource, e->resource_len, q->q, q_n) ||
           contains_nocase(e->json + e->reasons_off, e->reasons_len, q->q, q_n);
}

static bool parse_levels(const char *v, unsigned *out)
{
    *out = 0;
    while (*v) {
        size_t k = strcspn(v, ",");
        bool found = false;
        for (int l = SN_NORMAL; l <= SN_CRITICAL; l++) {
            const char *name = sn_level_name((sn_level)l);
            if (strlen(name) == k && !strncasecmp(v, name, k)) {
                *out |= 1u << l;
                found = true;
            }
        }
        if (!found)
            return false;
        v += k + (v[k] == ',');
    }
    return *out != 0;
}

static const char *const sort_names[] = {"time", "risk", "user", "level", "recent"};

static bool parse_sort(const char *v, anomaly_query *q)
{
    q->descending = v[0] == '-';
    const char *name = v + q->descending;
    if (!strcmp(name, "recent")) {
        q->key = SORT_RECENT;
        q->descending = false;
        return true;
    }
    for (int k = 0; k < 4; k++)
        if (!strcmp(name, sort_names[k])) {
            q->key = (sort_key)k;
            return true;
        }
    return false;
}

void sn_dash_h_anomalies(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                         sn_http_response *resp)
{
    long limit, offset;
    if (!int_arg(req, "limit", 1, 1000, 100, &limit))
        return range_error(resp, "limit", 1, 1000);
    if (!int_arg(req, "offset", 0, 1000000000, 0, &offset))
        return range_error(resp, "offset", 0, 1000000000);
    anomaly_query q = {.key = SORT_RECENT};
    bool present;
    const char *v = arg(req, "level", &present);
    if (present && !parse_levels(v, &q.levels)) {
        sn_service_error(resp, 422, "invalid_field",
                         "level must be one or more of NORMAL, LOW, MEDIUM, HIGH, CRITICAL, "
                         "separated by commas",
                         "level");
        return;
    }
    v = arg(req, "user", &present);
    if (present && *v) {
        if (strlen(v) > SN_MAX_FIELD) {
            sn_service_error(resp, 422, "invalid_field", "user must be at most 4096 bytes", "user");
            return;
        }
        q.user = v;
    }
    v = arg(req, "q", &present);
    if (present && *v) {
        if (strlen(v) > 200) {
            sn_service_error(resp, 422, "invalid_field", "q must be at most 200 bytes", "q");
            return;
        }
        q.q = v;
    }
    v = arg(req, "sort", &present);
    if (present && !parse_sort(v, &q)) {
        sn_service_error(resp, 422, "invalid_field",
                         "sort must be recent, or time, risk, user or level with a leading - "
                         "for descending order",
                         "sort");
        return;
    }
    size_t user_n = q.user ? strlen(q.user) : 0, q_n = q.q ? strlen(q.q) : 0;
    /* A caller whose scope does not cover every department sees the entries of the
     * departments it covers (sn_scope_covers with no department: only "*" covers it). */
    if (!sn_scope_covers(&caller->who, NULL))
        q.who = &caller->who;
    bool plain = !q.levels && !q.user && !q.q && q.key == SORT_RECENT && !q.who;
    sn_buf list;
    sn_buf_init(&list);
    sn_buf_putc(&list, '[');
    size_t total = 0, count = 0;
    bool oom = false;
    sn_service_lock(s);
    size_t n = s->ring_count;
    if (plain) {
        /* The ring is in arrival order: newest first needs no sort (the API's old answer). */
        total = n;
        for (size_t k = (size_t)offset; k < n && count < (size_t)limit; k++, count++) {
            const sn_anomaly_entry *e = &s->ring[(s->ring_head + n - 1 - k) % s->ring_cap];
            if (count)
                sn_buf_putc(&list, ',');
            sn_buf_append(&list, e->json, e->len);
        }
    } else {
        sort_item *items = malloc((n ? n : 1) * sizeof(*items));
        oom = !items;
        for (size_t k = 0; items && k < n; k++) {
            const sn_anomaly_entry *e = &s->ring[(s->ring_head + n - 1 - k) % s->ring_cap];
            if (matches(e, &q, user_n, q_n))
                items[total++] = (sort_item){e, (uint32_t)k};
        }
        /* Newest first is the ring's own order. */
        if (items && q.key != SORT_RECENT)
            qsort(items, total, sizeof(*items), comparators[q.key][q.descending]);
        for (size_t k = (size_t)offset; items && k < total && count < (size_t)limit; k++, count++) {
            if (count)
                sn_buf_putc(&list, ',');
            sn_buf_append(&list, items[k].e->json, items[k].e->len);
        }
        free(items);
    }
    sn_service_unlock(s);
    sn_buf_putc(&list, ']');
    if (oom) {
        sn_buf_free(&list);
        sn_service_error(resp, 500, "internal_error", "out of memory", NULL);
        return;
    }
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "{\"count\":");
    sn_buf_u64(&b, count);
    sn_buf_puts(&b, ",\"limit\":");
    sn_buf_u64(&b, (uint64_t)limit);
    sn_buf_puts(&b, ",\"offset\":");
    sn_buf_u64(&b, (uint64_t)offset);
    sn_buf_puts(&b, ",\"total\":");
    sn_buf_u64(&b, total);
    sn_buf_puts(&b, ",\"sort\":\"");
    sn_buf_puts(&b, q.descending ? "-" : "");
    sn_buf_puts(&b, sort_names[q.key]);
    sn_buf_puts(&b, "\",\"anomalies\":");
    sn_buf_append(&b, list.data, list.len);
    sn_buf_putc(&b, '}');
    if (list.failed)
        b.failed = 1;
    sn_buf_free(&list);
    sn_json_respond(resp, 200, &b);
}

/* ---- GET /api/v1/stats/overview ----------------------------------------------------------- */

typedef struct ranked {
    int32_t id;
    double key, key2;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    if (x->key2 != y->key2)
        return x->key2 < y->key2 ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static void overview_levels(sn_buf *b, const uint64_t *levels)
{
    sn_buf_puts(b, "{");
    for (int l = SN_NORMAL; l <= SN_CRITICAL; l++) {
        sn_buf_printf(b, "%s\"%s\":", l ? "," : "", sn_level_name((sn_level)l));
        sn_buf_u64(b, levels[l]);
    }
    sn_buf_putc(b, '}');
}

static void overview_timeline(sn_buf *b, const sn_dash *d)
{
    sn_buf_puts(b, "{\"bucket_seconds\":3600,\"start\":");
    int64_t from = d->first_hour, to = d->last_hour;
    if (to - from >= DASH_HOURS)
        from = to - DASH_HOURS + 1;
    if (!d->events) {
        sn_buf_puts(b, "null,\"events\":[],\"anomalies\":[]}");
        return;
    }
    json_time(b, from * 3600 * (int64_t)1000000);
    for (int pass = 0; pass < 2; pass++) {
        sn_buf_puts(b, pass ? ",\"anomalies\":[" : ",\"events\":[");
        for (int64_t h = from; h <= to; h++) {
            const hour_bin *bin = &d->hours[((h % DASH_HOURS) + DASH_HOURS) % DASH_HOURS];
            uint32_t v = bin->hour == h ? (pass ? bin->anomalies : bin->events) : 0;
            if (h > from)
                sn_buf_putc(b, ',');
            sn_buf_u64(b, v);
        }
        sn_buf_putc(b, ']');
    }
    sn_buf_putc(b, '}');
}

static void overview_heat(sn_buf *b, const uint64_t heat[7][24])
{
    sn_buf_putc(b, '[');
    for (int w = 0; w < 7; w++) {
        sn_buf_puts(b, w ? ",[" : "[");
        for (int h = 0; h < 24; h++) {
            if (h)
                sn_buf_putc(b, ',');
            sn_buf_u64(b, heat[w][h]);
        }
        sn_buf_putc(b, ']');
    }
    sn_buf_putc(b, ']');
}

static bool overview_top_users(sn_buf *b, sn_service *s, const sn_dash *d)
{
    size_t n = (size_t)sn_strmap_count(d->users);
    ranked *r = malloc((n ? n : 1) * sizeof(*r));
    if (!r)
        return false;
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){(int32_t)i, (double)d->user[i].anomalies, d->user[i].max_risk};
    qsort(r, n, sizeof(*r), cmp_ranked);
    int32_t m = n < DASH_RISK_CANDIDATES ? (int32_t)n : DASH_RISK_CANDIDATES;
    sn_user_risk *risk = malloc(DASH_RISK_CANDIDATES * sizeof(*risk));
    if (!risk) {
        free(r);
        return false;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < m; i++) {
        const char *id = sn_strmap_str(d->users, r[i].id);
        if (sn_user_risk_compute(s->users, id, sn_strmap_len(d->users, r[i].id), &risk[k])) {
            r[k] = (ranked){r[i].id, risk[k].risk_score, (double)d->user[r[i].id].anomalies};
            k++;
        }
    }
    /* Sort the candidates by their score, keeping the risk computed for each. */
    for (int32_t i = 1; i < k; i++)
        for (int32_t j = i; j > 0 && cmp_ranked(&r[j - 1], &r[j]) > 0; j--) {
            ranked t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
            sn_user_risk u = risk[j];
            risk[j] = risk[j - 1];
            risk[j - 1] = u;
        }
    sn_buf_putc(b, '[');
    for (int32_t i = 0; i < k && i < DASH_TOP; i++) {
        const dash_user *u = &d->user[r[i].id];
        sn_buf_puts(b, i ? ",{\"user_id\":" : "{\"user_id\":");
        json_name(b, d->users, r[i].id);
        sn_buf_puts(b, ",\"risk_score\":");
        sn_buf_fixed(b, risk[i].risk_score, 2);
        sn_buf_puts(b, ",\"risk_level\":\"");
        sn_buf_puts(b, sn_level_name(risk[i].level));
        sn_buf_puts(b, "\",\"events\":");
        sn_buf_u64(b, u->events);
        sn_buf_puts(b, ",\"anomalies\":");
        sn_buf_u64(b, u->anomalies);
        sn_buf_puts(b, ",\"failures\":");
        sn_buf_u64(b, u->failures);
        sn_buf_putc(b, '}');
    }
    sn_buf_putc(b, ']');
    free(risk);
    free(r);
    return true;
}

static bool overview_sources(sn_buf *b, const sn_dash *d)
{
    int32_t n = sn_strmap_count(d->sources);
    ranked *r = malloc((n ? (size_t)n : 1) * sizeof(*r));
    if (!r)
        return false;
    for (int32_t i = 0; i < n; i++)
        r[i] = (ranked){i, (double)d->source_failures[i], 0};
    qsort(r, (size_t)n, sizeof(*r), cmp_ranked);
    sn_buf_putc(b, '[');
    for (int32_t i = 0; i < n && i < DASH_TOP; i++) {
        sn_buf_puts(b, i ? ",{\"source_ip\":" : "{\"source_ip\":");
        json_name(b, d->sources, r[i].id);
        sn_buf_puts(b, ",\"failures\":");
        sn_buf_u64(b, d->source_failures[r[i].id]);
        sn_buf_putc(b, '}');
    }
    sn_buf_putc(b, ']');
    free(r);
    return true;
}

void sn_dash_h_overview(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                        sn_http_response *resp)
{
    /* The overview counts and names users of every department. */
    if (!sn_scope_covers(&caller->who, NULL)) {
        sn_service_error(resp, 403, "out_of_scope",
                         "the overview covers every department; this caller's scope does not",
                         NULL);
        return;
    }
    long recent;
    if (!int_arg(req, "recent", 0, 100, 10, &recent))
        return range_error(resp, "recent", 0, 100);
    sn_buf b;
    sn_buf_init(&b);
    sn_service_lock(s);
    const sn_dash *d = s->dash;
    sn_buf_puts(&b, "{\"totals\":{\"events\":");
    sn_buf_u64(&b, d->events);
    sn_buf_puts(&b, ",\"anomalies\":");
    sn_buf_u64(&b, d->anomalies);
    sn_buf_puts(&b, ",\"failures\":");
    sn_buf_u64(&b, d->failures);
    sn_buf_puts(&b, ",\"users\":");
    sn_buf_u64(&b, (uint64_t)sn_strmap_count(d->users));
    sn_buf_puts(&b, ",\"anomalies_kept\":");
    sn_buf_u64(&b, s->ring_count);
    sn_buf_puts(&b, "},\"first_event\":");
    if (d->events)
        json_time(&b, d->first_us);
    else
        sn_buf_puts(&b, "null");
    sn_buf_puts(&b, ",\"last_event\":");
    if (d->events)
        json_time(&b, d->last_us);
    else
        sn_buf_puts(&b, "null");
    sn_buf_puts(&b, ",\"levels\":");
    overview_levels(&b, d->levels);
    sn_buf_puts(&b, ",\"timeline\":");
    overview_timeline(&b, d);
    sn_buf_puts(&b, ",\"heatmap\":{\"weekdays\":[\"Mon\",\"Tue\",\"Wed\",\"Thu\",\"Fri\",\"Sat\","
                    "\"Sun\"],\"events\":");
    overview_heat(&b, d->heat);
    sn_buf_puts(&b, ",\"anomalies\":");
    overview_heat(&b, d->heat_anomalies);
    sn_buf_puts(&b, "},\"top_users\":");
    bool ok = overview_top_users(&b, s, d);
    sn_buf_puts(&b, ",\"top_failure_sources\":");
    ok = ok && overview_sources(&b, d);
    sn_buf_puts(&b, ",\"other_source_failures\":");
    sn_buf_u64(&b, d->other_source_failures);
    sn_buf_puts(&b, ",\"recent_anomalies\":[");
    for (size_t k = 0; k < (size_t)recent && k < s->ring_count; k++) {
        const sn_anomaly_entry *e = &s->ring[(s->ring_head + s->ring_count - 1 - k) % s->ring_cap];
        if (k)
            sn_buf_putc(&b, ',');
        sn_buf_append(&b, e->json, e->len);
    }
    sn_service_unlock(s);
    sn_buf_puts(&b, "]}");
    if (!ok)
        b.failed = 1;
    sn_json_respond(resp, 200, &b);
}

/* ---- GET /api/v1/user/{user_id}/events ---------------------------------------------------- */

/* The engine's baseline of the user: usual hours, places, resources, actions and networks. */
static void user_baseline(sn_buf *b, sn_service *s, const char *user, size_t n)
{
    sn_profiles *p = sn_engine_profiles(s->engine);
    int32_t id = p ? sn_profiles_user_id(p, user, n) : -1;
    if (id < 0) {
        sn_buf_puts(b, "null");
        return;
    }
    int from, to;
    sn_profiles_user_hours(p, id, &from, &to);
    sn_buf_puts(b, "{\"usual_hours\":");
    if (from < 0)
        sn_buf_puts(b, "null");
    else
        sn_buf_printf(b, "{\"from\":%d,\"to\":%d}", from, to);
    static const struct {
        const char *key, *field;
        sn_attr attr;
    } lists[] = {{"usual_places", "location", SN_ATTR_LOCATION},
                 {"usual_resources", "resource", SN_ATTR_RESOURCE},
                 {"usual_actions", "action", SN_ATTR_ACTION},
                 {"usual_networks", "network", SN_ATTR_NETWORK}};
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        int32_t ids[8];
        uint32_t counts[8];
        int k = sn_profiles_user_top(p, id, lists[l].attr, ids, counts, 8);
        sn_buf_printf(b, ",\"%s\":[", lists[l].key);
        for (int i = 0; i < k; i++) {
            const char *name = sn_profiles_value_name(p, lists[l].attr, ids[i]);
            sn_buf_printf(b, "%s{\"%s\":", i ? "," : "", lists[l].field);
            if (name)
                sn_buf_json_str(b, name, strlen(name));
            else
                sn_buf_puts(b, "null");
            sn_buf_puts(b, ",\"events\":");
            sn_buf_u64(b, counts[i]);
            sn_buf_putc(b, '}');
        }
        sn_buf_putc(b, ']');
    }
    sn_buf_putc(b, '}');
}

static void user_timeline(sn_buf *b, const sn_dash *d, const dash_user *u)
{
    sn_buf_putc(b, '[');
    for (uint32_t k = 0; k < u->count; k++) {
        const dash_event *e = &u->recent[(u->head + u->count - 1 - k) % u->cap];
        sn_buf_puts(b, k ? ",{\"timestamp\":" : "{\"timestamp\":");
        json_time(b, e->ts_us);
        sn_buf_puts(b, ",\"resource\":");
        json_name(b, d->resources, e->resource);
        sn_buf_puts(b, ",\"action\":");
        json_name(b, d->actions, e->action);
        sn_buf_puts(b, ",\"location\":");
        json_name(b, d->locations, e->location);
        sn_buf_puts(b, ",\"source_ip\":");
        if (e->ip.family) {
            char ip[48];
            sn_format_ip(&e->ip, ip);
            sn_buf_json_str(b, ip, strlen(ip));
        } else {
            sn_buf_puts(b, "null");
        }
        sn_buf_puts(b, ",\"success\":");
        sn_buf_puts(b, e->success < 0 ? "null" : e->success ? "true" : "false");
        sn_buf_puts(b, ",\"risk_score\":");
        sn_buf_fixed(b, e->risk, 2);
        sn_buf_puts(b, ",\"risk_level\":\"");
        sn_buf_puts(b, sn_level_name((sn_level)e->level));
        sn_buf_puts(b, e->anomaly ? "\",\"is_anomaly\":true}" : "\",\"is_anomaly\":false}");
    }
    sn_buf_putc(b, ']');
}

static int cmp_count_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return cmp_ranked(x, y);
}

/* The user's values of one pair map ((user, value) -> events), most used first. */
static bool user_values(sn_buf *b, const sn_dash *d, const sn_u64map *m, int32_t uid,
                        const sn_strmap *names, const char *field, bool peers, int32_t dept)
{
    size_t n = 0, cap = 16;
    ranked *r = malloc(cap * sizeof(*r));
    if (!r)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t k = m->keys[i];
        if (!k || (int32_t)(k >> 32) - 1 != uid || !m->vals[i])
            continue;
        if (n == cap) {
            ranked *p = realloc(r, 2 * cap * sizeof(*r));
            if (!p) {
                free(r);
                return false;
            }
            r = p;
            cap *= 2;
        }
        r[n++] = (ranked){(int32_t)(uint32_t)k - 1, m->vals[i], 0};
    }
    qsort(r, n, sizeof(*r), cmp_count_desc);
    sn_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        sn_buf_printf(b, "%s{\"%s\":", i ? "," : "", field);
        json_name(b, names, r[i].id);
        sn_buf_puts(b, ",\"events\":");
        sn_buf_u64(b, (uint64_t)r[i].key);
        if (peers) {
            /* Share of the user's department (the user included) that used this resource. */
            uint32_t users = dept >= 0 ? d->dept_users[dept] : 0;
            uint32_t used = dept >= 0 ? sn_u64map_get(&d->dept_resource, pair(dept, r[i].id)) : 0;
            sn_buf_puts(b, ",\"peer_share\":");
            if (users)
                sn_buf_fixed(b, (double)used / users, 3);
            else
                sn_buf_puts(b, "null");
        }
        sn_buf_putc(b, '}');
    }
    sn_buf_putc(b, ']');
    free(r);
    return true;
}

void sn_dash_h_user_events(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                           sn_http_response *resp)
{
    const char *user = req->path + strlen("/api/v1/user/");
    size_t n = strlen(user) - strlen("/events");
    if (n > SN_MAX_FIELD || sn_utf8_valid_prefix(user, n) != n) {
        sn_service_error(resp, 422, "invalid_field",
                         "user_id must be valid UTF-8 of at most 4096 bytes", "user_id");
        return;
    }
    long alerts;
    if (!int_arg(req, "alerts", 0, 1000, 20, &alerts))
        return range_error(resp, "alerts", 0, 1000);
    sn_buf b;
    sn_buf_init(&b);
    sn_service_lock(s);
    const sn_dash *d = s->dash;
    int32_t uid = sn_strmap_find(d->users, user, n);
    if (uid < 0 || !d->user[uid].events) { /* never seen, or erased since */
        sn_service_unlock(s);
        sn_buf_free(&b);
        sn_service_error(resp, 404, "user_not_found",
                         "no events of this user were analysed since the server started",
                         "user_id");
        return;
    }
    const dash_user *u = &d->user[uid];
    const char *dept = u->dept >= 0 ? sn_strmap_str(d->depts, u->dept) : NULL;
    if (!sn_scope_covers(&caller->who, dept ? dept : "")) {
        sn_service_unlock(s);
        sn_buf_free(&b);
        sn_service_error(resp, 403, "out_of_scope",
                         "this user's department is outside the caller's scope", "user_id");
        return;
    }
    sn_buf_puts(&b, "{\"user_id\":");
    sn_buf_json_str(&b, user, n);
    sn_buf_puts(&b, ",\"department\":");
    json_name(&b, d->depts, u->dept);
    sn_buf_puts(&b, ",\"events\":");
    sn_buf_u64(&b, u->events);
    sn_buf_puts(&b, ",\"anomalies\":");
    sn_buf_u64(&b, u->anomalies);
    sn_buf_puts(&b, ",\"failures\":");
    sn_buf_u64(&b, u->failures);
    sn_buf_puts(&b, ",\"max_risk_score\":");
    sn_buf_fixed(&b, u->max_risk, 2);
    sn_buf_puts(&b, ",\"peers\":");
    sn_buf_u64(&b, u->dept >= 0 ? d->dept_users[u->dept] : 0);
    sn_buf_puts(&b, ",\"baseline\":");
    user_baseline(&b, s, user, n);
    sn_buf_puts(&b, ",\"timeline\":");
    user_timeline(&b, d, u);
    sn_buf_puts(&b, ",\"locations\":");
    bool ok = user_values(&b, d, &d->user_location, uid, d->locations, "location", false, -1);
    sn_buf_puts(&b, ",\"resources\":");
    ok = ok && user_values(&b, d, &d->user_resource, uid, d->resources, "resource", true, u->dept);
    sn_buf_puts(&b, ",\"alerts\":[");
    size_t k = 0;
    for (size_t i = 0; i < s->ring_count && k < (size_t)alerts; i++) {
        const sn_anomaly_entry *e = &s->ring[(s->ring_head + s->ring_count - 1 - i) % s->ring_cap];
        if (e->user_len != n || memcmp(e->json + e->len + 1, user, n) != 0)
            continue;
        if (k++)
            sn_buf_putc(&b, ',');
        sn_buf_append(&b, e->json, e->len);
    }
    sn_service_unlock(s);
    sn_buf_puts(&b, "]}");
    if (!ok)
        b.failed = 1;
    sn_json_respond(resp, 200, &b);
}
