/* Shared by the store's backends: per-key derived material, sealing of personal fields with
 * associated data naming their row and column, lookup tokens, and the stored event record. */
#ifndef SN_STORE_INTERNAL_H
#define SN_STORE_INTERNAL_H

#include "store.h"

#include "../core/aead.h"
#include "../core/strmap.h"

#define SN_STORE_TOKEN_HEX 32

/* The key id of an unencrypted store. */
#define SN_STORE_PLAIN_ID "plain"

typedef struct sn_store_key {
    char id[17]; /* 16 hex digits, beside every ciphertext; "plain" without a key */
    bool encrypt;
    unsigned char enc[32]; /* AES-256-GCM key for personal fields */
    unsigned char tok[32]; /* HMAC-SHA-256 key for lookup tokens */
    sn_aead *aead;         /* enc, set up once */
    sn_strmap *seen;       /* user ids whose tokens are cached in tokens[] */
    char (*tokens)[SN_STORE_TOKEN_HEX + 1];
    size_t tokens_cap;
} sn_store_key;

/* Derives a key's material from its master key (master NULL: the plain "key"). */
sn_status sn__store_key_init(sn_store_key *k, const unsigned char *master);
void sn__store_key_wipe(sn_store_key *k);

/* The key check value stored beside the key id: proves a later key is the same one. */
sn_status sn__store_key_check(const sn_store_key *k, sn_buf *out);
bool sn__store_key_verify(const sn_store_key *k, const void *check, size_t len);

/* Lookup token of a user id under k: the first SN_STORE_TOKEN_HEX hex digits of its
 * HMAC-SHA-256 (the id itself never is a lookup key). Cached per key. */
sn_status sn__store_token(sn_store_key *k, const char *user_id, size_t len, char out[65]);

/* Seals (or, without encryption, copies) a field; aad names table, column and row. */
sn_status sn__store_seal(const sn_store_key *k, const char *aad, const void *pt, size_t len,
                         sn_buf *out);
sn_status sn__store_open_field(const sn_store_key *k, const char *aad, const void *ct, size_t len,
                               sn_buf *out);

/* The stored form of an event: every field, as one record (personal fields included). */
void sn__store_event_encode(sn_buf *out, const sn_event *ev, const char *event_id);
/* Decodes a record; ev's strings and *event_id point into data (borrowed). */
bool sn__store_event_decode(const uint8_t *data, size_t len, sn_event *ev, const char **event_id,
                            size_t *event_id_len);
/* A verdict as stored when its front end gives none: the verdict's own fields, with the event
 * and user ids (the event's other fields are in its record). */
void sn__store_verdict_json(sn_buf *out, const sn_event *ev, const sn_verdict *v,
                            const char *event_id);
/* One event as a JSON object (export). */
void sn__store_event_json(sn_buf *out, const sn_event *ev, const char *event_id, size_t id_len);

#endif
