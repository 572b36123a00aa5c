/* Role mining: k chosen by the silhouette (or given), the roles described (members, common
 * resources, dominant department and title, a name and a description), and their health (role
 * explosion, overlapping roles, members far from their role's centre with the resources that put
 * them there). */
#include "roles.h"

#include "../core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sn_role_params_default(sn_role_params *p)
{
    memset(p, 0, sizeof(*p));
    p->weighting = SN_RW_TFIDF;
    p->k = 0;
    p->k_min = 2;
    p->k_max = 0;
    p->n_init = 10;
    p->max_iter = 300;
    p->seed = 42;
    p->silhouette_sample = 4000;
    p->max_users = 20000;
    p->common_share = 0.5;
    p->small_role = 5;
    p->overlap_jaccard = 0.7;
    p->far_mads = 2.0;
    p->extra_share = 0.2;
}

void sn_roles_free(sn_roles *r)
{
    if (!r)
        return;
    for (int c = 0; r->roles && c < r->k; c++) {
        free(r->roles[c].members);
        free(r->roles[c].common_set);
    }
    free(r->roles);
    free(r->row_user);
    free(r->label);
    free(r->tried);
    free(r->overlaps);
    free(r->far);
    memset(r, 0, sizeof(*r));
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* All rows, or a seeded uniform sample of cap of them (partial Fisher-Yates), sorted: the rows
 * the silhouette is computed on (the same for every k, so that their silhouettes compare), and
 * the users k-means is fitted on when there are more than max_users. NULL with *n = rows when
 * all; NULL with *n = -1 when out of memory. */
static int32_t *sample_rows(int32_t rows, int32_t cap, uint64_t seed, int32_t *n)
{
    if (cap <= 0 || rows <= cap) {
        *n = rows;
        return NULL;
    }
    int32_t *idx = malloc((size_t)rows * sizeof(int32_t));
    if (!idx) {
        *n = -1;
        return NULL;
    }
    for (int32_t i = 0; i < rows; i++)
        idx[i] = i;
    sn_rng rng;
    sn_rng_seed(&rng, seed);
    for (int32_t i = 0; i < cap; i++) {
        int32_t j = i + (int32_t)sn_rng_below(&rng, (uint64_t)(rows - i));
        int32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    int32_t *s = realloc(idx, (size_t)cap * sizeof(int32_t));
    if (!s)
        s = idx;
    qsort(s, (size_t)cap, sizeof(int32_t), cmp_i32);
    *n = cap;
    return s;
}

/* The silhouette of many clusterings of the same rows: when the sampled rows overlap a lot (a few
 * resources everyone uses), their pairwise distances are computed once, kept as floats in an
 * upper triangle (at most 5,000 rows: 50 MB), and each clustering costs one pass over them;
 * otherwise (sparse rows) each clustering takes sn_silhouette's path over shared columns. */
typedef struct sil_cache {
    const sn_csr *x;
    const int32_t *sample; /* NULL: every row */
    int32_t n;
    float *tri; /* row s holds the distances to rows s+1 .. n-1; NULL: sparse path */
    double *sums;
    int32_t *size;
} sil_cache;

#define SIL_DENSE_MAX 5000

static int32_t cache_row(const sil_cache *c, int32_t s)
{
    return c->sample ? c->sample[s] : s;
}

static void sil_cache_free(sil_cache *c)
{
    free(c->tri);
    free(c->sums);
    free(c->size);
}

/* Returns false only when out of memory. */
static bool sil_cache_init(sil_cache *c, const sn_csr *x, const int32_t *sample, int32_t n,
                           int kmax)
{
    memset(c, 0, sizeof(*c));
    c->x = x;
    c->sample = sample;
    c->n = n;
    if (n < 2 || n > SIL_DENSE_MAX)
        return true;
    /* Pairs sharing a column, counted through the columns' users in the sample. */
    int32_t *df = calloc((size_t)(x->cols > 0 ? x->cols : 1), sizeof(int32_t));
    if (!df)
        return false;
    for (int32_t s = 0; s < n; s++) {
        int32_t r = cache_row(c, s);
        for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
            df[x->col[e]]++;
    }
    double shared = 0;
    for (int32_t j = 0; j < x->cols; j++)
        shared += (double)df[j] * df[j];
    free(df);
    if (shared < (double)n * n / 4)
        return true; /* sparse enough */
    size_t pairs = (size_t)n * (size_t)(n - 1) / 2;
    c->tri = malloc(pairs * sizeof(float));
    c->sums = malloc((size_t)n * (size_t)kmax * sizeof(double));
    c->size = malloc((size_t)kmax * sizeof(int32_t));
    double *dense = calloc((size_t)(x->cols > 0 ? x->cols : 1), sizeof(double));
    double *norm = malloc((size_t)n * sizeof(double));
    if (!c->tri || !c->sums || !c->size || !dense || !norm) {
        free(dense);
        free(norm);
        sil_cache_free(c);
        c->tri = NULL;
        c->sums = NULL;
        c->size = NULL;
        return false;
    }
    for (int32_t s = 0; s < n; s++) {
        int32_t r = cache_row(c, s);
        double v = 0;
        for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
            v += x->val[e] * x->val[e];
        norm[s] = v;
    }
    float *out = c->tri;
    for (int32_t s = 0; s < n; s++) {
        int32_t r = cache_row(c, s);
        for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
            dense[x->col[e]] = x->val[e];
        for (int32_t t = s + 1; t < n; t++) {
            int32_t q = cache_row(c, t);
            double dot = 0;
            for (int64_t e = x->ptr[q]; e < x->ptr[q + 1]; e++)
                dot += x->val[e] * dense[x->col[e]];
            double d2 = norm[s] + norm[t] - 2 * dot;
            *out++ = (float)sqrt(d2 > 0 ? d2 : 0);
        }
        for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
            dense[x->col[e]] = 0;
    }
    free(dense);
    free(norm);
    return true;
}

/* The mean silhouette of label (k clusters) over the cache's rows. */
static double sil_cache_score(sil_cache *c, const int32_t *label, int k)
{
    if (!c->tri)
        return sn_silhouette(c->x, label, k, c->sample, c->n);
    int32_t n = c->n;
    memset(c->sums, 0, (size_t)n * (size_t)k * sizeof(double));
    memset(c->size, 0, (size_t)k * sizeof(int32_t));
    const float *d = c->tri;
    for (int32_t s = 0; s < n; s++) {
        int ls = label[cache_row(c, s)];
        c->size[ls]++;
        double *row = c->sums + (size_t)s * k;
        for (int32_t t = s + 1; t < n; t++) {
            int lt = label[cache_row(c, t)];
            row[lt] += *d;
            c->sums[(size_t)t * k + ls] += *d;
            d++;
        }
    }
    int clusters = 0;
    for (int q = 0; q < k; q++)
        clusters += c->size[q] > 0;
    if (clusters < 2)
        return NAN;
    double total = 0;
    for (int32_t s = 0; s < n; s++) {
        int own = label[cache_row(c, s)];
        if (c->size[own] < 2)
            continue;
        const double *row = c->sums + (size_t)s * k;
        double a = row[own] / (c->size[own] - 1);
        double b = INFINITY;
        for (int q = 0; q < k; q++)
            if (q != own && c->size[q] > 0 && row[q] / c->size[q] < b)
                b = row[q] / c->size[q];
        double mx = a > b ? a : b;
        if (mx > 0)
            total += (b - a) / mx;
    }
    return total / n;
}

#define SELECT_RESTARTS 3

/* k_max when not given: at most 30, and fewer than the users. */
static int default_k_max(int32_t users)
{
    int32_t k = users - 1;
    return k > 30 ? 30 : (int)k;
}

typedef struct item_count {
    int32_t item, users;
    double weight; /* sum of the members' row values: breaks ties between equal shares */
} item_count;

/* Most users first, then the heavier, then by name. */
static int cmp_item_count(const void *a, const void *b, void *matrix)
{
    const item_count *x = a, *y = b;
    const sn_role_matrix *sort_matrix = matrix;
    if (x->users != y->users)
        return y->users - x->users;
    if (x->weight != y->weight)
        return (x->weight < y->weight) - (x->weight > y->weight);
    return strcmp(sn_role_matrix_item_name(sort_matrix, x->item),
                  sn_role_matrix_item_name(sort_matrix, y->item));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The two most common values among the members (ties: the lower id), and their shares. */
static void dominant(const int32_t *vals, int32_t n, int32_t nvals, int32_t best[2],
                     double share[2])
{
    best[0] = best[1] = -1;
    share[0] = share[1] = 0;
    if (nvals <= 0 || n == 0)
        return;
    int32_t *cnt = calloc((size_t)nvals, sizeof(int32_t));
    if (!cnt)
        return;
    for (int32_t i = 0; i < n; i++)
        if (vals[i] >= 0)
            cnt[vals[i]]++;
    int32_t top[2] = {0, 0};
    for (int32_t v = 0; v < nvals; v++) {
        if (cnt[v] > top[0]) {
            top[1] = top[0];
            best[1] = best[0];
            top[0] = cnt[v];
            best[0] = v;
        } else if (cnt[v] > top[1]) {
            top[1] = cnt[v];
            best[1] = v;
        }
    }
    share[0] = (double)top[0] / n;
    share[1] = (double)top[1] / n;
    free(cnt);
}

static double median_sorted(const double *v, int32_t n)
{
    if (n == 0)
        return 0;
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Names and descriptions: "Finance / Accountant" when a department and a title each hold at least
 * half the members, "Finance" for the department alone ("Product + Engineering" when a second
 * department holds a quarter), else the two most used resources. */
static void describe(const sn_role_matrix *m, sn_mined_role *r)
{
    const char *dept =
        r->dept >= 0 && r->dept_share >= 0.5 ? sn_role_matrix_dept_name(m, r->dept) : NULL;
    const char *title =
        r->title >= 0 && r->title_share >= 0.5 ? sn_role_matrix_title_name(m, r->title) : NULL;
    const char *dept2 = dept && r->dept2 >= 0 && r->dept2_share >= 0.25
                            ? sn_role_matrix_dept_name(m, r->dept2)
                            : NULL;
    if (dept2)
        snprintf(r->name, sizeof(r->name), "%.80s + %.80s", dept, dept2);
    else if (dept && title)
        snprintf(r->name, sizeof(r->name), "%.80s / %.80s", dept, title);
    else if (dept)
        snprintf(r->name, sizeof(r->name), "%.150s", dept);
    else if (title)
        snprintf(r->name, sizeof(r->name), "%.150s", title);
    else if (r->n_top >= 2)
        snprintf(r->name, sizeof(r->name), "users of %.80s and %.80s",
                 sn_role_matrix_item_name(m, r->top[0].item),
                 sn_role_matrix_item_name(m, r->top[1].item));
    else if (r->n_top == 1)
        snprintf(r->name, sizeof(r->name), "users of %.150s",
                 sn_role_matrix_item_name(m, r->top[0].item));
    else
        snprintf(r->name, sizeof(r->name), "%s", r->id);
    size_t o = (size_t)snprintf(r->description, sizeof(r->description), "%d user%s", r->n_members,
                                r->n_members == 1 ? "" : "s");
    if (r->dept >= 0 && o < sizeof(r->description))
        o += (size_t)snprintf(r->description + o, sizeof(r->description) - o, "; %.0f%% %.60s",
                              100 * r->dept_share, sn_role_matrix_dept_name(m, r->dept));
    if (dept2 && o < sizeof(r->description))
        o += (size_t)snprintf(r->description + o, sizeof(r->description) - o, ", %.0f%% %.60s",
                              100 * r->dept2_share, dept2);
    if (r->title >= 0 && o < sizeof(r->description))
        o += (size_t)snprintf(r->description + o, sizeof(r->description) - o,
                              "; commonest title %.60s (%.0f%%)",
                              sn_role_matrix_title_name(m, r->title), 100 * r->title_share);
    int shown = r->n_common > 0 ? r->n_common : (r->n_top < 3 ? r->n_top : 3);
    if (shown > 5)
        shown = 5;
    for (int i = 0; i < shown && o < sizeof(r->description); i++)
        o += (size_t)snprintf(r->description + o, sizeof(r->description) - o, "%s%.60s (%.0f%%)",
                              i ? ", "
                                : (r->n_common > 0 ? "; most use "
                                                   : "; no resource used "
                                                     "by most; top: "),
                              sn_role_matrix_item_name(m, r->top[i].item), 100 * r->top[i].share);
}

/* Fills each role from the clustering: members, resources by share, dominant department and
 * title, names, distances; then far members. */
static sn_status build_roles(const sn_role_matrix *m, const sn_csr *x, const sn_kmeans_result *km,
                             sn_roles *out)
{
    const sn_role_params *p = &out->params;
    int k = km->k;
    int32_t n = x->rows;
    out->roles = calloc((size_t)k, sizeof(sn_mined_role));
    int32_t *size = calloc((size_t)k, sizeof(int32_t));
    item_count *ic = malloc((size_t)(x->cols > 0 ? x->cols : 1) * sizeof(item_count));
    int32_t *slot = malloc((size_t)(x->cols > 0 ? x->cols : 1) * sizeof(int32_t));
    int32_t *vals = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    double *dist = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    int *order = malloc((size_t)k * sizeof(int));
    if (!out->roles || !size || !ic || !slot || !vals || !dist || !order)
        goto nomem;
    /* Roles by decreasing size (ties: first row), so R000 is the largest. */
    for (int32_t i = 0; i < n; i++)
        size[km->label[i]]++;
    for (int c = 0; c < k; c++)
        order[c] = c;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && size[order[j - 1]] < size[order[j]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int *rank = malloc((size_t)k * sizeof(int));
    if (!rank)
        goto nomem;
    for (int c = 0; c < k; c++)
        rank[order[c]] = c;
    for (int32_t i = 0; i < n; i++)
        out->label[i] = rank[km->label[i]];
    free(rank);
    for (int32_t j = 0; j < x->cols; j++)
        slot[j] = -1;
    for (int c = 0; c < k; c++) {
        sn_mined_role *r = &out->roles[c];
        int src = order[c];
        snprintf(r->id, sizeof(r->id), "R%03d", c);
        r->n_members = size[src];
        r->members = malloc((size_t)(r->n_members > 0 ? r->n_members : 1) * sizeof(int32_t));
        if (!r->members)
            goto nomem;
        int32_t nm = 0, nic = 0;
        for (int32_t i = 0; i < n; i++) {
            if (out->label[i] != c)
                continue;
            r->members[nm] = out->row_user[i];
            dist[nm] = sqrt(km->dist2[i]);
            nm++;
            for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++) {
                int32_t j = x->col[e];
                if (slot[j] < 0) {
                    slot[j] = nic;
                    ic[nic++] = (item_count){j, 0, 0};
                }
                ic[slot[j]].users++;
                ic[slot[j]].weight += x->val[e];
            }
        }
        for (int32_t q = 0; q < nic; q++)
            slot[ic[q].item] = -1;
        qsort_r(ic, (size_t)nic, sizeof(item_count), cmp_item_count, (void *)m);
        r->n_top = nic < SN_ROLE_TOP ? (int)nic : SN_ROLE_TOP;
        for (int t = 0; t < r->n_top; t++)
            r->top[t] = (sn_role_item){ic[t].item, (double)ic[t].users / nm};
        int32_t nc = 0;
        while (nc < nic && (double)ic[nc].users / nm >= p->common_share)
            nc++;
        r->n_common = nc < r->n_top ? (int)nc : r->n_top;
        r->n_common_set = nc;
        r->common_set = malloc((size_t)(nc > 0 ? nc : 1) * sizeof(int32_t));
        if (!r->common_set)
            goto nomem;
        for (int32_t q = 0; q < nc; q++)
            r->common_set[q] = ic[q].item;
        qsort(r->common_set, (size_t)nc, sizeof(int32_t), cmp_i32);
        int32_t top[2];
        double share[2];
        for (int32_t q = 0; q < nm; q++)
            vals[q] = sn_role_matrix_user_dept(m, r->members[q]);
        dominant(vals, nm, sn_role_matrix_depts(m), top, share);
        r->dept = top[0];
        r->dept_share = share[0];
        r->dept2 = top[1];
        r->dept2_share = share[1];
        for (int32_t q = 0; q < nm; q++)
            vals[q] = sn_role_matrix_user_title(m, r->members[q]);
        dominant(vals, nm, sn_role_matrix_titles(m), top, share);
        r->title = top[0];
        r->title_share = share[0];
        double sum = 0;
        for (int32_t q = 0; q < nm; q++)
            sum += dist[q];
        r->mean_distance = nm ? sum / nm : 0;
        qsort(dist, (size_t)nm, sizeof(double), cmp_double);
        r->median_distance = median_sorted(dist, nm);
        describe(m, r);
    }
    /* Unique names: a repeated one gets " #2", " #3"... in role order (the largest keeps it).
     * Names are compared before any suffix is added (a suffix is cut to fit). */
    for (int c = k - 1; c > 0; c--) {
        int seen = 1;
        for (int b = 0; b < c; b++)
            seen += !strcmp(out->roles[b].name, out->roles[c].name);
        if (seen > 1) {
            char suffix[16];
            int sl = snprintf(suffix, sizeof(suffix), " #%d", seen);
            size_t len = strlen(out->roles[c].name);
            if (len + (size_t)sl >= sizeof(out->roles[c].name))
                len = sizeof(out->roles[c].name) - 1 - (size_t)sl;
            memcpy(out->roles[c].name + len, suffix, (size_t)sl + 1);
        }
    }
    free(size);
    free(ic);
    free(slot);
    free(vals);
    free(dist);
    free(order);
    return SN_OK;
nomem:
    free(size);
    free(ic);
    free(slot);
    free(vals);
    free(dist);
    free(order);
    return SN_ERR_NOMEM;
}

/* Jaccard index of two sorted id sets. */
static double jaccard(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    if (na == 0 && nb == 0)
        return 0;
    int32_t i = 0, j = 0, both = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            both++;
            i++;
            j++;
        } else if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    return (double)both / (na + nb - both);
}

typedef struct extra_cand {
    int32_t item;
    double value, share;
} extra_cand;

static int cmp_extra(const void *a, const void *b)
{
    const extra_cand *x = a, *y = b;
    if (x->value != y->value)
        return (x->value < y->value) - (x->value > y->value);
    return (x->item > y->item) - (x->item < y->item);
}

static int cmp_far(const void *a, const void *b)
{
    const sn_role_far *x = a, *y = b;
    double ex = x->distance - x->threshold, ey = y->distance - y->threshold;
    if (ex != ey)
        return (ex < ey) - (ex > ey);
    return (x->user > y->user) - (x->user < y->user);
}

/* Members farther from the centre than median + far_mads * 1.4826 * MAD (at least 0.05 beyond
 * the median) in roles of at least small_role members, and the resources they use that fewer
 * than extra_share of the role use; a far member without such resources (who lacks resources
 * rather than holding extra ones) is not listed. */
static sn_status find_far(const sn_csr *x, const sn_kmeans_result *km, sn_roles *out)
{
    const sn_role_params *p = &out->params;
    int32_t n = x->rows;
    double *dev = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *thr = malloc((size_t)out->k * sizeof(double));
    int32_t *uses = calloc((size_t)(x->cols > 0 ? x->cols : 1), sizeof(int32_t));
    extra_cand *cand = malloc((size_t)(x->cols > 0 ? x->cols : 1) * sizeof(extra_cand));
    int32_t cap = 0;
    if (!dev || !thr || !uses || !cand)
        goto nomem;
    for (int c = 0; c < out->k; c++) {
        const sn_mined_role *r = &out->roles[c];
        thr[c] = INFINITY;
        if (r->n_members < p->small_role || r->n_members < 3)
            continue;
        int32_t nd = 0;
        for (int32_t i = 0; i < n; i++)
            if (out->label[i] == c)
                dev[nd++] = fabs(sqrt(km->dist2[i]) - r->median_distance);
        qsort(dev, (size_t)nd, sizeof(double), cmp_double);
        double mad = median_sorted(dev, nd);
        double spread = p->far_mads * 1.4826 * mad;
        thr[c] = r->median_distance + (spread > 0.05 ? spread : 0.05);
    }
    for (int c = 0; c < out->k; c++) {
        if (!isfinite(thr[c]))
            continue;
        /* Members using each resource in this role. */
        for (int32_t i = 0; i < n; i++)
            if (out->label[i] == c)
                for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++)
                    uses[x->col[e]]++;
        int32_t members = out->roles[c].n_members;
        for (int32_t i = 0; i < n; i++) {
            if (out->label[i] != c || sqrt(km->dist2[i]) <= thr[c])
                continue;
            int nc = 0;
            for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++) {
                double share = (double)uses[x->col[e]] / members;
                if (share < p->extra_share)
                    cand[nc++] = (extra_cand){x->col[e], x->val[e], share};
            }
            if (nc == 0)
                continue;
            qsort(cand, (size_t)nc, sizeof(extra_cand), cmp_extra);
            if (out->n_far == cap) {
                int32_t ncap = cap ? cap * 2 : 64;
                sn_role_far *f = realloc(out->far, (size_t)ncap * sizeof(*f));
                if (!f)
                    goto nomem;
                out->far = f;
                cap = ncap;
            }
            sn_role_far *f = &out->far[out->n_far++];
            memset(f, 0, sizeof(*f));
            f->user = out->row_user[i];
            f->role = c;
            f->distance = sqrt(km->dist2[i]);
            f->threshold = thr[c];
            f->n_extra = nc < SN_ROLE_EXTRA ? nc : SN_ROLE_EXTRA;
            for (int q = 0; q < f->n_extra; q++)
                f->extra[q] = (sn_role_item){cand[q].item, cand[q].share};
        }
        for (int32_t i = 0; i < n; i++)
            if (out->label[i] == c)
                for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++)
                    uses[x->col[e]] = 0;
    }
    if (out->n_far > 1)
        qsort(out->far, (size_t)out->n_far, sizeof(sn_role_far), cmp_far);
    free(dev);
    free(thr);
    free(uses);
    free(cand);
    return SN_OK;
nomem:
    free(dev);
    free(thr);
    free(uses);
    free(cand);
    return SN_ERR_NOMEM;
}

