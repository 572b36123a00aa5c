/* The detection engine: baselines -> features -> detectors -> calibrated, explained verdict. */
#include "engine_internal.h"

#include "../core/strmap.h"

#include "../enrich/enrich.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"NORMAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *sn_level_name(sn_level l)
{
    return (unsigned)l <= SN_CRITICAL ? level_names[l] : "NORMAL";
}

sn_level sn_level_from_risk(double risk)
{
    if (risk >= 90)
        return SN_CRITICAL;
    if (risk >= 75)
        return SN_HIGH;
    if (risk >= 50)
        return SN_MEDIUM;
    if (risk >= 25)
        return SN_LOW;
    return SN_NORMAL;
}

const char *sn_recommendation(sn_level l)
{
    return l >= SN_HIGH ? "BLOCK" : (l == SN_MEDIUM ? "REVIEW" : "ALLOW");
}

void sn_engine_config_default(sn_engine_config *c)
{
    memset(c, 0, sizeof(*c));
    c->alert_threshold = 50.0;
    c->prior_bits = 10.0;
    c->contamination = 0.0;
    c->iforest_weight = 0.5;
    c->iforest_floor_bits = 6.0;
    c->trees = 100;
    c->psi = 256;
    c->seed = 42;
    c->sample_size = 65536;
    c->train_filter = 0.01;
    snprintf(c->suspicious_countries, sizeof(c->suspicious_countries), "KP,IR,RU,CN,NG,SY,CU");
    c->travel_km = 500.0;
    c->travel_kmh = 900.0;
    c->user_failures = 5.0;
    c->spray_accounts = 3.0;
    c->new_resources = 5.0;
    c->guess_failures = 3.0;
    sn_profile_params_default(&c->profile);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* cfg.aws_accounts as a sorted array: ids of 12 digits separated by commas (the command line
 * checked them; anything else is skipped). Returns false when out of memory. */
static bool parse_aws_accounts(sn_engine *e)
{
    const char *s = e->cfg.aws_accounts;
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    e->aws_accounts = malloc(n * sizeof(uint64_t));
    if (!e->aws_accounts)
        return false;
    while (*s) {
        uint64_t x = 0;
        size_t k = 0;
        for (; s[k] >= '0' && s[k] <= '9'; k++)
            x = x * 10 + (uint64_t)(s[k] - '0');
        if (k == 12 && (s[k] == ',' || s[k] == '\0') && x)
            e->aws_accounts[e->n_aws_accounts++] = x;
        s += k;
        while (*s && *s != ',')
            s++;
        if (*s == ',')
            s++;
    }
    qsort(e->aws_accounts, e->n_aws_accounts, sizeof(uint64_t), cmp_u64);
    return true;
}

/* Whether the configuration names the AWS account as the organisation's. */
static bool aws_account_configured(const sn_engine *e, uint64_t account)
{
    return account &&
           bsearch(&account, e->aws_accounts, e->n_aws_accounts, sizeof(uint64_t), cmp_u64);
}

sn_engine *sn_engine_new(const sn_engine_config *cfg)
{
    sn_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    if (cfg)
        e->cfg = *cfg;
    else
        sn_engine_config_default(&e->cfg);
    if (e->cfg.sample_size < 256)
        e->cfg.sample_size = 256;
    e->fcfg.suspicious_countries = e->cfg.suspicious_countries;
    e->profiles = sn_profiles_new(&e->cfg.profile);
    e->sample = malloc(e->cfg.sample_size * SN_FEATURE_COUNT * sizeof(float));
    e->sample_bits = malloc(e->cfg.sample_size * sizeof(double));
    e->hash = EVP_MD_CTX_new();
    if (!e->profiles || !e->sample || !e->sample_bits || !e->hash || !parse_aws_accounts(e) ||
        EVP_DigestInit_ex(e->hash, EVP_sha256(), NULL) != 1) {
        sn_engine_free(e);
        return NULL;
    }
    sn_rng_seed(&e->rng, e->cfg.seed);
    e->threshold_bits = sn_bits_for_risk(e->cfg.alert_threshold, e->cfg.prior_bits);
    e->stats.threshold_bits = e->threshold_bits;
    return e;
}

void sn_engine_free(sn_engine *e)
{
    if (!e)
        return;
    sn_profiles_free(e->profiles);
    sn_iforest_free(e->forest);
    free(e->sample);
    free(e->sample_bits);
    free(e->places);
    free(e->ip_places);
    free(e->asn_nets);
    free(e->aws_accounts);
    sn_geoip_close(e->geoip);
    for (size_t i = 0; i < sizeof(e->scale) / sizeof(e->scale[0]); i++)
        free(e->scale[i]);
    if (e->hash)
        EVP_MD_CTX_free(e->hash);
    free(e);
}

const sn_engine_config *sn_engine_get_config(const sn_engine *e)
{
    return &e->cfg;
}

sn_profiles *sn_engine_profiles(sn_engine *e)
{
    return e->profiles;
}

const sn_engine_stats *sn_engine_get_stats(const sn_engine *e)
{
    return &e->stats;
}

bool sn_engine_is_fitted(const sn_engine *e)
{
    return e->forest != NULL;
}

#define IP_PLACES 4096
#define ASN_NETS 4096

/* The cache entry of the event's address (what the IP databases said about it: coordinates,
 * autonomous system, each looked up when first asked for), in a direct-mapped cache; NULL when
 * there is no address or no database. */
static struct sn_ip_place *ip_entry(sn_engine *e, const sn_event *ev, const sn_obs *o)
{
    if (!ev->ip.family || o->source_is_resource || !o->source_key)
        return NULL;
    if (!e->geoip_tried) {
        e->geoip_tried = true;
        e->geoip = sn_geoip_open(NULL); /* no database: no lookups, nothing else changes */
        if (e->geoip && !sn_geoip_has_location(e->geoip) && !sn_geoip_has_asn(e->geoip)) {
            sn_geoip_close(e->geoip);
            e->geoip = NULL;
        }
        if (e->geoip) {
            e->ip_places = calloc(IP_PLACES, sizeof(*e->ip_places));
            e->asn_nets = calloc(ASN_NETS, sizeof(*e->asn_nets));
        }
    }
    if (!e->geoip || !e->ip_places || !e->asn_nets)
        return NULL;
    struct sn_ip_place *c = &e->ip_places[o->source_key % IP_PLACES];
    if (c->key != o->source_key) {
        c->key = o->source_key;
        c->state = 0;
        c->asn_known = false;
        c->asn = 0;
        c->asn_value = -1;
    }
    return c;
}

/* The autonomous system of the event's public address, as a baseline attribute ("AS14061"). */
static sn_status resolve_asn(sn_engine *e, const sn_event *ev, sn_obs *o)
{
    struct sn_ip_place *c = ip_entry(e, ev, o);
    if (!c)
        return SN_OK;
    /* A public IPv4 address is answered for its /24 when the database maps the /24 whole
     * (nearly always): addresses of one network mostly come together. */
    const uint8_t *a = ev->ip.addr;
    uint32_t key24 = ((uint32_t)a[0] << 16 | (uint32_t)a[1] << 8 | a[2]) + 1;
    struct sn_asn_net *net = NULL;
    sn_ip_kind kind = !c->asn_known && ev->ip.family == 4 ? sn_ip_class(&ev->ip) : SN_IP_INVALID;
    if (kind != SN_IP_INVALID && kind != SN_IP_PUBLIC) {
        c->asn_known = true; /* a private or reserved IPv4 address has no autonomous system */
        c->asn = 0;
    }
    if (kind == SN_IP_PUBLIC) {
        net = &e->asn_nets[sn_hash_u64(key24) % ASN_NETS];
        if (net->key == key24) {
            c->asn_known = true;
            c->asn = net->asn;
            c->asn_value = net->asn_value;
        }
    }
    if (!c->asn_known) {
        unsigned bits;
        c->asn_known = true;
        c->asn = sn_geoip_asn_net(e->geoip, &ev->ip, NULL, 0, &bits);
        if (net && bits >= 1 && bits <= 24) {
            net->key = key24;
            net->asn = c->asn;
            net->asn_value = -1;
        } else {
            net = NULL;
        }
    }
    if (!c->asn)
        return SN_OK;
    if (c->asn_value >= 0) {
        /* Interned before for this address or its network: the name's id is known. */
        o->value[SN_ATTR_ASN] = c->asn_value;
        return SN_OK;
    }
    char digits[12], name[16] = "AS";
    int k = 0;
    for (uint32_t v = c->asn; v; v /= 10)
        digits[k++] = (char)('0' + v % 10);
    int n = 2;
    while (k)
        name[n++] = digits[--k];
    sn_status st = sn_profiles_set_value(e->profiles, o, SN_ATTR_ASN, name, (size_t)n);
    if (st == SN_OK) {
        c->asn_value = o->value[SN_ATTR_ASN];
        if (net && net->key == key24)
            net->asn_value = c->asn_value;
    }
    return st;
}

/* The client family of the event's user agent, as a baseline attribute. */
static sn_status resolve_client(sn_engine *e, const sn_event *ev, sn_obs *o)
{
    char name[64];
    size_t n = ev->user_agent.n
                   ? sn_client_family(ev->user_agent.p, ev->user_agent.n, name, sizeof(name))
                   : 0;
    return n ? sn_profiles_set_value(e->profiles, o, SN_ATTR_CLIENT, name, n) : SN_OK;
}

/* Coordinates of the event's public address through the IP geolocation database. */
static void resolve_ip_place(sn_engine *e, const sn_event *ev, sn_obs *o)
{
    struct sn_ip_place *c = ip_entry(e, ev, o);
    if (c && c->state == 0) {
        sn_geoip_result r;
        c->state = 2;
        if (sn_geoip_lookup(e->geoip, &ev->ip, &r) && r.has_coords) {
            c->state = 1;
            c->lat = (float)r.lat;
            c->lon = (float)r.lon;
        }
    }
    if (c && c->state == 1) {
        o->has_coords = true;
        o->coords_from_ip = true;
        o->lat = c->lat;
        o->lon = c->lon;
    }
}

/* Coordinates for the event: the record's own, else its "City, CC" through the gazetteer, else
 * its public address through the IP database. */
static void resolve_place(sn_engine *e, const sn_event *ev, sn_obs *o)
{
    if (o->has_coords)
        return;
    if (o->value[SN_ATTR_LOCATION] < 0 || !ev->location.n) {
        resolve_ip_place(e, ev, o);
        return;
    }
    int32_t id = o->value[SN_ATTR_LOCATION];
    if (id >= e->places_cap) {
        int32_t nc = e->places_cap ? e->places_cap : 64;
        while (nc <= id)
            nc *= 2;
        sn_place_cache *np = realloc(e->places, (size_t)nc * sizeof(*np));
        if (!np)
            return; /* no coordinates: travel checks skip this event */
        memset(np + e->places_cap, 0, (size_t)(nc - e->places_cap) * sizeof(*np));
        e->places = np;
        e->places_cap = nc;
    }
    sn_place_cache *pc = &e->places[id];
    if (pc->state == 0) {
        sn_place place;
        if (sn_geo_lookup(ev->location.p, ev->location.n, &place)) {
            pc->state = 1;
            pc->lat = (float)place.lat;
            pc->lon = (float)place.lon;
        } else {
            pc->state = 2;
        }
    }
    if (pc->state == 1) {
        o->has_coords = true;
        o->lat = pc->lat;
        o->lon = pc->lon;
    } else {
        resolve_ip_place(e, ev, o);
    }
}

/* Resource sensitivity and action risk, looked up once per distinct value. */
static int8_t cached_scale(sn_engine *e, int which, int32_t id, const sn_str *s)
{
    if (id < 0 || !s->n)
        return 0;
    if (id >= e->scale_cap[which]) {
        int32_t nc = e->scale_cap[which] ? e->scale_cap[which] : 64;
        while (nc <= id)
            nc *= 2;
        int8_t *n = realloc(e->scale[which], (size_t)nc);
        if (!n)
            return 0; /* the features compute it themselves */
        memset(n + e->scale_cap[which], 0, (size_t)(nc - e->scale_cap[which]));
        e->scale[which] = n;
        e->scale_cap[which] = nc;
    }
    int8_t *v = &e->scale[which][id];
    if (!*v) {
        if (which == 0)
            *v = (int8_t)sn_resource_sensitivity(s->p, s->n);
        else if (which == 1)
            *v = (int8_t)sn_action_risk(s->p, s->n);
        else
            *v = sn_action_changes_rights(s->p, s->n) ? 2 : 1;
    }
    return *v;
}

/* Administrative rights are new for a user only after this many of the user's events. */
#define PRIVILEGE_MIN_USER_EVENTS 10

/* How common an action is among the user's peers: the department's share of events when it has
 * seen enough of them, else the organisation's (0 when neither has). */
static double privilege_share(const sn_judgement *j)
{
    const int a = SN_ATTR_ACTION;
    if (j->peer_n[a] >= PRIVILEGE_MIN_PEER_EVENTS)
        return j->peer_share[a];
    return j->org_n[a] >= PRIVILEGE_MIN_PEER_EVENTS ? j->org_share[a] : 0.0;
}

static void gather_evidence(const sn_engine_config *cfg, const sn_obs *o, const sn_judgement *j,
                            const sn_event_context *ctx, sn_evidence *b)
{
    memset(b, 0, sizeof(*b));
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        b->attr[a] = j->excess[a];
    /* A provider new to the user is almost always a network new to the user too: the two say
     * one thing, and count once, as the stronger of them (the one the reason then names). */
    if (b->attr[SN_ATTR_ASN] > b->attr[SN_ATTR_NETWORK])
        b->attr[SN_ATTR_NETWORK] = 0.0;
    else
        b->attr[SN_ATTR_ASN] = 0.0;
    /* Impossible travel implicates one of two events. It counts against this one only when
     * this place is at least as surprising for the user as the previous one was: the genuine
     * user coming back home after a hijacked sign-in elsewhere is not the intruder. */
    if (ctx->has_travel && j->bits[SN_ATTR_LOCATION] >= j->prev_location_bits) {
        /* An address places a user only roughly (a VPN, a mobile network, an anycast address
         * far from its user): twice the distance and speed are needed then. */
        double k = ctx->travel_rough ? 0.5 : 1.0;
        b->travel = sn_evidence_travel(ctx->travel_km * k, ctx->travel_kmh * k, cfg->travel_km,
                                       cfg->travel_kmh);
    }
    b->user_failures = sn_evidence_user_failures(j->user_fail_burst, cfg->user_failures);
    b->spray = sn_evidence_spray(j->source_fail_users, cfg->spray_accounts);
    b->volume = sn_evidence_volume(j->user_rate_now, j->user_rate_usual);
    b->enumeration = sn_evidence_enumeration(j->user_novel_burst, cfg->new_resources);
    if (j->user_fail_burst == j->user_fail_before) /* this event did not fail */
        b->guessed = sn_evidence_success_after_failures(j->user_fail_before, cfg->guess_failures);
    /* First use of a privileged action by this user. A grant of rights or credentials counts
     * from the first event on (a forged identity's first act is often to add a credential or a
     * permission that outlives the forgery); administrative rights (Windows 4672, sudo, "admin")
     * count once the user has a history to differ from, since service and administrator
     * accounts take them at every sign-in. */
    const int a = SN_ATTR_ACTION;
    if (o->value[a] >= 0 && j->user_count[a] == 0 &&
        (o->changes_rights || (o->action_risk >= 5 && j->user_n[a] >= PRIVILEGE_MIN_USER_EVENTS)))
        b->privilege = sn_evidence_first_privilege(privilege_share(j));
    if (o->weak_cipher)
        b->weak_ticket = SN_EVIDENCE_WEAK_TICKET;
    if (o->anonymous)
        b->anonymous = o->success == 0 ? SN_EVIDENCE_ANONYMOUS_REFUSED : SN_EVIDENCE_ANONYMOUS;
    if (j->foreign_account)
        b->foreign_account =
            j->foreign_calls ? SN_EVIDENCE_FOREIGN_ACCOUNT : SN_EVIDENCE_FOREIGN_ACCOUNT_NEW;
}

static double behavioural_bits(const sn_evidence *b)
{
    double s = b->travel + b->user_failures + b->spray + b->volume + b->enumeration + b->guessed +
               b->privilege + b->weak_ticket + b->anonymous + b->foreign_account;
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        s += b->attr[a];
    return s;
}

static double forest_bits(const sn_engine *e, double score)
{
    double bits = sn_calibration_bits(&e->calib, score) - e->cfg.iforest_floor_bits;
    return bits > 0 ? e->cfg.iforest_weight * bits : 0.0;
}

/* The training-data hash takes the events' canonical bytes through a buffer: one digest update
 * per 64 KiB instead of nine per event (the digest is the same either way). */
static void hash_flush(sn_engine *e)
{
    if (e->hash_len) {
        EVP_DigestUpdate(e->hash, e->hash_buf, e->hash_len);
        e->hash_len = 0;
    }
}

static void hash_put(sn_engine *e, const void *p, size_t n)
{
    if (n > sizeof(e->hash_buf) - e->hash_len) {
        hash_flush(e);
        if (n > sizeof(e->hash_buf)) {
            EVP_DigestUpdate(e->hash, p, n);
            return;
        }
    }
    memcpy(e->hash_buf + e->hash_len, p, n);
    e->hash_len += n;
}

static void hash_event(sn_engine *e, const sn_event *ev)
{
    /* Canonical normalised fields, each length-prefixed, so that equal histories hash equal
     * whatever their file format. */
    const sn_str *fields[] = {&ev->user_id,  &ev->department, &ev->job_title,
                              &ev->resource, &ev->action,     &ev->location};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        uint32_t n = (uint32_t)fields[i]->n;
        hash_put(e, &n, sizeof(n));
        if (n)
            hash_put(e, fields[i]->p, n);
    }
    hash_put(e, &ev->ts_us, sizeof(ev->ts_us));
    hash_put(e, &ev->ip, sizeof(ev->ip));
    hash_put(e, &ev->success, sizeof(ev->success));
}

