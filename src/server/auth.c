/* Checking who calls: roles and scopes, JWT bearer tokens through libjwt (RFC 7519, with the
 * algorithm pinned against the confusions of RFC 8725 section 2.1), and the Authorization
 * header dispatched to API keys or JWT. */
#include "auth.h"

#include "../core/secret.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- Roles and scopes --------------------------------------------------------------------- */

static const struct {
    sn_role role;
    const char *name;
} role_names[] = {{SN_ROLE_VIEWER, "viewer"},
                  {SN_ROLE_ANALYST, "analyst"},
                  {SN_ROLE_ADMIN, "admin"},
                  {SN_ROLE_SERVICE, "service"}};

const char *sn_role_name(sn_role r)
{
    for (size_t i = 0; i < 4; i++)
        if (role_names[i].role == r)
            return role_names[i].name;
    return "none";
}

bool sn_role_parse(const char *s, sn_role *out)
{
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(s, role_names[i].name)) {
            *out = role_names[i].role;
            return true;
        }
    return false;
}

bool sn_scope_covers(const sn_principal *who, const char *dept)
{
    const char *p = who->scope;
    if (!*p)
        return who->role == SN_ROLE_ADMIN;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && *p == ' ') {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n == 1 && *p == '*')
            return true;
        static const char prefix[] = "department:";
        size_t k = sizeof(prefix) - 1;
        if (n > k && !strncmp(p, prefix, k) && dept && strlen(dept) == n - k &&
            !strncmp(p + k, dept, n - k))
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

/* ---- JWT ---------------------------------------------------------------------------------- */

/* Tokens verified recently, by SHA-256 of the token: libjwt reads the PEM key again for every
 * token, which through OpenSSL 3's decoders costs about a millisecond, while a client sends the
 * same token for its whole lifetime. Only accepted tokens are kept, with what was decided and
 * the claims that depend on the time, which are checked again at each use. */
#define TOKEN_CACHE 1024

typedef struct cached_token {
    unsigned char digest[32];
    bool used;
    long exp, nbf; /* nbf 0 when absent */
    sn_principal who;
} cached_token;

struct sn_jwt_verifier {
    jwt_alg_t alg;
    sn_secret key; /* the HS256 secret or the PEM public key */
    char issuer[256], audience[256];
    long max_lifetime, skew;
    pthread_mutex_t cache_lock;
    cached_token *cache; /* TOKEN_CACHE slots, direct-mapped */
};

/* A public key: public, so not held to a secret's permissions, but read with the same bound. */
static sn_status read_public_key(const char *path, sn_secret *out, sn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                            "cannot open public key file: %s", strerror(errno));
    unsigned char *data = malloc(SN_SECRET_MAX + 1);
    if (!data) {
        fclose(f);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    size_t n = fread(data, 1, SN_SECRET_MAX + 1, f);
    fclose(f);
    if (n == 0 || n > SN_SECRET_MAX) {
        free(data);
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                            n ? "public key file is too large" : "public key file is empty");
    }
    data[n] = '\0';
    out->data = data;
    out->len = n;
    return SN_OK;
}

