/* The access-request predictor: encoding of categorical columns, fitting and
 * cross-validation.
 *
 * Encoding. Each column and each pair of columns is a group; a request's value in a group is
 * described by two numbers: the smoothed share of approvals among the learning rows with that
 * value, (approved + a * prior) / (requests + a), and log(1 + the number of other learning rows
 * with it). For a row the trees learn from, the share is computed out of fold (K folds: the
 * row's own fold never counts), so that its own label cannot leak into its features: the
 * target statistics of CatBoost (Prokhorenkova et al., "CatBoost: unbiased boosting with
 * categorical features", NeurIPS 2018), in their K-fold form. Pairs carry the interactions that
 * single columns miss (a resource is routinely granted to one department and not to
 * another). Peer analysis is in predict_peers.c, answers in predict_answer.c. */
#include "predict_internal.h"

#include "../core/rng.h"
#include "../risk/metrics.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sn_predict_params_default(sn_predict_params *p)
{
    memset(p, 0, sizeof(*p));
    sn_trees_params_default(&p->trees, SN_TREES_BOOSTED);
    p->interactions = 2;
    p->smoothing = 1;
    p->encode_folds = 5;
    p->bags = 4;
}

const char *sn_pcol_field(sn_pcol_role role)
{
    switch (role) {
    case SN_PCOL_USER:
        return "user_id";
    case SN_PCOL_DEPARTMENT:
        return "department";
    case SN_PCOL_TITLE:
        return "job_title";
    case SN_PCOL_MANAGER:
        return "manager";
    case SN_PCOL_RESOURCE:
        return "resource";
    case SN_PCOL_ACTION:
        return "action";
    default:
        return NULL;
    }
}

sn_predictor *sn_predictor_alloc(void)
{
    sn_predictor *pr = calloc(1, sizeof(*pr));
    if (!pr)
        return NULL;
    pr->cv_auc = NAN;
    for (int g = 0; g < SN_PREDICT_MAX_GROUPS; g++)
        sn_u64map_init(&pr->groups[g].index);
    sn_u64map_init(&pr->peers);
    return pr;
}

void sn_predictor_free(sn_predictor *pr)
{
    if (!pr)
        return;
    for (int c = 0; c < pr->ncols; c++)
        sn_strmap_free(pr->dict[c]);
    for (int g = 0; g < SN_PREDICT_MAX_GROUPS; g++) {
        sn_u64map_free(&pr->groups[g].index);
        free(pr->groups[g].cnt);
        free(pr->groups[g].pos);
    }
    sn_u64map_free(&pr->peers);
    for (int k = 0; k < pr->nbags; k++)
        sn_trees_free(pr->bag[k]);
    free(pr);
}

void sn_predictor_plan_groups(sn_predictor *pr, int interactions)
{
    int g = 0, n = pr->ncols;
    for (int a = 0; a < n; a++) {
        pr->groups[g].a = a;
        pr->groups[g].b = pr->groups[g].c = -1;
        g++;
    }
    for (int a = 0; interactions >= 2 && a < n; a++)
        for (int b = a + 1; b < n; b++) {
            pr->groups[g].a = a;
            pr->groups[g].b = b;
            pr->groups[g].c = -1;
            g++;
        }
    for (int a = 0; interactions >= 3 && a < n; a++)
        for (int b = a + 1; b < n; b++)
            for (int c = b + 1; c < n; c++) {
                pr->groups[g].a = a;
                pr->groups[g].b = b;
                pr->groups[g].c = c;
                g++;
            }
    pr->ngroups = g;
}

/* Id of the request's value in group G, or UINT32_MAX when it was never seen. */
static uint32_t group_id(const sn_pgroup *G, const int32_t *codes)
{
    int32_t a = codes[G->a];
    if (a < 0)
        return UINT32_MAX;
    if (G->b < 0)
        return (uint32_t)a < G->n ? (uint32_t)a : UINT32_MAX;
    if (codes[G->b] < 0 || (G->c >= 0 && codes[G->c] < 0))
        return UINT32_MAX;
    uint32_t v = sn_u64map_get(&G->index, sn_group_key(G, codes));
    return v ? v - 1 : UINT32_MAX;
}

static void encode(double prior, double a, uint32_t cnt, uint32_t pos, float *x)
{
    x[0] = (float)((pos + a * prior) / (cnt + a));
    x[1] = (float)log1p((double)cnt);
}

