/* Isolation Forest: fitting, scoring, attribution and serialisation, following Liu, Ting & Zhou,
 * "Isolation Forest" (ICDM 2008), Algorithms 1-3, with the scoring of section 2. */
#include "iforest.h"

#include "../core/rng.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Euler-Mascheroni constant, for the harmonic number approximation H(i) ~ ln(i) + gamma. */
#define EULER_GAMMA 0.5772156649

/* Rows per batch block, held feature-major while they go through every tree: a multiple of
 * score_block's 16 lanes, and small enough (5 KiB at 20 features) to stay in L1 beside the
 * tree being walked (4 KiB at psi = 256). */
#define SCORE_BLOCK 64

/* A tree is stored as a complete binary tree of height L = ceil(log2 psi), in heap order: the
 * children of position i are 2i + 1 and 2i + 2, so no child links are stored or chased, and
 * descending is i = 2i + 1 + (x[feat] > thr) without a branch. Positions [0, 2^L - 1) are inner
 * nodes, [2^L - 1, 2^(L+1) - 1) leaf slots. An inner position at or below a leaf of the iTree
 * holds thr = +inf (everything goes left), so every row takes exactly L steps and lands in the
 * leftmost slot under its leaf, whose thr holds the leaf's path length e + c(size)
 * (Algorithm 3); the other slots under that leaf hold 0 and are never reached. Since a split
 * threshold is always finite, thr = +inf also marks "no split here". */
typedef struct ifnode {
    uint32_t feat;
    float thr;
} ifnode;

struct sn_iforest {
    uint32_t dims;
    uint32_t n_trees;
    uint32_t psi_param;    /* psi as asked */
    uint32_t psi;          /* min(psi, n): the subsample size used, and c(psi) normalises */
    uint32_t height_limit; /* L = ceil(log2 psi) */
    size_t stride;         /* records per tree: 2^(L+1), the last one padding */
    uint64_t seed;
    double c_psi;
    ifnode *nodes;   /* n_trees * stride, 64-byte aligned */
    uint32_t *sizes; /* n_trees * stride: training rows reaching each position (0: none), for
                      * sn_iforest_explain and for checking serialised trees */
    double *gain;    /* n_trees * stride: log2(rows at the parent / rows here) for a position
                      * below a split, what isolating a row there owes to the parent's feature */
};

void sn_iforest_params_default(sn_iforest_params *p)
{
    p->n_trees = 100;
    p->psi = 256;
    p->seed = 0;
}

double sn_iforest_c(double n)
{
    if (n <= 1.0)
        return 0.0;
    if (n <= 2.0)
        return 1.0;
    return 2.0 * (log(n - 1.0) + EULER_GAMMA) - 2.0 * (n - 1.0) / n;
}

static uint32_t ceil_log2(uint32_t v)
{
    uint32_t l = 0;
    while (l < 32 && ((uint64_t)1 << l) < v)
        l++;
    return l;
}

size_t sn_iforest_dims(const sn_iforest *f)
{
    return f->dims;
}

size_t sn_iforest_psi(const sn_iforest *f)
{
    return f->psi;
}

size_t sn_iforest_trees(const sn_iforest *f)
{
    return f->n_trees;
}

void sn_iforest_free(sn_iforest *f)
{
    if (!f)
        return;
    free(f->nodes);
    free(f->sizes);
    free(f->gain);
    free(f);
}

/* A forest with its shape set and its node records allocated (uninitialised); NULL when out of
 * memory. psi >= 2 and psi <= SN_IFOREST_MAX_PSI, so 1 <= L <= 16. */