static sn_status find_overlaps(sn_roles *out)
{
    int cap = 0;
    for (int a = 0; a < out->k; a++)
        for (int b = a + 1; b < out->k; b++) {
            const sn_mined_role *ra = &out->roles[a], *rb = &out->roles[b];
            if (!ra->n_common_set || !rb->n_common_set)
                continue;
            double jac =
                jaccard(ra->common_set, ra->n_common_set, rb->common_set, rb->n_common_set);
            if (jac < out->params.overlap_jaccard)
                continue;
            if (out->n_overlaps == cap) {
                int ncap = cap ? cap * 2 : 16;
                sn_role_overlap *o = realloc(out->overlaps, (size_t)ncap * sizeof(*o));
                if (!o)
                    return SN_ERR_NOMEM;
                out->overlaps = o;
                cap = ncap;
            }
            out->overlaps[out->n_overlaps++] = (sn_role_overlap){a, b, jac};
        }
    return SN_OK;
}

/* The rows listed (sorted) as a matrix of their own. */
static bool csr_subset(const sn_csr *x, const int32_t *rows, int32_t n, sn_csr *out)
{
    memset(out, 0, sizeof(*out));
    out->rows = n;
    out->cols = x->cols;
    out->ptr = calloc((size_t)n + 1, sizeof(int64_t));
    if (!out->ptr)
        return false;
    for (int32_t i = 0; i < n; i++)
        out->ptr[i + 1] = out->ptr[i] + (x->ptr[rows[i] + 1] - x->ptr[rows[i]]);
    size_t nnz = (size_t)out->ptr[n];
    out->col = malloc((nnz ? nnz : 1) * sizeof(int32_t));
    out->val = malloc((nnz ? nnz : 1) * sizeof(double));
    if (!out->col || !out->val) {
        sn_csr_free(out);
        return false;
    }
    for (int32_t i = 0; i < n; i++) {
        size_t len = (size_t)(x->ptr[rows[i] + 1] - x->ptr[rows[i]]);
        memcpy(out->col + out->ptr[i], x->col + x->ptr[rows[i]], len * sizeof(int32_t));
        memcpy(out->val + out->ptr[i], x->val + x->ptr[rows[i]], len * sizeof(double));
    }
    return true;
}

