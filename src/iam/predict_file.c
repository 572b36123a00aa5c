/* The predictor file: everything `predict ask` and the server need, checked before use.
 *
 * Layout: "SNTLPRED", format version (u32), payload length (u64), payload, SHA-256 of all the
 * bytes before it. The payload holds the columns with their values, the parameters, what the
 * training data was, the per-group statistics, the peer table and the trees. */
#include "predict_internal.h"

#include "../core/file.h"
#include "../core/serial.h"

#include <errno.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PRED_MAGIC "SNTLPRED"
#define PRED_VERSION 1u
#define PRED_MAX_BYTES ((size_t)4 << 30)

static void put_params(sn_buf *b, const sn_predict_params *p)
{
    const sn_trees_params *t = &p->trees;
    sn_put_u32(b, (uint32_t)t->kind);
    sn_put_u32(b, (uint32_t)t->trees);
    sn_put_f64(b, t->learning_rate);
    sn_put_u32(b, (uint32_t)t->max_depth);
    sn_put_u32(b, (uint32_t)t->max_leaves);
    sn_put_f64(b, t->min_child_weight);
    sn_put_f64(b, t->lambda);
    sn_put_f64(b, t->row_sample);
    sn_put_f64(b, t->col_sample);
    sn_put_u32(b, (uint32_t)t->bins);
    sn_put_u64(b, t->seed);
    sn_put_u32(b, (uint32_t)p->interactions);
    sn_put_f64(b, p->smoothing);
    sn_put_u32(b, (uint32_t)p->encode_folds);
    sn_put_u32(b, (uint32_t)p->bags);
}

static void get_params(sn_rd *r, sn_predict_params *p)
{
    sn_trees_params *t = &p->trees;
    t->kind = (sn_trees_kind)sn_get_u32(r);
    t->trees = (int)sn_get_u32(r);
    t->learning_rate = sn_get_f64(r);
    t->max_depth = (int)sn_get_u32(r);
    t->max_leaves = (int)sn_get_u32(r);
    t->min_child_weight = sn_get_f64(r);
    t->lambda = sn_get_f64(r);
    t->row_sample = sn_get_f64(r);
    t->col_sample = sn_get_f64(r);
    t->bins = (int)sn_get_u32(r);
    t->seed = sn_get_u64(r);
    uint32_t interactions = sn_get_u32(r);
    p->interactions = (int)interactions;
    if (interactions < 1 || interactions > 3)
        r->bad = true;
    p->smoothing = sn_get_f64(r);
    p->encode_folds = (int)sn_get_u32(r);
    p->bags = (int)sn_get_u32(r);
}

