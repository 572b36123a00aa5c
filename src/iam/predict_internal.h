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

/* One column or one pair of columns (b >= 0): the requests and approvals seen with each value. */
typedef struct sn_pgroup {
    int a, b;
    uint32_t n;       /* distinct values (pairs of values) */
    sn_u64map index;  /* pairs: key of the two codes -> id + 1 */
    uint32_t *cnt, *pos;
} sn_pgroup;

#define SN_PREDICT_MAX_GROUPS                                                                      \
    (SN_PREDICT_MAX_COLUMNS + SN_PREDICT_MAX_COLUMNS * (SN_PREDICT_MAX_COLUMNS - 1) / 2)

struct sn_predictor {
    sn_predict_params params;
    int ncols;
    char names[SN_PREDICT_MAX_COLUMNS][SN_PREDICT_NAME_MAX];
    sn_pcol_role roles[SN_PREDICT_MAX_COLUMNS];
    sn_strmap *dict[SN_PREDICT_MAX_COLUMNS];
    int ngroups;
    sn_pgroup groups[SN_PREDICT_MAX_GROUPS];
    double prior; /* share approved */
    sn_trees *trees;
    /* Peer analysis: counts and memberships under hashed keys (see predict.c). */
    sn_u64map peers;
    /* What the metrics report. */
    uint8_t data_hash[32];
    uint64_t rows, positives;
    int64_t trained_at;
    double cv_auc;
    int cv_folds;
};

static inline uint64_t sn_pair_key(int32_t a, int32_t b)
{
    return ((uint64_t)(uint32_t)(a + 1) << 32) | (uint32_t)(b + 1);
}

/* An empty predictor (no groups, no trees); NULL when out of memory. */
sn_predictor *sn_predictor_alloc(void);
/* Sets up groups for the predictor's ncols columns (each, and every pair when pairs). */
void sn_predictor_plan_groups(sn_predictor *pr, bool pairs);
/* The features of one request given its codes (-1: unseen), into x (2 * ngroups floats). */
void sn_predictor_features(const sn_predictor *pr, const int32_t *codes, float *x);

/* Reads a payload without its header and checksum (the fuzz target feeds this directly, since
 * random bytes never pass the checksum). */
sn_status sn_predictor_from_payload(sn_predictor **out, const uint8_t *data, size_t n,
                                    const char *name, sn_error *err);

#endif