sn_status sn_jwt_verifier_new(sn_jwt_verifier **out, const sn_server_config *cfg, sn_error *err)
{
    *out = NULL;
    bool hs = cfg->jwt_hs256_secret_file[0] != '\0';
    if (!hs && !cfg->jwt_public_key_file[0])
        return SN_OK;
    sn_jwt_verifier *v = calloc(1, sizeof(*v));
    if (!v)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    const char *alg = cfg->jwt_algorithm[0] ? cfg->jwt_algorithm : hs ? "HS256" : "RS256";
    v->alg = jwt_str_alg(alg);
    if (hs ? v->alg != JWT_ALG_HS256 : v->alg != JWT_ALG_RS256 && v->alg != JWT_ALG_ES256) {
        free(v);
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--jwt-algorithm",
                            "%s does not go with the key file given", alg);
    }
    sn_status st = hs ? sn_secret_from_file(cfg->jwt_hs256_secret_file, &v->key, err)
                      : read_public_key(cfg->jwt_public_key_file, &v->key, err);
    if (st == SN_OK && hs && v->key.len < 32) {
        sn_secret_free(&v->key);
        st = sn_error_set(err, SN_ERR_SECRET, true, cfg->jwt_hs256_secret_file, 0, NULL,
                          "an HS256 secret needs at least 32 bytes (`openssl rand -hex 32`)");
    }
    if (st != SN_OK) {
        free(v);
        return st;
    }
    v->cache = calloc(TOKEN_CACHE, sizeof(*v->cache));
    if (!v->cache || pthread_mutex_init(&v->cache_lock, NULL) != 0) {
        free(v->cache);
        sn_secret_free(&v->key);
        free(v);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    snprintf(v->issuer, sizeof(v->issuer), "%s", cfg->jwt_issuer);
    snprintf(v->audience, sizeof(v->audience), "%s", cfg->jwt_audience);
    v->max_lifetime = cfg->jwt_max_lifetime;
    v->skew = cfg->jwt_clock_skew;
    *out = v;
    return SN_OK;
}

void sn_jwt_verifier_free(sn_jwt_verifier *v)
{
    if (!v)
        return;
    sn_secret_free(&v->key);
    OPENSSL_cleanse(v->cache, TOKEN_CACHE * sizeof(*v->cache));
    free(v->cache);
    pthread_mutex_destroy(&v->cache_lock);
    free(v);
}

/* A NumericDate claim: false when present but not an integer; *present says whether it is. */
static bool int_claim(jwt_t *jwt, const char *name, long *out, bool *present)
{
    *present = false;
    *out = 0;
    char *json = jwt_get_grants_json(jwt, name);
    if (!json)
        return true;
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    free(json);
    bool ok = json_is_integer(v);
    if (ok) {
        *out = (long)json_integer_value(v);
        *present = true;
    }
    json_decref(v);
    return ok;
}

/* aud is a string or an array of strings (RFC 7519 section 4.1.3). */
static bool audience_ok(jwt_t *jwt, const char *want)
{
    char *json = jwt_get_grants_json(jwt, "aud");
    if (!json)
        return false;
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    free(json);
    bool ok = false;
    if (json_is_string(v)) {
        ok = !strcmp(json_string_value(v), want);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && !ok; i++) {
            json_t *a = json_array_get(v, i);
            ok = json_is_string(a) && !strcmp(json_string_value(a), want);
        }
    }
    json_decref(v);
    return ok;
}

static sn_auth_result refuse(jwt_t *jwt, const char **why, const char *text, sn_auth_result r)
{
    jwt_free(jwt);
    *why = text;
    return r;
}

/* A token accepted before: the time-dependent claims checked again. false when not cached. */
static bool cache_lookup(sn_jwt_verifier *v, const unsigned char digest[32], int64_t now,
                         sn_principal *who, sn_auth_result *res, const char **why)
{
    cached_token *c = &v->cache[(digest[0] | digest[1] << 8) % TOKEN_CACHE];
    bool hit = false;
    pthread_mutex_lock(&v->cache_lock);
    if (c->used && CRYPTO_memcmp(c->digest, digest, 32) == 0) {
        hit = true;
        if (now > c->exp + v->skew) {
            c->used = false;
            *res = SN_AUTH_EXPIRED;
            *why = "token expired";
        } else if (c->nbf && now + v->skew < c->nbf) {
            *res = SN_AUTH_INVALID;
            *why = "invalid token: not valid yet (nbf)";
        } else {
            *who = c->who;
            *res = SN_AUTH_OK;
            *why = NULL;
        }
    }
    pthread_mutex_unlock(&v->cache_lock);
    return hit;
}

static void cache_store(sn_jwt_verifier *v, const unsigned char digest[32], long exp, long nbf,
                        const sn_principal *who)
{
    cached_token *c = &v->cache[(digest[0] | digest[1] << 8) % TOKEN_CACHE];
    pthread_mutex_lock(&v->cache_lock);
    memcpy(c->digest, digest, 32);
    c->exp = exp;
    c->nbf = nbf;
    c->who = *who;
    c->used = true;
    pthread_mutex_unlock(&v->cache_lock);
}

