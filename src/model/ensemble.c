/* Evidence combination and calibration of the ensemble score. */
#include "ensemble.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double tail_share(int i)
{
    return exp2(-(double)i * 16.0 / (SN_CALIB_POINTS - 1));
}

void sn_calibration_fit(sn_calibration *c, double *scores, size_t n)
{
    c->n = n;
    if (!n)
        return;
    qsort(scores, n, sizeof(double), cmp_double);
    for (int i = 0; i < SN_CALIB_POINTS; i++) {
        double share = tail_share(i);
        double pos = (1.0 - share) * (double)(n - 1);
        size_t k = (size_t)pos;
        double frac = pos - (double)k;
        double v = scores[k];
        if (k + 1 < n)
            v += frac * (scores[k + 1] - scores[k]);
        c->quantile[i] = v;
    }
}

double sn_calibration_bits(const sn_calibration *c, double score)
{
    if (!c->n || score <= c->quantile[0])
        return 0.0;
    double max_bits = log2((double)c->n);
    int lo = 0, hi = SN_CALIB_POINTS - 1;
    if (score >= c->quantile[hi])
        return fmin(16.0, max_bits);
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (c->quantile[mid] <= score)
            lo = mid;
        else
            hi = mid;
    }
    double span = c->quantile[hi] - c->quantile[lo];
    double t = span > 0 ? (score - c->quantile[lo]) / span : 0.0;
    double bits = ((double)lo + t) * 16.0 / (SN_CALIB_POINTS - 1);
    return fmin(bits, max_bits);
}

double sn_risk_from_bits(double bits, double prior_bits)
{
    return 100.0 / (1.0 + exp2(prior_bits - bits));
}

double sn_bits_for_risk(double risk, double prior_bits)
{
    if (risk <= 0)
        return -INFINITY;
    if (risk >= 100)
        return INFINITY;
    return prior_bits - log2(100.0 / risk - 1.0);
}

/* Faster than an airliner over a real distance: 6 bits at the speed threshold (900 km/h by
 * default), two more per doubling. */
double sn_evidence_travel(double km, double kmh, double min_km, double min_kmh)
{
    if (km < min_km || kmh < min_kmh || min_kmh <= 0.0)
        return 0.0;
    return fmin(14.0, 6.0 + 2.0 * log2(kmh / min_kmh));
}

/* Repeated failures of one account: 3 bits at the onset (5 failures within the burst horizon by
 * default), 3 more per doubling. */
double sn_evidence_user_failures(double burst, double onset)
{
    if (burst < onset || onset <= 0.0)
        return 0.0;
    return fmin(14.0, 3.0 + 3.0 * log2(burst / onset));
}

/* Failures for many different accounts from one source (password spraying): 5 bits at the
 * onset (3 accounts by default), 5 more per doubling: an alert on its own (10 bits) from twice
 * the onset. */
double sn_evidence_spray(double accounts, double onset)
{
    if (accounts < onset || onset <= 0.0)
        return 0.0;
    return fmin(14.0, 5.0 + 5.0 * log2(accounts / onset));
}

/* Volume well above the user's usual hourly rate. */
double sn_evidence_volume(double now, double usual)
{
    if (now < 20.0 || usual <= 0.0 || now < 5.0 * usual)
        return 0.0;
    return fmin(10.0, 3.0 * log2(now / (2.5 * usual)));
}

/* Many resources new to one account within minutes: enumeration, such as requesting service
 * tickets for every service account (Kerberoasting). 4 bits at the onset (5 by default), 4 more
 * per doubling: an alert on its own from about 2.8 times the onset. */
double sn_evidence_enumeration(double novel, double onset)
{
    if (novel < onset || onset <= 0.0)
        return 0.0;
    return fmin(14.0, 4.0 + 4.0 * log2(novel / onset));
}

/* A success right after a run of failures of the same account: the guess that worked. 6 bits
 * at the onset (3 failures by default), 2 more per doubling. */
double sn_evidence_success_after_failures(double failures_before, double onset)
{
    if (failures_before < onset || onset <= 0.0)
        return 0.0;
    return fmin(14.0, 6.0 + 2.0 * log2(failures_before / onset));
}

/* A user's first privileged action, by the share of the peers' events that use it: 6 bits when
 * every peer event does, 2 more per halving, at most 12 (an eighth or less, or peers not known
 * yet): with the default prior, MEDIUM from a quarter down and HIGH when the peers never do it. */
double sn_evidence_first_privilege(double peer_share)
{
    double s = peer_share < 0.125 ? 0.125 : (peer_share > 1.0 ? 1.0 : peer_share);
    return 6.0 + 2.0 * log2(1.0 / s);
}