sn_status sn_engine_learn(sn_engine *e, const sn_event *ev, sn_error *err)
{
    sn_obs o;
    sn_judgement j;
    sn_event_context ctx;
    float f[SN_FEATURE_COUNT];
    if (sn_profiles_observe(e->profiles, ev, &o) != SN_OK || resolve_asn(e, ev, &o) != SN_OK ||
        resolve_client(e, ev, &o) != SN_OK)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory for baselines");
    o.caller_trusted = aws_account_configured(e, o.caller_account);
    resolve_place(e, ev, &o);
    o.sensitivity = cached_scale(e, 0, o.value[SN_ATTR_RESOURCE], &ev->resource);
    o.action_risk = cached_scale(e, 1, o.value[SN_ATTR_ACTION], &ev->action);
    o.changes_rights = cached_scale(e, 2, o.value[SN_ATTR_ACTION], &ev->action) == 2;
    sn_profiles_judge(e->profiles, &o, &j);
    sn_features_build(&e->fcfg, ev, &o, &j, f, &ctx);
    sn_evidence b;
    gather_evidence(&e->cfg, &o, &j, &ctx, &b);
    /* Reservoir sampling (Vitter's algorithm R) keeps a uniform sample of the history. */
    size_t slot = e->sample_len;
    if (e->sample_len == e->cfg.sample_size) {
        uint64_t r = sn_rng_below(&e->rng, e->sample_seen + 1);
        slot = r < e->cfg.sample_size ? (size_t)r : SIZE_MAX;
    } else {
        e->sample_len++;
    }
    e->sample_seen++;
    if (slot != SIZE_MAX) {
        memcpy(e->sample + slot * SN_FEATURE_COUNT, f, sizeof(f));
        e->sample_bits[slot] = behavioural_bits(&b);
    }
    hash_event(e, ev);
    e->stats.learned++;
    if (sn_profiles_update(e->profiles, &o, &j) != SN_OK)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory for baselines");
    return SN_OK;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

typedef struct ranked_row {
    double score;
    size_t row;
} ranked_row;

/* Most isolated first; ties by row, so that the rows dropped do not depend on the sort. */
static int cmp_ranked_row(const void *a, const void *b)
{
    const ranked_row *x = a, *y = b;
    if (x->score != y->score)
        return (x->score < y->score) - (x->score > y->score);
    return (x->row > y->row) - (x->row < y->row);
}

static double forest_bits_max(const sn_engine *e);
static double explain_bits(const sn_engine *e);

/* Earlier events a user needs for a training row to stand for live traffic (drift monitor). */
#define WARM_EVENTS 10

/* Poisoning defence: a first forest on the whole sample, then the train_filter share of rows it
 * isolates most is left out. Returns the rows kept (caller frees) with *kept set, or NULL with
 * *kept = 0 when nothing is left out (filter off or too few rows) or memory ran out (*failed). */
static float *filter_outliers(sn_engine *e, const sn_iforest_params *ip, size_t *kept, bool *failed,
                              sn_error *err)
{
    size_t n = e->sample_len;
    size_t drop = (size_t)(e->cfg.train_filter * (double)n);
    *kept = 0;
    *failed = false;
    if (drop == 0 || n - drop < 2)
        return NULL;
    sn_iforest *first = NULL;
    if (sn_iforest_fit(&first, e->sample, n, SN_FEATURE_COUNT, ip, err) != SN_OK) {
        *failed = true;
        return NULL;
    }
    double *scores = malloc(n * sizeof(double));
    ranked_row *order = malloc(n * sizeof(ranked_row));
    float *rows = malloc((n - drop) * SN_FEATURE_COUNT * sizeof(float));
    if (!scores || !order || !rows) {
        free(scores);
        free(order);
        free(rows);
        sn_iforest_free(first);
        *failed = true;
        sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    sn_iforest_score_many(first, e->sample, n, scores);
    sn_iforest_free(first);
    for (size_t i = 0; i < n; i++)
        order[i] = (ranked_row){scores[i], i};
    qsort(order, n, sizeof(ranked_row), cmp_ranked_row);
    /* Mark the dropped rows (their scores set to NAN), then copy the others in sample order. */
    for (size_t i = 0; i < drop; i++)
        scores[order[i].row] = NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(scores[i]))
            memcpy(rows + k++ * SN_FEATURE_COUNT, e->sample + i * SN_FEATURE_COUNT,
                   SN_FEATURE_COUNT * sizeof(float));
    free(scores);
    free(order);
    *kept = k;
    return rows;
}

sn_status sn_engine_fit(sn_engine *e, sn_error *err)
{
    if (e->sample_len < 2)
        return sn_error_set(err, SN_ERR_EMPTY, true, NULL, 0, NULL,
                            "at least 2 events are needed to learn from (got %zu)", e->sample_len);
    sn_iforest_params ip;
    sn_iforest_params_default(&ip);
    ip.n_trees = e->cfg.trees;
    ip.psi = e->cfg.psi;
    ip.seed = e->cfg.seed;
    sn_iforest_free(e->forest);
    e->forest = NULL;
    size_t n = e->sample_len, fit_n;
    bool failed;
    float *kept = filter_outliers(e, &ip, &fit_n, &failed, err);
    if (failed)
        return err ? err->code : SN_ERR_NOMEM;
    const float *fit_x = kept ? kept : e->sample;
    if (!kept)
        fit_n = n;
    e->stats.train_filtered = n - fit_n;
    sn_status st = sn_iforest_fit(&e->forest, fit_x, fit_n, SN_FEATURE_COUNT, &ip, err);
    double *scores = st == SN_OK ? malloc(n * sizeof(double)) : NULL;
    double *total = st == SN_OK ? malloc(n * sizeof(double)) : NULL;
    if (st == SN_OK && (!scores || !total))
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    if (st != SN_OK) {
        free(kept);
        free(scores);
        free(total);
        return st;
    }
    /* The calibration is the score distribution of the rows the forest was fitted on: the
     * outliers left out are rarer than all of them. */
    sn_iforest_score_many(e->forest, fit_x, fit_n, total);
    sn_calibration_fit(&e->calib, total, fit_n);
    free(kept);
    sn_iforest_score_many(e->forest, e->sample, n, scores);
    if (e->cfg.contamination > 0 && e->cfg.contamination < 1) {
        /* A fixed share of training events alerts: the threshold is that quantile of the
         * ensemble evidence. */
        for (size_t i = 0; i < n; i++)
            total[i] = e->sample_bits[i] + forest_bits(e, scores[i]);
        qsort(total, n, sizeof(double), cmp_desc);
        size_t k = (size_t)(e->cfg.contamination * (double)n);
        if (k >= n)
            k = n - 1;
        e->threshold_bits = total[k];
    }
    /* The training risk distribution, each row's risk as detection gives it (the forest consulted
     * where it can change the level): the drift monitor compares live risks with it. Live events
     * come after the whole history, mostly from users it knows, so the rows of users with at
     * least WARM_EVENTS earlier events stand for them (all rows when fewer than a quarter are). */
    double explain_from = explain_bits(e) - forest_bits_max(e);
    size_t warm = 0;
    for (size_t i = 0; i < n; i++)
        warm += e->sample[i * SN_FEATURE_COUNT + SN_F_USER_TOTAL_EVENTS] >= WARM_EVENTS;
    bool only_warm = warm * 4 >= n;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (only_warm && e->sample[i * SN_FEATURE_COUNT + SN_F_USER_TOTAL_EVENTS] < WARM_EVENTS)
            continue;
        double bits = e->sample_bits[i];
        if (e->cfg.forest_every_event || bits >= explain_from)
            bits += forest_bits(e, scores[i]);
        total[m++] = sn_risk_from_bits(bits, e->cfg.prior_bits);
    }
    sn_score_hist_fit(&e->train_hist, total, m);
    free(scores);
    free(total);
    unsigned int len = 0;
    hash_flush(e);
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    if (copy && EVP_MD_CTX_copy_ex(copy, e->hash) == 1)
        EVP_DigestFinal_ex(copy, e->stats.data_hash, &len);
    EVP_MD_CTX_free(copy);
    e->stats.trained_at = (int64_t)time(NULL);
    e->stats.threshold_bits = e->threshold_bits;
    return SN_OK;
}

