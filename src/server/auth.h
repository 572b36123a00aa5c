/* Who is calling the server: roles, API keys and their file, JWT bearer tokens, and per-caller
 * rate limits. Shared by the server layer and the `sentinel keys` command. */
#ifndef SN_AUTH_H
#define SN_AUTH_H

#include "server.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Roles ---------------------------------------------------------------------------- */

const char *sn_role_name(sn_role r);
/* false when s is not viewer, analyst, admin or service. */
bool sn_role_parse(const char *s, sn_role *out);

/* Whether scope covers a user of department dept (may be empty): "*" covers everyone,
 * "department:Finance" users whose department is Finance; an admin's empty scope covers
 * everyone, anyone else's nobody. */
bool sn_scope_covers(const sn_principal *who, const char *dept);

/* ---- API keys and their file ----------------------------------------------------------- */

/* Shown once at creation: "sn_" ID "_" SECRET, 16 and 64 hexadecimal digits. */
#define SN_KEY_ID_LEN 16
#define SN_KEY_SECRET_LEN 64
#define SN_KEY_TEXT_LEN (3 + SN_KEY_ID_LEN + 1 + SN_KEY_SECRET_LEN)

/* One line of the keys file: never the secret, only a salted HMAC-SHA-256 of it. */
typedef struct sn_key_record {
    char id[SN_KEY_ID_LEN + 1];
    char name[128];
    sn_role role;
    char scope[256];
    char salt[33];                     /* 16 random bytes, hex */
    char hash[65];                     /* HMAC-SHA-256(salt, secret), hex */
    int64_t created, expires, revoked; /* Unix seconds; expires and revoked 0 when not */
} sn_key_record;

typedef struct sn_keylist {
    sn_key_record *items;
    size_t n, cap;
} sn_keylist;

/* Reads a keys file (JSON lines), refusing one that its group or others may read, like any
 * secret. A missing file is an empty list when missing_ok. SN_ERR_PARSE names the line. */
sn_status sn_keys_load(const char *path, bool missing_ok, sn_keylist *out, sn_error *err);
/* Writes the list to path with mode 0600 through a temporary file renamed over it, so that a
 * reader never sees half a file. */
sn_status sn_keys_save(const char *path, const sn_keylist *l, sn_error *err);
/* Appends a copy of r; SN_ERR_NOMEM. */
sn_status sn_keylist_add(sn_keylist *l, const sn_key_record *r);
void sn_keylist_free(sn_keylist *l);
/* A new key: fills rec's id, salt, hash and created from OpenSSL's random generator, and text
 * with the key to show its owner (SN_KEY_TEXT_LEN characters and a NUL). SN_ERR_CRYPTO. */
sn_status sn_key_generate(sn_key_record *rec, char text[SN_KEY_TEXT_LEN + 1], sn_error *err);

/* ---- Checking credentials --------------------------------------------------------------- */

typedef enum sn_auth_result {
    SN_AUTH_OK,
    SN_AUTH_MISSING, /* no credential sent */
    SN_AUTH_INVALID, /* unknown key, bad signature, malformed token, claims refused */
    SN_AUTH_EXPIRED,
    SN_AUTH_REVOKED,
} sn_auth_result;

/* Where API keys are checked: the keys file now, a database later. check is called from any
 * thread; why (static text, never the key) says what was wrong. */
typedef struct sn_key_checker {
    void *ctx;
    sn_auth_result (*check)(void *ctx, const char *key, int64_t now, sn_principal *who,
                            const char **why);
    void (*free)(void *ctx);
    /* Records the keys in force to the audit log (kind key_change), then every change from
     * any thread; called once, before requests are served. */
    void (*audit)(void *ctx, sn_audit *a);
    /* Looks for a change now (and records it). */
    void (*poll)(void *ctx);
    /* Whether the key of id (its 16 hex digits) still admits: present, not revoked, not
     * expired; who gets its role and scope as they are now. For what was admitted earlier (a
     * dashboard session). */
    sn_auth_result (*standing)(void *ctx, const char *id, int64_t now, sn_principal *who,
                               const char **why);
} sn_key_checker;

