/* Tree ensembles over numeric features: histogram split finding, leaf-wise growth, gradient
 * boosting with logistic loss or a random forest.
 *
 * Both kinds share one tree grower. Each row carries a gradient g and a hessian h; a leaf's value
 * is -G/(H + lambda) and a split's gain is GL^2/(HL+lambda) + GR^2/(HR+lambda) - G^2/(H+lambda)
 * (Chen & Guestrin, "XGBoost", KDD 2016). Boosting uses the logistic loss's g = p - y,
 * h = p(1 - p) (Friedman, "Greedy function approximation", 2001). The forest uses g = -w y,
 * h = w with w the row's bootstrap multiplicity and lambda 0, for which the leaf value is the
 * mean label and the gain the reduction of squared error, that is of Gini impurity times the
 * weight (Breiman, "Random forests", 2001). Features are cut into at most 256 quantile bins
 * once, and histograms of g and h per bin give every split of a node in one pass over its rows;
 * a child's histogram is its parent's minus its sibling's, so only the smaller child is counted
 * (Ke et al., "LightGBM", NeurIPS 2017). The leaf with the largest gain is split first. */
#include "tree.h"

#include "../core/rng.h"
#include "../core/serial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BINS 256
#define MAX_TREES 100000
#define MAX_NODES_PER_TREE (1u << 24)

typedef struct node {
    int32_t feature; /* -1 for a leaf */
    float threshold; /* go left when x <= threshold */
    int32_t left, right;
    double value; /* leaf value */
} node;

struct sn_trees {
    sn_trees_kind kind;
    size_t dims;
    size_t ntrees;
    double base;   /* boosting: initial log-odds */
    size_t *start; /* first node of each tree */
    size_t *count; /* nodes of each tree */
    node *nodes;
    size_t nnodes;
};

void sn_trees_params_default(sn_trees_params *p, sn_trees_kind kind)
{
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->bins = 255;
    p->seed = 42;
    if (kind == SN_TREES_FOREST) {
        p->trees = 300;
        p->learning_rate = 1;
        p->max_depth = 40;
        p->max_leaves = 1 << 20;
        p->min_child_weight = 1;
        p->lambda = 0;
        p->row_sample = 1;
        p->col_sample = 0;
    } else {
        p->trees = 300;
        p->learning_rate = 0.05;
        p->max_depth = 8;
        p->max_leaves = 16;
        p->min_child_weight = 0.5;
        p->lambda = 1;
        p->row_sample = 0.6;
        p->col_sample = 0.5;
    }
}

sn_status sn_trees_params_check(const sn_trees_params *p, sn_error *err)
{
    const char *bad = NULL;
    if (p->kind != SN_TREES_BOOSTED && p->kind != SN_TREES_FOREST)
        bad = "algorithm";
    else if (p->trees < 1 || p->trees > MAX_TREES)
        bad = "trees";
    else if (!(p->learning_rate > 0 && p->learning_rate <= 1))
        bad = "learning_rate";
    else if (p->max_depth < 1 || p->max_depth > 64)
        bad = "max_depth";
    else if (p->max_leaves < 2 || p->max_leaves > (1 << 20))
        bad = "max_leaves";
    else if (!(p->min_child_weight >= 0 && p->min_child_weight <= 1e9))
        bad = "min_child_weight";
    else if (!(p->lambda >= 0 && p->lambda <= 1e9))
        bad = "lambda";
    else if (!(p->row_sample > 0 && p->row_sample <= 1))
        bad = "row_sample";
    else if (!(p->col_sample >= 0 && p->col_sample <= 1))
        bad = "col_sample";
    else if (p->bins < 2 || p->bins > MAX_BINS)
        bad = "bins";
    if (bad)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, bad, "out of range");
    return SN_OK;
}

/* ---- Fitting --------------------------------------------------------------------------- */

typedef struct gh {
    double g, h;
} gh;