/* Extends a clustering fitted on a sample to every row of x: each row to its nearest centre
 * (ties: the lower one), replacing r's labels and distances. */
static bool assign_nearest(const sn_csr *x, sn_kmeans_result *r)
{
    int32_t *label = malloc((size_t)x->rows * sizeof(int32_t));
    double *dist2 = malloc((size_t)x->rows * sizeof(double));
    double *cc = calloc((size_t)r->k, sizeof(double));
    if (!label || !dist2 || !cc) {
        free(label);
        free(dist2);
        free(cc);
        return false;
    }
    size_t d = (size_t)x->cols;
    for (int c = 0; c < r->k; c++)
        for (size_t j = 0; j < d; j++)
            cc[c] += r->centre[c * d + j] * r->centre[c * d + j];
    for (int32_t i = 0; i < x->rows; i++) {
        double xx = 0;
        for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++)
            xx += x->val[e] * x->val[e];
        int best = 0;
        double bd = INFINITY;
        for (int c = 0; c < r->k; c++) {
            const double *centre = r->centre + (size_t)c * d;
            double dot = 0;
            for (int64_t e = x->ptr[i]; e < x->ptr[i + 1]; e++)
                dot += x->val[e] * centre[x->col[e]];
            double d2 = xx - 2 * dot + cc[c];
            if (d2 < bd) {
                bd = d2;
                best = c;
            }
        }
        label[i] = best;
        dist2[i] = bd > 0 ? bd : 0;
    }
    free(cc);
    free(r->label);
    free(r->dist2);
    r->label = label;
    r->dist2 = dist2;
    return true;
}