static sn_iforest *forest_alloc(uint32_t dims, uint32_t n_trees, uint32_t psi_param, uint32_t psi)
{
    sn_iforest *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->dims = dims;
    f->n_trees = n_trees;
    f->psi_param = psi_param;
    f->psi = psi;
    f->height_limit = ceil_log2(psi);
    f->stride = (size_t)2 << f->height_limit;
    f->c_psi = sn_iforest_c(psi);
    size_t bytes = (size_t)n_trees * f->stride * sizeof(ifnode);
    bytes = (bytes + 63) / 64 * 64;
    f->nodes = aligned_alloc(64, bytes);
    f->sizes = malloc((size_t)n_trees * f->stride * sizeof(*f->sizes));
    f->gain = calloc((size_t)n_trees * f->stride, sizeof(*f->gain));
    if (!f->nodes || !f->sizes || !f->gain) {
        sn_iforest_free(f);
        return NULL;
    }
    return f;
}

/* The gains of every position below a split, from the sizes (after fitting or reading). */
static void set_gains(sn_iforest *f)
{
    const size_t inner = ((size_t)1 << f->height_limit) - 1;
    for (uint32_t t = 0; t < f->n_trees; t++) {
        const ifnode *b = f->nodes + t * f->stride;
        const uint32_t *size = f->sizes + t * f->stride;
        double *gain = f->gain + t * f->stride;
        for (size_t i = 0; i < inner; i++) {
            if (!isfinite(b[i].thr))
                continue;
            /* Both children of a split hold rows, so the ratio is at least 1. */
            for (size_t c = 2 * i + 1; c <= 2 * i + 2; c++)
                gain[c] = size[c] ? log2((double)size[i] / (double)size[c]) : 0.0;
        }
    }
}

/* Leftmost leaf slot under position i at depth k: where the rows reaching i end. */
static size_t leaf_slot(size_t i, uint32_t k, uint32_t L)
{
    for (; k < L; k++)
        i = 2 * i + 1;
    return i;
}

/* ---- fitting ---------------------------------------------------------------------------- */

/* A node waiting to be built: its heap position, its rows idx[lo, hi) of the subsample, its
 * depth. */
typedef struct pending {
    uint32_t pos, lo, hi, depth;
} pending;

typedef struct builder {
    sn_rng rng;
    size_t d;
    uint32_t psi, limit;
    float *sub;      /* psi x d: this tree's subsample, gathered for locality */
    uint32_t *idx;   /* row numbers into sub, partitioned as the tree grows */
    uint32_t *fperm; /* feature order, reshuffled lazily at each node */
    pending *queue;  /* nodes to build, breadth first */
} builder;

/* Picks a feature uniformly among those not constant on idx[lo, hi), as scikit-learn does; the
 * paper's iTree would also pick a constant one and make an empty child. Returns 0 and sets
 * *feat, *lo_v, *hi_v, or -1 when every feature is constant there. */