sn_status sn_predictor_save(const sn_predictor *pr, const char *path, sn_error *err)
{
    if (pr->nbags < 1)
        return sn_error_set(err, SN_ERR_USAGE, true, path, 0, NULL, "the predictor is not fitted");
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_append(&b, PRED_MAGIC, 8);
    sn_put_u32(&b, PRED_VERSION);
    size_t len_at = b.len;
    sn_put_u64(&b, 0);
    size_t start = b.len;
    sn_put_u32(&b, (uint32_t)pr->ncols);
    for (int c = 0; c < pr->ncols; c++) {
        sn_put_bytes(&b, pr->names[c], strlen(pr->names[c]));
        sn_put_u32(&b, (uint32_t)pr->roles[c]);
        int32_t k = sn_strmap_count(pr->dict[c]);
        sn_put_u32(&b, (uint32_t)k);
        for (int32_t i = 0; i < k; i++)
            sn_put_bytes(&b, sn_strmap_str(pr->dict[c], i), sn_strmap_len(pr->dict[c], i));
    }
    put_params(&b, &pr->params);
    sn_buf_append(&b, pr->data_hash, 32);
    sn_put_u64(&b, pr->rows);
    sn_put_u64(&b, pr->positives);
    sn_put_u64(&b, (uint64_t)pr->trained_at);
    sn_put_f64(&b, pr->cv_auc);
    sn_put_u32(&b, (uint32_t)pr->cv_folds);
    sn_put_f64(&b, pr->prior);
    sn_put_u32(&b, (uint32_t)pr->ngroups);
    for (int g = 0; g < pr->ngroups; g++) {
        const sn_pgroup *G = &pr->groups[g];
        sn_put_u32(&b, G->n);
        if (G->b >= 0) {
            /* the combinations in id order */
            uint64_t *keys = malloc((G->n ? G->n : 1) * sizeof(uint64_t));
            if (!keys) {
                sn_buf_free(&b);
                return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
            }
            for (size_t i = 0; i < G->index.cap; i++)
                if (G->index.keys[i])
                    keys[G->index.vals[i] - 1] = G->index.keys[i];
            for (uint32_t i = 0; i < G->n; i++)
                sn_put_u64(&b, keys[i]);
            free(keys);
        }
        for (uint32_t i = 0; i < G->n; i++) {
            sn_put_u32(&b, G->cnt[i]);
            sn_put_u32(&b, G->pos[i]);
        }
    }
    sn_put_u64(&b, pr->peers.len);
    for (size_t i = 0; i < pr->peers.cap; i++)
        if (pr->peers.keys[i]) {
            sn_put_u64(&b, pr->peers.keys[i]);
            sn_put_u32(&b, pr->peers.vals[i]);
        }
    bool failed = false;
    for (int k = 0; k < pr->nbags; k++) {
        sn_buf trees;
        sn_buf_init(&trees);
        sn_trees_write(pr->bag[k], &trees);
        sn_put_bytes(&b, trees.data, trees.len);
        failed |= trees.failed != 0;
        sn_buf_free(&trees);
    }
    if (failed || b.failed) {
        sn_buf_free(&b);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    uint64_t payload = b.len - start;
    for (int i = 0; i < 8; i++)
        b.data[len_at + i] = (char)(payload >> (8 * i));
    unsigned char digest[32];
    unsigned int dl = 0;
    EVP_Digest(b.data, b.len, digest, &dl, EVP_sha256(), NULL);
    sn_buf_append(&b, digest, 32);
    sn_status st = sn_file_replace(path, b.data, b.len, 0644, "predictor", err);
    sn_buf_free(&b);
    return st;
}

static sn_status refuse(sn_error *err, const char *name, const char *why)
{
    return sn_error_set(err, SN_ERR_MODEL, true, name, 0, NULL, "not a usable predictor file: %s",
                        why);
}

/* The payload after the header has been checked. */
static sn_status read_payload(sn_predictor *pr, sn_rd *r, const char *name, sn_error *err)
{
    uint32_t ncols = sn_get_u32(r);
    if (r->bad || ncols < 1 || ncols > SN_PREDICT_MAX_COLUMNS)
        return refuse(err, name, "bad column count");
    pr->ncols = (int)ncols;
    for (int c = 0; c < pr->ncols; c++) {
        size_t len;
        const uint8_t *s = sn_get_bytes(r, &len);
        uint32_t role = sn_get_u32(r);
        uint32_t k = sn_get_u32(r);
        if (!s || r->bad || len == 0 || len >= SN_PREDICT_NAME_MAX || memchr(s, 0, len) ||
            role > SN_PCOL_ACTION || k > (r->n - r->off) / 8)
            return refuse(err, name, "bad column");
        for (int d = 0; d < c; d++)
            if (role != SN_PCOL_OTHER && pr->roles[d] == (sn_pcol_role)role)
                return refuse(err, name, "two columns with one role");
        memcpy(pr->names[c], s, len);
        pr->names[c][len] = '\0';
        pr->roles[c] = (sn_pcol_role)role;
        pr->dict[c] = sn_strmap_new();
        if (!pr->dict[c])
            return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
        for (uint32_t i = 0; i < k; i++) {
            const uint8_t *v = sn_get_bytes(r, &len);
            if (!v || len > SN_PREDICT_MAX_VALUE)
                return refuse(err, name, "bad column value");
            int32_t id = sn_strmap_intern(pr->dict[c], (const char *)v, len);
            if (id < 0)
                return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
            if ((uint32_t)id != i)
                return refuse(err, name, "a column value is listed twice");
        }
    }
    get_params(r, &pr->params);
    sn_error perr;
    if (r->bad || sn_trees_params_check(&pr->params.trees, &perr) != SN_OK ||
        !(pr->params.smoothing >= 0 && pr->params.smoothing <= 1e6) ||
        pr->params.encode_folds < 2 || pr->params.encode_folds > 100 || pr->params.bags < 1 ||
        pr->params.bags > SN_PREDICT_MAX_BAGS)
        return refuse(err, name, "bad parameters");
    if (!sn_rd_need(r, 32))
        return refuse(err, name, "truncated");
    memcpy(pr->data_hash, r->p + r->off, 32);
    r->off += 32;
    pr->rows = sn_get_u64(r);
    pr->positives = sn_get_u64(r);
    pr->trained_at = (int64_t)sn_get_u64(r);
    pr->cv_auc = sn_get_f64(r);
    pr->cv_folds = (int)sn_get_u32(r);
    pr->prior = sn_get_f64(r);
    if (r->bad || pr->positives > pr->rows || !(pr->prior > 0 && pr->prior < 1) ||
        !(isnan(pr->cv_auc) || (pr->cv_auc >= 0 && pr->cv_auc <= 1)) || pr->cv_folds < 0 ||
        pr->cv_folds > 1000)
        return refuse(err, name, "bad training summary");
    sn_predictor_plan_groups(pr, pr->params.interactions);
    uint32_t ng = sn_get_u32(r);
    if (r->bad || ng != (uint32_t)pr->ngroups)
        return refuse(err, name, "group count does not match the columns");
    for (int g = 0; g < pr->ngroups; g++) {
        sn_pgroup *G = &pr->groups[g];
        G->n = sn_get_u32(r);
        size_t each = G->b >= 0 ? 16 : 8;
        if (r->bad || G->n > (r->n - r->off) / each)
            return refuse(err, name, "bad group");
        if (G->b < 0 && G->n != (uint32_t)sn_strmap_count(pr->dict[G->a]))
            return refuse(err, name, "group does not match its column");
        if (G->b >= 0) {
            uint32_t na = (uint32_t)sn_strmap_count(pr->dict[G->a]);
            uint32_t nb = (uint32_t)sn_strmap_count(pr->dict[G->b]);
            for (uint32_t i = 0; i < G->n; i++) {
                uint64_t key = sn_get_u64(r);
                uint32_t a = (uint32_t)(key >> 32), b = (uint32_t)key;
                /* a pair's key is its two codes; a triple's a hash, never 0 */
                if (key == 0 || (G->c < 0 && (a == 0 || b == 0 || a > na || b > nb)))
                    return refuse(err, name, "bad combination of values");
                uint32_t *slot = sn_u64map_slot(&G->index, key);
                if (!slot)
                    return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
                if (*slot)
                    return refuse(err, name, "a pair of values is listed twice");
                *slot = i + 1;
            }
        }
        G->cnt = malloc((G->n ? G->n : 1) * sizeof(uint32_t));
        G->pos = malloc((G->n ? G->n : 1) * sizeof(uint32_t));
        if (!G->cnt || !G->pos)
            return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
        for (uint32_t i = 0; i < G->n; i++) {
            G->cnt[i] = sn_get_u32(r);
            G->pos[i] = sn_get_u32(r);
            if (G->pos[i] > G->cnt[i])
                return refuse(err, name, "more approvals than requests");
        }
    }
    uint64_t np = sn_get_u64(r);
    if (r->bad || np > (r->n - r->off) / 12)
        return refuse(err, name, "bad peer table");
    for (uint64_t i = 0; i < np; i++) {
        uint64_t key = sn_get_u64(r);
        uint32_t v = sn_get_u32(r);
        if (key == 0)
            return refuse(err, name, "bad peer table");
        uint32_t *slot = sn_u64map_slot(&pr->peers, key);
        if (!slot)
            return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
        *slot = v;
    }
    for (int k = 0; k < pr->params.bags; k++) {
        size_t tlen;
        const uint8_t *tdata = sn_get_bytes(r, &tlen);
        if (!tdata)
            return refuse(err, name, "truncated");
        size_t used = 0;
        if (sn_trees_read(&pr->bag[k], tdata, tlen, &used, err) != SN_OK) {
            char why[600];
            snprintf(why, sizeof(why), "%s", err->msg);
            return refuse(err, name, why);
        }
        pr->nbags = k + 1;
        if (used != tlen || sn_trees_dims(pr->bag[k]) != 2 * (size_t)pr->ngroups)
            return refuse(err, name, "the trees do not match the features");
    }
    if (r->off != r->n)
        return refuse(err, name, "unexpected bytes after the trees");
    return SN_OK;
}

sn_status sn_predictor_from_bytes(sn_predictor **out, const uint8_t *data, size_t n,
                                  const char *name, sn_error *err)
{
    *out = NULL;
    if (n < 8 + 4 + 8 + 32)
        return refuse(err, name, "too short");
    if (memcmp(data, PRED_MAGIC, 8) != 0)
        return refuse(err, name, "wrong magic number (not written by sentinel predict train)");
    sn_rd r = {.p = data, .n = n - 32, .off = 8};
    uint32_t version = sn_get_u32(&r);
    if (version != PRED_VERSION)
        return sn_error_set(err, SN_ERR_MODEL, true, name, 0, NULL,
                            "predictor format version %u is not supported (this build reads %u)",
                            version, PRED_VERSION);
    uint64_t payload = sn_get_u64(&r);
    if (payload != n - 32 - r.off)
        return refuse(err, name, "length does not match (truncated or appended to)");
    unsigned char digest[32];
    unsigned int dl = 0;
    EVP_Digest(data, n - 32, digest, &dl, EVP_sha256(), NULL);
    if (CRYPTO_memcmp(digest, data + n - 32, 32) != 0)
        return refuse(err, name, "checksum mismatch (the file is corrupt or was modified)");
    return sn_predictor_from_payload(out, data + r.off, n - 32 - r.off, name, err);
}

sn_status sn_predictor_from_payload(sn_predictor **out, const uint8_t *data, size_t n,
                                    const char *name, sn_error *err)
{
    *out = NULL;
    sn_predictor *pr = sn_predictor_alloc();
    if (!pr)
        return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
    sn_rd r = {.p = data, .n = n, .off = 0};
    sn_status st = read_payload(pr, &r, name, err);
    if (st != SN_OK) {
        sn_predictor_free(pr);
        return st;
    }
    *out = pr;
    return SN_OK;
}

sn_status sn_predictor_load(sn_predictor **out, const char *path, sn_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "cannot open: %s",
                            strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return refuse(err, path, "not a regular file");
    }
    if ((uint64_t)st.st_size > PRED_MAX_BYTES) {
        fclose(f);
        return refuse(err, path, "too large");
    }
    size_t n = (size_t)st.st_size;
    uint8_t *data = malloc(n ? n : 1);
    if (!data) {
        fclose(f);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    size_t got = fread(data, 1, n, f);
    fclose(f);
    sn_status rc;
    if (got != n)
        rc = sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "read error");
    else
        rc = sn_predictor_from_bytes(out, data, n, path, err);
    free(data);
    return rc;
}