sn_status sn_roles_mine(const sn_role_matrix *m, const sn_role_params *params, sn_roles *out,
                        sn_error *err)
{
    double t0 = now_seconds();
    memset(out, 0, sizeof(*out));
    if (params)
        out->params = *params;
    else
        sn_role_params_default(&out->params);
    sn_role_params *p = &out->params;
    out->silhouette = out->purity_dept = out->purity_title = out->nmi_dept = out->nmi_title = NAN;
    sn_csr x;
    if (sn_role_matrix_rows(m, p->weighting, &x, &out->row_user) != SN_OK)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    int32_t n = x.rows;
    out->users = n;
    sn_status st = SN_OK;
    sn_kmeans_result best = {0};
    int32_t *sample = NULL, *fit_rows = NULL;
    sn_csr sub = {0};
    const sn_csr *fx = &x; /* the rows k-means is fitted on */
    if (n == 0)
        goto done;
    if (p->k > n) {
        st = sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "k", "%d roles asked of %d users", p->k,
                          n);
        goto done;
    }
    int32_t nf = n;
    if (p->max_users > 0 && n > p->max_users) {
        fit_rows = sample_rows(n, p->max_users, p->seed ^ 0x7a11u, &nf);
        if (nf < 0 || !csr_subset(&x, fit_rows, nf, &sub)) {
            st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
            goto done;
        }
        fx = &sub;
    }
    out->fitted_users = nf;
    if (p->k > nf) {
        st = sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "k",
                          "%d roles asked of the %d users fitted (a sample of the %d users)", p->k,
                          nf, n);
        goto done;
    }
    int kmin, kmax;
    if (p->k > 0) {
        kmin = kmax = p->k;
        out->k_given = true;
    } else {
        kmin = p->k_min > 0 ? p->k_min : 2;
        kmax = p->k_max > 0 ? p->k_max : default_k_max(nf);
        if (kmax > nf - 1)
            kmax = nf - 1;
        if (nf <= 2) {
            kmin = kmax = 1; /* too few users to compare clusterings: one role */
        } else if (kmin > kmax) {
            st = sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "k",
                              "no k in [%d, %d] fits %d users (k must be below the users)",
                              p->k_min, p->k_max > 0 ? p->k_max : kmax, nf);
            goto done;
        }
    }
    int32_t n_sample;
    sample = sample_rows(nf, p->silhouette_sample, p->seed ^ 0x5111u, &n_sample);
    out->silhouette_rows = n_sample;
    out->tried = malloc((size_t)(kmax - kmin + 1) * sizeof(sn_role_k_score));
    if (n_sample < 0 || !out->tried) {
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
        goto done;
    }
    sil_cache cache;
    if (!sil_cache_init(&cache, fx, sample, n_sample, kmax)) {
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
        goto done;
    }
    /* k is chosen with at most SELECT_RESTARTS restarts per k (their silhouettes rank the k
     * alike), then the chosen k is fitted again with all n_init restarts: the roles are then
     * those `--k` gives for that k. */
    int select_init = kmin < kmax && p->n_init > SELECT_RESTARTS ? SELECT_RESTARTS : p->n_init;
    double best_sil = -INFINITY;
    for (int k = kmin; k <= kmax; k++) {
        sn_kmeans_params kp = {
            .k = k, .n_init = select_init, .max_iter = p->max_iter, .seed = p->seed};
        sn_kmeans_result r;
        st = sn_kmeans_fit(fx, &kp, &r, err);
        if (st != SN_OK) {
            sil_cache_free(&cache);
            goto done;
        }
        double sil = k >= 2 && k < nf ? sil_cache_score(&cache, r.label, k) : NAN;
        out->tried[out->n_tried++] = (sn_role_k_score){k, sil, r.inertia};
        /* The highest silhouette wins (ties: the smaller k); a single k is kept as it is. */
        if (kmin == kmax || (isfinite(sil) && sil > best_sil)) {
            sn_kmeans_result_free(&best);
            best = r;
            best_sil = sil;
        } else {
            sn_kmeans_result_free(&r);
        }
    }
    if (select_init < p->n_init && best.k > 0) {
        sn_kmeans_params kp = {
            .k = best.k, .n_init = p->n_init, .max_iter = p->max_iter, .seed = p->seed};
        sn_kmeans_result r;
        st = sn_kmeans_fit(fx, &kp, &r, err);
        if (st != SN_OK) {
            sil_cache_free(&cache);
            goto done;
        }
        sn_kmeans_result_free(&best);
        best = r;
        best_sil = best.k >= 2 && best.k < nf ? sil_cache_score(&cache, best.label, best.k) : NAN;
        if (isnan(best_sil))
            best_sil = -INFINITY;
    }
    sil_cache_free(&cache);
    out->k = best.k;
    out->silhouette = best_sil > -INFINITY ? best_sil : NAN;
    out->label = malloc((size_t)n * sizeof(int32_t));
    if (!out->label || (fx != &x && !assign_nearest(&x, &best)) ||
        build_roles(m, &x, &best, out) != SN_OK || find_overlaps(out) != SN_OK ||
        find_far(&x, &best, out) != SN_OK) {
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (int c = 0; c < out->k; c++)
        out->small_roles += out->roles[c].n_members < p->small_role;
    /* The reference system's rule (more than ten roles, over 40% of them small), or more than
     * one role for every five users. */
    out->explosion = out->k > 10 && (out->small_roles * 10 > out->k * 4 || out->k * 5 > n);
    int32_t *cls = malloc((size_t)n * sizeof(int32_t));
    if (cls) {
        for (int32_t i = 0; i < n; i++)
            cls[i] = sn_role_matrix_user_dept(m, out->row_user[i]);
        out->purity_dept = sn_cluster_purity(out->label, cls, n);
        out->nmi_dept = sn_cluster_nmi(out->label, cls, n);
        for (int32_t i = 0; i < n; i++)
            cls[i] = sn_role_matrix_user_title(m, out->row_user[i]);
        out->purity_title = sn_cluster_purity(out->label, cls, n);
        out->nmi_title = sn_cluster_nmi(out->label, cls, n);
        free(cls);
    }
done:
    sn_kmeans_result_free(&best);
    free(sample);
    free(fit_rows);
    sn_csr_free(&sub);
    sn_csr_free(&x);
    out->seconds = now_seconds() - t0;
    if (st != SN_OK)
        sn_roles_free(out);
    return st;
}
