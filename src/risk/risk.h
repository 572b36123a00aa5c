/* Public face of the risk layer: the detection engine that turns each event into an explained
 * verdict (score, level, reasons, recommendation), its training, and its model file. */
#ifndef SN_RISK_H
#define SN_RISK_H

#include "../core/buf.h"
#include "../core/error.h"
#include "../features/features.h"
#include "../ingest/event.h"
#include "../model/ensemble.h"
#include "../profile/profile.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum sn_level { SN_NORMAL = 0, SN_LOW, SN_MEDIUM, SN_HIGH, SN_CRITICAL } sn_level;

const char *sn_level_name(sn_level l);
/* CRITICAL >= 90, HIGH >= 75, MEDIUM >= 50, LOW >= 25, else NORMAL. */
sn_level sn_level_from_risk(double risk);
/* BLOCK for CRITICAL/HIGH, REVIEW for MEDIUM, else ALLOW. */
const char *sn_recommendation(sn_level l);

typedef struct sn_engine_config {
    double alert_threshold;         /* risk at or above which is_anomaly is true; default 50 */
    double prior_bits;              /* prior odds 2^-prior_bits of an event not being normal; 10 */
    double contamination;           /* > 0: alert on this share of training events instead */
    double iforest_weight;          /* weight of the Isolation Forest's tail evidence; 0.5 */
    double iforest_floor_bits;      /* tail evidence below this adds nothing; 6 (top 1/64) */
    int trees, psi;                 /* Isolation Forest: 100, 256 */
    bool forest_every_event;        /* score the forest on every event, not only where it can
                                       change the level (false; true changes only scores below
                                       LOW) */
    uint64_t seed;                  /* 42 */
    size_t sample_size;             /* training rows kept (reservoir) for the forest; 65536 */
    double train_filter;            /* poisoning defence: this share of the training rows a
                                       first forest isolates most is left out of the forest
                                       and its calibration; 0.01 (0: off) */
    char suspicious_countries[128]; /* "KP,IR,RU,CN,NG,SY,CU" */
    char aws_accounts[4096];        /* the organisation's AWS accounts besides those the
                                       history shows: comma-separated 12-digit ids ("") */
    /* Where the signals that are not surprisal start to count (README, "Detection
     * thresholds"); the burst horizon is profile.burst_seconds. */
    double travel_km;      /* impossible travel: at least this far (500) */
    double travel_kmh;     /* ... and faster than this (900, an airliner) */
    double user_failures;  /* failures of one account within the burst horizon (5) */
    double spray_accounts; /* accounts failing from one source within the horizon (3) */
    double new_resources;  /* resources new to one account within the horizon (5) */
    double guess_failures; /* failures right before a success of the same account (3) */
    sn_profile_params profile;
} sn_engine_config;

void sn_engine_config_default(sn_engine_config *c);

#define SN_MAX_REASONS 8
#define SN_REASON_LEN 240

typedef struct sn_reason {
    double bits;
    const char *signal; /* "network", "location", "travel", ... */
    char text[SN_REASON_LEN];
} sn_reason;

typedef struct sn_verdict {
    bool is_anomaly;
    double anomaly_score; /* total evidence in bits */
    double risk_score;    /* 0-100 */
    sn_level level;
    const char *recommendation;
    double iforest_score; /* raw Isolation Forest score, 0-1 (0 when not consulted) */
    int n_reasons;
    sn_reason reasons[SN_MAX_REASONS];
    float features[SN_FEATURE_COUNT];
} sn_verdict;

typedef struct sn_engine sn_engine;

/* Caller frees with sn_engine_free. */
sn_engine *sn_engine_new(const sn_engine_config *cfg);
void sn_engine_free(sn_engine *e);
const sn_engine_config *sn_engine_get_config(const sn_engine *e);
sn_profiles *sn_engine_profiles(sn_engine *e);

/* Training is two steps over the same time-ordered history: sn_engine_learn for every event
 * (builds baselines, keeps a sample of feature vectors), then sn_engine_fit (fits the forest and
 * the calibration). Then sn_engine_reset_history if the same events are to be scored afresh. */
sn_status sn_engine_learn(sn_engine *e, const sn_event *ev, sn_error *err);
sn_status sn_engine_fit(sn_engine *e, sn_error *err);
void sn_engine_reset_history(sn_engine *e);
/* Erasure of one user from the baselines (sn_profiles_forget_user); false when unknown. The
 * Isolation Forest, fitted on feature values, is kept. */
bool sn_engine_forget_user(sn_engine *e, const char *user, size_t n);
bool sn_engine_is_fitted(const sn_engine *e);

/* Judges ev against the history before it, then adds it to the history. */
sn_status sn_engine_analyse(sn_engine *e, const sn_event *ev, sn_verdict *v, sn_error *err);

/* The same for n events in order (verdicts[i] for events[i], identical to calling
 * sn_engine_analyse on each in turn), faster: the forest scores blocks of events at once. */
#define SN_ANALYSE_BLOCK 256
sn_status sn_engine_analyse_many(sn_engine *e, const sn_event *events, size_t n,
                                 sn_verdict *verdicts, sn_error *err);

/* Training statistics. */
typedef struct sn_engine_stats {
    uint64_t learned, analysed, anomalies;
    uint8_t data_hash[32];   /* SHA-256 over the normalised training events */
    int64_t trained_at;      /* Unix seconds */
    double threshold_bits;   /* evidence bits at the alert threshold */
    uint64_t train_filtered; /* training rows left out as outliers (train_filter) */
} sn_engine_stats;
const sn_engine_stats *sn_engine_get_stats(const sn_engine *e);

/* The distribution of risk scores over the training events (a decile histogram; not fitted
 * before sn_engine_fit), for watching drift. */
const sn_score_hist *sn_engine_score_hist(const sn_engine *e);

/* One verdict as a JSON object (no newline). */
void sn_verdict_json(sn_buf *out, const sn_event *ev, const sn_verdict *v, const char *event_id);

/* Model file: magic, format version, feature names, training-data hash, parameters, forest,
 * calibration, baselines, SHA-256 checksum of everything before it. */
sn_status sn_engine_save(const sn_engine *e, const char *path, sn_error *err);
sn_status sn_engine_load(sn_engine **out, const char *path, sn_error *err);

/* The same with a 32-byte key (NULL: plain, as above). With a key the whole model file is
 * AES-256-GCM encrypted and authenticated; loading refuses a wrong key, a changed byte, and a
 * plain file (SN_ERR_CRYPTO or SN_ERR_MODEL, with a message). An encrypted file without a key
 * is refused with SN_ERR_SECRET. */
sn_status sn_engine_save_keyed(const sn_engine *e, const char *path, const unsigned char *key,
                               sn_error *err);
sn_status sn_engine_load_keyed(sn_engine **out, const char *path, const unsigned char *key,
                               sn_error *err);

/* The plain model file's bytes appended to out, and read back from memory (path names the
 * source in messages; may be NULL): engine snapshots kept in the store. */
sn_status sn_engine_serialize(const sn_engine *e, sn_buf *out, sn_error *err);
sn_status sn_engine_deserialize(sn_engine **out, const uint8_t *data, size_t n, const char *path,
                                sn_error *err);

#endif
