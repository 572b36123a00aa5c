/* The streaming generator: gives every scheduled event of every user a day, then writes each day
 * in time order, merging the day's labelled anomalies into the stream of normal events.
 *
 * What the reference system's samples show (sample_iam_logs_200x50.csv: 200 users, 7,628 rows;
 * sample_iam_logs_2000x50.csv: 2,000 users, 76,011 rows), and what is reproduced here:
 * - Compromised users: 57 of 200 (28.5%) and 609 of 2,000 (30.45%) have anomalies, so each user is
 *   compromised with probability 0.30, as the reference description says. Anomalous events are
 *   only 2.24% and 2.40% of all rows: every compromised user has exactly 3, each of a type drawn
 *   uniformly from the six, independently (so most have 2 or 3 different types).
 * - Normal events: 50 scheduled per user, each on a uniform day of 91 (start .. start + 90); a
 *   weekend one is kept with probability 0.1, so 37.1 appear per user (26..47). Time of day
 *   uniform over 09:00:00-17:59:59. Action read 0.70, write 0.20, execute 0.08, download 0.02.
 *   Resource uniform over the user's list (department resources plus two company-wide ones).
 *   Source 192.168.[1-255].[1-255], new for every event; location always the user's home city;
 *   success always True.
 * - Anomalies: a uniform day of the 91, weekends included; hour 09-17 except unusual_time (02-06);
 *   action uniform among write, delete, admin, download; success 0.85 (0.858 measured over both
 *   files); a random non-192.168 source; location the home city except unusual_location (one of
 *   five suspicious places) and impossible_travel (another office city). Resources:
 *   unusual_time and unusual_resource high sensitivity, privilege_escalation admin_panel,
 *   security_logs or aws_console, unusual_location medium or high, impossible_travel and
 *   excessive_access medium. Each is a single event (no burst, no paired trip).
 * - All timestamps of a file share one microsecond value.
 * Three deliberate departures, because the reference's versions mislabel or leak the label:
 * anomalous sources are drawn from public address space only (uniform octets gave 0.8% private
 * ones); unusual_resource avoids the user's usual resources (9% of the reference's did not); the
 * seconds of anomalies are uniform (the reference fixed all 1,827 of them to one value). */
#include "gen.h"

#include "../core/rng.h"
#include "../core/strmap.h"
#include "../enrich/enrich.h"
#include "catalog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BUSINESS_START (9u * 3600u)
#define BUSINESS_SECONDS (9u * 3600u) /* 09:00:00 .. 17:59:59 */
#define OUT_BUFFER (1u << 20)
#define ROW_MAX 512 /* longer than any row: the longest fields are bounded by the catalogue */

static const char *const anomaly_names[SN_GEN_ANOMALY_TYPES] = {
    "unusual_time",      "unusual_location", "privilege_escalation",
    "impossible_travel", "unusual_resource", "excessive_access",
};

enum { ACT_READ, ACT_WRITE, ACT_EXECUTE, ACT_DOWNLOAD, ACT_DELETE, ACT_ADMIN, ACT_COUNT };
static const gen_text actions[ACT_COUNT] = {
    {"read", 4}, {"write", 5}, {"execute", 7}, {"download", 8}, {"delete", 6}, {"admin", 5},
};
static const uint8_t anomaly_actions[4] = {ACT_WRITE, ACT_DELETE, ACT_ADMIN, ACT_DOWNLOAD};

const char *sn_gen_anomaly_name(int type)
{
    return type >= 0 && type < SN_GEN_ANOMALY_TYPES ? anomaly_names[type] : NULL;
}

/* ---- output ---- */

typedef struct writer {
    FILE *out;
    const char *name;
    char *buf;
    size_t len;
    sn_status status;
    sn_error *err;
} writer;

/* Writes the buffer out and empties it; after a failure it only empties it (the rest of the
 * run is discarded and the caller stops at its next check). */
static void w_flush(writer *w)
{
    if (w->status != SN_OK || w->len == 0) {
        w->len = 0;
        return;
    }
    errno = 0;
    size_t put = fwrite(w->buf, 1, w->len, w->out);
    if (put != w->len) {
        int e = errno ? errno : EIO;
        w->status = sn_error_set(w->err, SN_ERR_IO, true, w->name, 0, NULL, "cannot write: %s",
                                 strerror(e));
    }
    w->len = 0;
}

