/* The model file: everything `detect` needs to continue from `train`, checked before use.
 *
 * Layout: "SNTLMODL", format version (u32), payload length (u64), payload, SHA-256 of all the
 * bytes before it. The payload holds the feature names, the training-data hash, the detection
 * configuration, the calibration, the training risk distribution (for the drift monitor), the
 * Isolation Forest and the baselines.
 *
 * Version 3 added the poisoning defence's share and count and the training risk distribution;
 * version 5 the autonomous system as a baseline attribute; version 6 the organisation's AWS
 * accounts, configured and learned; version 7 the client of the user agent. Files of other versions
 * are refused with a request to train again. */
#include "engine_internal.h"

#include "../core/aead.h"
#include "../core/file.h"
#include "../core/serial.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL_MAGIC "SNTLMODL"
#define MODEL_VERSION 7u
#define MODEL_MAX_BYTES ((size_t)8 << 30)

static void put_config(sn_buf *b, const sn_engine_config *c)
{
    sn_put_f64(b, c->alert_threshold);
    sn_put_f64(b, c->prior_bits);
    sn_put_f64(b, c->contamination);
    sn_put_f64(b, c->iforest_weight);
    sn_put_f64(b, c->iforest_floor_bits);
    sn_put_u32(b, (uint32_t)c->trees);
    sn_put_u32(b, (uint32_t)c->psi);
    sn_put_u64(b, c->seed);
    sn_put_u64(b, c->sample_size);
    sn_put_u32(b, c->forest_every_event ? 1u : 0u);
    sn_put_bytes(b, c->suspicious_countries, strlen(c->suspicious_countries));
    sn_put_bytes(b, c->aws_accounts, strlen(c->aws_accounts));
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        sn_put_f64(b, c->profile.concentration[a]);
        sn_put_f64(b, c->profile.discount[a]);
    }
    sn_put_f64(b, c->profile.typical_prior_weight);
    sn_put_f64(b, c->profile.burst_seconds);
    sn_put_f64(b, c->travel_km);
    sn_put_f64(b, c->travel_kmh);
    sn_put_f64(b, c->user_failures);
    sn_put_f64(b, c->spray_accounts);
    sn_put_f64(b, c->new_resources);
    sn_put_f64(b, c->guess_failures);
    sn_put_f64(b, c->train_filter);
}

static bool finite_in(double x, double lo, double hi)
{
    return x >= lo && x <= hi; /* false for NaN */
}

static bool get_config(sn_rd *r, sn_engine_config *c)
{
    sn_engine_config_default(c);
    c->alert_threshold = sn_get_f64(r);
    c->prior_bits = sn_get_f64(r);
    c->contamination = sn_get_f64(r);
    c->iforest_weight = sn_get_f64(r);
    c->iforest_floor_bits = sn_get_f64(r);
    c->trees = (int)sn_get_u32(r);
    c->psi = (int)sn_get_u32(r);
    c->seed = sn_get_u64(r);
    c->sample_size = (size_t)sn_get_u64(r);
    uint32_t every = sn_get_u32(r);
    if (every > 1)
        return false;
    c->forest_every_event = every == 1;
    size_t n;
    const uint8_t *s = sn_get_bytes(r, &n);
    if (!s || n >= sizeof(c->suspicious_countries))
        return false;
    memcpy(c->suspicious_countries, s, n);
    c->suspicious_countries[n] = '\0';
    if (!(s = sn_get_bytes(r, &n)) || n >= sizeof(c->aws_accounts) || memchr(s, '\0', n))
        return false;
    memcpy(c->aws_accounts, s, n);
    c->aws_accounts[n] = '\0';
    for (int a = 0; a < SN_ATTR_COUNT; a++) {
        c->profile.concentration[a] = sn_get_f64(r);
        c->profile.discount[a] = sn_get_f64(r);
        if (!finite_in(c->profile.concentration[a], 1e-6, 1e6) ||
            !finite_in(c->profile.discount[a], 0, 0.99))
            return false;
    }
    c->profile.typical_prior_weight = sn_get_f64(r);
    c->profile.burst_seconds = sn_get_f64(r);
    c->travel_km = sn_get_f64(r);
    c->travel_kmh = sn_get_f64(r);
    c->user_failures = sn_get_f64(r);
    c->spray_accounts = sn_get_f64(r);
    c->new_resources = sn_get_f64(r);
    c->guess_failures = sn_get_f64(r);
    if (!finite_in(c->profile.burst_seconds, 1, 86400) || !finite_in(c->travel_km, 0, 20100) ||
        !finite_in(c->travel_kmh, 1, 1e6) || !finite_in(c->user_failures, 1, 1e6) ||
        !finite_in(c->spray_accounts, 2, 1e6) || !finite_in(c->new_resources, 1, 1e6) ||
        !finite_in(c->guess_failures, 1, 1e6))
        return false;
    c->train_filter = sn_get_f64(r);
    return !r->bad && finite_in(c->train_filter, 0, 0.5) && finite_in(c->alert_threshold, 0, 100) &&
           finite_in(c->prior_bits, 0, 64) && finite_in(c->contamination, 0, 0.5) &&
           finite_in(c->iforest_weight, 0, 100) && finite_in(c->iforest_floor_bits, 0, 64) &&
           finite_in(c->profile.typical_prior_weight, 0, 1e6) && c->trees > 0 && c->psi > 1 &&
           c->sample_size >= 256 && c->sample_size <= ((size_t)1 << 28);
}