typedef struct split {
    int32_t feature, bin;
    double gain, gl, hl;
} split;

typedef struct leaf {
    int32_t node;
    size_t begin, end; /* rows idx[begin, end) */
    int depth;
    double g, h;
    gh *hist; /* d * MAX_BINS, or NULL */
    split best;
} leaf;

typedef struct fitter {
    const sn_trees_params *p;
    size_t n, d;
    uint8_t *bins; /* column-major n * d */
    int *nbins;    /* per feature */
    float *cuts;   /* d * MAX_BINS: cut b of feature f at [f * MAX_BINS + b] */
    double *g, *h;
    uint32_t *idx;  /* rows of the tree being grown */
    int32_t *feats; /* features considered (per tree or per node) */
    size_t nfeats;
    int32_t *all_feats;
    sn_rng rng;
    /* the tree being grown */
    node *tn;
    int32_t *tbin; /* the split bin of each node, for routing binned rows */
    size_t tcount, tcap;
    leaf *open;
    size_t nopen;
    gh **free_hists;
    size_t nfree;
    gh *scratch; /* the forest's histogram, counted afresh at each node */
} fitter;

static bool forest_kind(const fitter *F)
{
    return F->p->kind == SN_TREES_FOREST;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Quantile cuts of each feature, and every value's bin: bin b holds cuts[b-1] < x <= cuts[b]. */
static sn_status make_bins(fitter *F, const float *x)
{
    size_t n = F->n, d = F->d;
    float *col = malloc(n * sizeof(float));
    if (!col)
        return SN_ERR_NOMEM;
    int maxb = F->p->bins;
    for (size_t f = 0; f < d; f++) {
        for (size_t r = 0; r < n; r++)
            col[r] = isnan(x[r * d + f]) ? INFINITY : x[r * d + f];
        qsort(col, n, sizeof(float), cmp_float);
        float *c = F->cuts + f * MAX_BINS;
        int nc = 0;
        size_t distinct = 1;
        for (size_t r = 1; r < n; r++)
            distinct += col[r] != col[r - 1];
        if (distinct <= (size_t)maxb) {
            /* every distinct value its own bin, cut halfway to the next one */
            for (size_t r = 1; r < n; r++)
                if (col[r] != col[r - 1])
                    c[nc++] = col[r - 1] + (col[r] - col[r - 1]) / 2;
        } else {
            for (int j = 1; j < maxb; j++) {
                float v = col[(size_t)((double)j * (double)n / maxb)];
                if ((nc == 0 || v > c[nc - 1]) && v < col[n - 1])
                    c[nc++] = v;
            }
        }
        F->nbins[f] = nc + 1;
        uint8_t *b = F->bins + f * n;
        for (size_t r = 0; r < n; r++) {
            float v = x[r * d + f];
            int lo = 0, hi = nc; /* first cut >= v, nc when none */
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (v <= c[mid])
                    hi = mid;
                else
                    lo = mid + 1;
            }
            b[r] = (uint8_t)lo;
        }
    }
    free(col);
    return SN_OK;
}

static gh *hist_get(fitter *F)
{
    if (F->nfree)
        return F->free_hists[--F->nfree];
    return malloc(F->d * MAX_BINS * sizeof(gh));
}

static void hist_put(fitter *F, gh *h)
{
    if (h)
        F->free_hists[F->nfree++] = h;
}

static void hist_build(fitter *F, gh *hist, size_t begin, size_t end)
{
    for (size_t k = 0; k < F->nfeats; k++) {
        size_t f = (size_t)F->feats[k];
        gh *hf = hist + f * MAX_BINS;
        memset(hf, 0, (size_t)F->nbins[f] * sizeof(gh));
        const uint8_t *col = F->bins + f * F->n;
        for (size_t i = begin; i < end; i++) {
            uint32_t r = F->idx[i];
            gh *e = hf + col[r];
            e->g += F->g[r];
            e->h += F->h[r];
        }
    }
}

