/* Public face of the profile layer: behavioural baselines per user, per peer group and for the
 * whole organisation, updated event by event, and the predictive probability of each new event
 * under them.
 *
 * Each categorical attribute (network, location, resource, action, hour, weekend, outcome,
 * autonomous system, client) is
 * modelled as a three-level hierarchical Pitman-Yor process: user -> peer group (department) ->
 * organisation. The probability of a value for a user is its smoothed frequency in the user's
 * history, and a value new to the user takes its probability from the peer group (and a value new
 * to the group from the organisation). This gives every event a surprisal in bits that already
 * accounts for how varied the user is (a user who touches many resources is less surprising when
 * touching one more) and for cold starts (a user's first events are judged by the peers).
 * Teh, "A hierarchical Bayesian language model based on Pitman-Yor processes", ACL 2006. */
#ifndef SN_PROFILE_H
#define SN_PROFILE_H

#include "../core/buf.h"
#include "../core/error.h"
#include "../ingest/event.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum sn_attr {
    SN_ATTR_NETWORK = 0, /* IPv4 /16 or IPv6 /48 of the source address */
    SN_ATTR_LOCATION,    /* "City, CC" or country */
    SN_ATTR_RESOURCE,
    SN_ATTR_ACTION,
    SN_ATTR_HOUR,    /* hour of day 0..23 (timestamp's clock) */
    SN_ATTR_WEEKEND, /* 0 weekday, 1 Saturday/Sunday */
    SN_ATTR_OUTCOME, /* 0 success, 1 failure */
    SN_ATTR_ASN,     /* autonomous system of a public source address ("AS14061"), from the enrich
                        layer: set with sn_profiles_set_value, absent for private addresses */
    SN_ATTR_CLIENT,  /* client family of the user agent ("Chrome on Windows", "aws-cli"), set with
                        sn_profiles_set_value, absent when the record carries no user agent */
    SN_ATTR_COUNT
} sn_attr;

const char *sn_attr_name(sn_attr a);

typedef struct sn_profiles sn_profiles;

/* The interned view of one event that the baselines work on. */
typedef struct sn_obs {
    int32_t user, peer, title;    /* ids; peer/title -1 when unknown */
    int32_t value[SN_ATTR_COUNT]; /* -1: attribute absent in this event */
    int64_t ts_us;
    double lat, lon;
    bool has_coords;
    bool coords_from_ip; /* coordinates of the address's city: rough (VPNs, mobile, anycast) */
    uint64_t source_key; /* where attempts come from: the address, else the resource they aim
                            at (so failures for many accounts on one host without addresses
                            still add up); 0 when neither is known */
    bool source_is_resource;
    int8_t success;
    int8_t sensitivity, action_risk; /* resource and action scales when known, else 0 */
    bool changes_rights;             /* the action grants rights or credentials */
    bool weak_cipher;                /* sn_event.weak_cipher */
    bool anonymous;                  /* sn_event.anonymous */
    uint64_t caller_account, owner_account; /* sn_event's AWS accounts (0 unknown) */
    bool caller_is_principal;               /* sn_event.caller_is_principal */
    bool caller_trusted; /* the caller's account is one the configuration names as the
                            organisation's (set by the caller of sn_profiles_observe) */
} sn_obs;

/* What the baselines say about one event, before it is added to them. */
typedef struct sn_judgement {
    double bits[SN_ATTR_COUNT];         /* surprisal -log2 P(value | history) */
    double typical[SN_ATTR_COUNT];      /* the user's typical surprisal for this attribute */
    double excess[SN_ATTR_COUNT];       /* max(0, bits - typical) */
    uint32_t user_count[SN_ATTR_COUNT]; /* times the user had this value before */
    uint32_t user_n[SN_ATTR_COUNT];     /* events of the user with this attribute */
    uint32_t user_distinct[SN_ATTR_COUNT];
    double peer_share[SN_ATTR_COUNT]; /* share of the peer group's events with this value */
    double org_share[SN_ATTR_COUNT];  /* share of the organisation's events with this value */
    uint32_t peer_n[SN_ATTR_COUNT];   /* the peer group's events with the attribute */
    uint32_t org_n[SN_ATTR_COUNT];    /* the organisation's events with the attribute */
    /* Reference-system context features. */
    uint32_t user_events;
    uint32_t user_resources;
    double user_success_rate;
    int32_t home_location; /* the user's most frequent location id, -1 if none */
    /* Previous event of the user. */
    bool has_prev;
    int64_t prev_ts_us;
    bool prev_has_coords;
    bool prev_coords_from_ip;
    double prev_lat, prev_lon;
    int32_t prev_location;
    double prev_location_bits; /* how surprising the previous event's location was then */
    int64_t first_ts_us;       /* the user's first event */
    /* Bursts, decayed counts over a 10-minute horizon. */
    double user_fail_burst;   /* recent failures of this user (including this one) */
    double user_fail_before;  /* recent failures of this user before this event */
    double user_novel_burst;  /* resources new to this user recently (including this one) */
    double source_fail_burst; /* recent failures from this source address */
    double source_fail_users; /* recent failures from this source for distinct accounts */
    double user_rate_now;     /* the user's events in the last hour (decayed) */
    double user_rate_usual;   /* the user's usual events per active hour */
    /* The caller's AWS account is not one of the organisation's: neither configured, nor the
     * account of the resources called, nor one the history showed to be the organisation's
     * (an account whose resources were called, or whose own identities called). */
    bool foreign_account;
    uint32_t foreign_calls; /* earlier requests from that foreign account in the history */
} sn_judgement;

