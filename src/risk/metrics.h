/* Detection quality on labelled data: ROC AUC, average precision (PR AUC) and the confusion
 * matrix at a threshold. Labels: 1 = positive (anomalous), 0 = negative; higher score = more
 * anomalous. */
#ifndef SN_METRICS_H
#define SN_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Area under the ROC curve as the Mann-Whitney U statistic, U / (P N): the probability that a
 * random positive scores above a random negative, a tie counting one half (tied scores share
 * their average rank). NAN when either class is empty, a label is not 0 or 1, or a score is
 * NaN. O(n log n); allocates a copy of the scores. */
double sn_roc_auc(const double *scores, const int8_t *labels, size_t n);

/* Average precision as scikit-learn's average_precision_score defines it:
 * AP = sum over thresholds of (R_k - R_{k-1}) P_k, the thresholds being the distinct score
 * values in decreasing order (tied scores enter together; no interpolation). NAN when there is
 * no positive, a label is not 0 or 1, or a score is NaN. */
double sn_average_precision(const double *scores, const int8_t *labels, size_t n);

typedef struct sn_confusion {
    size_t tp, fp, tn, fn;
    double precision; /* tp / (tp + fp), 0 when nothing is flagged */
    double recall;    /* tp / (tp + fn), 0 when there is no positive */
    double f1;        /* harmonic mean of the two, 0 when both are 0 */
} sn_confusion;

/* Counts with "flagged" meaning score >= threshold. Labels other than 1 count as negative. */
void sn_confusion_at(const double *scores, const int8_t *labels, size_t n, double threshold,
                     sn_confusion *out);

#endif
