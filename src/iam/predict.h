/* Access-request prediction: the probability that a request (who asks, from which department,
 * title and manager, for which resource and action) is approved, learned from labelled requests
 * or from access history, with the peers who already hold that access.
 *
 * Every column is categorical. A tree ensemble (tree.h) sees, for each column and each pair of
 * columns, the smoothed share of approvals among earlier requests with the same value(s),
 * computed out of fold for the rows it learns from, and how many other requests had them
 * (and, when asked, the same for each triple of columns). */
#ifndef SN_IAM_PREDICT_H
#define SN_IAM_PREDICT_H

#include "../core/buf.h"
#include "../core/error.h"
#include "tree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SN_PREDICT_MAX_COLUMNS 16
#define SN_PREDICT_MAX_VALUE 1024 /* bytes of one value */
#define SN_PREDICT_MAX_BAGS 16

/* What a column means to peer analysis (and to the request's field names). */
typedef enum sn_pcol_role {
    SN_PCOL_OTHER = 0,
    SN_PCOL_USER,
    SN_PCOL_DEPARTMENT,
    SN_PCOL_TITLE,
    SN_PCOL_MANAGER,
    SN_PCOL_RESOURCE,
    SN_PCOL_ACTION,
} sn_pcol_role;

/* ---- Labelled requests ------------------------------------------------------------------- */

typedef struct sn_predict_data sn_predict_data;

/* An empty table of ncols (1..SN_PREDICT_MAX_COLUMNS) named columns with their roles (names
 * copied). NULL when out of memory or ncols is out of range. */
sn_predict_data *sn_predict_data_new(int ncols, const char *const *names,
                                     const sn_pcol_role *roles);
void sn_predict_data_free(sn_predict_data *d);
/* Adds one row: ncols values (borrowed bytes, copied; n == 0 is the empty value) and its label,
 * 1 approved/granted, 0 denied. SN_ERR_NOMEM, or SN_ERR_LIMIT past 2^31 rows. */
sn_status sn_predict_data_add(sn_predict_data *d, const char *const *values, const size_t *lens,
                              int label);
size_t sn_predict_data_rows(const sn_predict_data *d);
size_t sn_predict_data_positives(const sn_predict_data *d);
int sn_predict_data_columns(const sn_predict_data *d);
const char *sn_predict_data_column(const sn_predict_data *d, int col);

/* Reads a labelled request file: CSV (RFC 4180 quoting, LF or CRLF, optional UTF-8 BOM) with a
 * header. label names the 0/1 column (case-insensitive); every other column is a categorical
 * feature. Known names get their roles: RESOURCE / resource, MGR_ID / manager, ROLE_DEPTNAME /
 * department, ROLE_TITLE / job_title / title, user / user_id, action. A bad line is an error
 * naming the file, line and field. */
sn_status sn_predict_data_read_csv(sn_predict_data **out, const char *path, const char *label,
                                   sn_error *err);
/* The same from memory (name used in errors). */
sn_status sn_predict_data_parse_csv(sn_predict_data **out, const char *text, size_t n,
                                    const char *name, const char *label, sn_error *err);

/* ---- Predictor ---------------------------------------------------------------------------- */

typedef struct sn_predict_params {
    sn_trees_params trees;
    int interactions; /* 1: each column; 2: and every pair; 3: and every triple */
    double smoothing; /* prior weight a of (approved + a * prior) / (requests + a) */
    int encode_folds; /* folds of the out-of-fold statistics of the learning rows (>= 2) */
    int bags;         /* ensembles averaged, each on its own out-of-fold draw (1..16) */
} sn_predict_params;

/* Boosted trees with their defaults (tree.h), pairs (interactions 2), smoothing 1, 5 folds,
 * four bags. */
void sn_predict_params_default(sn_predict_params *p);

typedef struct sn_predictor sn_predictor;

/* Learns from every row of data (its labels must hold both classes). The predictor keeps its
 * own copy of what it needs. Caller frees with sn_predictor_free. */
sn_status sn_predictor_fit(sn_predictor **out, const sn_predict_data *data,
                           const sn_predict_params *p, sn_error *err);
void sn_predictor_free(sn_predictor *pr);

