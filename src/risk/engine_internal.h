/* Engine state, shared by the risk layer's own files only. */
#ifndef SN_ENGINE_INTERNAL_H
#define SN_ENGINE_INTERNAL_H

#include "risk.h"

#include "../core/rng.h"
#include "../enrich/enrich.h"
#include "../model/iforest.h"

#include <openssl/evp.h>

typedef struct sn_place_cache {
    uint8_t state; /* 0 not looked up, 1 resolved, 2 unknown */
    float lat, lon;
} sn_place_cache;

struct sn_engine {
    sn_engine_config cfg;
    sn_feature_config fcfg;
    sn_profiles *profiles;
    sn_iforest *forest;
    sn_calibration calib;
    sn_score_hist train_hist; /* training risk distribution, for the drift monitor */
    double threshold_bits;
    /* Training sample (reservoir) of feature vectors and their behavioural evidence. */
    float *sample;
    double *sample_bits;
    size_t sample_len;
    uint64_t sample_seen;
    sn_rng rng;
    EVP_MD_CTX *hash;
    unsigned char hash_buf[65536];
    size_t hash_len;
    sn_engine_stats stats;
    sn_place_cache *places;
    int32_t places_cap;
    /* IP geolocation, opened on first need; a direct-mapped cache of answers by address. */
    sn_geoip *geoip;
    bool geoip_tried;
    struct sn_ip_place {
        uint64_t key;
        uint8_t state;     /* coordinates: 0 not looked up, 1 known, 2 none */
        bool asn_known;    /* the autonomous system was looked up */
        float lat, lon;
        uint32_t asn;      /* 0: none known */
        int32_t asn_value; /* the ASN's id as a baseline value; -1 until interned */
    } * ip_places;
    /* The autonomous system of public IPv4 /24s the database maps whole, direct-mapped. */
    struct sn_asn_net {
        uint32_t key;      /* the /24's first three bytes + 1; 0: empty */
        uint32_t asn;      /* 0: none */
        int32_t asn_value; /* as in sn_ip_place */
    } * asn_nets;
    /* Resource sensitivity, action risk and whether the action changes rights (1 no, 2 yes),
     * by value id (0: not looked up yet). */
    int8_t *scale[3];
    int32_t scale_cap[3];
    /* cfg.aws_accounts as numbers, sorted */
    uint64_t *aws_accounts;
    size_t n_aws_accounts;
};

/* A peer group's or the organisation's share of an action counts once it has this many events. */
#define PRIVILEGE_MIN_PEER_EVENTS 20

/* Explanations of a verdict (reasons.c). */
typedef struct sn_evidence {
    double attr[SN_ATTR_COUNT];
    double travel, user_failures, spray, volume, enumeration, guessed, privilege, weak_ticket,
        anonymous, foreign_account, iforest;
} sn_evidence;

/* Reasons from the behavioural evidence, written while the baselines still hold the history
 * before the event (they name the user's usual values). */
void sn_explain(const sn_engine *e, const sn_event *ev, const sn_obs *o, const sn_judgement *j,
                const sn_event_context *ctx, const sn_evidence *ev_bits, sn_verdict *v);
/* Adds the Isolation Forest's reason (when forest_bits > 0) and orders the reasons. */
void sn_explain_finish(const sn_engine *e, double forest_bits, sn_verdict *v);

#endif
