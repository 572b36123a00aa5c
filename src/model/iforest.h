/* Isolation Forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008; and "Isolation-based
 * anomaly detection", TKDD 2012). */
#ifndef SN_IFOREST_H
#define SN_IFOREST_H

#include "../core/buf.h"
#include "../core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sn_iforest sn_iforest;

typedef struct sn_iforest_params {
    int n_trees;   /* t, default 100 */
    int psi;       /* subsample size, default 256 (min(psi, n) is used) */
    uint64_t seed; /* fixed seed gives identical forests */
} sn_iforest_params;

void sn_iforest_params_default(sn_iforest_params *p);

/* Fits a forest on X (n rows x d columns, row-major). Height limit ceil(log2 psi).
 * Caller frees *out with sn_iforest_free. */
sn_status sn_iforest_fit(sn_iforest **out, const float *X, size_t n, size_t d,
                         const sn_iforest_params *p, sn_error *err);

/* Anomaly score s(x, psi) = 2^(-E[h(x)] / c(psi)), in (0, 1]; higher is more anomalous. */
double sn_iforest_score(const sn_iforest *f, const float *x);

/* Scores n rows of X into out. */
void sn_iforest_score_many(const sn_iforest *f, const float *X, size_t n, double *out);

/* Per-feature attribution for x: contrib[j] is the share of the path splits on feature j,
 * weighted towards short paths (which features isolated the point); sums to 1. */
void sn_iforest_explain(const sn_iforest *f, const float *x, double *contrib);

size_t sn_iforest_dims(const sn_iforest *f);

/* Average path length of an unsuccessful BST search, c(n) from the paper. */
double sn_iforest_c(double n);

/* Serialisation (little-endian, versioned); sn_iforest_read refuses truncated or inconsistent
 * data with a clear error. */
sn_status sn_iforest_write(const sn_iforest *f, sn_buf *out);
sn_status sn_iforest_read(sn_iforest **out, const uint8_t *data, size_t n, size_t *used,
                          sn_error *err);

void sn_iforest_free(sn_iforest *f);

#endif
