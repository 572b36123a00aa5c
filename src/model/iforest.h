/* Isolation Forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008; and "Isolation-based
 * anomaly detection", TKDD 2012). */
#ifndef SN_IFOREST_H
#define SN_IFOREST_H

#include "../core/buf.h"
#include "../core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sn_iforest sn_iforest;

#define SN_IFOREST_MAX_TREES 100000
#define SN_IFOREST_MAX_PSI (1 << 16)
#define SN_IFOREST_MAX_DIMS (1 << 20)

typedef struct sn_iforest_params {
    int n_trees;   /* t, default 100 */
    int psi;       /* subsample size, default 256 (min(psi, n) is used) */
    uint64_t seed; /* fixed seed gives identical forests */
} sn_iforest_params;

void sn_iforest_params_default(sn_iforest_params *p);

/* Fits a forest on X (n rows x d columns, row-major, float as scikit-learn's float32 copy).
 * Height limit ceil(log2 psi).
 * Needs n >= 2 and finite values; refuses n_trees outside 1..SN_IFOREST_MAX_TREES, psi outside
 * 2..SN_IFOREST_MAX_PSI and d outside 1..SN_IFOREST_MAX_DIMS. Caller frees *out with
 * sn_iforest_free. */
sn_status sn_iforest_fit(sn_iforest **out, const float *X, size_t n, size_t d,
                         const sn_iforest_params *p, sn_error *err);

/* Anomaly score s(x, psi) = 2^(-E[h(x)] / c(psi)), in (0, 1]; higher is more anomalous. */
double sn_iforest_score(const sn_iforest *f, const float *x);

/* Scores n rows of X into out (bit-identical to sn_iforest_score row by row). A NaN feature
 * value follows the left branch of every split on it. */
void sn_iforest_score_many(const sn_iforest *f, const float *X, size_t n, double *out);

/* Per-feature attribution for x: contrib[j] is the share of the path splits on feature j,
 * weighted towards short paths (which features isolated the point); sums to 1.
 * The rule: every split on the path of x, in every tree, counts log2(m / m') for its feature,
 * where m training rows reached the split and m' of them went the way x goes: the number of
 * halvings of the sample that split achieved for x. A split that cuts x off from nearly all of
 * its node (typically near the root of a tree that isolates x at once) counts many bits; a split
 * that leaves x with half of its node counts 1. Along a path the weights add up to
 * log2(psi / leaf size), so in the trees that isolate x quickly the few splits that did it
 * dominate. Close in spirit to DIFFI (Carletti, Terzi & Susto, "Interpretable anomaly
 * detection with DIFFI", 2023), which weights splits by their imbalance and paths by their
 * shortness. When no tree splits at all, every feature gets 1/d. contrib has
 * sn_iforest_dims(f) entries. */
void sn_iforest_explain(const sn_iforest *f, const float *x, double *contrib);

size_t sn_iforest_dims(const sn_iforest *f);
/* Subsample size actually used, min(psi, n) of the training set. */
size_t sn_iforest_psi(const sn_iforest *f);
size_t sn_iforest_trees(const sn_iforest *f);

/* Average path length of an unsuccessful BST search, c(n) from the paper. */
double sn_iforest_c(double n);

/* Serialisation (little-endian, versioned, CRC-32 trailer; layout in iforest.c) appended to out.
 * sn_iforest_read refuses truncated or inconsistent data with a clear error; on success *used
 * (when not NULL) is the number of bytes the forest took, so it can sit inside a larger file.
 * Caller frees *out with sn_iforest_free. */
sn_status sn_iforest_write(const sn_iforest *f, sn_buf *out);
sn_status sn_iforest_read(sn_iforest **out, const uint8_t *data, size_t n, size_t *used,
                          sn_error *err);

void sn_iforest_free(sn_iforest *f);

#endif