static int pick_feature(builder *b, uint32_t lo, uint32_t hi, uint32_t *feat, float *lo_v,
                        float *hi_v)
{
    size_t d = b->d;
    for (size_t k = 0; k < d; k++) {
        size_t j = k + (size_t)sn_rng_below(&b->rng, d - k);
        uint32_t q = b->fperm[j];
        b->fperm[j] = b->fperm[k];
        b->fperm[k] = q;
        float mn = b->sub[(size_t)b->idx[lo] * d + q], mx = mn;
        for (uint32_t i = lo + 1; i < hi; i++) {
            float v = b->sub[(size_t)b->idx[i] * d + q];
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        if (mx > mn) {
            *feat = q;
            *lo_v = mn;
            *hi_v = mx;
            return 0;
        }
    }
    return -1;
}

/* Algorithm 2 (iTree) on the subsample in b->sub, written into the tree at base. Rows with
 * x <= thr go left. thr is uniform in [min, max); a draw that rounds to max in float is moved
 * to min (as scikit-learn does) so both children are non-empty. */
static void build_tree(builder *b, ifnode *base, uint32_t *sizes)
{
    const uint32_t L = b->limit;
    const size_t inner = ((size_t)1 << L) - 1;
    for (size_t i = 0; i < inner; i++)
        base[i] = (ifnode){0, INFINITY};
    for (size_t i = inner; i < 2 * inner + 2; i++)
        base[i] = (ifnode){0, 0.0f};
    memset(sizes, 0, (2 * inner + 2) * sizeof(*sizes));
    for (uint32_t i = 0; i < b->psi; i++)
        b->idx[i] = i;
    size_t head = 0, tail = 0;
    b->queue[tail++] = (pending){0, 0, b->psi, 0};
    while (head < tail) {
        pending p = b->queue[head++];
        uint32_t size = p.hi - p.lo, feat;
        float mn, mx;
        sizes[p.pos] = size;
        if (p.depth >= L || size <= 1 || pick_feature(b, p.lo, p.hi, &feat, &mn, &mx)) {
            base[leaf_slot(p.pos, p.depth, L)].thr =
                (float)((double)p.depth + sn_iforest_c((double)size));
            continue;
        }
        double u = sn_rng_uniform(&b->rng);
        float thr = (float)((double)mn + u * ((double)mx - (double)mn));
        if (thr >= mx)
            thr = mn;
        uint32_t i = p.lo, j = p.hi;
        while (i < j) {
            if (b->sub[(size_t)b->idx[i] * b->d + feat] <= thr) {
                i++;
            } else {
                uint32_t t = b->idx[i];
                b->idx[i] = b->idx[--j];
                b->idx[j] = t;
            }
        }
        base[p.pos] = (ifnode){feat, thr};
        /* A binary tree on psi rows has at most 2 psi - 1 nodes, the queue's size. */
        b->queue[tail++] = (pending){2 * p.pos + 1, p.lo, i, p.depth + 1};
        b->queue[tail++] = (pending){2 * p.pos + 2, i, p.hi, p.depth + 1};
    }
}

static sn_status check_finite(const float *X, size_t n, size_t d, sn_error *err)
{
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, NULL,
                                "row %zu, column %zu is not a finite number", i / d + 1, i % d + 1);
    return SN_OK;
}

sn_status sn_iforest_fit(sn_iforest **out, const float *X, size_t n, size_t d,
                         const sn_iforest_params *p, sn_error *err)
{
    *out = NULL;
    if (p->n_trees < 1 || p->n_trees > SN_IFOREST_MAX_TREES)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "trees",
                            "must be between 1 and %d, not %d", SN_IFOREST_MAX_TREES, p->n_trees);
    if (p->psi < 2 || p->psi > SN_IFOREST_MAX_PSI)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "psi",
                            "must be between 2 and %d, not %d", SN_IFOREST_MAX_PSI, p->psi);
    if (d < 1 || d > SN_IFOREST_MAX_DIMS)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "need 1 to %d features, not %zu", SN_IFOREST_MAX_DIMS, d);
    if (n < 2)
        return sn_error_set(err, SN_ERR_EMPTY, true, NULL, 0, NULL,
                            "need at least 2 rows to fit, got %zu", n);
    if (n > SIZE_MAX / d / sizeof(float))
        return sn_error_set(err, SN_ERR_LIMIT, true, NULL, 0, NULL, "too many rows");
    sn_status st = check_finite(X, n, d, err);
    if (st != SN_OK)
        return st;

    uint32_t psi = (size_t)p->psi < n ? (uint32_t)p->psi : (uint32_t)n;
    sn_iforest *f = forest_alloc((uint32_t)d, (uint32_t)p->n_trees, (uint32_t)p->psi, psi);
    builder b = {0};
    size_t *perm = malloc(n * sizeof(*perm));
    b.sub = malloc((size_t)psi * d * sizeof(*b.sub));
    b.idx = malloc((size_t)psi * sizeof(*b.idx));
    b.fperm = malloc(d * sizeof(*b.fperm));
    b.queue = malloc(2 * (size_t)psi * sizeof(*b.queue));
    if (!f || !perm || !b.sub || !b.idx || !b.fperm || !b.queue) {
        sn_iforest_free(f);
        f = NULL;
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL,
                          "out of memory fitting the forest");
        goto done;
    }
    f->seed = p->seed;
    sn_rng_seed(&b.rng, p->seed);
    b.d = d;
    b.psi = psi;
    b.limit = f->height_limit;
    for (size_t j = 0; j < d; j++)
        b.fperm[j] = (uint32_t)j;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t t = 0; t < f->n_trees; t++) {
        /* Sampling without replacement: a partial Fisher-Yates shuffle. perm stays a permutation
         * between trees, and shuffling any permutation gives a uniform sample, so it is never
         * reset (O(psi) per tree rather than O(n)). */
        for (uint32_t k = 0; k < psi; k++) {
            size_t j = k + (size_t)sn_rng_below(&b.rng, n - k);
            size_t r = perm[j];
            perm[j] = perm[k];
            perm[k] = r;
            memcpy(b.sub + (size_t)k * d, X + r * d, d * sizeof(*X));
        }
        build_tree(&b, f->nodes + t * f->stride, f->sizes + t * f->stride);
    }
    set_gains(f);