static inline char *put_text(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* Decimal, zero-padded to at least width digits. */
static inline char *put_uint(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static inline char *put_2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static inline char *put_ip(char *p, uint32_t ip)
{
    for (int i = 3; i >= 0; i--) {
        p = put_uint(p, (ip >> (8 * i)) & 0xff, 1);
        if (i)
            *p++ = '.';
    }
    return p;
}

/* ---- the generator state ---- */

typedef struct gen_anomaly {
    uint32_t user, sec, seq, ip;
    uint8_t type, resource, action, place, success;
} gen_anomaly;

typedef struct generator {
    const sn_gen_options *o;
    sn_rng users_rng, rng;
    gen_user *users;
    uint32_t *tree;     /* Fenwick tree over today's normal-event counts, 1-based */
    uint32_t tree_top;  /* highest power of two <= users */
    uint32_t *per_sec;  /* normal events in each business-hours second of the day */
    gen_anomaly *anoms; /* today's anomalies */
    size_t nanoms, anoms_cap;
    uint8_t high[GEN_RESOURCES], medium[GEN_RESOURCES], sensitive[GEN_RESOURCES];
    uint8_t admin[3];
    uint8_t nhigh, nmedium, nsensitive;
    char day_text[11];  /* "YYYY-MM-DD " */
    char micro_text[7]; /* ".NNNNNN" */
    uint64_t next_id;
    writer w;
    sn_gen_stats stats;
} generator;

static int resource_index(const char *name)
{
    for (int i = 0; i < GEN_RESOURCES; i++)
        if (!strcmp(sn_gen__resources[i].s, name))
            return i;
    return 0;
}

static void build_pools(generator *g)
{
    for (uint8_t i = 0; i < GEN_RESOURCES; i++) {
        int level = sn_resource_sensitivity(sn_gen__resources[i].s, sn_gen__resources[i].n);
        if (level == 3)
            g->high[g->nhigh++] = i;
        if (level == 2)
            g->medium[g->nmedium++] = i;
        if (level >= 2)
            g->sensitive[g->nsensitive++] = i;
    }
    g->admin[0] = (uint8_t)resource_index("admin_panel");
    g->admin[1] = (uint8_t)resource_index("security_logs");
    g->admin[2] = (uint8_t)resource_index("aws_console");
}

static void write_row(generator *g, const gen_user *u, unsigned resource, unsigned action,
                      uint32_t sec, uint32_t ip, unsigned place, int success, int type)
{
    writer *w = &g->w;
    if (OUT_BUFFER - w->len < ROW_MAX)
        w_flush(w);
    const gen_department *d = &sn_gen__departments[u->dept];
    char *p = w->buf + w->len;
    *p++ = 'E';
    p = put_uint(p, ++g->next_id, 6);
    *p++ = ',';
    p = put_text(p, u->id, u->id_len);
    *p++ = ',';
    p = put_text(p, u->name, u->name_len);
    *p++ = ',';
    p = put_text(p, d->name.s, d->name.n);
    *p++ = ',';
    p = put_text(p, d->titles[u->title].s, d->titles[u->title].n);
    *p++ = ',';
    p = put_text(p, sn_gen__resources[resource].s, sn_gen__resources[resource].n);
    *p++ = ',';
    p = put_text(p, actions[action].s, actions[action].n);
    *p++ = ',';
    p = put_text(p, g->day_text, sizeof(g->day_text));
    p = put_2(p, sec / 3600);
    *p++ = ':';
    p = put_2(p, sec / 60 % 60);
    *p++ = ':';
    p = put_2(p, sec % 60);
    p = put_text(p, g->micro_text, sizeof(g->micro_text));
    *p++ = ',';
    p = put_ip(p, ip);
    *p++ = ',';
    p = put_text(p, sn_gen__places_csv[place].s, sn_gen__places_csv[place].n);
    p = success ? put_text(p, ",True,", 6) : put_text(p, ",False,", 7);
    if (type < 0) {
        p = put_text(p, "False,\n", 7);
    } else {
        p = put_text(p, "True,", 5);
        p = put_text(p, anomaly_names[type], strlen(anomaly_names[type]));
        *p++ = '\n';
    }
    w->len = (size_t)(p - w->buf);
    g->stats.events++;
}

/* ---- sampling ---- */

static double power(double x, uint32_t n)
{
    double r = 1;
    while (n) {
        if (n & 1)
            r *= x;
        x *= x;
        n >>= 1;
    }
    return r;
}

/* Binomial(n, p) by inversion, splitting n while the mean is large so that q^n stays far from
 * underflow. Only + - * / on doubles, so the stream is the same on every IEEE 754 machine. */
static uint32_t binomial(sn_rng *r, uint32_t n, double p)
{
    if (n == 0 || p <= 0)
        return 0;
    if (p >= 1)
        return n;
    if (p > 0.5)
        return n - binomial(r, n, 1 - p);
    if ((double)n * p > 16) {
        uint32_t h = n / 2;
        return binomial(r, h, p) + binomial(r, n - h, p);
    }
    double q = 1 - p, ratio = p / q, pk = power(q, n), u = sn_rng_uniform(r);
    uint32_t k = 0;
    while (u >= pk && k < n) {
        u -= pk;
        pk *= ratio * (double)(n - k) / (double)(k + 1);
        k++;
    }
    return k;
}

/* A routable public IPv4 address: not private, loopback, link-local, shared, multicast or
 * reserved. */
static uint32_t public_ip(sn_rng *r)
{
    for (;;) {
        uint32_t a = 1 + (uint32_t)sn_rng_below(r, 223), b = 1 + (uint32_t)sn_rng_below(r, 255);
        uint32_t c = 1 + (uint32_t)sn_rng_below(r, 255), d = 1 + (uint32_t)sn_rng_below(r, 254);
        if (a == 10 || a == 127 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168) ||
            (a == 169 && b == 254) || (a == 100 && b >= 64 && b <= 127))
            continue;
        return a << 24 | b << 16 | c << 8 | d;
    }
}

static uint8_t unusual_resource(generator *g, const gen_user *u)
{
    uint8_t pool[GEN_RESOURCES];
    unsigned n = 0;
    for (unsigned i = 0; i < g->nhigh; i++) {
        int usual = 0;
        for (unsigned k = 0; k < u->ntypical; k++)
            usual |= u->typical[k] == g->high[i];
        if (!usual)
            pool[n++] = g->high[i];
    }
    if (n == 0)
        return g->high[sn_rng_below(&g->rng, g->nhigh)];
    return pool[sn_rng_below(&g->rng, n)];
}

static sn_status add_anomaly(generator *g, uint32_t user_index)
{
    if (g->nanoms == g->anoms_cap) {
        size_t cap = g->anoms_cap ? 2 * g->anoms_cap : 256;
        gen_anomaly *a = realloc(g->anoms, cap * sizeof(*a));
        if (!a)
            return SN_ERR_NOMEM;
        g->anoms = a;
        g->anoms_cap = cap;
    }
    sn_rng *r = &g->rng;
    const gen_user *u = &g->users[user_index];
    gen_anomaly *a = &g->anoms[g->nanoms];
    a->user = user_index;
    a->seq = (uint32_t)g->nanoms++;
    a->type = (uint8_t)sn_rng_below(r, SN_GEN_ANOMALY_TYPES);
    uint32_t hour = a->type == SN_GEN_UNUSUAL_TIME ? 2 + (uint32_t)sn_rng_below(r, 5)
                                                   : 9 + (uint32_t)sn_rng_below(r, 9);
    a->sec = hour * 3600 + (uint32_t)sn_rng_below(r, 3600);
    a->action = anomaly_actions[sn_rng_below(r, 4)];
    a->success = sn_rng_below(r, 100) < 85;
    a->ip = public_ip(r);
    a->place = u->home;
    switch (a->type) {
    case SN_GEN_UNUSUAL_LOCATION:
        a->place = (uint8_t)(GEN_HOMES + sn_rng_below(r, GEN_SUSPICIOUS));
        a->resource = g->sensitive[sn_rng_below(r, g->nsensitive)];
        break;
    case SN_GEN_IMPOSSIBLE_TRAVEL: {
        uint8_t other = (uint8_t)sn_rng_below(r, GEN_HOMES - 1);
        a->place = other >= u->home ? other + 1 : other;
        a->resource = g->medium[sn_rng_below(r, g->nmedium)];
        break;
    }
    case SN_GEN_PRIVILEGE_ESCALATION:
        a->resource = g->admin[sn_rng_below(r, 3)];
        break;
    case SN_GEN_UNUSUAL_RESOURCE:
        a->resource = unusual_resource(g, u);
        break;
    case SN_GEN_EXCESSIVE_ACCESS:
        a->resource = g->medium[sn_rng_below(r, g->nmedium)];
        break;
    default: /* unusual time */
        a->resource = g->high[sn_rng_below(r, g->nhigh)];
        break;
    }
    return SN_OK;
}

static int anomaly_order(const void *pa, const void *pb)
{
    const gen_anomaly *a = pa, *b = pb;
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void write_anomaly(generator *g, const gen_anomaly *a)
{
    write_row(g, &g->users[a->user], a->resource, a->action, a->sec, a->ip, a->place, a->success,
              a->type);
    g->stats.anomalies++;
    g->stats.by_type[a->type]++;
}

/* Removes one of today's remaining normal events, chosen uniformly, and returns its user. */
static uint32_t take_user(generator *g, uint64_t remaining)
{
    uint64_t r = sn_rng_below(&g->rng, remaining);
    uint32_t n = g->o->users, pos = 0;
    for (uint32_t step = g->tree_top; step; step >>= 1)
        if (pos + step <= n && g->tree[pos + step] <= r) {
            pos += step;
            r -= g->tree[pos];
        }
    for (uint32_t i = pos + 1; i <= n; i += i & (0u - i))
        g->tree[i]--;
    return pos;
}

static void write_normal(generator *g, uint32_t user_index, uint32_t sec)
{
    sn_rng *r = &g->rng;
    const gen_user *u = &g->users[user_index];
    unsigned resource = u->typical[sn_rng_below(r, u->ntypical)];
    uint64_t x = sn_rng_below(r, 50); /* read 35, write 10, execute 4, download 1 in 50 */
    unsigned action = x < 35 ? ACT_READ : x < 45 ? ACT_WRITE : x < 49 ? ACT_EXECUTE : ACT_DOWNLOAD;
    uint32_t ip = 192u << 24 | 168u << 16 | (uint32_t)(1 + sn_rng_below(r, 255)) << 8 |
                  (uint32_t)(1 + sn_rng_below(r, 255));
    write_row(g, u, resource, action, sec, ip, u->home, 1, -1);
}

/* One day: how many of each user's remaining events fall on it, then the day in time order. */
static sn_status run_day(generator *g, uint32_t day_index)
{
    const sn_gen_options *o = g->o;
    sn_rng *r = &g->rng;
    uint32_t left_days = o->days - day_index;
    int64_t day = o->start_day + day_index;
    int weekend = sn_gen__is_weekend(day);
    int64_t y;
    unsigned m, d;
    sn_gen__civil_from_days(day, &y, &m, &d);
    char *p = put_uint(g->day_text, (uint64_t)y, 4);
    *p++ = '-';
    p = put_2(p, m);
    *p++ = '-';
    p = put_2(p, d);
    *p = ' ';

    g->nanoms = 0;
    uint64_t today = 0;
    double share = 1.0 / left_days;
    for (uint32_t i = 0; i < o->users; i++) {
        gen_user *u = &g->users[i];
        uint32_t k = binomial(r, u->left, share);
        u->left -= k;
        if (weekend) {
            uint32_t kept = 0;
            for (uint32_t j = 0; j < k; j++)
                kept += sn_rng_below(r, SN_GEN__WEEKEND_KEEP_IN) == 0;
            k = kept;
        }
        u->today = k;
        today += k;
        for (uint32_t j = u->anomalies_left; j > 0; j--)
            if (sn_rng_below(r, left_days) == 0) {
                u->anomalies_left--;
                if (add_anomaly(g, i) != SN_OK)
                    return sn_error_set(g->w.err, SN_ERR_NOMEM, true, NULL, 0, NULL, NULL);
            }
    }
    if (g->nanoms > 1)
        qsort(g->anoms, g->nanoms, sizeof(*g->anoms), anomaly_order);

    /* Linear-time Fenwick construction. */
    uint32_t n = o->users;
    for (uint32_t i = 1; i <= n; i++)
        g->tree[i] = g->users[i - 1].today;
    for (uint32_t i = 1; i <= n; i++) {
        uint32_t j = i + (i & (0u - i));
        if (j <= n)
            g->tree[j] += g->tree[i];
    }

    /* Sorted uniform times: count events per second, then walk the seconds in order; each
     * event's user is drawn without replacement from today's events, which is the same as
     * sorting independent uniform times. */
    memset(g->per_sec, 0, BUSINESS_SECONDS * sizeof(*g->per_sec));
    for (uint64_t i = 0; i < today; i++)
        g->per_sec[sn_rng_below(r, BUSINESS_SECONDS)]++;
    size_t next = 0;
    uint64_t remaining = today;
    for (uint32_t s = 0; s < BUSINESS_SECONDS && g->w.status == SN_OK; s++) {
        uint32_t c = g->per_sec[s];
        if (!c)
            continue;
        uint32_t sec = BUSINESS_START + s;
        while (next < g->nanoms && g->anoms[next].sec <= sec)
            write_anomaly(g, &g->anoms[next++]);
        for (; c > 0; c--)
            write_normal(g, take_user(g, remaining--), sec);
    }
    while (next < g->nanoms && g->w.status == SN_OK)
        write_anomaly(g, &g->anoms[next++]);
    return g->w.status;
}

static const char header[] = "event_id,user_id,username,department,job_title,resource,action,"
                             "timestamp,source_ip,location,success,is_anomaly,anomaly_type\n";

sn_status sn_gen_write(const sn_gen_options *o, FILE *out, const char *out_name,
                       sn_gen_stats *stats, sn_error *err)
{
    sn_status st = sn_gen_check_options(o, err);
    if (st != SN_OK)
        return st;
    generator g;
    memset(&g, 0, sizeof(g));
    g.o = o;
    g.w.out = out;
    g.w.name = out_name ? out_name : "output";
    g.w.err = err;
    g.users = calloc(o->users, sizeof(*g.users));
    g.tree = calloc((size_t)o->users + 1, sizeof(*g.tree));
    g.per_sec = malloc(BUSINESS_SECONDS * sizeof(*g.per_sec));
    g.w.buf = malloc(OUT_BUFFER);
    if (!g.users || !g.tree || !g.per_sec || !g.w.buf) {
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, NULL);
        goto done;
    }
    g.tree_top = 1;
    while (g.tree_top <= o->users / 2)
        g.tree_top <<= 1;
    build_pools(&g);

    /* Users come from their own stream, so a seed names the same organisation whatever the
     * volume of events asked for. */
    sn_rng_seed(&g.users_rng, o->seed);
    sn_rng_seed(&g.rng, sn_hash_u64(o->seed ^ 0x6a09e667f3bcc909ULL));
    for (uint32_t i = 0; i < o->users; i++) {
        sn_gen__make_user(&g.users_rng, i, o->events_per_user, o->anomaly_user_rate,
                          o->anomalies_per_user, &g.users[i]);
        g.stats.anomalous_users += g.users[i].anomalies_left > 0;
    }
    g.micro_text[0] = '.';
    put_uint(g.micro_text + 1, sn_rng_below(&g.rng, 1000000), 6);

    memcpy(g.w.buf, header, sizeof(header) - 1);
    g.w.len = sizeof(header) - 1;
    for (uint32_t day = 0; day < o->days && st == SN_OK; day++)
        st = run_day(&g, day);
    if (st == SN_OK) {
        w_flush(&g.w);
        st = g.w.status;
    }
    errno = 0;
    if (st == SN_OK && fflush(out) != 0)
        st = sn_error_set(err, SN_ERR_IO, true, g.w.name, 0, NULL, "cannot write: %s",
                          strerror(errno ? errno : EIO));
done:
    if (stats)
        *stats = g.stats;
    free(g.users);
    free(g.tree);
    free(g.per_sec);
    free(g.w.buf);
    free(g.anoms);
    return st;
}