static void find_best(fitter *F, leaf *L)
{
    L->best.feature = -1;
    L->best.gain = 0;
    if (L->depth >= F->p->max_depth || L->end - L->begin < 2)
        return;
    double lambda = F->p->lambda, mcw = F->p->min_child_weight;
    double parent = L->g * L->g / (L->h + lambda);
    if (F->p->kind == SN_TREES_FOREST) {
        /* the features of this node: a fresh sample */
        size_t k = F->p->col_sample > 0 ? (size_t)lround(F->p->col_sample * (double)F->d)
                                        : (size_t)lround(sqrt((double)F->d));
        if (k < 1)
            k = 1;
        if (k > F->d)
            k = F->d;
        for (size_t i = 0; i < k; i++) {
            size_t j = i + (size_t)sn_rng_below(&F->rng, F->d - i);
            int32_t t = F->all_feats[i];
            F->all_feats[i] = F->all_feats[j];
            F->all_feats[j] = t;
        }
        memcpy(F->feats, F->all_feats, k * sizeof(int32_t));
        F->nfeats = k;
        hist_build(F, F->scratch, L->begin, L->end);
    }
    const gh *hist = forest_kind(F) ? F->scratch : L->hist;
    for (size_t k = 0; k < F->nfeats; k++) {
        int32_t f = F->feats[k];
        const gh *hf = hist + (size_t)f * MAX_BINS;
        double gl = 0, hl = 0;
        for (int b = 0; b + 1 < F->nbins[f]; b++) {
            gl += hf[b].g;
            hl += hf[b].h;
            double gr = L->g - gl, hr = L->h - hl;
            if (hl < mcw || hr < mcw || hl <= 0 || hr <= 0)
                continue;
            double gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent;
            if (gain > L->best.gain + 1e-12 || (gain > 1e-12 && L->best.feature >= 0 &&
                                                gain == L->best.gain && f < L->best.feature)) {
                L->best = (split){f, b, gain, gl, hl};
            }
        }
    }
}

static int32_t new_node(fitter *F)
{
    if (F->tcount == F->tcap) {
        size_t cap = F->tcap ? F->tcap * 2 : 64;
        node *nn = realloc(F->tn, cap * sizeof(node));
        if (!nn)
            return -1;
        F->tn = nn;
        int32_t *nb = realloc(F->tbin, cap * sizeof(int32_t));
        if (!nb)
            return -1;
        F->tbin = nb;
        F->tcap = cap;
    }
    F->tn[F->tcount] = (node){-1, 0, -1, -1, 0};
    F->tbin[F->tcount] = -1;
    return (int32_t)F->tcount++;
}

static double leaf_value(const fitter *F, double g, double h)
{
    if (F->p->kind == SN_TREES_FOREST)
        return h > 0 ? -g / h : 0;
    return -g / (h + F->p->lambda) * F->p->learning_rate;
}

/* A leaf that will not be split: its value, and its histogram back to the pool. */
static void finish_leaf(fitter *F, leaf *L)
{
    F->tn[L->node].value = leaf_value(F, L->g, L->h);
    hist_put(F, L->hist);
    L->hist = NULL;
}

static void open_or_finish(fitter *F, leaf *L)
{
    if (L->best.feature < 0)
        finish_leaf(F, L);
    else
        F->open[F->nopen++] = *L;
}