static sn_auth_result verify_uncached(const sn_jwt_verifier *v, const char *token, int64_t now,
                                      sn_principal *who, long *exp_out, long *nbf_out,
                                      const char **why);

sn_auth_result sn_jwt_verify(sn_jwt_verifier *v, const char *token, int64_t now, sn_principal *who,
                             const char **why)
{
    unsigned char digest[32];
    unsigned int dlen = 0;
    sn_auth_result res;
    bool hashed =
        EVP_Digest(token, strlen(token), digest, &dlen, EVP_sha256(), NULL) == 1 && dlen == 32;
    if (hashed && cache_lookup(v, digest, now, who, &res, why))
        return res;
    long exp = 0, nbf = 0;
    res = verify_uncached(v, token, now, who, &exp, &nbf, why);
    if (res == SN_AUTH_OK)
        who->expires = exp + v->skew; /* a session opened with it ends with it */
    if (res == SN_AUTH_OK && hashed)
        cache_store(v, digest, exp, nbf, who);
    return res;
}

static sn_auth_result verify_uncached(const sn_jwt_verifier *v, const char *token, int64_t now,
                                      sn_principal *who, long *exp_out, long *nbf_out,
                                      const char **why)
{
    jwt_t *jwt = NULL;
    if (jwt_decode(&jwt, token, v->key.data, (int)v->key.len) != 0 || !jwt)
        return refuse(jwt, why, "invalid token: malformed or bad signature", SN_AUTH_INVALID);
    /* libjwt takes the algorithm from the token's own header, so HS256 is verified with
     * whatever key bytes it was given, a public key's PEM text included (RFC 8725 section 2.1).
     * Only the one configured algorithm is accepted ("none" among the refused). */
    if (jwt_get_alg(jwt) != v->alg)
        return refuse(jwt, why, "invalid token: signing algorithm not accepted", SN_AUTH_INVALID);
    long exp, iat, nbf;
    bool has_exp, has_iat, has_nbf;
    if (!int_claim(jwt, "exp", &exp, &has_exp) || !int_claim(jwt, "iat", &iat, &has_iat) ||
        !int_claim(jwt, "nbf", &nbf, &has_nbf))
        return refuse(jwt, why, "invalid token: exp, iat and nbf must be integers",
                      SN_AUTH_INVALID);
    if (!has_exp)
        return refuse(jwt, why, "invalid token: no exp claim", SN_AUTH_INVALID);
    if (now > exp + v->skew)
        return refuse(jwt, why, "token expired", SN_AUTH_EXPIRED);
    if (has_nbf && now + v->skew < nbf)
        return refuse(jwt, why, "invalid token: not valid yet (nbf)", SN_AUTH_INVALID);
    if (has_iat && iat > now + v->skew)
        return refuse(jwt, why, "invalid token: issued in the future (iat)", SN_AUTH_INVALID);
    if ((has_iat ? exp - iat : exp - now) > v->max_lifetime)
        return refuse(jwt, why, "invalid token: lifetime longer than accepted", SN_AUTH_INVALID);
    if (v->issuer[0]) {
        const char *iss = jwt_get_grant(jwt, "iss");
        if (!iss || strcmp(iss, v->issuer) != 0)
            return refuse(jwt, why, "invalid token: wrong issuer", SN_AUTH_INVALID);
    }
    if (v->audience[0] && !audience_ok(jwt, v->audience))
        return refuse(jwt, why, "invalid token: wrong audience", SN_AUTH_INVALID);
    const char *sub = jwt_get_grant(jwt, "sub");
    const char *role = jwt_get_grant(jwt, "role");
    if (!sub || !*sub || strlen(sub) > 128)
        return refuse(jwt, why, "invalid token: no sub claim", SN_AUTH_INVALID);
    sn_role r;
    if (!role || !sn_role_parse(role, &r))
        return refuse(jwt, why, "invalid token: role claim missing or unknown", SN_AUTH_INVALID);
    who->role = (int)r;
    const char *scope = jwt_get_grant(jwt, "scope");
    const char *dept = jwt_get_grant(jwt, "department");
    if (scope)
        snprintf(who->scope, sizeof(who->scope), "%s", scope);
    else if (dept)
        snprintf(who->scope, sizeof(who->scope), "department:%s", dept);
    else
        who->scope[0] = '\0';
    snprintf(who->id, sizeof(who->id), "sub:%s", sub);
    *exp_out = exp;
    *nbf_out = has_nbf ? nbf : 0;
    jwt_free(jwt);
    *why = NULL;
    return SN_AUTH_OK;
}

