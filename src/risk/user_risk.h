/* User risk score (product spec section 3): a 0-100 score per user from five factors computed over
 * the verdicts recorded for that user, with recommendations per factor. */
#ifndef SN_USER_RISK_H
#define SN_USER_RISK_H

#include "../core/error.h"
#include "../ingest/event.h"
#include "risk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(id, name, weight): the names are the reference system's factor_scores keys. */
#define SN_USER_FACTOR_TABLE(X)                                                                    \
    X(SN_UF_ANOMALY, "anomaly_score", 0.30)                                                        \
    X(SN_UF_PEER_DEVIATION, "peer_deviation", 0.20)                                                \
    X(SN_UF_SENSITIVE_ACCESS, "sensitive_access", 0.20)                                            \
    X(SN_UF_FAILED_ATTEMPTS, "failed_attempts", 0.15)                                              \
    X(SN_UF_POLICY_VIOLATIONS, "policy_violations", 0.15)

typedef enum sn_user_factor {
#define SN_X_UF(id, name, weight) id,
    SN_USER_FACTOR_TABLE(SN_X_UF)
#undef SN_X_UF
        SN_UF_COUNT
} sn_user_factor;

const char *sn_user_factor_name(sn_user_factor f);
double sn_user_factor_weight(sn_user_factor f);

typedef struct sn_user_risk_params {
    double window_days; /* events within this many days of the user's latest event count; 30 */
    uint32_t per_user;  /* most recent events kept per user; 1000 */
} sn_user_risk_params;

void sn_user_risk_params_default(sn_user_risk_params *p);

/* What the score needs from one judged event (taken from the event and its verdict). */
typedef struct sn_user_obs {
    int64_t ts_us;
    float anomaly_score; /* evidence bits */
    bool is_anomaly;
    int8_t success;           /* 1, 0, -1 unknown */
    uint8_t sensitivity;      /* resource sensitivity 1..3 */
    uint8_t action_risk;      /* 1..5 */
    bool business_hours;      /* weekday 09:00-18:00 */
    bool suspicious_location; /* a country on the suspicious list */
} sn_user_obs;

void sn_user_obs_from_verdict(const sn_event *ev, const sn_verdict *v, sn_user_obs *out);

/* The verdicts recorded per user: a bounded ring of recent events per user and the user's peer
 * group (the department of their latest event that names one). Not thread-safe. */
typedef struct sn_user_history sn_user_history;

/* Caller frees with sn_user_history_free. NULL when out of memory. */
sn_user_history *sn_user_history_new(const sn_user_risk_params *p);
void sn_user_history_free(sn_user_history *h);
/* Records one judged event. SN_ERR_NOMEM when out of memory (the history is unchanged). */
sn_status sn_user_history_add(sn_user_history *h, const sn_event *ev, const sn_verdict *v);
int32_t sn_user_history_users(const sn_user_history *h);
/* Drops everything recorded about one user (erasure); their id stays counted by
 * sn_user_history_users, with nothing recorded, until the history is freed. */
void sn_user_history_forget(sn_user_history *h, const char *user_id, size_t n);
/* The id of the i-th user recorded (0 <= i < sn_user_history_users), owned by the history. */
const char *sn_user_history_user_id(const sn_user_history *h, int32_t i);

#define SN_USER_MAX_RECOMMENDATIONS 8

typedef struct sn_user_risk {
    double risk_score; /* 0-100: the factors weighted */
    sn_level level;
    double factor[SN_UF_COUNT]; /* each 0-100 */
    /* The facts behind the factors, over the window. */
    uint32_t events, anomalies, sensitive, risky_actions, failures, outcomes_known, violations;
    double mean_anomaly_score;          /* bits */
    uint32_t peers;                     /* users of the same group with events in their window */
    double peer_mean_anomaly_score;     /* mean of the peers' means; 0 without peers */
    char department[128];               /* "" when unknown */
    int64_t window_start_us, latest_us; /* the window: [latest - window_days, latest] */
    int n_recommendations;
    const char *recommendations[SN_USER_MAX_RECOMMENDATIONS]; /* static strings */
} sn_user_risk;

/* The risk of user_id (n bytes) from the events recorded for them. Returns false when nothing is
 * recorded for that user.
 *
 * Factors, over the events within window_days of the user's latest event:
 *   anomaly_score      share of events judged anomalous; a fifth or more gives 100
 *   peer_deviation     how far the user's mean anomaly score (bits) lies above the peer group's:
 *                      (user mean - peers' mean) / max(peers' spread, 1 bit), three spreads or
 *                      more give 100; needs two peers
 *   sensitive_access   60% share of events on high-sensitivity resources + 40% share of
 *                      write/delete/admin actions
 *   failed_attempts    share of failures among events with a known outcome; a tenth gives 100
 *   policy_violations  share of events outside business hours (weekday 09:00-18:00, so weekends
 *                      too) or from a suspicious country; a fifth gives 100 */
bool sn_user_risk_compute(const sn_user_history *h, const char *user_id, size_t n,
                          sn_user_risk *out);

#endif