/* Grows one tree over rows idx[0, m); its nodes are in F->tn. */
static sn_status grow(fitter *F, size_t m)
{
    bool forest = F->p->kind == SN_TREES_FOREST;
    F->tcount = 0;
    F->nopen = 0;
    int32_t root = new_node(F);
    if (root < 0)
        return SN_ERR_NOMEM;
    leaf L = {.node = root, .begin = 0, .end = m, .depth = 0};
    for (size_t i = 0; i < m; i++) {
        L.g += F->g[F->idx[i]];
        L.h += F->h[F->idx[i]];
    }
    if (!forest) {
        L.hist = hist_get(F);
        if (!L.hist)
            return SN_ERR_NOMEM;
        hist_build(F, L.hist, 0, m);
    }
    find_best(F, &L);
    open_or_finish(F, &L);
    size_t leaves = 1;
    while (leaves < (size_t)F->p->max_leaves && F->nopen) {
        size_t pick = 0;
        for (size_t i = 1; i < F->nopen; i++)
            if (F->open[i].best.gain > F->open[pick].best.gain)
                pick = i;
        leaf P = F->open[pick];
        F->open[pick] = F->open[--F->nopen];
        /* partition the rows: left when the bin is at most the split bin */
        const uint8_t *col = F->bins + (size_t)P.best.feature * F->n;
        size_t i = P.begin, j = P.end;
        while (i < j) {
            if (col[F->idx[i]] <= P.best.bin)
                i++;
            else {
                uint32_t t = F->idx[i];
                F->idx[i] = F->idx[--j];
                F->idx[j] = t;
            }
        }
        int32_t ln = new_node(F), rn = ln < 0 ? -1 : new_node(F);
        if (ln < 0 || rn < 0) {
            hist_put(F, P.hist);
            return SN_ERR_NOMEM;
        }
        F->tn[P.node].feature = P.best.feature;
        F->tn[P.node].threshold = F->cuts[(size_t)P.best.feature * MAX_BINS + P.best.bin];
        F->tn[P.node].left = ln;
        F->tn[P.node].right = rn;
        F->tbin[P.node] = P.best.bin;
        leaf A = {.node = ln,
                  .begin = P.begin,
                  .end = i,
                  .depth = P.depth + 1,
                  .g = P.best.gl,
                  .h = P.best.hl};
        leaf B = {.node = rn,
                  .begin = i,
                  .end = P.end,
                  .depth = P.depth + 1,
                  .g = P.g - P.best.gl,
                  .h = P.h - P.best.hl};
        if (!forest) {
            leaf *small = (A.end - A.begin <= B.end - B.begin) ? &A : &B;
            leaf *large = small == &A ? &B : &A;
            small->hist = hist_get(F);
            if (!small->hist) {
                hist_put(F, P.hist);
                return SN_ERR_NOMEM;
            }
            hist_build(F, small->hist, small->begin, small->end);
            large->hist = P.hist;
            for (size_t k = 0; k < F->nfeats; k++) {
                size_t f = (size_t)F->feats[k];
                gh *lh = large->hist + f * MAX_BINS, *sh = small->hist + f * MAX_BINS;
                for (int b = 0; b < F->nbins[f]; b++) {
                    lh[b].g -= sh[b].g;
                    lh[b].h -= sh[b].h;
                }
            }
        }
        find_best(F, &A);
        find_best(F, &B);
        open_or_finish(F, &A);
        open_or_finish(F, &B);
        leaves++;
    }
    for (size_t k = 0; k < F->nopen; k++)
        finish_leaf(F, &F->open[k]);
    F->nopen = 0;
    return SN_OK;
}

static double route_binned(const fitter *F, size_t r)
{
    int32_t k = 0;
    while (F->tn[k].feature >= 0) {
        uint8_t b = F->bins[(size_t)F->tn[k].feature * F->n + r];
        k = (int)b <= F->tbin[k] ? F->tn[k].left : F->tn[k].right;
    }
    return F->tn[k].value;
}

static sn_status keep_tree(fitter *F, sn_trees *t, size_t *cap)
{
    if (t->nnodes + F->tcount > *cap) {
        size_t nc = *cap ? *cap : 1024;
        while (nc < t->nnodes + F->tcount)
            nc *= 2;
        node *nn = realloc(t->nodes, nc * sizeof(node));
        if (!nn)
            return SN_ERR_NOMEM;
        t->nodes = nn;
        *cap = nc;
    }
    memcpy(t->nodes + t->nnodes, F->tn, F->tcount * sizeof(node));
    t->start[t->ntrees] = t->nnodes;
    t->count[t->ntrees] = F->tcount;
    t->nnodes += F->tcount;
    t->ntrees++;
    return SN_OK;
}

