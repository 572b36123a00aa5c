/* k-means++ over sparse rows, the silhouette, and agreement with reference classes (purity,
 * normalised mutual information). Centres are kept column-major (k values per column) so that a
 * row's distances to every centre come from one pass over its non-zero entries. */
#include "roles.h"

#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sn_csr_free(sn_csr *x)
{
    if (!x)
        return;
    free(x->ptr);
    free(x->col);
    free(x->val);
    memset(x, 0, sizeof(*x));
}

void sn_kmeans_result_free(sn_kmeans_result *r)
{
    if (!r)
        return;
    free(r->label);
    free(r->centre);
    free(r->dist2);
    memset(r, 0, sizeof(*r));
}

static double row_norm2(const sn_csr *x, int32_t i)
{
    double s = 0;
    for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++)
        s += x->val[e] * x->val[e];
    return s;
}

/* Work space of one fit. */
typedef struct km {
    const sn_csr *x;
    int k;
    int32_t n, d;
    double *xx;  /* row squared norms */
    double *ct;  /* centres, column-major: ct[col * k + c] */
    double *cc;  /* centre squared norms */
    double *acc; /* k */
    int32_t *count;
    int32_t *label;
    double *dist2;
    double *dense; /* d: one row scattered */
    double *closest, *cand_d2, *best_d2;
} km;

/* Squared distances from every row to the row r (dense scatter of r, then one dot per row). */
static void dist2_to_row(km *w, int32_t r, double *out)
{
    const sn_csr *x = w->x;
    for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
        w->dense[x->col[e]] = x->val[e];
    for (int32_t i = 0; i < w->n; i++) {
        double dot = 0;
        for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++)
            dot += x->val[e] * w->dense[x->col[e]];
        double d2 = w->xx[i] + w->xx[r] - 2 * dot;
        out[i] = d2 > 0 ? d2 : 0;
    }
    for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
        w->dense[x->col[e]] = 0;
}

/* The first row whose cumulative weight exceeds target (the last row with weight if none). */
static int32_t draw_row(const double *weight, int32_t n, double target)
{
    double acc = 0;
    int32_t last = 0;
    for (int32_t i = 0; i < n; i++) {
        if (weight[i] > 0)
            last = i;
        acc += weight[i];
        if (acc > target && weight[i] > 0)
            return i;
    }
    return last;
}

/* Sets centre c to row r. */
static void centre_from_row(km *w, int c, int32_t r)
{
    const sn_csr *x = w->x;
    for (int32_t j = 0; j < w->d; j++)
        w->ct[(size_t)j * w->k + c] = 0;
    for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
        w->ct[(size_t)x->col[e] * w->k + c] = x->val[e];
    w->cc[c] = w->xx[r];
}

/* Greedy k-means++: the first centre uniformly, each next one the best of 2 + floor(ln k)
 * candidates drawn with probability proportional to the squared distance to the nearest centre
 * chosen so far (best: lowest total potential afterwards). */
static void seed_centres(km *w, sn_rng *rng)
{
    int32_t n = w->n;
    int trials = 2 + (int)log((double)w->k);
    int32_t first = (int32_t)sn_rng_below(rng, (uint64_t)n);
    centre_from_row(w, 0, first);
    dist2_to_row(w, first, w->closest);
    double pot = 0;
    for (int32_t i = 0; i < n; i++)
        pot += w->closest[i];
    for (int c = 1; c < w->k; c++) {
        int32_t best = -1;
        double best_pot = INFINITY;
        for (int t = 0; t < trials; t++) {
            int32_t cand;
            if (pot > 0)
                cand = draw_row(w->closest, n, sn_rng_uniform(rng) * pot);
            else
                cand = (int32_t)sn_rng_below(rng, (uint64_t)n); /* every row on a centre */
            dist2_to_row(w, cand, w->cand_d2);
            double p = 0;
            for (int32_t i = 0; i < n; i++)
                p += w->cand_d2[i] < w->closest[i] ? w->cand_d2[i] : w->closest[i];
            if (p < best_pot) {
                best_pot = p;
                best = cand;
                memcpy(w->best_d2, w->cand_d2, (size_t)n * sizeof(double));
            }
        }
        centre_from_row(w, c, best);
        for (int32_t i = 0; i < n; i++)
            if (w->best_d2[i] < w->closest[i])
                w->closest[i] = w->best_d2[i];
        pot = best_pot;
    }
}

