/* Shared by the prediction module's own files: the request table, the predictor and its
 * encoding of categorical columns. */
#ifndef SN_IAM_PREDICT_INTERNAL_H
#define SN_IAM_PREDICT_INTERNAL_H

#include "predict.h"

#include "../core/strmap.h"
#include "../core/u64map.h"

#define SN_PREDICT_NAME_MAX 64

struct sn_predict_data {
    int ncols;
    char names[SN_PREDICT_MAX_COLUMNS][SN_PREDICT_NAME_MAX];
    sn_pcol_role roles[SN_PREDICT_MAX_COLUMNS];
    sn_strmap *dict[SN_PREDICT_MAX_COLUMNS];
    int32_t *codes; /* rows * ncols */
    uint8_t *labels;
    size_t rows, cap, positives;
};

/* One column, pair (b >= 0) or triple (c >= 0) of columns: the requests and approvals seen with
 * each value. */
typedef struct sn_pgroup {
    int a, b, c;
    uint32_t n;      /* distinct values (combinations of values) */
    sn_u64map index; /* combinations: their key (sn_group_key) -> id + 1 */
    uint32_t *cnt, *pos;
} sn_pgroup;

#define SN_PREDICT_MAX_GROUPS                                                                      \
    (SN_PREDICT_MAX_COLUMNS + SN_PREDICT_MAX_COLUMNS * (SN_PREDICT_MAX_COLUMNS - 1) / 2 +          \
     SN_PREDICT_MAX_COLUMNS * (SN_PREDICT_MAX_COLUMNS - 1) * (SN_PREDICT_MAX_COLUMNS - 2) / 6)

struct sn_predictor {
    sn_predict_params params;
    int ncols;
    char names[SN_PREDICT_MAX_COLUMNS][SN_PREDICT_NAME_MAX];
    sn_pcol_role roles[SN_PREDICT_MAX_COLUMNS];
    sn_strmap *dict[SN_PREDICT_MAX_COLUMNS];
    int ngroups;
    sn_pgroup groups[SN_PREDICT_MAX_GROUPS];
    double prior; /* share approved */
    sn_trees *bag[SN_PREDICT_MAX_BAGS];
    int nbags;
    /* Peer analysis: counts and memberships under hashed keys (see predict.c). */
    sn_u64map peers;
    /* What the metrics report. */
    uint8_t data_hash[32];
    uint64_t rows, positives;
    int64_t trained_at;
    double cv_auc;
    int cv_folds;
};

/* The key of a combination of codes (all >= 0): exact for pairs, a 64-bit hash for triples. */
static inline uint64_t sn_group_key(const sn_pgroup *G, const int32_t *codes)
{
    uint64_t k = ((uint64_t)(uint32_t)(codes[G->a] + 1) << 32) | (uint32_t)(codes[G->b] + 1);
    if (G->c < 0)
        return k;
    k = sn_hash_u64(k ^ sn_hash_u64((uint64_t)(uint32_t)codes[G->c] + 0x9e3779b97f4a7c15ULL));
    return k ? k : 1;
}

/* An empty predictor (no groups, no trees); NULL when out of memory. */
sn_predictor *sn_predictor_alloc(void);
/* Sets up groups for the predictor's ncols columns: each, then every pair (interactions >= 2),
 * then every triple (interactions 3). */
void sn_predictor_plan_groups(sn_predictor *pr, int interactions);
/* The probability of approval for the features x: the bags' mean. */
double sn_predictor_probability(const sn_predictor *pr, const float *x);
/* The features of one request given its codes (-1: unseen), into x (2 * ngroups floats). */
void sn_predictor_features(const sn_predictor *pr, const int32_t *codes, float *x);

/* Reads a payload without its header and checksum (the fuzz target feeds this directly, since
 * random bytes never pass the checksum). */
sn_status sn_predictor_from_payload(sn_predictor **out, const uint8_t *data, size_t n,
                                    const char *name, sn_error *err);

/* Peer analysis (predict_peers.c). */
/* The principal of a request given its codes (0 when a column it needs was never seen). */
uint64_t sn_predictor_principal(const sn_predictor *pr, const int32_t *codes);
/* The first column with role, or -1. */
int sn_predictor_column_of(const sn_predictor *pr, sn_pcol_role role);
/* Counts the principals of d's rows into pr's peer table. */
sn_status sn_predictor_build_peers(sn_predictor *pr, const sn_predict_data *d);
/* The share of the request's peers of one kind (role) holding its resource; who is the
 * requester's principal, excluded from the peers. */
void sn_predictor_peer_share(const sn_predictor *pr, sn_pcol_role role, const int32_t *codes,
                             const char *const *values, const size_t *lens, uint64_t who,
                             sn_peer_share *out);

#endif