static void fitter_free(fitter *F)
{
    free(F->bins);
    free(F->nbins);
    free(F->cuts);
    free(F->g);
    free(F->h);
    free(F->idx);
    free(F->feats);
    free(F->all_feats);
    free(F->tn);
    free(F->tbin);
    for (size_t i = 0; i < F->nfree; i++)
        free(F->free_hists[i]);
    for (size_t i = 0; i < F->nopen; i++)
        free(F->open[i].hist);
    free(F->free_hists);
    free(F->open);
    free(F->scratch);
}

sn_status sn_trees_fit(sn_trees **out, const float *x, const uint8_t *y, size_t n, size_t d,
                       const sn_trees_params *p, sn_error *err)
{
    *out = NULL;
    if (sn_trees_params_check(p, err) != SN_OK)
        return SN_ERR_USAGE;
    if (n < 2 || d < 1 || n > UINT32_MAX)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "need at least two rows and one feature");
    fitter F = {.p = p, .n = n, .d = d};
    sn_trees *t = calloc(1, sizeof(*t));
    size_t leaves_cap = (size_t)p->max_leaves + 2;
    if (leaves_cap > n + 2)
        leaves_cap = n + 2;
    F.bins = malloc(n * d);
    F.nbins = malloc(d * sizeof(int));
    F.cuts = malloc(d * MAX_BINS * sizeof(float));
    F.g = malloc(n * sizeof(double));
    F.h = malloc(n * sizeof(double));
    F.idx = malloc(n * sizeof(uint32_t));
    F.feats = malloc(d * sizeof(int32_t));
    F.all_feats = malloc(d * sizeof(int32_t));
    F.open = malloc(leaves_cap * sizeof(leaf));
    F.free_hists = malloc((leaves_cap + 4) * sizeof(gh *));
    if (p->kind == SN_TREES_FOREST)
        F.scratch = malloc(d * MAX_BINS * sizeof(gh));
    if (t) {
        t->start = malloc((size_t)p->trees * sizeof(size_t));
        t->count = malloc((size_t)p->trees * sizeof(size_t));
    }
    double *score = malloc(n * sizeof(double));
    sn_status st = SN_ERR_NOMEM;
    if (!t || !t->start || !t->count || !F.bins || !F.nbins || !F.cuts || !F.g || !F.h || !F.idx ||
        !F.feats || !F.all_feats || !F.open || !F.free_hists || !score ||
        (p->kind == SN_TREES_FOREST && !F.scratch))
        goto fail;
    t->kind = p->kind;
    t->dims = d;
    if (make_bins(&F, x) != SN_OK)
        goto fail;
    sn_rng_seed(&F.rng, p->seed);
    size_t pos = 0;
    for (size_t r = 0; r < n; r++)
        pos += y[r] != 0;
    if (p->kind == SN_TREES_BOOSTED) {
        double prior = ((double)pos + 0.5) / ((double)n + 1.0);
        t->base = log(prior / (1 - prior));
    }
    for (size_t r = 0; r < n; r++)
        score[r] = t->base;
    for (size_t f = 0; f < d; f++)
        F.all_feats[f] = (int32_t)f;
    size_t node_cap = 0;
    for (int k = 0; k < p->trees; k++) {
        size_t m = 0;
        if (p->kind == SN_TREES_BOOSTED) {
            for (size_t r = 0; r < n; r++) {
                double pr = 1 / (1 + exp(-score[r]));
                F.g[r] = pr - (y[r] ? 1.0 : 0.0);
                F.h[r] = pr * (1 - pr);
                if (F.h[r] < 1e-16)
                    F.h[r] = 1e-16;
            }
            if (p->row_sample >= 1) {
                for (size_t r = 0; r < n; r++)
                    F.idx[m++] = (uint32_t)r;
            } else {
                for (size_t r = 0; r < n; r++)
                    if (sn_rng_uniform(&F.rng) < p->row_sample)
                        F.idx[m++] = (uint32_t)r;
            }
            /* the features of this tree */
            size_t kf = (size_t)lround(p->col_sample * (double)d);
            if (p->col_sample <= 0 || kf > d)
                kf = d;
            if (kf < 1)
                kf = 1;
            for (size_t i = 0; i < kf; i++) {
                size_t j = i + (size_t)sn_rng_below(&F.rng, d - i);
                int32_t tmp = F.all_feats[i];
                F.all_feats[i] = F.all_feats[j];
                F.all_feats[j] = tmp;
            }
            memcpy(F.feats, F.all_feats, kf * sizeof(int32_t));
            /* sorted, so that ties between features break the same way on every machine */
            for (size_t i = 1; i < kf; i++)
                for (size_t j = i; j > 0 && F.feats[j - 1] > F.feats[j]; j--) {
                    int32_t tmp = F.feats[j];
                    F.feats[j] = F.feats[j - 1];
                    F.feats[j - 1] = tmp;
                }
            F.nfeats = kf;
        } else {
            /* bootstrap: each row's weight is how many times it is drawn */
            for (size_t r = 0; r < n; r++)
                F.h[r] = 0;
            size_t draws = (size_t)lround(p->row_sample * (double)n);
            for (size_t i = 0; i < draws; i++)
                F.h[sn_rng_below(&F.rng, n)] += 1;
            for (size_t r = 0; r < n; r++) {
                F.g[r] = -F.h[r] * (y[r] ? 1.0 : 0.0);
                if (F.h[r] > 0)
                    F.idx[m++] = (uint32_t)r;
            }
        }
        if (m < 1)
            F.idx[m++] = 0;
        st = grow(&F, m);
        if (st != SN_OK)
            goto fail;
        if (p->kind == SN_TREES_BOOSTED)
            for (size_t r = 0; r < n; r++)
                score[r] += route_binned(&F, r);
        st = keep_tree(&F, t, &node_cap);
        if (st != SN_OK)
            goto fail;
    }
    free(score);
    fitter_free(&F);
    *out = t;
    return SN_OK;