done:
    free(perm);
    free(b.sub);
    free(b.idx);
    free(b.fperm);
    free(b.queue);
    *out = f;
    return st;
}

/* ---- scoring ---------------------------------------------------------------------------- */

/* Single rows: four trees at a time, so four independent descents overlap while every index
 * and tree base stays in a register (eight spilled them to the stack). Path lengths are added in
 * tree order, as score_block does, so both give bit-identical scores. */
#define ONE_STEP(b, i) ((i) = 2 * (i) + 1 + (size_t)(x[(b)[(i)].feat] > (b)[(i)].thr))
static double score_one(const sn_iforest *f, const float *x)
{
    const uint32_t L = f->height_limit;
    const size_t stride = f->stride;
    double acc = 0.0;
    uint32_t t = 0;
    for (; t + 4 <= f->n_trees; t += 4) {
        const ifnode *b0 = f->nodes + (size_t)t * stride, *b1 = b0 + stride, *b2 = b1 + stride,
                     *b3 = b2 + stride;
        size_t i0 = 0, i1 = 0, i2 = 0, i3 = 0;
        for (uint32_t s = 0; s < L; s++) {
            ONE_STEP(b0, i0);
            ONE_STEP(b1, i1);
            ONE_STEP(b2, i2);
            ONE_STEP(b3, i3);
        }
        acc += b0[i0].thr;
        acc += b1[i1].thr;
        acc += b2[i2].thr;
        acc += b3[i3].thr;
    }
    for (; t < f->n_trees; t++) {
        const ifnode *b = f->nodes + t * stride;
        size_t i = 0;
        for (uint32_t s = 0; s < L; s++)
            ONE_STEP(b, i);
        acc += b[i].thr;
    }
    return exp2(-(acc / f->n_trees) / f->c_psi);
}
#undef ONE_STEP

/* Scores SCORE_BLOCK rows (fewer are padded) held feature-major in xt (xt[j * SCORE_BLOCK + r]):
 * tree by tree, sixteen rows at a time, each taking L branch-free steps. With the block
 * transposed, a row's feature sits at a fixed offset from feat * SCORE_BLOCK, which keeps each
 * step to a handful of instructions; sixteen independent descents hide the latency of the
 * dependent loads (with eight, batch scoring measured about 12% slower). */
#define LANES(X)                                                                                   \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
/* The lane number is pasted into names, so it cannot be parenthesised. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define LANE_DECL(k) size_t i##k = 0;
#define LANE_STEP(k)                                                                               \
    i##k = 2 * i##k + 1 + (size_t)(x[(size_t)b[i##k].feat * SCORE_BLOCK + k] > b[i##k].thr);
#define LANE_ACC(k) acc[g + k] += b[i##k].thr;
/* NOLINTEND(bugprone-macro-parentheses) */