/* Assigns every row to its nearest centre; returns how many rows changed cluster. */
static int32_t assign(km *w)
{
    const sn_csr *x = w->x;
    int k = w->k;
    int32_t changed = 0;
    double *restrict acc = w->acc;
    const double *restrict ct = w->ct;
    const double *restrict cc = w->cc;
    for (int32_t i = 0; i < w->n; i++) {
        memset(acc, 0, (size_t)k * sizeof(double));
        for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++) {
            const double *restrict col = ct + (size_t)x->col[e] * k;
            double v = x->val[e];
            for (int c = 0; c < k; c++)
                acc[c] += v * col[c];
        }
        int best = 0;
        double bd = INFINITY;
        for (int c = 0; c < k; c++) {
            double d2 = w->xx[i] - 2 * acc[c] + cc[c];
            if (d2 < bd) {
                bd = d2;
                best = c;
            }
        }
        if (w->label[i] != best) {
            w->label[i] = best;
            changed++;
        }
        w->dist2[i] = bd > 0 ? bd : 0;
    }
    return changed;
}

/* Centres as the means of their rows; an empty cluster takes the row farthest from its centre
 * (each such row used once). */
static void update(km *w)
{
    const sn_csr *x = w->x;
    int k = w->k;
    memset(w->ct, 0, (size_t)w->d * k * sizeof(double));
    memset(w->count, 0, (size_t)k * sizeof(int32_t));
    for (int32_t i = 0; i < w->n; i++) {
        int c = w->label[i];
        w->count[c]++;
        for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++)
            w->ct[(size_t)x->col[e] * k + c] += x->val[e];
    }
    for (int c = 0; c < k; c++) {
        if (w->count[c] > 0)
            continue;
        int32_t far = -1;
        for (int32_t i = 0; i < w->n; i++)
            if (w->count[w->label[i]] > 1 && (far < 0 || w->dist2[i] > w->dist2[far]))
                far = i;
        if (far < 0)
            continue; /* cannot happen with k <= n */
        int old = w->label[far];
        w->count[old]--;
        for (int64_t e = x->ptr[far]; e < x->ptr[far + 1]; e++) {
            w->ct[(size_t)x->col[e] * k + old] -= x->val[e];
            w->ct[(size_t)x->col[e] * k + c] += x->val[e];
        }
        w->label[far] = c;
        w->count[c] = 1;
        w->dist2[far] = 0;
    }
    for (int c = 0; c < k; c++)
        w->cc[c] = 0;
    for (int32_t j = 0; j < w->d; j++) {
        double *col = w->ct + (size_t)j * k;
        for (int c = 0; c < k; c++) {
            if (w->count[c] > 1)
                col[c] /= w->count[c];
            w->cc[c] += col[c] * col[c];
        }
    }
}

static void km_free(km *w)
{
    free(w->xx);
    free(w->ct);
    free(w->cc);
    free(w->acc);
    free(w->count);
    free(w->label);
    free(w->dist2);
    free(w->dense);
    free(w->closest);
    free(w->cand_d2);
    free(w->best_d2);
}

