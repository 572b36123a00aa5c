/* Tree ensembles for binary classification over numeric features: gradient-boosted trees with
 * logistic loss (Friedman 2001, with the second-order leaf values and split gains of XGBoost,
 * Chen & Guestrin 2016, and LightGBM's histogram splits and leaf-wise growth, Ke et al. 2017)
 * or a random forest (Breiman 2001). Deterministic for a seed. */
#ifndef SN_IAM_TREE_H
#define SN_IAM_TREE_H

#include "../core/buf.h"
#include "../core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef enum sn_trees_kind {
    SN_TREES_BOOSTED = 0, /* gradient boosting, logistic loss */
    SN_TREES_FOREST = 1,  /* random forest: bootstrap rows, features sampled at each node */
} sn_trees_kind;

typedef struct sn_trees_params {
    sn_trees_kind kind;
    int trees;               /* number of trees */
    double learning_rate;    /* shrinkage of each boosted tree (ignored by the forest) */
    int max_depth;           /* deepest split level */
    int max_leaves;          /* most leaves per tree */
    double min_child_weight; /* least hessian (boosting) or rows (forest) in a leaf */
    double lambda;           /* L2 penalty on leaf values (boosting) */
    double row_sample;       /* share of rows per tree (boosting, without replacement) */
    double col_sample;       /* share of features per tree (boosting) or per node (forest) */
    int bins;                /* histogram bins per feature, 2..256 */
    uint64_t seed;
} sn_trees_params;

/* The defaults for kind: boosting 300 trees, rate 0.05, depth 8, 16 leaves, min hessian 0.5,
 * lambda 1, rows 0.6, features 0.5, 255 bins; forest 300 trees, depth 40, unlimited leaves,
 * min 1 row, features sqrt(d)/d at fit time (col_sample 0), 255 bins. These boosting defaults
 * were chosen by 5-fold cross-validation on Amazon's access requests (README). */
void sn_trees_params_default(sn_trees_params *p, sn_trees_kind kind);

/* Checks the ranges above; SN_ERR_USAGE with err naming the parameter. */
sn_status sn_trees_params_check(const sn_trees_params *p, sn_error *err);

typedef struct sn_trees sn_trees;

/* Fits on n rows of d features (row-major x, n * d floats) with labels y (0 or 1). Caller frees
 * with sn_trees_free. SN_ERR_NOMEM or SN_ERR_USAGE (no rows, no features, bad parameters). */
sn_status sn_trees_fit(sn_trees **out, const float *x, const uint8_t *y, size_t n, size_t d,
                       const sn_trees_params *p, sn_error *err);
void sn_trees_free(sn_trees *t);

/* Probability of label 1 for one row of d features. */
double sn_trees_predict(const sn_trees *t, const float *x);
size_t sn_trees_dims(const sn_trees *t);
size_t sn_trees_count(const sn_trees *t);
/* Total nodes over all trees. */
size_t sn_trees_nodes(const sn_trees *t);

/* Serialisation (little-endian, within a model file that carries its own checksum). The reader
 * checks every node index, feature and value, so that no input can make prediction read out of
 * bounds or loop; *used is the number of bytes read. */
void sn_trees_write(const sn_trees *t, sn_buf *out);
sn_status sn_trees_read(sn_trees **out, const uint8_t *p, size_t n, size_t *used, sn_error *err);

#endif