#define SN_PREDICT_MAX_FOLDS 100

/* What cross-validation measured, fold by fold. */
typedef struct sn_predict_cv_result {
    double auc[SN_PREDICT_MAX_FOLDS];             /* ROC AUC on the fold's rows */
    double fit_seconds[SN_PREDICT_MAX_FOLDS];     /* CPU time to learn from the other folds */
    double predict_seconds[SN_PREDICT_MAX_FOLDS]; /* CPU time to judge the fold's rows */
    double mean_auc;
    uint8_t *fold; /* set by the caller to NULL or to rows bytes: gets each row's fold */
} sn_predict_cv_result;

/* Cross-validation: stratified folds (2..SN_PREDICT_MAX_FOLDS) drawn with seed; a predictor
 * learns from all folds but one and judges that one, for each fold in turn. */
sn_status sn_predict_cv(const sn_predict_data *data, const sn_predict_params *p, int folds,
                        uint64_t seed, sn_predict_cv_result *out, sn_error *err);

/* Records the cross-validated AUC of the predictor's settings on its training data (shown by
 * the model metrics; NAN when not measured). */
void sn_predictor_set_cv(sn_predictor *pr, double auc, int folds);

/* Describes the predictor's columns to its callers. */
int sn_predictor_columns(const sn_predictor *pr);
const char *sn_predictor_column(const sn_predictor *pr, int col);
sn_pcol_role sn_predictor_column_role(const sn_predictor *pr, int col);
/* The request field that names a role: user_id, department, job_title, manager, resource,
 * action; NULL for SN_PCOL_OTHER. */
const char *sn_pcol_field(sn_pcol_role role);

/* The share of peers who hold the requested resource, for one kind of peer group. */
typedef struct sn_peer_share {
    bool present; /* the predictor has a column with that role */
    char value[128];
    uint32_t peers;   /* principals in the group (the requester excluded when known) */
    uint32_t holders; /* of them, holding the resource */
    double share;     /* holders / peers, 0 when there are no peers */
} sn_peer_share;

typedef struct sn_prediction {
    double probability_approve;
    double probability_deny;
    bool should_approve;        /* probability_approve >= 0.5 */
    double confidence;          /* max of the two probabilities */
    const char *recommendation; /* "APPROVE", "REVIEW" or "DENY" (static) */
    const char *why;            /* one sentence behind the recommendation (static) */
    sn_peer_share department, title, manager;
} sn_prediction;

/* Judges one request: values[col] for each of the predictor's columns (lens[col] bytes; a value
 * never seen counts as new). */
void sn_predictor_ask(const sn_predictor *pr, const char *const *values, const size_t *lens,
                      sn_prediction *out);

/* The prediction as the API answers it: {should_approve, confidence, probability_approve,
 * probability_deny, recommendation, reason, peer_analysis: {department, job_title, manager}}. */
void sn_prediction_json(const sn_prediction *p, sn_buf *out);

/* What the model metrics report: algorithm, parameters, training data, trained-at, CV AUC. */
typedef struct sn_predictor_info {
    const char *algorithm; /* "gradient_boosted_trees" or "random_forest" */
    sn_predict_params params;
    uint8_t data_hash[32]; /* SHA-256 over the training rows as read (values and labels) */
    uint64_t rows, positives;
    int64_t trained_at; /* seconds since the epoch */
    double cv_auc;      /* NAN when not measured */
    int cv_folds;
    size_t features, trees, nodes;
} sn_predictor_info;

void sn_predictor_get_info(const sn_predictor *pr, sn_predictor_info *out);
/* The info as a JSON object. */
void sn_predictor_info_json(const sn_predictor *pr, sn_buf *out);

/* The predictor file: "SNTLPRED", format version, payload length, payload, SHA-256 of all the
 * bytes before it. A changed byte, a truncated file or a foreign file is refused saying which. */
sn_status sn_predictor_save(const sn_predictor *pr, const char *path, sn_error *err);
sn_status sn_predictor_load(sn_predictor **out, const char *path, sn_error *err);
/* The same from memory (name used in errors). */
sn_status sn_predictor_from_bytes(sn_predictor **out, const uint8_t *data, size_t n,
                                  const char *name, sn_error *err);

#endif
