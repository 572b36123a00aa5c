/* Shared by the store's backends: per-key derived material, sealing of personal data with
 * associated data naming its row, lookup tokens, and the stored record of an event and its
 * verdict. */
#ifndef SN_STORE_INTERNAL_H
#define SN_STORE_INTERNAL_H

#include "store.h"

#include "../core/aead.h"
#include "../core/serial.h"
#include "../core/strmap.h"

/* A lookup token: the first 128 bits of HMAC-SHA-256 of the user id. */
#define SN_STORE_TOKEN_LEN 16

/* The key id of an unencrypted store. */
#define SN_STORE_PLAIN_ID "plain"

typedef struct sn_store_key {
    char id[17]; /* 16 hex digits, beside every ciphertext; "plain" without a key */
    bool encrypt;
    unsigned char enc[32]; /* AES-256-GCM key for personal fields */
    unsigned char tok[32]; /* HMAC-SHA-256 key for lookup tokens */
    sn_aead *aead;         /* enc, set up once */
    sn_strmap *seen;       /* user ids whose tokens are cached in tokens[] */
    unsigned char (*tokens)[SN_STORE_TOKEN_LEN];
    size_t tokens_cap;
} sn_store_key;

/* Derives a key's material from its master key (master NULL: the plain "key"). */
sn_status sn__store_key_init(sn_store_key *k, const unsigned char *master);
void sn__store_key_wipe(sn_store_key *k);

/* The key check value stored beside the key id: proves a later key is the same one. */
sn_status sn__store_key_check(const sn_store_key *k, sn_buf *out);
bool sn__store_key_verify(const sn_store_key *k, const void *check, size_t len);

/* Lookup token of a user id under k (the id itself never is a lookup key). Cached per key. */
sn_status sn__store_token(sn_store_key *k, const char *user_id, size_t len,
                          unsigned char out[SN_STORE_TOKEN_LEN]);
/* The token of schema version 1: the same HMAC's first 128 bits as 32 hex digits. */
void sn__store_token_hex(const unsigned char tok[SN_STORE_TOKEN_LEN], char out[33]);

/* Seals (or, without encryption, copies) a message, appending to out; aad names its row. */
sn_status sn__store_seal(const sn_store_key *k, const void *aad, size_t aad_len, const void *pt,
                         size_t len, sn_buf *out);
sn_status sn__store_open_field(const sn_store_key *k, const void *aad, size_t aad_len,
                               const void *ct, size_t len, sn_buf *out);

/* A verdict as a stored record holds it: its own fields, or the JSON object its front end
 * answered with (json.n > 0), or none (kind SN_STORED_NONE: an event stored alone). */
typedef enum sn_stored_kind {
    SN_STORED_NONE = 0,
    SN_STORED_FIELDS = 1,
    SN_STORED_JSON = 2
} sn_stored_kind;

typedef struct sn_stored_verdict {
    sn_stored_kind kind;
    bool is_anomaly;
    sn_level level;
    double risk_score, anomaly_score;
    sn_str recommendation;
    int n_reasons;
    sn_str reasons[SN_MAX_REASONS];
    sn_str json;
} sn_stored_verdict;

/* The stored record of one event and its verdict (every personal field of both): appended to
 * out in one piece, so that it is sealed with one operation. */
void sn__store_record_encode(sn_buf *out, const sn_store_item *it);
/* Decodes a record; ev's strings, *event_id and v's strings point into data (borrowed). */
bool sn__store_record_decode(const uint8_t *data, size_t len, sn_event *ev, sn_str *event_id,
                             sn_stored_verdict *v);
/* An event record of schema version 1 (decoded the same way; for the migration). */
bool sn__store_event_decode_v1(const uint8_t *data, size_t len, sn_event *ev, sn_str *event_id);

/* LEB128 unsigned integers: written at o (room for SN_STORE_VARINT_MAX bytes; returns the bytes
 * written), and read from r (a malformed or truncated one sets r->bad). */
#define SN_STORE_VARINT_MAX 10
size_t sn__store_put_varint(uint8_t *o, uint64_t v);
uint64_t sn__store_get_varint(sn_rd *r);

/* A verdict as JSON (the front end's own text, or one object from the fields: the verdict's
 * own fields with the event and user ids). Nothing is appended for SN_STORED_NONE. */
void sn__store_verdict_json(sn_buf *out, const sn_event *ev, sn_str event_id,
                            const sn_stored_verdict *v);
/* One event as a JSON object (export). */
void sn__store_event_json(sn_buf *out, const sn_event *ev, sn_str event_id);

#endif