static void score_block(const sn_iforest *f, const float *xt, double *acc)
{
    const uint32_t L = f->height_limit;
    for (size_t r = 0; r < SCORE_BLOCK; r++)
        acc[r] = 0.0;
    for (uint32_t t = 0; t < f->n_trees; t++) {
        const ifnode *b = f->nodes + t * f->stride;
        for (size_t g = 0; g < SCORE_BLOCK; g += 16) {
            const float *x = xt + g;
            LANES(LANE_DECL)
            for (uint32_t s = 0; s < L; s++) {
                LANES(LANE_STEP)
            }
            LANES(LANE_ACC)
        }
    }
}

#undef LANES
#undef LANE_DECL
#undef LANE_STEP
#undef LANE_ACC

double sn_iforest_score(const sn_iforest *f, const float *x)
{
    return score_one(f, x);
}

void sn_iforest_score_many(const sn_iforest *f, const float *X, size_t n, double *out)
{
    const size_t d = f->dims;
    float stack_xt[64 * SCORE_BLOCK];
    float *xt = d <= 64 ? stack_xt : malloc(d * SCORE_BLOCK * sizeof(*xt));
    if (!xt) {
        /* Still correct without the block buffer, only slower. */
        for (size_t i = 0; i < n; i++)
            out[i] = score_one(f, X + i * d);
        return;
    }
    double acc[SCORE_BLOCK];
    for (size_t i = 0; i < n; i += SCORE_BLOCK) {
        size_t rows = n - i < SCORE_BLOCK ? n - i : SCORE_BLOCK;
        const float *Xb = X + i * d;
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < d; j++)
                xt[j * SCORE_BLOCK + r] = Xb[r * d + j];
        for (size_t r = rows; r < SCORE_BLOCK; r++)
            for (size_t j = 0; j < d; j++)
                xt[j * SCORE_BLOCK + r] = 0.0f;
        score_block(f, xt, acc);
        for (size_t r = 0; r < rows; r++)
            out[i + r] = exp2(-(acc[r] / f->n_trees) / f->c_psi);
    }
    if (xt != stack_xt)
        free(xt);
}

void sn_iforest_explain(const sn_iforest *f, const float *x, double *contrib)
{
    const uint32_t L = f->height_limit;
    double total = 0.0;
    for (uint32_t j = 0; j < f->dims; j++)
        contrib[j] = 0.0;
    for (uint32_t t = 0; t < f->n_trees; t++) {
        const ifnode *b = f->nodes + t * f->stride;
        const double *gain = f->gain + t * f->stride;
        size_t i = 0;
        for (uint32_t k = 0; k < L && isfinite(b[i].thr); k++) {
            size_t c = 2 * i + 1 + (size_t)(x[b[i].feat] > b[i].thr);
            double w = gain[c];
            contrib[b[i].feat] += w;
            total += w;
            i = c;
        }
    }
    for (uint32_t j = 0; j < f->dims; j++)
        contrib[j] = total > 0.0 ? contrib[j] / total : 1.0 / f->dims;
}

/* ---- serialisation ---------------------------------------------------------------------- */

/* Layout, all little-endian:
 *   "SNIF"  u32 version (1)  u32 dims  u32 n_trees  u32 psi_param  u32 psi  u32 height_limit L
 *   u64 seed
 *   per tree, in heap order (see ifnode):
 *     2^L - 1 inner records of 8 bytes: u32 feat, f32 thr for a split; 0xffffffff, 0 for none
 *     2^(L+1) - 1 u32: training rows that reached each position (0 where none did)
 *   u32 CRC-32 (IEEE 802.3, as zlib) of every byte before it.
 * Leaf path lengths are not stored: they follow from the depth and size of each leaf, so they
 * cannot disagree with the tree. */
#define IF_MAGIC "SNIF"
#define IF_VERSION 1u
#define IF_HEADER 36u
#define IF_RECORD 8u
#define IF_SIZE 4u
#define IF_NO_SPLIT 0xffffffffu

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    /* Built per call (2,048 steps) rather than cached, so concurrent readers share no state. */
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_f32(uint8_t *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_u32(p, u);
}

