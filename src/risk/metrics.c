/* ROC AUC (Mann-Whitney U with average ranks for ties), average precision (as scikit-learn's
 * average_precision_score) and confusion counts. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

typedef struct scored {
    double s;
    int8_t y;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* Copies (score, label) pairs sorted by decreasing score, counting the positives; NULL when
 * the input is invalid (a label not 0/1, a NaN score) or memory runs out. */
static scored *sorted_pairs(const double *scores, const int8_t *labels, size_t n, size_t *pos)
{
    scored *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return NULL;
    *pos = 0;
    for (size_t i = 0; i < n; i++) {
        if ((labels[i] != 0 && labels[i] != 1) || isnan(scores[i])) {
            free(v);
            return NULL;
        }
        v[i].s = scores[i];
        v[i].y = labels[i];
        *pos += (size_t)labels[i];
    }
    qsort(v, n, sizeof(*v), by_score_desc);
    return v;
}

double sn_roc_auc(const double *scores, const int8_t *labels, size_t n)
{
    size_t pos;
    scored *v = sorted_pairs(scores, labels, n, &pos);
    if (!v)
        return NAN;
    size_t neg = n - pos;
    if (pos == 0 || neg == 0) {
        free(v);
        return NAN;
    }
    /* Walking down from the top score: every positive in a group of ties beats the negatives
     * below the group and ties (half) with the negatives inside it. Counting this way is exact
     * in integers up to the final division, unlike summing fractional ranks. */
    double wins = 0.0;
    size_t neg_below = neg;
    for (size_t i = 0; i < n;) {
        size_t j = i, p = 0;
        while (j < n && v[j].s == v[i].s)
            p += (size_t)v[j++].y;
        size_t q = (j - i) - p;
        neg_below -= q;
        wins += (double)p * (double)neg_below + 0.5 * (double)p * (double)q;
        i = j;
    }
    free(v);
    return wins / ((double)pos * (double)neg);
}

double sn_average_precision(const double *scores, const int8_t *labels, size_t n)
{
    size_t pos;
    scored *v = sorted_pairs(scores, labels, n, &pos);
    if (!v)
        return NAN;
    if (pos == 0) {
        free(v);
        return NAN;
    }
    double ap = 0.0;
    size_t tp = 0, tp_prev = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].s == v[i].s)
            tp += (size_t)v[j++].y;
        /* j rows score at least v[i].s: precision tp / j, recall up by (tp - tp_prev) / pos. */
        if (tp > tp_prev)
            ap += (double)(tp - tp_prev) / (double)pos * ((double)tp / (double)j);
        tp_prev = tp;
        i = j;
    }
    free(v);
    return ap;
}

void sn_confusion_at(const double *scores, const int8_t *labels, size_t n, double threshold,
                     sn_confusion *out)
{
    sn_confusion c = {0};
    for (size_t i = 0; i < n; i++) {
        int flagged = scores[i] >= threshold, positive = labels[i] == 1;
        c.tp += (size_t)(flagged && positive);
        c.fp += (size_t)(flagged && !positive);
        c.fn += (size_t)(!flagged && positive);
        c.tn += (size_t)(!flagged && !positive);
    }
    c.precision = (c.tp + c.fp) > 0 ? (double)c.tp / (double)(c.tp + c.fp) : 0.0;
    c.recall = (c.tp + c.fn) > 0 ? (double)c.tp / (double)(c.tp + c.fn) : 0.0;
    c.f1 = c.precision + c.recall > 0.0 ? 2.0 * c.precision * c.recall / (c.precision + c.recall)
                                        : 0.0;
    *out = c;
}
