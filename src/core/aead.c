/* AES-256-GCM sealing and opening, and purpose-bound key derivation, on OpenSSL. */
#include "aead.h"

#include "secret.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* Nonces are drawn from the random generator a few hundred at a time: each one is still 96
 * random bits, but one call to the generator serves many messages. */
#define NONCE_POOL (SN_AEAD_NONCE * 341)

struct sn_aead {
    EVP_CIPHER_CTX *enc, *dec;
    unsigned char pool[NONCE_POOL];
    size_t pool_used; /* bytes of pool handed out; NONCE_POOL: empty */
};

static int next_nonce(sn_aead *a, unsigned char out[SN_AEAD_NONCE])
{
    if (a->pool_used + SN_AEAD_NONCE > NONCE_POOL) {
        if (RAND_bytes(a->pool, NONCE_POOL) != 1)
            return -1;
        a->pool_used = 0;
    }
    memcpy(out, a->pool + a->pool_used, SN_AEAD_NONCE);
    /* A nonce handed out is wiped from the pool, so it can never be handed out twice. */
    memset(a->pool + a->pool_used, 0, SN_AEAD_NONCE);
    a->pool_used += SN_AEAD_NONCE;
    return 0;
}

sn_aead *sn_aead_new(const unsigned char key[32])
{
    sn_aead *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->pool_used = NONCE_POOL;
    a->enc = EVP_CIPHER_CTX_new();
    a->dec = EVP_CIPHER_CTX_new();
    if (!a->enc || !a->dec || EVP_EncryptInit_ex(a->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(a->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
        sn_aead_free(a);
        return NULL;
    }
    return a;
}

void sn_aead_free(sn_aead *a)
{
    if (!a)
        return;
    EVP_CIPHER_CTX_free(a->enc); /* clears the key schedule */
    EVP_CIPHER_CTX_free(a->dec);
    OPENSSL_cleanse(a, sizeof(*a));
    free(a);
}

sn_status sn_aead_seal_with(sn_aead *a, const void *aad, size_t aad_len, const void *pt,
                            size_t pt_len, sn_buf *out)
{
    if (pt_len > INT32_MAX || aad_len > INT32_MAX)
        return SN_ERR_LIMIT;
    if (sn_buf_reserve(out, pt_len + SN_AEAD_OVERHEAD) != 0)
        return SN_ERR_NOMEM;
    unsigned char *dst = (unsigned char *)out->data + out->len;
    if (next_nonce(a, dst) != 0)
        return SN_ERR_CRYPTO;
    EVP_CIPHER_CTX *c = a->enc;
    int len = 0, fin = 0;
    int ok = EVP_EncryptInit_ex(c, NULL, NULL, NULL, dst) == 1 &&
             (aad_len == 0 || EVP_EncryptUpdate(c, NULL, &len, aad, (int)aad_len) == 1) &&
             EVP_EncryptUpdate(c, dst + SN_AEAD_NONCE, &len, pt, (int)pt_len) == 1 &&
             EVP_EncryptFinal_ex(c, dst + SN_AEAD_NONCE + len, &fin) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SN_AEAD_TAG,
                                 dst + SN_AEAD_NONCE + pt_len) == 1;
    if (!ok || len < 0 || fin < 0 || (size_t)len + (size_t)fin != pt_len)
        return SN_ERR_CRYPTO;
    out->len += pt_len + SN_AEAD_OVERHEAD;
    return SN_OK;
}

sn_status sn_aead_open_with(sn_aead *a, const void *aad, size_t aad_len, const void *msg,
                            size_t msg_len, sn_buf *out)
{
    if (msg_len < SN_AEAD_OVERHEAD || msg_len > INT32_MAX || aad_len > INT32_MAX)
        return SN_ERR_CRYPTO;
    size_t ct_len = msg_len - SN_AEAD_OVERHEAD;
    const unsigned char *m = msg;
    if (sn_buf_reserve(out, ct_len + 1) != 0)
        return SN_ERR_NOMEM;
    unsigned char *dst = (unsigned char *)out->data + out->len;
    EVP_CIPHER_CTX *c = a->dec;
    unsigned char tag[SN_AEAD_TAG];
    memcpy(tag, m + SN_AEAD_NONCE + ct_len, SN_AEAD_TAG);
    int len = 0, fin = 0;
    int ok = EVP_DecryptInit_ex(c, NULL, NULL, NULL, m) == 1 &&
             (aad_len == 0 || EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len) == 1) &&
             EVP_DecryptUpdate(c, dst, &len, m + SN_AEAD_NONCE, (int)ct_len) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SN_AEAD_TAG, tag) == 1 &&
             EVP_DecryptFinal_ex(c, dst + len, &fin) == 1;
    if (!ok) {
        OPENSSL_cleanse(dst, ct_len);
        return SN_ERR_CRYPTO;
    }
    out->len += ct_len;
    out->data[out->len] = '\0';
    return SN_OK;
}