sn_status sn_kmeans_fit(const sn_csr *x, const sn_kmeans_params *p, sn_kmeans_result *out,
                        sn_error *err)
{
    memset(out, 0, sizeof(*out));
    if (p->k < 1 || p->k > x->rows)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "k", "%d clusters asked of %d rows",
                            p->k, x->rows);
    km w = {.x = x, .k = p->k, .n = x->rows, .d = x->cols > 0 ? x->cols : 1};
    size_t n = (size_t)w.n, k = (size_t)w.k, d = (size_t)w.d;
    w.xx = malloc(n * sizeof(double));
    w.ct = calloc(d * k, sizeof(double));
    w.cc = calloc(k, sizeof(double));
    w.acc = malloc(k * sizeof(double));
    w.count = calloc(k, sizeof(int32_t));
    w.label = malloc(n * sizeof(int32_t));
    w.dist2 = malloc(n * sizeof(double));
    w.dense = calloc(d, sizeof(double));
    w.closest = malloc(n * sizeof(double));
    w.cand_d2 = malloc(n * sizeof(double));
    w.best_d2 = malloc(n * sizeof(double));
    out->label = malloc(n * sizeof(int32_t));
    out->centre = malloc(k * d * sizeof(double));
    out->dist2 = malloc(n * sizeof(double));
    if (!w.xx || !w.ct || !w.cc || !w.acc || !w.count || !w.label || !w.dist2 || !w.dense ||
        !w.closest || !w.cand_d2 || !w.best_d2 || !out->label || !out->centre || !out->dist2) {
        km_free(&w);
        sn_kmeans_result_free(out);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    for (int32_t i = 0; i < w.n; i++)
        w.xx[i] = row_norm2(x, i);
    sn_rng rng;
    sn_rng_seed(&rng, p->seed);
    int n_init = p->n_init > 0 ? p->n_init : 1;
    int max_iter = p->max_iter > 0 ? p->max_iter : 300;
    double best = INFINITY;
    for (int run = 0; run < n_init; run++) {
        seed_centres(&w, &rng);
        for (int32_t i = 0; i < w.n; i++)
            w.label[i] = -1;
        int it = 0;
        for (;;) {
            int32_t changed = assign(&w);
            it++;
            if (changed == 0 || it >= max_iter)
                break;
            update(&w); /* a refilled cluster moved a row: the next assignment settles it */
        }
        double inertia = 0;
        for (int32_t i = 0; i < w.n; i++)
            inertia += w.dist2[i];
        if (inertia < best) {
            best = inertia;
            out->inertia = inertia;
            out->iterations = it;
            memcpy(out->label, w.label, n * sizeof(int32_t));
            memcpy(out->dist2, w.dist2, n * sizeof(double));
            for (size_t c = 0; c < k; c++)
                for (size_t j = 0; j < d; j++)
                    out->centre[c * d + j] = w.ct[j * k + c];
        }
    }
    km_free(&w);
    /* Clusters numbered in order of their first row, so that equal partitions read alike. */
    int *map = malloc(k * sizeof(int));
    double *tmp = malloc(k * d * sizeof(double));
    if (!map || !tmp) {
        free(map);
        free(tmp);
        sn_kmeans_result_free(out);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    for (size_t c = 0; c < k; c++)
        map[c] = -1;
    int next = 0;
    for (int32_t i = 0; i < w.n; i++)
        if (map[out->label[i]] < 0)
            map[out->label[i]] = next++;
    for (size_t c = 0; c < k; c++)
        if (map[c] < 0)
            map[c] = next++; /* an empty cluster (rows all identical) */
    for (int32_t i = 0; i < w.n; i++)
        out->label[i] = map[out->label[i]];
    for (size_t c = 0; c < k; c++)
        memcpy(tmp + (size_t)map[c] * d, out->centre + c * d, d * sizeof(double));
    memcpy(out->centre, tmp, k * d * sizeof(double));
    free(map);
    free(tmp);
    out->k = p->k;
    return SN_OK;
}

/* ---- Silhouette ---------------------------------------------------------------------------- */

double sn_silhouette(const sn_csr *x, const int32_t *label, int k, const int32_t *sample,
                     int32_t n_sample)
{
    int32_t m = sample ? n_sample : x->rows;
    if (m < 2 || k < 2)
        return NAN;
    int32_t *rows = malloc((size_t)m * sizeof(int32_t));
    double *norm = malloc((size_t)m * sizeof(double));
    int32_t *size = calloc((size_t)k, sizeof(int32_t));
    double *sum = malloc((size_t)k * sizeof(double));
    double *dot = calloc((size_t)m, sizeof(double));
    int32_t *mark = calloc((size_t)m, sizeof(int32_t)); /* s + 1 once row t shares a column */
    int32_t *touched = malloc((size_t)m * sizeof(int32_t));
    int64_t *head = calloc((size_t)x->cols + 1, sizeof(int64_t));
    double result = NAN;
    int32_t *post = NULL;
    double *postv = NULL;
    if (!rows || !norm || !size || !sum || !dot || !mark || !touched || !head)
        goto out;
    bool unit = true;
    for (int32_t s = 0; s < m; s++) {
        rows[s] = sample ? sample[s] : s;
        norm[s] = row_norm2(x, rows[s]);
        size[label[rows[s]]]++;
        if (fabs(norm[s] - 1.0) > 1e-9)
            unit = false;
    }
    int clusters = 0;
    for (int c = 0; c < k; c++)
        clusters += size[c] > 0;
    if (clusters < 2)
        goto out;
    /* Inverted index of the sampled rows: for each column, the rows (positions) using it. */
    int64_t nnz = 0;
    for (int32_t s = 0; s < m; s++)
        for (int64_t e = x->ptr[rows[s]]; e < x->ptr[rows[s] + 1]; e++) {
            head[x->col[e] + 1]++;
            nnz++;
        }
    for (int32_t j = 0; j < x->cols; j++)
        head[j + 1] += head[j];
    post = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(int32_t));
    postv = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(double));
    int64_t *fill = malloc((size_t)(x->cols > 0 ? x->cols : 1) * sizeof(int64_t));
    if (!post || !postv || !fill) {
        free(fill);
        goto out;
    }
    memcpy(fill, head, (size_t)x->cols * sizeof(int64_t));
    for (int32_t s = 0; s < m; s++)
        for (int64_t e = x->ptr[rows[s]]; e < x->ptr[rows[s] + 1]; e++) {
            int64_t at = fill[x->col[e]]++;
            post[at] = s;
            postv[at] = x->val[e];
        }
    free(fill);
    double total = 0;
    const double root2 = sqrt(2.0);
    for (int32_t s = 0; s < m; s++) {
        int32_t nt = 0;
        for (int64_t e = x->ptr[rows[s]]; e < x->ptr[rows[s] + 1]; e++) {
            int32_t j = x->col[e];
            double v = x->val[e];
            for (int64_t q = head[j]; q < head[j + 1]; q++) {
                int32_t t = post[q];
                if (mark[t] != s + 1) {
                    mark[t] = s + 1;
                    touched[nt++] = t;
                }
                dot[t] += v * postv[q];
            }
        }
        if (unit) {
            /* Rows sharing no column are sqrt(2) apart: start from that and correct the
             * rows that share one. */
            for (int c = 0; c < k; c++)
                sum[c] = root2 * size[c];
            sum[label[rows[s]]] -= root2; /* itself */
            for (int32_t q = 0; q < nt; q++) {
                int32_t t = touched[q];
                if (t != s) {
                    double d2 = 2.0 - 2.0 * dot[t];
                    sum[label[rows[t]]] += sqrt(d2 > 0 ? d2 : 0) - root2;
                }
            }
        } else {
            for (int c = 0; c < k; c++)
                sum[c] = 0;
            for (int32_t t = 0; t < m; t++) {
                if (t == s)
                    continue;
                double d2 = norm[s] + norm[t] - 2.0 * dot[t];
                sum[label[rows[t]]] += sqrt(d2 > 0 ? d2 : 0);
            }
        }
        for (int32_t q = 0; q < nt; q++)
            dot[touched[q]] = 0;
        int own = label[rows[s]];
        if (size[own] < 2)
            continue; /* alone in its cluster: 0 */
        double a = sum[own] / (size[own] - 1);
        double b = INFINITY;
        for (int c = 0; c < k; c++)
            if (c != own && size[c] > 0 && sum[c] / size[c] < b)
                b = sum[c] / size[c];
        double mx = a > b ? a : b;
        if (mx > 0)
            total += (b - a) / mx;
    }
    result = total / m;