const sn_score_hist *sn_engine_score_hist(const sn_engine *e)
{
    return &e->train_hist;
}

bool sn_engine_forget_user(sn_engine *e, const char *user, size_t n)
{
    return sn_profiles_forget_user(e->profiles, user, n);
}

void sn_engine_reset_history(sn_engine *e)
{
    sn_profiles_reset(e->profiles);
}

/* Evidence the forest can add at most: reasons are written before the forest has scored (while
 * the baselines still hold the history before the event) for every event that could reach LOW. */
static double forest_bits_max(const sn_engine *e)
{
    if (!e->forest || !e->calib.n)
        return 0.0;
    double top = fmin(16.0, log2((double)e->calib.n)) - e->cfg.iforest_floor_bits;
    return top > 0 ? e->cfg.iforest_weight * top : 0.0;
}

static double explain_bits(const sn_engine *e)
{
    double low = sn_bits_for_risk(25.0, e->cfg.prior_bits);
    return fmin(low, e->threshold_bits);
}

sn_status sn_engine_analyse_many(sn_engine *e, const sn_event *events, size_t n,
                                 sn_verdict *verdicts, sn_error *err)
{
    double behavioural[SN_ANALYSE_BLOCK];
    double scores[SN_ANALYSE_BLOCK];
    double early[SN_ANALYSE_BLOCK]; /* forest scores taken while judging, or NAN */
    float block[SN_ANALYSE_BLOCK * SN_FEATURE_COUNT];
    /* Evidence from which reasons are kept (LOW, or an alert), a hair low so that rounding at
     * the boundary never drops reasons a verdict keeps; and from which the forest could get an
     * event there. */
    double explain_need = explain_bits(e) - 1e-6;
    double explain_from = explain_bits(e) - forest_bits_max(e);
    for (size_t base = 0; base < n; base += SN_ANALYSE_BLOCK) {
        size_t m = n - base < SN_ANALYSE_BLOCK ? n - base : SN_ANALYSE_BLOCK;
        /* Names to ids first (in order, as one after the other would), so that the baselines
         * of the events a little ahead can be fetched from memory while this one is judged. */
        sn_obs obs[SN_ANALYSE_BLOCK];
        if (sn_profiles_observe_many(e->profiles, events + base, m, obs) != SN_OK)
            return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL,
                                "out of memory for baselines");
        for (size_t i = 0; i < m; i++) {
            const sn_event *ev = &events[base + i];
            sn_obs *o = &obs[i];
            if (resolve_asn(e, ev, o) != SN_OK || resolve_client(e, ev, o) != SN_OK)
                return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL,
                                    "out of memory for baselines");
            o->caller_trusted = aws_account_configured(e, o->caller_account);
            resolve_place(e, ev, o);
            o->sensitivity = cached_scale(e, 0, o->value[SN_ATTR_RESOURCE], &ev->resource);
            o->action_risk = cached_scale(e, 1, o->value[SN_ATTR_ACTION], &ev->action);
            o->changes_rights = cached_scale(e, 2, o->value[SN_ATTR_ACTION], &ev->action) == 2;
        }
        /* Judge and update one event after the other: each sees the history before it. */
        for (size_t i = 0; i < m; i++) {
            const sn_event *ev = &events[base + i];
            sn_verdict *v = &verdicts[base + i];
            sn_obs o = obs[i];
            sn_judgement j;
            sn_event_context ctx;
            sn_evidence b;
            if (i + 3 < m)
                sn_profiles_prefetch(e->profiles, &obs[i + 3]);
            sn_profiles_judge(e->profiles, &o, &j);
            sn_features_build(&e->fcfg, ev, &o, &j, v->features, &ctx);
            memcpy(block + i * SN_FEATURE_COUNT, v->features, sizeof(v->features));
            gather_evidence(&e->cfg, &o, &j, &ctx, &b);
            behavioural[i] = behavioural_bits(&b);
            v->n_reasons = 0;
            early[i] = NAN;
            if (behavioural[i] >= explain_from) {
                /* Reasons are written now, while the baselines hold the history before the
                 * event, but only for an event that can keep them: the forest, asked here,
                 * says whether it reaches LOW. */
                bool keep = true;
                if (e->forest) {
                    early[i] = sn_iforest_score(e->forest, v->features);
                    keep = behavioural[i] + forest_bits(e, early[i]) >= explain_need;
                }
                if (keep)
                    sn_explain(e, ev, &o, &j, &ctx, &b, v);
            }
            if (sn_profiles_update(e->profiles, &o, &j) != SN_OK)
                return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL,
                                    "out of memory for baselines");
        }
        /* The forest scores the block at once (its descents overlap) where it has not scored an
         * event yet: only the events whose behavioural evidence, with the most the forest can
         * add, could reach LOW need it (for the others it cannot change the level, the alert
         * or the recommendation), and those it has scored while judging; every event with
         * --forest-every-event. */
        size_t k = 0;
        size_t row[SN_ANALYSE_BLOCK];
        if (e->forest) {
            for (size_t i = 0; i < m; i++) {
                if (!isnan(early[i]) ||
                    (!e->cfg.forest_every_event && behavioural[i] < explain_from))
                    continue;
                if (k != i)
                    memcpy(block + k * SN_FEATURE_COUNT, block + i * SN_FEATURE_COUNT,
                           SN_FEATURE_COUNT * sizeof(float));
                row[k++] = i;
            }
            /* The forest scores rows 64 at a time, padding a short block: a pass costs the same
             * for a few rows as for 64, so only a handful go one by one. */
            if (k >= 16)
                sn_iforest_score_many(e->forest, block, k, scores);
            else
                for (size_t r = 0; r < k; r++)
                    scores[r] = sn_iforest_score(e->forest, block + r * SN_FEATURE_COUNT);
        }
        size_t next = 0;
        for (size_t i = 0; i < m; i++) {
            sn_verdict *v = &verdicts[base + i];
            double bits = behavioural[i], fb = 0.0;
            v->iforest_score = 0.0;
            bool scored = !isnan(early[i]);
            if (scored) {
                v->iforest_score = early[i];
            } else if (next < k && row[next] == i) {
                v->iforest_score = scores[next++];
                scored = true;
            }
            if (scored) {
                fb = forest_bits(e, v->iforest_score);
                bits += fb;
            }
            v->anomaly_score = bits;
            v->risk_score = sn_risk_from_bits(bits, e->cfg.prior_bits);
            v->is_anomaly = bits >= e->threshold_bits;
            v->level = sn_level_from_risk(v->risk_score);
            /* A contamination threshold can sit below MEDIUM: an alert is never ALLOW. */
            if (v->is_anomaly && v->level < SN_MEDIUM)
                v->level = SN_MEDIUM;
            v->recommendation = sn_recommendation(v->level);
            if (v->level >= SN_LOW || v->is_anomaly)
                sn_explain_finish(e, fb, v);
            else
                v->n_reasons = 0;
            e->stats.analysed++;
            e->stats.anomalies += v->is_anomaly;
        }
    }
    return SN_OK;
}

sn_status sn_engine_analyse(sn_engine *e, const sn_event *ev, sn_verdict *v, sn_error *err)
{
    return sn_engine_analyse_many(e, ev, 1, v, err);
}