sn_status sn_engine_serialize(const sn_engine *e, sn_buf *out, sn_error *err)
{
    if (!e->forest)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL, "the engine is not trained");
    sn_buf b = *out;
    size_t base = b.len;
    sn_buf_append(&b, MODEL_MAGIC, 8);
    sn_put_u32(&b, MODEL_VERSION);
    size_t len_at = b.len;
    sn_put_u64(&b, 0);
    size_t start = b.len;
    sn_put_u32(&b, SN_FEATURE_COUNT);
    for (int i = 0; i < SN_FEATURE_COUNT; i++)
        sn_put_bytes(&b, sn_feature_name(i), strlen(sn_feature_name(i)));
    sn_buf_append(&b, e->stats.data_hash, 32);
    sn_put_u64(&b, (uint64_t)e->stats.trained_at);
    sn_put_u64(&b, e->stats.learned);
    put_config(&b, &e->cfg);
    sn_put_f64(&b, e->threshold_bits);
    sn_put_u64(&b, e->calib.n);
    for (int i = 0; i < SN_CALIB_POINTS; i++)
        sn_put_f64(&b, e->calib.quantile[i]);
    sn_put_u64(&b, e->stats.train_filtered);
    sn_put_u32(&b, (uint32_t)e->train_hist.n_bins);
    for (int i = 0; i + 1 < e->train_hist.n_bins; i++)
        sn_put_f64(&b, e->train_hist.edge[i]);
    for (int i = 0; i < e->train_hist.n_bins; i++)
        sn_put_u64(&b, e->train_hist.count[i]);
    sn_buf forest;
    sn_buf_init(&forest);
    sn_status st = sn_iforest_write(e->forest, &forest);
    sn_put_bytes(&b, forest.data, forest.len);
    sn_buf_free(&forest);
    if (st == SN_OK)
        st = sn_profiles_write(e->profiles, &b);
    if (st != SN_OK || b.failed) {
        *out = b;
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    uint64_t payload = b.len - start;
    for (int i = 0; i < 8; i++)
        b.data[len_at + i] = (char)(payload >> (8 * i));
    unsigned char digest[32];
    unsigned int dl = 0;
    EVP_Digest(b.data + base, b.len - base, digest, &dl, EVP_sha256(), NULL);
    sn_buf_append(&b, digest, 32);
    *out = b;
    return b.failed ? sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory") : SN_OK;
}

/* Encrypted layout: "SNTLMENC", format version (u32), then nonce, AES-256-GCM ciphertext of the
 * plain model file and tag; the 12 header bytes are the associated data. */
#define MODEL_ENC_MAGIC "SNTLMENC"
#define MODEL_ENC_VERSION 1u

sn_status sn_engine_save_keyed(const sn_engine *e, const char *path, const unsigned char *key,
                               sn_error *err)
{
    sn_buf plain;
    sn_buf_init(&plain);
    sn_status st = sn_engine_serialize(e, &plain, err);
    if (st != SN_OK) {
        sn_buf_free(&plain);
        if (err)
            snprintf(err->file, sizeof(err->file), "%s", path);
        return st;
    }
    sn_buf b;
    if (key) {
        unsigned char mk[32];
        sn_buf_init(&b);
        sn_buf_append(&b, MODEL_ENC_MAGIC, 8);
        sn_put_u32(&b, MODEL_ENC_VERSION);
        st = b.failed ? SN_ERR_NOMEM : sn_key_derive(key, "sentinel model file v1", mk);
        /* The header is copied out: sealing grows b, which may move its bytes. */
        unsigned char header[12];
        if (st == SN_OK) {
            memcpy(header, b.data, 12);
            st = sn_aead_seal(mk, header, 12, plain.data, plain.len, &b);
        }
        OPENSSL_cleanse(mk, sizeof(mk));
        OPENSSL_cleanse(plain.data, plain.len);
        sn_buf_free(&plain);
        if (st != SN_OK) {
            sn_buf_free(&b);
            return sn_error_set(err, st, true, path, 0, NULL, "cannot encrypt the model");
        }
    } else {
        b = plain;
    }
    st = sn_file_replace(path, b.data, b.len, 0644, "model", err);
    sn_buf_free(&b);
    return st;
}