void sn_predictor_features(const sn_predictor *pr, const int32_t *codes, float *x)
{
    for (int g = 0; g < pr->ngroups; g++) {
        const sn_pgroup *G = &pr->groups[g];
        uint32_t id = group_id(G, codes);
        uint32_t cnt = id == UINT32_MAX ? 0 : G->cnt[id];
        uint32_t pos = id == UINT32_MAX ? 0 : G->pos[id];
        encode(pr->prior, pr->params.smoothing, cnt, pos, x + 2 * g);
    }
}

/* ---- Fitting ------------------------------------------------------------------------------ */

/* The groups' ids of every row of data (group-major), and the pair indexes, set up on pr. */
static sn_status index_groups(sn_predictor *pr, const sn_predict_data *d, uint32_t **gid_out)
{
    size_t n = d->rows;
    uint32_t *gid = malloc((size_t)pr->ngroups * (n ? n : 1) * sizeof(uint32_t));
    if (!gid)
        return SN_ERR_NOMEM;
    for (int g = 0; g < pr->ngroups; g++) {
        sn_pgroup *G = &pr->groups[g];
        uint32_t *ids = gid + (size_t)g * n;
        if (G->b < 0) {
            G->n = (uint32_t)sn_strmap_count(d->dict[G->a]);
            for (size_t r = 0; r < n; r++)
                ids[r] = (uint32_t)d->codes[r * (size_t)d->ncols + (size_t)G->a];
        } else {
            G->n = 0;
            sn_u64map_clear(&G->index);
            for (size_t r = 0; r < n; r++) {
                const int32_t *row = d->codes + r * (size_t)d->ncols;
                uint32_t *slot = sn_u64map_slot(&G->index, sn_group_key(G, row));
                if (!slot) {
                    free(gid);
                    return SN_ERR_NOMEM;
                }
                if (!*slot)
                    *slot = ++G->n;
                ids[r] = *slot - 1;
            }
        }
        free(G->cnt);
        free(G->pos);
        G->cnt = calloc(G->n ? G->n : 1, sizeof(uint32_t));
        G->pos = calloc(G->n ? G->n : 1, sizeof(uint32_t));
        if (!G->cnt || !G->pos) {
            free(gid);
            return SN_ERR_NOMEM;
        }
    }
    *gid_out = gid;
    return SN_OK;
}

/* Fits pr's statistics and trees on rows[0, m) of d (ids in gid). */
static sn_status fit_rows(sn_predictor *pr, const sn_predict_data *d, const uint32_t *gid,
                          const uint32_t *rows, size_t m, sn_error *err)
{
    size_t n = d->rows, nf = 2 * (size_t)pr->ngroups;
    size_t pos = 0;
    for (size_t i = 0; i < m; i++)
        pos += d->labels[rows[i]];
    if (pos == 0 || pos == m)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "the labels hold one class only (%zu of %zu approved): nothing to "
                            "tell apart",
                            pos, m);
    pr->prior = (double)pos / (double)m;
    double a = pr->params.smoothing;
    int K = pr->params.encode_folds;
    float *x = malloc(m * nf * sizeof(float));
    uint8_t *y = malloc(m ? m : 1);
    uint8_t *fold = malloc(m ? m : 1);
    uint32_t *fc = NULL, *fp = NULL;
    size_t maxn = 1;
    for (int g = 0; g < pr->ngroups; g++)
        if (pr->groups[g].n > maxn)
            maxn = pr->groups[g].n;
    fc = calloc(maxn, sizeof(uint32_t));
    fp = calloc(maxn, sizeof(uint32_t));
    if (!x || !y || !fold || !fc || !fp) {
        free(x), free(y), free(fold), free(fc), free(fp);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    for (size_t i = 0; i < m; i++)
        y[i] = d->labels[rows[i]];
    for (int g = 0; g < pr->ngroups; g++) {
        sn_pgroup *G = &pr->groups[g];
        const uint32_t *ids = gid + (size_t)g * n;
        memset(G->cnt, 0, G->n * sizeof(uint32_t));
        memset(G->pos, 0, G->n * sizeof(uint32_t));
        for (size_t i = 0; i < m; i++) {
            uint32_t id = ids[rows[i]];
            G->cnt[id]++;
            G->pos[id] += y[i];
        }
    }
    for (int k = 0; k < pr->nbags; k++) {
        sn_trees_free(pr->bag[k]);
        pr->bag[k] = NULL;
    }
    pr->nbags = 0;
    sn_status st = SN_OK;
    /* Each bag: its own out-of-fold draw of the statistics and its own trees; their
     * probabilities are averaged, which evens out the noise of any one draw. */
    for (int bag = 0; bag < pr->params.bags && st == SN_OK; bag++) {
        uint64_t seed = pr->params.trees.seed + (uint64_t)bag * 0x9e3779b97f4a7c15ULL;
        sn_rng rng;
        sn_rng_seed(&rng, seed ^ 0x5bd1e995u);
        for (size_t i = 0; i < m; i++)
            fold[i] = (uint8_t)sn_rng_below(&rng, (uint64_t)K);
        for (int g = 0; g < pr->ngroups; g++) {
            sn_pgroup *G = &pr->groups[g];
            const uint32_t *ids = gid + (size_t)g * n;
            for (int k = 0; k < K; k++) {
                for (size_t i = 0; i < m; i++)
                    if (fold[i] == k) {
                        uint32_t id = ids[rows[i]];
                        fc[id]++;
                        fp[id] += y[i];
                    }
                for (size_t i = 0; i < m; i++)
                    if (fold[i] == k) {
                        uint32_t id = ids[rows[i]];
                        float *xi = x + i * nf + 2 * (size_t)g;
                        encode(pr->prior, a, G->cnt[id] - fc[id], G->pos[id] - fp[id], xi);
                        /* the other learning rows with this value: all but this one */
                        xi[1] = (float)log1p((double)(G->cnt[id] - 1));
                    }
                for (size_t i = 0; i < m; i++)
                    if (fold[i] == k)
                        fc[ids[rows[i]]] = fp[ids[rows[i]]] = 0;
            }
        }
        sn_trees_params tp = pr->params.trees;
        tp.seed = seed;
        st = sn_trees_fit(&pr->bag[bag], x, y, m, nf, &tp, err);
        if (st == SN_OK)
            pr->nbags = bag + 1;
    }
    free(fold), free(fc), free(fp);
    free(x), free(y);
    return st;
}

