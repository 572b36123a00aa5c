/* Public face of the model layer besides the Isolation Forest: how the detectors' evidence is
 * combined into one score and calibrated to 0-100.
 *
 * Every detector reports evidence in bits: how many times (as a power of two) less likely the
 * event is under the user's normal behaviour than usual. Bits add up across independent
 * signals. The risk score is the posterior probability that the event is not the user's normal
 * behaviour, with prior odds 2^-prior_bits: risk = 100 / (1 + 2^(prior_bits - bits)). With the
 * default prior of 10 bits (one event in about a thousand), risk 50 means "about a thousand times
 * less likely than this user's usual", whatever the organisation: a threshold on it does not
 * depend on what share of events are malicious. */
#ifndef SN_ENSEMBLE_H
#define SN_ENSEMBLE_H

#include <stddef.h>
#include <stdint.h>

/* Maps Isolation Forest scores to evidence bits through the training score distribution: the
 * tail share of training events scoring at least as high, in bits, minus a floor so that only
 * the few most isolated events add evidence. */
#define SN_CALIB_POINTS 257

typedef struct sn_calibration {
    double quantile[SN_CALIB_POINTS]; /* training scores at tail shares 2^-(i * 16 / 256) */
    size_t n;                         /* training rows the quantiles came from; 0 = not fitted */
} sn_calibration;

/* scores is sorted in place. */
void sn_calibration_fit(sn_calibration *c, double *scores, size_t n);
/* Tail evidence of an Isolation Forest score, in bits (0 .. log2 n). */
double sn_calibration_bits(const sn_calibration *c, double score);

/* A score distribution, for watching drift: counts over at most SN_HIST_BINS bins cut at the
 * deciles of the scores it was fitted on (equal deciles merged, and none at the minimum, so that
 * no bin is empty there). Bin i holds [edge[i - 1], edge[i]), the first from -inf, the last to
 * +inf. */
#define SN_HIST_BINS 10

typedef struct sn_score_hist {
    int n_bins; /* 0: not fitted */
    double edge[SN_HIST_BINS - 1];
    uint64_t count[SN_HIST_BINS];
    uint64_t total;
} sn_score_hist;

/* scores is sorted in place; n == 0 leaves h unfitted. */
void sn_score_hist_fit(sn_score_hist *h, double *scores, size_t n);
/* The bin of a score (0 when h is not fitted). */
int sn_score_hist_bin(const sn_score_hist *h, double score);

/* Shares below this count as this in the population stability index (an empty bin would make it
 * infinite). */
#define SN_PSI_FLOOR 1e-4

/* Population stability index of the counts actual against expected over n bins:
 * sum over bins of (a - e) ln(a / e), a and e the bins' shares of their totals (each at least
 * SN_PSI_FLOOR). 0 for identical distributions; by convention below 0.1 is stable, 0.1 to 0.25
 * a moderate shift, above 0.25 a significant one (Siddiqi, "Credit Risk Scorecards", 2006). NAN
 * when either total is 0. */
double sn_psi(const uint64_t *expected, const uint64_t *actual, int n);

/* Risk 0-100 from evidence bits. */
double sn_risk_from_bits(double bits, double prior_bits);
/* Evidence bits needed for a risk score (inverse of sn_risk_from_bits). */
double sn_bits_for_risk(double risk, double prior_bits);

/* Evidence curves for the signals that are not categorical surprisal. Each starts at its
 * onset (the configured threshold) and grows with the log of how far past it the event is. */
double sn_evidence_travel(double km, double kmh, double min_km, double min_kmh);
double sn_evidence_user_failures(double burst, double onset);
double sn_evidence_spray(double accounts, double onset);
double sn_evidence_volume(double now, double usual);
double sn_evidence_enumeration(double novel_resources, double onset);
double sn_evidence_success_after_failures(double failures_before, double onset);
double sn_evidence_first_privilege(double peer_share);
/* A Kerberos ticket with RC4 or DES encryption: not an alert alone (old domains still issue
 * them), but it adds to a burst of new services (Kerberoasting) or a first use. */
#define SN_EVIDENCE_WEAK_TICKET 4.0
/* A request from a caller that never authenticated (an anonymous S3 request): a probe for
 * public exposure when refused (MEDIUM with the default prior), data open to anyone when it
 * succeeded (HIGH). */
#define SN_EVIDENCE_ANONYMOUS_REFUSED 10.0
#define SN_EVIDENCE_ANONYMOUS 12.0
/* A request by an AWS account that is not the organisation's, into its resources: an alert
 * (MEDIUM) each time, HIGH from an account never seen before. Partners' accounts are named in
 * the configuration (--aws-accounts). */
#define SN_EVIDENCE_FOREIGN_ACCOUNT 10.0
#define SN_EVIDENCE_FOREIGN_ACCOUNT_NEW 12.0

#endif