static sn_status refuse(sn_error *err, const char *path, const char *why)
{
    return sn_error_set(err, SN_ERR_MODEL, true, path, 0, NULL, "not a usable model file: %s", why);
}

sn_status sn_engine_save(const sn_engine *e, const char *path, sn_error *err)
{
    return sn_engine_save_keyed(e, path, NULL, err);
}

sn_status sn_engine_load(sn_engine **out, const char *path, sn_error *err)
{
    return sn_engine_load_keyed(out, path, NULL, err);
}

sn_status sn_engine_load_keyed(sn_engine **out, const char *path, const unsigned char *key,
                               sn_error *err)
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
    if ((size_t)st.st_size < 8 + 4 + 8 + 32 || (uint64_t)st.st_size > MODEL_MAX_BYTES) {
        fclose(f);
        return refuse(err, path, st.st_size < 52 ? "too short" : "too large");
    }
    size_t n = (size_t)st.st_size;
    uint8_t *data = malloc(n);
    if (!data) {
        fclose(f);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    size_t got = fread(data, 1, n, f);
    fclose(f);
    sn_status rc = SN_OK;
    sn_buf plain;
    sn_buf_init(&plain);
    if (got != n) {
        rc = sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "read error");
        goto out;
    }
    bool sealed = memcmp(data, MODEL_ENC_MAGIC, 8) == 0;
    if (sealed && !key) {
        rc = sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                          "the model file is encrypted: give its key (store_key_file or "
                          "SENTINEL_STORE_KEY)");
        goto out;
    }
    if (!sealed && key) {
        /* With a key configured a plain file is refused: otherwise replacing the encrypted model
         * by an unauthenticated one would go unnoticed. */
        rc = refuse(err, path, "not encrypted, but a model key is configured");
        goto out;
    }
    if (sealed) {
        sn_rd h = {.p = data, .n = n, .off = 8};
        uint32_t ver = sn_get_u32(&h);
        if (ver != MODEL_ENC_VERSION) {
            rc = sn_error_set(err, SN_ERR_MODEL, true, path, 0, NULL,
                              "encrypted model format version %u is not supported (this build "
                              "reads %u)",
                              ver, MODEL_ENC_VERSION);
            goto out;
        }
        unsigned char mk[32];
        rc = sn_key_derive(key, "sentinel model file v1", mk);
        if (rc == SN_OK)
            rc = sn_aead_open(mk, data, 12, data + 12, n - 12, &plain);
        OPENSSL_cleanse(mk, sizeof(mk));
        if (rc != SN_OK) {
            rc = sn_error_set(err, rc == SN_ERR_NOMEM ? SN_ERR_NOMEM : SN_ERR_CRYPTO, true, path, 0,
                              NULL,
                              "cannot decrypt the model: wrong key, or the file was modified or "
                              "is corrupt");
            goto out;
        }
        OPENSSL_cleanse(data, n);
        free(data);
        data = NULL;
        rc = sn_engine_deserialize(out, (const uint8_t *)plain.data, plain.len, path, err);
        goto out;
    }
    rc = sn_engine_deserialize(out, data, n, path, err);
out:
    free(data);
    if (plain.data)
        OPENSSL_cleanse(plain.data, plain.len);
    sn_buf_free(&plain);
    return rc;
}