double sn_predictor_probability(const sn_predictor *pr, const float *x)
{
    double sum = 0;
    for (int k = 0; k < pr->nbags; k++)
        sum += sn_trees_predict(pr->bag[k], x);
    return pr->nbags ? sum / pr->nbags : pr->prior;
}

static void hash_data(const sn_predict_data *d, uint8_t out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    memset(out, 0, 32);
    if (!ctx)
        return;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t r = 0; r < d->rows; r++) {
        for (int c = 0; c < d->ncols; c++) {
            int32_t id = d->codes[r * (size_t)d->ncols + (size_t)c];
            const char *s = sn_strmap_str(d->dict[c], id);
            uint32_t n = (uint32_t)sn_strmap_len(d->dict[c], id);
            uint8_t le[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
            EVP_DigestUpdate(ctx, le, 4);
            EVP_DigestUpdate(ctx, s, n);
        }
        EVP_DigestUpdate(ctx, &d->labels[r], 1);
    }
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
}

static sn_status check_params(const sn_predict_params *p, sn_error *err)
{
    if (sn_trees_params_check(&p->trees, err) != SN_OK)
        return SN_ERR_USAGE;
    if (!(p->smoothing >= 0 && p->smoothing <= 1e6))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "smoothing", "out of range");
    if (p->interactions < 1 || p->interactions > 3)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "interactions", "out of range");
    if (p->bags < 1 || p->bags > SN_PREDICT_MAX_BAGS)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "bags", "out of range");
    if (p->encode_folds < 2 || p->encode_folds > 100)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "encode_folds", "out of range");
    return SN_OK;
}

/* A predictor with d's columns and dictionaries (copied) and its groups indexed. */
static sn_status predictor_for(sn_predictor **out, const sn_predict_data *d,
                               const sn_predict_params *p, uint32_t **gid, sn_error *err)
{
    *out = NULL;
    if (check_params(p, err) != SN_OK)
        return SN_ERR_USAGE;
    sn_predictor *pr = sn_predictor_alloc();
    if (!pr)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    pr->params = *p;
    pr->ncols = d->ncols;
    memcpy(pr->names, d->names, sizeof(pr->names));
    memcpy(pr->roles, d->roles, sizeof(pr->roles));
    for (int c = 0; c < d->ncols; c++) {
        pr->dict[c] = sn_strmap_new();
        if (!pr->dict[c])
            goto nomem;
        int32_t k = sn_strmap_count(d->dict[c]);
        for (int32_t i = 0; i < k; i++)
            if (sn_strmap_intern(pr->dict[c], sn_strmap_str(d->dict[c], i),
                                 sn_strmap_len(d->dict[c], i)) != i)
                goto nomem;
    }
    sn_predictor_plan_groups(pr, p->interactions);
    if (index_groups(pr, d, gid) != SN_OK)
        goto nomem;
    *out = pr;
    return SN_OK;
nomem:
    sn_predictor_free(pr);
    return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
}