/* Keys from the file at path, read now (it must exist) and again whenever it has changed
 * (another inode, size, modification or status change time), so that `sentinel keys revoke`
 * takes effect at the next request. A file that becomes unreadable or malformed admits no key
 * until it is fixed; log (may be NULL) is told. Once given an audit log, it records each key
 * present, then each key created, revoked, removed or changed (its id, name, role, scope,
 * expiry; never its salt or hash) and the file becoming unusable or usable again, looking at
 * the file at every request with a key and once a second from a thread of its own. */
sn_status sn_key_checker_file(sn_key_checker *out, const char *path, sn_log *log, sn_error *err);

typedef struct sn_jwt_verifier sn_jwt_verifier;

/* From the jwt_* options; NULL in *out when no JWT key is configured. */
sn_status sn_jwt_verifier_new(sn_jwt_verifier **out, const sn_server_config *cfg, sn_error *err);
void sn_jwt_verifier_free(sn_jwt_verifier *v);
/* Verifies a compact JWS: the signature with the configured key, the algorithm equal to the
 * configured one (never "none", never HS256 keyed with a public key), exp required, lifetime,
 * iat, nbf, iss and aud, then role (required), scope or department, and sub (required).
 * Accepted tokens are remembered (by SHA-256) so that the signature is verified once per token;
 * exp and nbf are checked at every use. Thread-safe. */
sn_auth_result sn_jwt_verify(sn_jwt_verifier *v, const char *token, int64_t now, sn_principal *who,
                             const char **why);

typedef struct sn_auth sn_auth;

/* Everything the configuration asks for: API keys, JWT, or nobody checked (insecure_no_auth,
 * every caller an admin of scope "*"). */
sn_status sn_auth_new(sn_auth **out, const sn_server_config *cfg, sn_log *log, sn_error *err);
void sn_auth_free(sn_auth *a);
/* Checks an Authorization header value (NULL when absent): "Bearer sn_..." is an API key,
 * any other bearer token a JWT. */
sn_auth_result sn_auth_check(sn_auth *a, const char *authorization, sn_principal *who,
                             const char **why);
/* Whether credentials are checked at all. */
bool sn_auth_required(const sn_auth *a);
/* Whether a caller admitted earlier still is: an API key's caller ("key:ID") while the key is
 * in force (who updated to its role and scope now); other callers as they were (a JWT's caller
 * until the token's expiry, which the session keeps). */
sn_auth_result sn_auth_recheck(sn_auth *a, sn_principal *who, const char **why);
/* Records the API keys in force and, from now on, their changes to audit (see
 * sn_key_checker_file); nothing when no keys file is configured or audit is NULL. */
void sn_auth_audit_keys(sn_auth *a, sn_audit *audit);
/* Looks at the keys file for a change now (the last one before a stop is recorded). */
void sn_auth_poll_keys(sn_auth *a);

/* ---- Rate limits ------------------------------------------------------------------------- */

typedef enum sn_rate_class {
    SN_RATE_GENERAL,
    SN_RATE_ANALYSIS,
    SN_RATE_TRAINING,
    SN_RATE_CLASSES
} sn_rate_class;

typedef struct sn_ratelimit sn_ratelimit;

typedef struct sn_rate_decision {
    bool allowed;
    long limit;       /* 0: no limit in force (no headers) */
    long remaining;   /* requests left now */
    long reset_s;     /* seconds until the bucket is full again */
    long retry_after; /* when refused: seconds until the next request is allowed */
} sn_rate_decision;

/* Token buckets for at most max_sources callers at once. NULL when out of memory. */
sn_ratelimit *sn_ratelimit_new(size_t max_sources);
void sn_ratelimit_free(sn_ratelimit *rl);
/* Takes one request of class cls for caller who at time now_us (any clock that only goes
 * forward). Exact under concurrency: one lock. When the table is full, callers whose bucket has
 * refilled (idle) are forgotten, else the least recently seen. */
void sn_ratelimit_take(sn_ratelimit *rl, sn_rate_class cls, const sn_rate *rate, const char *who,
                       int64_t now_us, sn_rate_decision *d);
/* Gives back the request of class cls that caller who was counted for (a request refused for
 * its own content, which did none of the work the limit is for); nothing when not tracked. */
void sn_ratelimit_give_back(sn_ratelimit *rl, sn_rate_class cls, const char *who);
/* Callers tracked now. */
size_t sn_ratelimit_tracked(sn_ratelimit *rl);

#endif