out:
    free(rows);
    free(norm);
    free(size);
    free(sum);
    free(dot);
    free(mark);
    free(touched);
    free(head);
    free(post);
    free(postv);
    return result;
}

/* ---- Agreement with reference classes ----------------------------------------------------- */

/* Contingency counts of (cluster, class) over rows with a known class, as a dense table. */
typedef struct contingency {
    int32_t kc, kl, n;
    int32_t *cell; /* kc x kl */
} contingency;

static bool contingency_build(contingency *t, const int32_t *label, const int32_t *cls, int32_t n)
{
    memset(t, 0, sizeof(*t));
    for (int32_t i = 0; i < n; i++) {
        if (cls[i] < 0)
            continue;
        if (label[i] + 1 > t->kc)
            t->kc = label[i] + 1;
        if (cls[i] + 1 > t->kl)
            t->kl = cls[i] + 1;
        t->n++;
    }
    if (t->n == 0)
        return false;
    t->cell = calloc((size_t)t->kc * t->kl, sizeof(int32_t));
    if (!t->cell)
        return false;
    for (int32_t i = 0; i < n; i++)
        if (cls[i] >= 0)
            t->cell[(size_t)label[i] * t->kl + cls[i]]++;
    return true;
}

double sn_cluster_purity(const int32_t *label, const int32_t *cls, int32_t n)
{
    contingency t;
    if (!contingency_build(&t, label, cls, n))
        return NAN;
    int64_t hit = 0;
    for (int32_t c = 0; c < t.kc; c++) {
        int32_t best = 0;
        for (int32_t l = 0; l < t.kl; l++)
            if (t.cell[(size_t)c * t.kl + l] > best)
                best = t.cell[(size_t)c * t.kl + l];
        hit += best;
    }
    free(t.cell);
    return (double)hit / t.n;
}