fail:
    free(score);
    fitter_free(&F);
    sn_trees_free(t);
    return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
}

void sn_trees_free(sn_trees *t)
{
    if (!t)
        return;
    free(t->start);
    free(t->count);
    free(t->nodes);
    free(t);
}

double sn_trees_predict(const sn_trees *t, const float *x)
{
    double sum = 0;
    for (size_t k = 0; k < t->ntrees; k++) {
        const node *nd = t->nodes + t->start[k];
        int32_t i = 0;
        while (nd[i].feature >= 0)
            i = x[nd[i].feature] <= nd[i].threshold ? nd[i].left : nd[i].right;
        sum += nd[i].value;
    }
    if (t->kind == SN_TREES_FOREST) {
        double p = sum / (double)t->ntrees;
        return p < 0 ? 0 : p > 1 ? 1 : p;
    }
    return 1 / (1 + exp(-(t->base + sum)));
}

size_t sn_trees_dims(const sn_trees *t)
{
    return t->dims;
}

size_t sn_trees_count(const sn_trees *t)
{
    return t->ntrees;
}

size_t sn_trees_nodes(const sn_trees *t)
{
    return t->nnodes;
}

/* ---- Serialisation ----------------------------------------------------------------------- */

void sn_trees_write(const sn_trees *t, sn_buf *out)
{
    sn_put_u32(out, (uint32_t)t->kind);
    sn_put_u32(out, (uint32_t)t->dims);
    sn_put_u32(out, (uint32_t)t->ntrees);
    sn_put_f64(out, t->base);
    for (size_t k = 0; k < t->ntrees; k++) {
        sn_put_u32(out, (uint32_t)t->count[k]);
        for (size_t i = 0; i < t->count[k]; i++) {
            const node *nd = &t->nodes[t->start[k] + i];
            uint32_t th;
            memcpy(&th, &nd->threshold, 4);
            sn_put_u32(out, (uint32_t)nd->feature);
            sn_put_u32(out, th);
            sn_put_u32(out, (uint32_t)nd->left);
            sn_put_u32(out, (uint32_t)nd->right);
            sn_put_f64(out, nd->value);
        }
    }
}