static float get_f32(const uint8_t *p)
{
    uint32_t u = get_u32(p);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

/* Bytes of one serialised tree of height L. */
static size_t tree_bytes(uint32_t L)
{
    size_t inner = ((size_t)1 << L) - 1;
    return inner * IF_RECORD + (2 * inner + 1) * IF_SIZE;
}

sn_status sn_iforest_write(const sn_iforest *f, sn_buf *out)
{
    const size_t inner = ((size_t)1 << f->height_limit) - 1;
    size_t total = IF_HEADER + (size_t)f->n_trees * tree_bytes(f->height_limit) + 4u;
    if (sn_buf_reserve(out, total) != 0)
        return SN_ERR_NOMEM;
    uint8_t *base = (uint8_t *)out->data + out->len, *p = base;
    memcpy(p, IF_MAGIC, 4);
    put_u32(p + 4, IF_VERSION);
    put_u32(p + 8, f->dims);
    put_u32(p + 12, f->n_trees);
    put_u32(p + 16, f->psi_param);
    put_u32(p + 20, f->psi);
    put_u32(p + 24, f->height_limit);
    put_u32(p + 28, (uint32_t)f->seed);
    put_u32(p + 32, (uint32_t)(f->seed >> 32));
    p += IF_HEADER;
    for (uint32_t t = 0; t < f->n_trees; t++) {
        const ifnode *tree = f->nodes + t * f->stride;
        const uint32_t *size = f->sizes + t * f->stride;
        for (size_t i = 0; i < inner; i++, p += IF_RECORD) {
            int split = isfinite(tree[i].thr);
            put_u32(p, split ? tree[i].feat : IF_NO_SPLIT);
            put_f32(p + 4, split ? tree[i].thr : 0.0f);
        }
        for (size_t i = 0; i < 2 * inner + 1; i++, p += IF_SIZE)
            put_u32(p, size[i]);
    }
    put_u32(p, crc32_ieee(base, (size_t)(p - base)));
    out->len += total;
    out->data[out->len] = '\0';
    return SN_OK;
}

static sn_status bad(sn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static sn_status bad(sn_error *err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sn_error_set(err, SN_ERR_MODEL, true, NULL, 0, "iforest", "%s", msg);
}

/* Checks tree t, serialised at data, and builds its in-memory form in tree and size. The root
 * holds psi rows; a split has a feature < dims, a finite threshold and rows on both sides that
 * add up to its own; a position without a split passes no rows down. Every position holding
 * rows without a split below it is a leaf, whose path length depth + c(size) goes to the slot
 * where its rows land. */
static sn_status check_tree(const sn_iforest *f, uint32_t t, const uint8_t *data, ifnode *tree,
                            uint32_t *size, sn_error *err)
{
    const uint32_t L = f->height_limit;
    const size_t inner = ((size_t)1 << L) - 1, positions = 2 * inner + 1;
    const uint8_t *sizes = data + inner * IF_RECORD;
    for (size_t i = 0; i < positions; i++) {
        size[i] = get_u32(sizes + i * IF_SIZE);
        tree[i] = (ifnode){0, i < inner ? INFINITY : 0.0f};
    }
    size[positions] = 0;
    tree[positions] = (ifnode){0, 0.0f};
    if (size[0] != f->psi)
        return bad(err, "tree %u: the root holds %u rows, not psi = %u", t, size[0], f->psi);
    for (size_t i = 0, depth = 0; i < positions; i++) {
        if (i + 1 == (size_t)2 << depth)
            depth++; /* i = 2^depth - 1 starts a level */
        if (i >= inner) {
            if (size[i] > 0)
                tree[i].thr = (float)((double)L + sn_iforest_c((double)size[i]));
            continue;
        }
        uint32_t feat = get_u32(data + i * IF_RECORD);
        float thr = get_f32(data + i * IF_RECORD + 4);
        uint32_t left = size[2 * i + 1], right = size[2 * i + 2];
        if (feat == IF_NO_SPLIT) {
            if (get_u32(data + i * IF_RECORD + 4) != 0)
                return bad(err, "tree %u: position %zu has no split but a threshold", t, i);
            if (left != 0 || right != 0)
                return bad(err, "tree %u: rows below position %zu, which does not split", t, i);
            if (size[i] > 0)
                tree[leaf_slot(i, (uint32_t)depth, L)].thr =
                    (float)((double)depth + sn_iforest_c((double)size[i]));
            continue;
        }
        if (feat >= f->dims)
            return bad(err, "tree %u: position %zu splits on feature %u of %u", t, i, feat,
                       f->dims);
        if (!isfinite(thr))
            return bad(err, "tree %u: position %zu has a non-finite threshold", t, i);
        if (left == 0 || right == 0 || (uint64_t)left + right != size[i])
            return bad(err, "tree %u: position %zu splits %u rows into %u and %u", t, i, size[i],
                       left, right);
        tree[i] = (ifnode){feat, thr};
    }
    return SN_OK;
}

sn_status sn_iforest_read(sn_iforest **out, const uint8_t *data, size_t n, size_t *used,
                          sn_error *err)
{
    *out = NULL;
    if (n < IF_HEADER + 4)
        return bad(err, "forest data truncated: %zu bytes, the header alone needs %u", n,
                   IF_HEADER + 4);
    if (memcmp(data, IF_MAGIC, 4) != 0)
        return bad(err, "not an Isolation Forest (bad magic number)");
    uint32_t version = get_u32(data + 4), dims = get_u32(data + 8), n_trees = get_u32(data + 12);
    uint32_t psi_param = get_u32(data + 16), psi = get_u32(data + 20);
    uint32_t limit = get_u32(data + 24);
    if (version != IF_VERSION)
        return bad(err, "unsupported forest format version %u (this build reads %u)", version,
                   IF_VERSION);
    if (dims < 1 || dims > SN_IFOREST_MAX_DIMS)
        return bad(err, "dimension count %u out of range (1..%u)", dims, SN_IFOREST_MAX_DIMS);
    if (n_trees < 1 || n_trees > SN_IFOREST_MAX_TREES)
        return bad(err, "tree count %u out of range (1..%u)", n_trees, SN_IFOREST_MAX_TREES);
    if (psi_param < 2 || psi_param > SN_IFOREST_MAX_PSI || psi < 2 || psi > psi_param)
        return bad(err, "subsample size %u inconsistent with psi %u", psi, psi_param);
    if (limit != ceil_log2(psi))
        return bad(err, "height limit %u does not match psi %u", limit, psi);
    /* Bounded by the limits above: at most 1e5 trees of under 2^20 bytes, inside size_t. */
    size_t per_tree = tree_bytes(limit), body = (size_t)n_trees * per_tree;
    if (n - IF_HEADER - 4 < body)
        return bad(err, "forest data truncated: %zu bytes where %zu are needed", n,
                   IF_HEADER + body + 4);
    size_t end = IF_HEADER + body;
    uint32_t want = get_u32(data + end), got = crc32_ieee(data, end);
    if (want != got)
        return bad(err, "checksum mismatch (stored %08x, computed %08x)", want, got);

    sn_iforest *f = forest_alloc(dims, n_trees, psi_param, psi);
    if (!f)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL,
                            "out of memory reading the forest");
    f->seed = (uint64_t)get_u32(data + 28) | (uint64_t)get_u32(data + 32) << 32;
    sn_status st = SN_OK;
    for (uint32_t t = 0; t < n_trees && st == SN_OK; t++)
        st = check_tree(f, t, data + IF_HEADER + t * per_tree, f->nodes + t * f->stride,
                        f->sizes + t * f->stride, err);
    if (st != SN_OK) {
        sn_iforest_free(f);
        return st;
    }
    set_gains(f);
    if (used)
        *used = end + 4;
    *out = f;
    return SN_OK;
}