sn_status sn_aead_seal(const unsigned char key[32], const void *aad, size_t aad_len, const void *pt,
                       size_t pt_len, sn_buf *out)
{
    if (pt_len > INT32_MAX || aad_len > INT32_MAX)
        return SN_ERR_LIMIT;
    if (sn_buf_reserve(out, pt_len + SN_AEAD_OVERHEAD) != 0)
        return SN_ERR_NOMEM;
    unsigned char *dst = (unsigned char *)out->data + out->len;
    if (RAND_bytes(dst, SN_AEAD_NONCE) != 1)
        return SN_ERR_CRYPTO;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return SN_ERR_NOMEM;
    int len = 0, fin = 0;
    int ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, dst) == 1 &&
             (aad_len == 0 || EVP_EncryptUpdate(c, NULL, &len, aad, (int)aad_len) == 1) &&
             EVP_EncryptUpdate(c, dst + SN_AEAD_NONCE, &len, pt, (int)pt_len) == 1 &&
             EVP_EncryptFinal_ex(c, dst + SN_AEAD_NONCE + len, &fin) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SN_AEAD_TAG,
                                 dst + SN_AEAD_NONCE + pt_len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok || len < 0 || fin < 0 || (size_t)len + (size_t)fin != pt_len)
        return SN_ERR_CRYPTO;
    out->len += pt_len + SN_AEAD_OVERHEAD;
    return SN_OK;
}

sn_status sn_aead_open(const unsigned char key[32], const void *aad, size_t aad_len,
                       const void *msg, size_t msg_len, sn_buf *out)
{
    if (msg_len < SN_AEAD_OVERHEAD || msg_len > INT32_MAX || aad_len > INT32_MAX)
        return SN_ERR_CRYPTO;
    size_t ct_len = msg_len - SN_AEAD_OVERHEAD;
    const unsigned char *m = msg;
    if (sn_buf_reserve(out, ct_len + 1) != 0)
        return SN_ERR_NOMEM;
    unsigned char *dst = (unsigned char *)out->data + out->len;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return SN_ERR_NOMEM;
    unsigned char tag[SN_AEAD_TAG];
    memcpy(tag, m + SN_AEAD_NONCE + ct_len, SN_AEAD_TAG);
    int len = 0, fin = 0;
    int ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, m) == 1 &&
             (aad_len == 0 || EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len) == 1) &&
             EVP_DecryptUpdate(c, dst, &len, m + SN_AEAD_NONCE, (int)ct_len) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SN_AEAD_TAG, tag) == 1 &&
             EVP_DecryptFinal_ex(c, dst + len, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        /* Never leave unauthenticated plaintext behind in the buffer's spare room. */
        OPENSSL_cleanse(dst, ct_len);
        return SN_ERR_CRYPTO;
    }
    out->len += ct_len;
    out->data[out->len] = '\0';
    return SN_OK;
}

sn_status sn_key_derive(const unsigned char master[32], const char *label, unsigned char out[32])
{
    char hex[65];
    if (sn_hmac_hex(master, 32, label, strlen(label), hex) != SN_OK)
        return SN_ERR_CRYPTO;
    for (int i = 0; i < 32; i++) {
        unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
        unsigned lo =
            (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    OPENSSL_cleanse(hex, sizeof(hex));
    return SN_OK;
}