/* ---- The Authorization header ------------------------------------------------------------ */

struct sn_auth {
    bool required;
    bool keys; /* a key checker is set */
    sn_key_checker checker;
    sn_jwt_verifier *jwt;
};

sn_status sn_auth_new(sn_auth **out, const sn_server_config *cfg, sn_log *log, sn_error *err)
{
    *out = NULL;
    sn_auth *a = calloc(1, sizeof(*a));
    if (!a)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    a->required = !cfg->insecure_no_auth;
    sn_status st = SN_OK;
    if (a->required && cfg->keys_file[0]) {
        st = sn_key_checker_file(&a->checker, cfg->keys_file, log, err);
        a->keys = st == SN_OK;
    }
    if (st == SN_OK && a->required)
        st = sn_jwt_verifier_new(&a->jwt, cfg, err);
    if (st == SN_OK && a->required && !a->keys && !a->jwt)
        st = sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--keys-file",
                          "no credential is configured");
    if (st != SN_OK) {
        sn_auth_free(a);
        return st;
    }
    *out = a;
    return SN_OK;
}

void sn_auth_free(sn_auth *a)
{
    if (!a)
        return;
    if (a->keys && a->checker.free)
        a->checker.free(a->checker.ctx);
    sn_jwt_verifier_free(a->jwt);
    free(a);
}

bool sn_auth_required(const sn_auth *a)
{
    return a->required;
}

void sn_auth_audit_keys(sn_auth *a, sn_audit *audit)
{
    if (a && a->keys && audit && a->checker.audit)
        a->checker.audit(a->checker.ctx, audit);
}

void sn_auth_poll_keys(sn_auth *a)
{
    if (a && a->keys && a->checker.poll)
        a->checker.poll(a->checker.ctx);
}

sn_auth_result sn_auth_recheck(sn_auth *a, sn_principal *who, const char **why)
{
    *why = NULL;
    if (!a || !a->required || strncmp(who->id, "key:", 4) != 0)
        return SN_AUTH_OK;
    if (!a->keys || !a->checker.standing) {
        *why = "API keys are not accepted by this server";
        return SN_AUTH_INVALID;
    }
    return a->checker.standing(a->checker.ctx, who->id + 4, (int64_t)time(NULL), who, why);
}

sn_auth_result sn_auth_check(sn_auth *a, const char *authorization, sn_principal *who,
                             const char **why)
{
    memset(who, 0, sizeof(*who));
    *why = NULL;
    if (!a->required) {
        who->role = SN_ROLE_ANY;
        snprintf(who->id, sizeof(who->id), "anonymous");
        snprintf(who->scope, sizeof(who->scope), "*");
        return SN_AUTH_OK;
    }
    if (!authorization || !*authorization) {
        *why = "authentication required: send Authorization: Bearer <API key or token>";
        return SN_AUTH_MISSING;
    }
    if (strncasecmp(authorization, "Bearer ", 7) != 0) {
        *why = "unsupported authorization scheme: use Bearer";
        return SN_AUTH_INVALID;
    }
    const char *cred = authorization + 7;
    while (*cred == ' ')
        cred++;
    int64_t now = (int64_t)time(NULL);
    if (!strncmp(cred, "sn_", 3)) {
        if (!a->keys) {
            *why = "API keys are not accepted by this server";
            return SN_AUTH_INVALID;
        }
        return a->checker.check(a->checker.ctx, cred, now, who, why);
    }
    if (!a->jwt) {
        *why = "invalid API key";
        return SN_AUTH_INVALID;
    }
    return sn_jwt_verify(a->jwt, cred, now, who, why);
}