sn_status sn_engine_deserialize(sn_engine **out, const uint8_t *data, size_t n, const char *path,
                                sn_error *err)
{
    *out = NULL;
    sn_status rc = SN_OK;
    if (n < 8 + 4 + 8 + 32)
        return refuse(err, path, "too short");
    if (memcmp(data, MODEL_MAGIC, 8) != 0) {
        rc = refuse(err, path, "wrong magic number (not written by sentinel train)");
        goto out;
    }
    sn_rd r = {.p = data, .n = n - 32, .off = 8};
    uint32_t version = sn_get_u32(&r);
    if (version != MODEL_VERSION) {
        rc = sn_error_set(err, SN_ERR_MODEL, true, path, 0, NULL,
                          "model format version %u is not supported (this build reads %u): train "
                          "the model again with `sentinel train`",
                          version, MODEL_VERSION);
        goto out;
    }
    uint64_t payload = sn_get_u64(&r);
    if (payload != n - 32 - r.off) {
        rc = refuse(err, path, "length does not match (truncated or appended to)");
        goto out;
    }
    unsigned char digest[32];
    unsigned int dl = 0;
    EVP_Digest(data, n - 32, digest, &dl, EVP_sha256(), NULL);
    if (CRYPTO_memcmp(digest, data + n - 32, 32) != 0) {
        rc = refuse(err, path, "checksum mismatch (the file is corrupt or was modified)");
        goto out;
    }
    uint32_t nf = sn_get_u32(&r);
    if (nf != SN_FEATURE_COUNT) {
        rc = refuse(err, path, "trained with a different feature set");
        goto out;
    }
    for (int i = 0; i < SN_FEATURE_COUNT; i++) {
        size_t len;
        const uint8_t *name = sn_get_bytes(&r, &len);
        if (!name || len != strlen(sn_feature_name(i)) ||
            memcmp(name, sn_feature_name(i), len) != 0) {
            rc = refuse(err, path, "trained with a different feature set");
            goto out;
        }
    }
    sn_engine_stats stats = {0};
    if (sn_rd_need(&r, 32)) {
        memcpy(stats.data_hash, r.p + r.off, 32);
        r.off += 32;
    }
    stats.trained_at = (int64_t)sn_get_u64(&r);
    stats.learned = sn_get_u64(&r);
    sn_engine_config cfg;
    if (!get_config(&r, &cfg)) {
        rc = refuse(err, path, "bad detection configuration");
        goto out;
    }
    sn_engine *e = sn_engine_new(&cfg);
    if (!e) {
        rc = sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
        goto out;
    }
    e->threshold_bits = sn_get_f64(&r);
    e->calib.n = (size_t)sn_get_u64(&r);
    for (int i = 0; i < SN_CALIB_POINTS; i++)
        e->calib.quantile[i] = sn_get_f64(&r);
    stats.train_filtered = sn_get_u64(&r);
    uint32_t bins = sn_get_u32(&r);
    bool hist_ok = bins <= SN_HIST_BINS;
    e->train_hist.n_bins = hist_ok ? (int)bins : 0;
    for (int i = 0; hist_ok && i + 1 < (int)bins; i++) {
        e->train_hist.edge[i] = sn_get_f64(&r);
        hist_ok = finite_in(e->train_hist.edge[i], -1e30, 1e30) &&
                  (i == 0 || e->train_hist.edge[i] > e->train_hist.edge[i - 1]);
    }
    for (int i = 0; hist_ok && i < (int)bins; i++) {
        e->train_hist.count[i] = sn_get_u64(&r);
        e->train_hist.total += e->train_hist.count[i];
    }
    size_t flen;
    const uint8_t *fdata = sn_get_bytes(&r, &flen);
    if (!hist_ok) {
        sn_engine_free(e);
        rc = refuse(err, path, "bad training risk distribution");
        goto out;
    }
    bool ok = !r.bad && fdata && finite_in(e->threshold_bits, -1e9, 1e9);
    for (int i = 0; ok && i < SN_CALIB_POINTS; i++)
        ok = finite_in(e->calib.quantile[i], -1e30, 1e30) &&
             (i == 0 || e->calib.quantile[i] >= e->calib.quantile[i - 1]);
    if (!ok) {
        sn_engine_free(e);
        rc = refuse(err, path, "bad calibration");
        goto out;
    }
    size_t used = 0;
    rc = sn_iforest_read(&e->forest, fdata, flen, &used, err);
    if (rc == SN_OK && sn_iforest_dims(e->forest) != SN_FEATURE_COUNT)
        rc = refuse(err, path, "forest has the wrong number of features");
    if (rc == SN_OK) {
        sn_profiles *p = NULL;
        rc = sn_profiles_read(&p, &cfg.profile, r.p + r.off, r.n - r.off, &used, err);
        if (rc == SN_OK) {
            sn_profiles_free(e->profiles);
            e->profiles = p;
            if (r.off + used != r.n)
                rc = refuse(err, path, "unexpected bytes after the baselines");
        }
    }
    if (rc != SN_OK) {
        if (err && path && !err->file[0])
            snprintf(err->file, sizeof(err->file), "%s", path);
        sn_engine_free(e);
        goto out;
    }
    stats.threshold_bits = e->threshold_bits;
    e->stats = stats;
    *out = e;
out:
    return rc;
}
