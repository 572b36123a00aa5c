/* Encryption of personal fields at rest: keys derived from the master key, the key check value,
 * lookup tokens and sealing with AES-256-GCM (core/aead). */
#include "store_internal.h"

#include "../core/aead.h"
#include "../core/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_TEXT "sentinel store key check v1"

sn_status sn__store_key_init(sn_store_key *k, const unsigned char *master)
{
    memset(k, 0, sizeof(*k));
    if (!master) {
        snprintf(k->id, sizeof(k->id), "%s", SN_STORE_PLAIN_ID);
        return SN_OK;
    }
    unsigned char idkey[32];
    if (sn_key_derive(master, "sentinel store field encryption v1", k->enc) != SN_OK ||
        sn_key_derive(master, "sentinel store lookup token v1", k->tok) != SN_OK ||
        sn_key_derive(master, "sentinel store key id v1", idkey) != SN_OK)
        return SN_ERR_CRYPTO;
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        k->id[2 * i] = digits[idkey[i] >> 4];
        k->id[2 * i + 1] = digits[idkey[i] & 15];
    }
    k->id[16] = '\0';
    OPENSSL_cleanse(idkey, sizeof(idkey));
    k->encrypt = true;
    if (!(k->aead = sn_aead_new(k->enc)))
        return SN_ERR_NOMEM;
    return SN_OK;
}

static void forget_tokens(sn_store_key *k)
{
    sn_strmap_free(k->seen);
    if (k->tokens)
        OPENSSL_cleanse(k->tokens, k->tokens_cap * sizeof(*k->tokens));
    free(k->tokens);
    k->seen = NULL;
    k->tokens = NULL;
    k->tokens_cap = 0;
}

void sn__store_key_wipe(sn_store_key *k)
{
    sn_aead_free(k->aead);
    forget_tokens(k);
    OPENSSL_cleanse(k, sizeof(*k));
}

sn_status sn__store_key_check(const sn_store_key *k, sn_buf *out)
{
    char aad[64];
    int n = snprintf(aad, sizeof(aad), "store_keys.check|%s", k->id);
    return sn__store_seal(k, aad, (size_t)n, CHECK_TEXT, strlen(CHECK_TEXT), out);
}

bool sn__store_key_verify(const sn_store_key *k, const void *check, size_t len)
{
    char aad[64];
    int n = snprintf(aad, sizeof(aad), "store_keys.check|%s", k->id);
    sn_buf pt;
    sn_buf_init(&pt);
    bool ok = sn__store_open_field(k, aad, (size_t)n, check, len, &pt) == SN_OK &&
              pt.len == strlen(CHECK_TEXT) && !memcmp(pt.data, CHECK_TEXT, pt.len);
    sn_buf_free(&pt);
    return ok;
}

/* Users whose tokens are remembered; past this the cache starts again (bounded memory). */
#define TOKEN_CACHE_MAX 65536

static sn_status compute_token(const sn_store_key *k, const char *user_id, size_t len,
                               unsigned char out[SN_STORE_TOKEN_LEN]);

sn_status sn__store_token(sn_store_key *k, const char *user_id, size_t len,
                          unsigned char out[SN_STORE_TOKEN_LEN])
{
    if (k->seen) {
        int32_t id = sn_strmap_find(k->seen, user_id, len);
        if (id >= 0 && (size_t)id < k->tokens_cap) {
            memcpy(out, k->tokens[id], SN_STORE_TOKEN_LEN);
            return SN_OK;
        }
    }
    sn_status st = compute_token(k, user_id, len, out);
    if (st != SN_OK)
        return st;
    if (k->seen && sn_strmap_count(k->seen) >= TOKEN_CACHE_MAX)
        forget_tokens(k);
    if (!k->seen && !(k->seen = sn_strmap_new()))
        return SN_OK; /* no cache: still correct */
    int32_t id = sn_strmap_intern(k->seen, user_id, len);
    if (id < 0)
        return SN_OK;
    if ((size_t)id >= k->tokens_cap) {
        size_t nc = k->tokens_cap ? k->tokens_cap * 2 : 64;
        while (nc <= (size_t)id)
            nc *= 2;
        void *grown = realloc(k->tokens, nc * sizeof(*k->tokens));
        if (!grown) {
            forget_tokens(k);
            return SN_OK;
        }
        k->tokens = grown;
        k->tokens_cap = nc;
    }
    memcpy(k->tokens[id], out, SN_STORE_TOKEN_LEN);
    return SN_OK;
}

static sn_status compute_token(const sn_store_key *k, const char *user_id, size_t len,
                               unsigned char out[SN_STORE_TOKEN_LEN])
{
    /* Without a key there is nothing to hide the id from; a keyless hash still keeps one
     * fixed-width lookup column. */
    static const unsigned char none[32] = {0};
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    const unsigned char *key = k->encrypt ? k->tok : none;
    if (!HMAC(EVP_sha256(), key, 32, (const unsigned char *)user_id, len, mac, &mac_len) ||
        mac_len != 32)
        return SN_ERR_CRYPTO;
    /* 128 bits are plenty to find a person's rows (export checks the decrypted id anyway). */
    memcpy(out, mac, SN_STORE_TOKEN_LEN);
    OPENSSL_cleanse(mac, sizeof(mac));
    return SN_OK;
}

void sn__store_token_hex(const unsigned char tok[SN_STORE_TOKEN_LEN], char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SN_STORE_TOKEN_LEN; i++) {
        out[2 * i] = digits[tok[i] >> 4];
        out[2 * i + 1] = digits[tok[i] & 15];
    }
    out[32] = '\0';
}

sn_status sn__store_seal(const sn_store_key *k, const void *aad, size_t aad_len, const void *pt,
                         size_t len, sn_buf *out)
{
    if (!k->encrypt) {
        sn_buf_append(out, pt, len);
        return out->failed ? SN_ERR_NOMEM : SN_OK;
    }
    return sn_aead_seal_with(k->aead, aad, aad_len, pt, len, out);
}

sn_status sn__store_open_field(const sn_store_key *k, const void *aad, size_t aad_len,
                               const void *ct, size_t len, sn_buf *out)
{
    if (!k->encrypt) {
        sn_buf_append(out, ct, len);
        return out->failed ? SN_ERR_NOMEM : SN_OK;
    }
    return sn_aead_open_with(k->aead, aad, aad_len, ct, len, out);
}