sn_status sn_trees_read(sn_trees **out, const uint8_t *p, size_t n, size_t *used, sn_error *err)
{
    *out = NULL;
    sn_rd r = {.p = p, .n = n, .off = 0};
    uint32_t kind = sn_get_u32(&r), dims = sn_get_u32(&r), ntrees = sn_get_u32(&r);
    double base = sn_get_f64(&r);
    if (r.bad || kind > 1 || dims < 1 || dims > (1u << 20) || ntrees < 1 || ntrees > MAX_TREES ||
        !(fabs(base) <= 1e6))
        return sn_error_set(err, SN_ERR_MODEL, true, NULL, 0, NULL, "bad tree ensemble header");
    /* every node takes 24 bytes: the count cannot claim more nodes than there are bytes */
    if ((size_t)ntrees * 28 > n - r.off)
        return sn_error_set(err, SN_ERR_MODEL, true, NULL, 0, NULL, "tree ensemble truncated");
    sn_trees *t = calloc(1, sizeof(*t));
    if (!t)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    t->kind = (sn_trees_kind)kind;
    t->dims = dims;
    t->base = base;
    t->start = malloc(ntrees * sizeof(size_t));
    t->count = malloc(ntrees * sizeof(size_t));
    size_t cap = (n - r.off) / 24;
    t->nodes = malloc((cap ? cap : 1) * sizeof(node));
    if (!t->start || !t->count || !t->nodes) {
        sn_trees_free(t);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    const char *why = NULL;
    for (uint32_t k = 0; k < ntrees && !why; k++) {
        uint32_t cnt = sn_get_u32(&r);
        if (r.bad || cnt < 1 || cnt > MAX_NODES_PER_TREE || cnt > cap - t->nnodes) {
            why = "bad node count";
            break;
        }
        t->start[k] = t->nnodes;
        t->count[k] = cnt;
        for (uint32_t i = 0; i < cnt; i++) {
            node nd;
            nd.feature = (int32_t)sn_get_u32(&r);
            uint32_t th = sn_get_u32(&r);
            memcpy(&nd.threshold, &th, 4);
            nd.left = (int32_t)sn_get_u32(&r);
            nd.right = (int32_t)sn_get_u32(&r);
            nd.value = sn_get_f64(&r);
            if (r.bad) {
                why = "truncated";
                break;
            }
            /* children come after their parent: no cycle, no index out of the tree */
            if (nd.feature >= 0) {
                if ((uint32_t)nd.feature >= dims || isnan(nd.threshold) || nd.left <= (int32_t)i ||
                    nd.right <= (int32_t)i || (uint32_t)nd.left >= cnt ||
                    (uint32_t)nd.right >= cnt) {
                    why = "bad split node";
                    break;
                }
            } else if (nd.feature != -1 || !(fabs(nd.value) <= 1e6)) {
                why = "bad leaf";
                break;
            }
            t->nodes[t->nnodes++] = nd;
        }
        t->ntrees = k + 1;
    }
    if (why) {
        sn_trees_free(t);
        return sn_error_set(err, SN_ERR_MODEL, true, NULL, 0, NULL, "tree ensemble: %s", why);
    }
    *used = r.off;
    *out = t;
    return SN_OK;
}