double sn_cluster_nmi(const int32_t *label, const int32_t *cls, int32_t n)
{
    contingency t;
    if (!contingency_build(&t, label, cls, n))
        return NAN;
    double *pc = calloc((size_t)t.kc, sizeof(double));
    double *pl = calloc((size_t)t.kl, sizeof(double));
    if (!pc || !pl) {
        free(pc);
        free(pl);
        free(t.cell);
        return NAN;
    }
    double N = t.n;
    for (int32_t c = 0; c < t.kc; c++)
        for (int32_t l = 0; l < t.kl; l++) {
            pc[c] += t.cell[(size_t)c * t.kl + l] / N;
            pl[l] += t.cell[(size_t)c * t.kl + l] / N;
        }
    double mi = 0, hc = 0, hl = 0;
    for (int32_t c = 0; c < t.kc; c++)
        for (int32_t l = 0; l < t.kl; l++) {
            double p = t.cell[(size_t)c * t.kl + l] / N;
            if (p > 0)
                mi += p * log(p / (pc[c] * pl[l]));
        }
    for (int32_t c = 0; c < t.kc; c++)
        if (pc[c] > 0)
            hc -= pc[c] * log(pc[c]);
    for (int32_t l = 0; l < t.kl; l++)
        if (pl[l] > 0)
            hl -= pl[l] * log(pl[l]);
    free(pc);
    free(pl);
    free(t.cell);
    if (hc + hl == 0)
        return 1.0; /* one cluster and one class: identical partitions */
    return 2 * mi / (hc + hl);
}
