/* Public face of the features layer: one event and what the baselines say about it, turned into
 * a fixed-width numeric vector with names (the reference system's twelve, then behavioural ones).
 */
#ifndef SN_FEATURES_H
#define SN_FEATURES_H

#include "../ingest/event.h"
#include "../profile/profile.h"

#include <stdbool.h>

/* X(id, name): the order is the model file's order; append only. */
#define SN_FEATURE_TABLE(X)                                                                        \
    X(SN_F_HOUR, "hour")                                                                           \
    X(SN_F_DAY_OF_WEEK, "day_of_week")                                                             \
    X(SN_F_IS_WEEKEND, "is_weekend")                                                               \
    X(SN_F_IS_BUSINESS_HOURS, "is_business_hours")                                                 \
    X(SN_F_USER_TOTAL_EVENTS, "user_total_events")                                                 \
    X(SN_F_USER_UNIQUE_RESOURCES, "user_unique_resources")                                         \
    X(SN_F_USER_SUCCESS_RATE, "user_success_rate")                                                 \
    X(SN_F_RESOURCE_SENSITIVITY, "resource_sensitivity_score")                                     \
    X(SN_F_ACTION_RISK, "action_risk_score")                                                       \
    X(SN_F_COMBINED_RISK, "combined_risk_score")                                                   \
    X(SN_F_SUSPICIOUS_LOCATION, "is_suspicious_location")                                          \
    X(SN_F_DIFFERENT_LOCATION, "is_different_location")                                            \
    X(SN_F_NETWORK_SURPRISE, "network_surprise_bits")                                              \
    X(SN_F_LOCATION_SURPRISE, "location_surprise_bits")                                            \
    X(SN_F_RESOURCE_SURPRISE, "resource_surprise_bits")                                            \
    X(SN_F_ACTION_SURPRISE, "action_surprise_bits")                                                \
    X(SN_F_HOUR_SURPRISE, "hour_surprise_bits")                                                    \
    X(SN_F_WEEKEND_SURPRISE, "weekend_surprise_bits")                                              \
    X(SN_F_OUTCOME_SURPRISE, "outcome_surprise_bits")                                              \
    X(SN_F_PEER_RESOURCE_RARITY, "peer_resource_rarity")                                           \
    X(SN_F_GEO_VELOCITY, "geo_velocity_log_kmh")                                                   \
    X(SN_F_USER_FAIL_BURST, "user_failure_burst")                                                  \
    X(SN_F_SOURCE_FAIL_USERS, "source_failure_accounts")                                           \
    X(SN_F_VOLUME_RATIO, "volume_ratio")

typedef enum sn_feature {
#define SN_X_FEATURE(id, name) id,
    SN_FEATURE_TABLE(SN_X_FEATURE)
#undef SN_X_FEATURE
        SN_FEATURE_COUNT
} sn_feature;

const char *sn_feature_name(int i);

/* Facts derived alongside the vector that the explanations need. */
typedef struct sn_event_context {
    int hour, weekday; /* weekday: Monday 0 */
    int sensitivity, action_risk;
    bool suspicious_location;
    bool different_location;
    bool has_travel; /* previous event with coordinates */
    bool travel_rough; /* one end placed by its address only */
    double travel_km, travel_minutes, travel_kmh;
} sn_event_context;

typedef struct sn_feature_config {
    /* ISO country codes whose sign-ins count as suspicious (the reference feature). */
    const char *suspicious_countries; /* comma-separated, e.g. "KP,IR,RU,CN,NG,SY,CU" */
} sn_feature_config;

/* Fills out[SN_FEATURE_COUNT] and ctx. o must carry coordinates when known. */
void sn_features_build(const sn_feature_config *cfg, const sn_event *ev, const sn_obs *o,
                       const sn_judgement *j, float *out, sn_event_context *ctx);

#endif