typedef struct sn_profile_params {
    double concentration[SN_ATTR_COUNT]; /* Pitman-Yor theta */
    double discount[SN_ATTR_COUNT];      /* Pitman-Yor d */
    double typical_prior_weight;         /* pseudo-events of the peers' typical surprisal */
    double burst_seconds;                /* horizon of failure and new-resource bursts: 600 */
} sn_profile_params;

void sn_profile_params_default(sn_profile_params *p);

/* Caller frees with sn_profiles_free. Returns NULL when out of memory. */
sn_profiles *sn_profiles_new(const sn_profile_params *params);
void sn_profiles_free(sn_profiles *p);
/* Forgets all history (keeps interned names). */
void sn_profiles_reset(sn_profiles *p);

/* Interns the event's strings into ids. Returns SN_ERR_NOMEM on allocation failure. */
sn_status sn_profiles_observe(sn_profiles *p, const sn_event *ev, sn_obs *out);
/* The same for n events in order, with the users' ids found first for all of them, so that
 * the memory each lookup needs is on its way before it is read. */
sn_status sn_profiles_observe_many(sn_profiles *p, const sn_event *ev, size_t n, sn_obs *out);
/* Sets an attribute of obs that the event does not carry itself (SN_ATTR_ASN, which the enrich
 * layer finds), interning its name. SN_ERR_NOMEM on allocation failure. */
sn_status sn_profiles_set_value(sn_profiles *p, sn_obs *o, sn_attr a, const char *name,
                                size_t n);
/* Erasure: the user's own baseline is emptied (counts, usual values, last place, bursts) and
 * what it added to their peer group's and the organisation's counts is taken out of them, so
 * that nothing learned from the user's events is quoted again; a later event of the same user
 * starts afresh. False when the user is unknown. */
bool sn_profiles_forget_user(sn_profiles *p, const char *user, size_t n);
/* Judges obs against the history before it (no change to the baselines). */
void sn_profiles_judge(const sn_profiles *p, const sn_obs *obs, sn_judgement *out);
/* Asks the processor to start loading what judging obs will read (a hint; no effect on results). */
void sn_profiles_prefetch(const sn_profiles *p, const sn_obs *obs);
/* Adds obs to the baselines; j must be the judgement of the same obs. */
sn_status sn_profiles_update(sn_profiles *p, const sn_obs *obs, const sn_judgement *j);

/* Names behind ids, for reasons and output. NULL when unknown. */
const char *sn_profiles_value_name(const sn_profiles *p, sn_attr a, int32_t id);
const char *sn_profiles_user_name(const sn_profiles *p, int32_t user);
const char *sn_profiles_peer_name(const sn_profiles *p, int32_t peer);
/* Up to max of the user's most frequent values of an attribute (most frequent first); returns
 * how many were written. */
int sn_profiles_user_top(const sn_profiles *p, int32_t user, sn_attr a, int32_t *ids,
                         uint32_t *counts, int max);
/* The user's usual hours: the smallest and largest hour holding 90% of their events, or -1. */
void sn_profiles_user_hours(const sn_profiles *p, int32_t user, int *from, int *to);
int32_t sn_profiles_user_count(const sn_profiles *p);
/* Id of a user (n bytes), or -1 when the baselines have never seen them. */
int32_t sn_profiles_user_id(const sn_profiles *p, const char *user, size_t n);

/* A copy of every user's counts of one open-vocabulary attribute (network, location, resource,
 * action), with the names behind the ids: role mining reads the users' resources this way. The
 * names point into the baselines' own storage, where they never move and stay until the
 * baselines are freed, so a copy taken under a lock can be read after it is released. */
typedef struct sn_profile_cell {
    int32_t user, value;
    uint32_t count;
} sn_profile_cell;

typedef struct sn_profile_counts {
    int32_t users, values;
    const char **user_name, **user_peer, **user_title; /* per user; peer and title NULL when
                                                          unknown */
    const char **value_name;                           /* per value id */
    size_t n;
    sn_profile_cell *cell; /* each user's first values, then the rest in no particular order */
} sn_profile_counts;

/* SN_ERR_NOMEM (out left empty). Free with sn_profile_counts_free. */
sn_status sn_profiles_copy_counts(const sn_profiles *p, sn_attr a, sn_profile_counts *out);
void sn_profile_counts_free(sn_profile_counts *c);

/* Serialisation of the whole state (names and counts). */
sn_status sn_profiles_write(const sn_profiles *p, sn_buf *out);
sn_status sn_profiles_read(sn_profiles **out, const sn_profile_params *params, const uint8_t *data,
                           size_t n, size_t *used, sn_error *err);

#endif
