/* Authenticated encryption (AES-256-GCM through OpenSSL EVP) for data at rest: stored personal
 * fields and model files. */
#ifndef SN_AEAD_H
#define SN_AEAD_H

#include "buf.h"
#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define SN_AEAD_NONCE 12
#define SN_AEAD_TAG 16
/* Bytes a sealed message adds to its plaintext: nonce before, tag after. */
#define SN_AEAD_OVERHEAD (SN_AEAD_NONCE + SN_AEAD_TAG)

/* Appends nonce || ciphertext || tag to out: a fresh random 96-bit nonce for every message, so
 * one key may seal many messages. aad is authenticated but not stored (it names where the
 * message belongs, so that a sealed value moved elsewhere fails to open). SN_ERR_CRYPTO or
 * SN_ERR_NOMEM on failure. */
sn_status sn_aead_seal(const unsigned char key[32], const void *aad, size_t aad_len, const void *pt,
                       size_t pt_len, sn_buf *out);

/* Checks and decrypts a sealed message, appending the plaintext to out. SN_ERR_CRYPTO when the
 * key, the associated data or any byte of the message is wrong; nothing is appended then. */
sn_status sn_aead_open(const unsigned char key[32], const void *aad, size_t aad_len,
                       const void *msg, size_t msg_len, sn_buf *out);

/* A key set up once for many messages (the cipher fetched and the key schedule computed once):
 * the same sealing and opening as above, for stores that seal one field per row. */
typedef struct sn_aead sn_aead;
/* NULL when out of memory or the library fails. Caller frees with sn_aead_free. */
sn_aead *sn_aead_new(const unsigned char key[32]);
void sn_aead_free(sn_aead *a);
sn_status sn_aead_seal_with(sn_aead *a, const void *aad, size_t aad_len, const void *pt,
                            size_t pt_len, sn_buf *out);
sn_status sn_aead_open_with(sn_aead *a, const void *aad, size_t aad_len, const void *msg,
                            size_t msg_len, sn_buf *out);

/* 32 bytes derived from a master key for one purpose (HMAC-SHA-256 of the label), so that the
 * encryption key, the lookup-token key and the key id never coincide. */
sn_status sn_key_derive(const unsigned char master[32], const char *label, unsigned char out[32]);

#endif
