/* Score distributions and their drift: a decile histogram fitted on training scores and the
 * population stability index of a live distribution against it. */
#include "ensemble.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void sn_score_hist_fit(sn_score_hist *h, double *scores, size_t n)
{
    memset(h, 0, sizeof(*h));
    if (!n)
        return;
    qsort(scores, n, sizeof(double), cmp_double);
    /* Edges at the deciles, strictly increasing and above the minimum. */
    int ne = 0;
    for (int q = 1; q < SN_HIST_BINS; q++) {
        double v = scores[(size_t)q * n / SN_HIST_BINS];
        if (v > scores[0] && (ne == 0 || v > h->edge[ne - 1]))
            h->edge[ne++] = v;
    }
    h->n_bins = ne + 1;
    for (size_t i = 0; i < n; i++)
        h->count[sn_score_hist_bin(h, scores[i])]++;
    h->total = n;
}

int sn_score_hist_bin(const sn_score_hist *h, double score)
{
    int b = 0;
    while (b < h->n_bins - 1 && score >= h->edge[b])
        b++;
    return b;
}

double sn_psi(const uint64_t *expected, const uint64_t *actual, int n)
{
    uint64_t te = 0, ta = 0;
    for (int i = 0; i < n; i++) {
        te += expected[i];
        ta += actual[i];
    }
    if (!te || !ta)
        return NAN;
    double psi = 0;
    for (int i = 0; i < n; i++) {
        double e = fmax((double)expected[i] / (double)te, SN_PSI_FLOOR);
        double a = fmax((double)actual[i] / (double)ta, SN_PSI_FLOOR);
        psi += (a - e) * log(a / e);
    }
    return psi;
}