sn_status sn_predictor_fit(sn_predictor **out, const sn_predict_data *data,
                           const sn_predict_params *p, sn_error *err)
{
    *out = NULL;
    if (data->rows < 2)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "need at least two labelled requests");
    sn_predictor *pr = NULL;
    uint32_t *gid = NULL;
    if (predictor_for(&pr, data, p, &gid, err) != SN_OK)
        return err->code;
    uint32_t *rows = malloc(data->rows * sizeof(uint32_t));
    if (!rows) {
        free(gid);
        sn_predictor_free(pr);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    for (size_t r = 0; r < data->rows; r++)
        rows[r] = (uint32_t)r;
    sn_status st = fit_rows(pr, data, gid, rows, data->rows, err);
    free(rows);
    free(gid);
    if (st == SN_OK && sn_predictor_build_peers(pr, data) != SN_OK)
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    if (st != SN_OK) {
        sn_predictor_free(pr);
        return st;
    }
    hash_data(data, pr->data_hash);
    pr->rows = data->rows;
    pr->positives = data->positives;
    pr->trained_at = (int64_t)time(NULL);
    *out = pr;
    return SN_OK;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

sn_status sn_predict_cv(const sn_predict_data *data, const sn_predict_params *p, int folds,
                        uint64_t seed, sn_predict_cv_result *out, sn_error *err)
{
    size_t n = data->rows;
    if (folds < 2 || folds > SN_PREDICT_MAX_FOLDS || (size_t)folds > n)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "folds",
                            "need at least 2 folds and no more folds than rows");
    if (data->positives < (size_t)folds || n - data->positives < (size_t)folds)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "each fold needs both labels: %zu approved and %zu denied is too "
                            "few for %d folds",
                            data->positives, n - data->positives, folds);
    sn_predictor *pr = NULL;
    uint32_t *gid = NULL;
    if (predictor_for(&pr, data, p, &gid, err) != SN_OK)
        return err->code;
    uint32_t *order = malloc(n * sizeof(uint32_t));
    uint8_t *fold = malloc(n);
    uint32_t *rows = malloc(n * sizeof(uint32_t));
    double *score = malloc(n * sizeof(double));
    int8_t *lab = malloc(n);
    float *x = malloc(2 * (size_t)pr->ngroups * sizeof(float));
    sn_status st = SN_OK;
    if (!order || !fold || !rows || !score || !lab || !x) {
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
        goto done;
    }
    /* stratified: the approved rows, then the denied, shuffled and dealt round the folds */
    sn_rng rng;
    sn_rng_seed(&rng, seed);
    size_t k = 0;
    for (int cls = 1; cls >= 0; cls--) {
        size_t from = k;
        for (size_t r = 0; r < n; r++)
            if (data->labels[r] == cls)
                order[k++] = (uint32_t)r;
        for (size_t i = k - 1; i > from; i--) {
            size_t j = from + (size_t)sn_rng_below(&rng, i - from + 1);
            uint32_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
    for (size_t i = 0; i < n; i++)
        fold[order[i]] = (uint8_t)(i % (size_t)folds);
    if (out->fold)
        memcpy(out->fold, fold, n);
    double sum = 0;
    for (int f = 0; f < folds && st == SN_OK; f++) {
        size_t m = 0, t = 0;
        for (size_t r = 0; r < n; r++)
            if (fold[r] != f)
                rows[m++] = (uint32_t)r;
        double t0 = cpu_seconds();
        st = fit_rows(pr, data, gid, rows, m, err);
        if (st != SN_OK)
            break;
        double t1 = cpu_seconds();
        for (size_t r = 0; r < n; r++)
            if (fold[r] == f) {
                sn_predictor_features(pr, data->codes + r * (size_t)data->ncols, x);
                score[t] = sn_predictor_probability(pr, x);
                lab[t++] = (int8_t)data->labels[r];
            }
        double t2 = cpu_seconds();
        out->fit_seconds[f] = t1 - t0;
        out->predict_seconds[f] = t2 - t1;
        out->auc[f] = sn_roc_auc(score, lab, t);
        sum += out->auc[f];
    }
    if (st == SN_OK)
        out->mean_auc = sum / folds;
done:
    free(order), free(fold), free(rows), free(score), free(lab), free(x), free(gid);
    sn_predictor_free(pr);
    return st;
}
