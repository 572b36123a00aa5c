/* Dashboard sign-in sessions: a credential pasted once (an API key or a JWT) is exchanged for a
 * random session id held in an HttpOnly, Secure, SameSite=Strict cookie, with a per-session CSRF
 * token the page sends in X-CSRF-Token on every request that may change state. The table is
 * bounded and every session expires; only a hash of each id is kept, so the table's memory never
 * holds a usable cookie. */
#include "dashboard.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ID_BYTES 32 /* 256 random bits: 64 hex characters in the cookie */

typedef struct session {
    unsigned char id_hash[32]; /* SHA-256 of the id's bytes */
    char csrf[65];
    sn_principal who;   /* the caller the credential given at sign-in stood for */
    int64_t expires_us; /* 0: free slot */
} session;

struct sn_sessions {
    pthread_mutex_t mutex;
    session *items;
    size_t cap;
    int ttl;
};

sn_sessions *sn_sessions_new(size_t cap, int ttl_seconds)
{
    sn_sessions *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->items = calloc(cap, sizeof(*t->items));
    if (!t->items || pthread_mutex_init(&t->mutex, NULL) != 0) {
        free(t->items);
        free(t);
        return NULL;
    }
    t->cap = cap;
    t->ttl = ttl_seconds;
    return t;
}

void sn_sessions_free(sn_sessions *t)
{
    if (!t)
        return;
    OPENSSL_cleanse(t->items, t->cap * sizeof(*t->items));
    free(t->items);
    pthread_mutex_destroy(&t->mutex);
    free(t);
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int unhex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool sha256(const unsigned char *in, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    return EVP_Digest(in, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

/* The session id the Cookie header carries, as bytes; false when there is none or it is not
 * 64 lower-case hex digits. */
static bool cookie_id(const char *cookie, unsigned char id[ID_BYTES])
{
    static const char name[] = SN_SESSION_COOKIE "=";
    for (const char *p = cookie; p && *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t k = strcspn(p, ";");
        if (k >= sizeof(name) - 1 && !memcmp(p, name, sizeof(name) - 1)) {
            const char *v = p + sizeof(name) - 1;
            size_t vn = k - (sizeof(name) - 1);
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
            if (vn != 2 * ID_BYTES)
                return false;
            for (size_t i = 0; i < ID_BYTES; i++) {
                int hi = unhex_digit(v[2 * i]), lo = unhex_digit(v[2 * i + 1]);
                if (hi < 0 || lo < 0)
                    return false;
                id[i] = (unsigned char)(hi << 4 | lo);
            }
            return true;
        }
        p += k + (p[k] == ';');
    }
    return false;
}

static bool has_session_cookie(const char *cookie)
{
    static const char name[] = SN_SESSION_COOKIE "=";
    for (const char *p = cookie; p && *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!strncmp(p, name, sizeof(name) - 1))
            return true;
        p += strcspn(p, ";");
        p += *p == ';';
    }
    return false;
}

/* The live session whose id hashes to h, or NULL; expired ones found on the way are freed. */
static session *find(sn_sessions *t, const unsigned char h[32], int64_t now)
{
    session *found = NULL;
    for (size_t i = 0; i < t->cap; i++) {
        session *e = &t->items[i];
        if (!e->expires_us)
            continue;
        if (e->expires_us <= now) {
            OPENSSL_cleanse(e, sizeof(*e));
            continue;
        }
        /* Every live slot is compared, in constant time, so that timing says nothing. */
        if (CRYPTO_memcmp(e->id_hash, h, 32) == 0)
            found = e;
    }
    return found;
}

bool sn_session_lookup(sn_service *s, const sn_http_request *req, sn_session_info *out)
{
    unsigned char id[ID_BYTES], h[32];
    if (!req->cookie || !cookie_id(req->cookie, id) || !sha256(id, sizeof(id), h))
        return false;
    sn_sessions *t = s->sessions;
    pthread_mutex_lock(&t->mutex);
    session *e = find(t, h, sn_now_us());
    if (e) {
        /* The key the session was opened with must still admit: a revoked or expired key ends
         * its sessions at their next request, and a changed role or scope applies to them. */
        const char *why;
        sn_principal now = e->who;
        if (sn_auth_recheck(s->auth, &now, &why) != SN_AUTH_OK) {
            OPENSSL_cleanse(e, sizeof(*e));
            e = NULL;
        } else {
            e->who = now;
            out->who = e->who;
            memcpy(out->csrf, e->csrf, sizeof(out->csrf));
            out->expires_us = e->expires_us;
        }
    }
    pthread_mutex_unlock(&t->mutex);
    OPENSSL_cleanse(id, sizeof(id));
    OPENSSL_cleanse(h, sizeof(h));
    return e != NULL;
}

/* Starts a session: writes its cookie value (64 hex digits) and fills info. */
static bool start(sn_sessions *t, const sn_principal *who, char cookie[2 * ID_BYTES + 1],
                  sn_session_info *info)
{
    unsigned char id[ID_BYTES], csrf[32], h[32];
    if (RAND_bytes(id, sizeof(id)) != 1 || RAND_bytes(csrf, sizeof(csrf)) != 1 ||
        !sha256(id, sizeof(id), h))
        return false;
    int64_t now = sn_now_us();
    pthread_mutex_lock(&t->mutex);
    /* A free or expired slot; when the table is full, the session closest to expiry ends. */
    session *slot = NULL;
    for (size_t i = 0; i < t->cap; i++) {
        session *e = &t->items[i];
        if (!e->expires_us || e->expires_us <= now) {
            slot = e;
            break;
        }
        if (!slot || e->expires_us < slot->expires_us)
            slot = e;
    }
    if (!slot) { /* a table of no slots: sn_sessions_new is never given one */
        pthread_mutex_unlock(&t->mutex);
        return false;
    }
    memset(slot, 0, sizeof(*slot));
    memcpy(slot->id_hash, h, sizeof(h));
    hex(csrf, sizeof(csrf), slot->csrf);
    slot->who = *who;
    slot->expires_us = now + (int64_t)t->ttl * 1000000;
    if (who->expires > 0 && who->expires * 1000000 < slot->expires_us)
        slot->expires_us = who->expires * 1000000; /* not past its token's expiry */
    info->who = *who;
    memcpy(info->csrf, slot->csrf, sizeof(info->csrf));
    info->expires_us = slot->expires_us;
    pthread_mutex_unlock(&t->mutex);
    hex(id, sizeof(id), cookie);
    OPENSSL_cleanse(id, sizeof(id));
    OPENSSL_cleanse(csrf, sizeof(csrf));
    return true;
}

static void end(sn_sessions *t, const sn_http_request *req)
{
    unsigned char id[ID_BYTES], h[32];
    if (!req->cookie || !cookie_id(req->cookie, id) || !sha256(id, sizeof(id), h))
        return;
    pthread_mutex_lock(&t->mutex);
    session *e = find(t, h, sn_now_us());
    if (e)
        OPENSSL_cleanse(e, sizeof(*e));
    pthread_mutex_unlock(&t->mutex);
}

bool sn_session_check_credential(sn_service *s, const char *credential, sn_principal *who)
{
    size_t n = credential ? strnlen(credential, 8193) : 0;
    if (n == 0 || n > 8192)
        return false;
    /* The same check as an Authorization header: an API key or a JWT, by the same rules. */
    char header[8200];
    snprintf(header, sizeof(header), "Bearer %s", credential);
    const char *why = NULL;
    bool ok = sn_auth_check(s->auth, header, who, &why) == SN_AUTH_OK;
    OPENSSL_cleanse(header, sizeof(header));
    return ok;
}

static const char *role_name(int role)
{
    /* Without authentication every caller is an admin. */
    return role == SN_ROLE_ANY ? "admin" : sn_role_name((sn_role)role);
}

static bool is_safe_method(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

bool sn_session_cookie_sent(const sn_http_request *req)
{
    return req->cookie && has_session_cookie(req->cookie);
}

sn_auth_result sn_session_authenticate(sn_service *s, const sn_http_request *req, sn_principal *who,
                                       bool *csrf_ok, const char **why)
{
    sn_session_info info;
    *csrf_ok = false;
    if (!sn_session_lookup(s, req, &info)) {
        *why = "sign in at / first: this browser has no valid session";
        return SN_AUTH_MISSING;
    }
    *who = info.who;
    *csrf_ok = is_safe_method(req->method) || (req->csrf_token && strlen(req->csrf_token) == 64 &&
                                               CRYPTO_memcmp(req->csrf_token, info.csrf, 64) == 0);
    OPENSSL_cleanse(&info, sizeof(info));
    return SN_AUTH_OK;
}

/* The session's description as GET and POST /api/v1/session answer it. */
static void session_json(sn_http_response *resp, int status, const sn_session_info *info)
{
    char expires[32];
    sn_format_timestamp(info->expires_us, expires);
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "{\"subject\":");
    sn_buf_json_str(&b, info->who.id, strlen(info->who.id));
    sn_buf_puts(&b, ",\"role\":\"");
    sn_buf_puts(&b, role_name(info->who.role));
    sn_buf_puts(&b, "\",\"csrf_token\":\"");
    sn_buf_puts(&b, info->csrf);
    sn_buf_puts(&b, "\",\"expires_at\":\"");
    sn_buf_puts(&b, expires);
    sn_buf_puts(&b, "\"}");
    sn_json_respond(resp, status, &b);
}

static void sign_in(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    /* Only the dashboard's own page signs in: a form posted from another site is refused
     * (browsers send Sec-Fetch-Site; other clients do not). */
    if (req->fetch_site && strcmp(req->fetch_site, "same-origin") != 0 &&
        strcmp(req->fetch_site, "none") != 0) {
        sn_service_error(resp, 403, "cross_site", "sign in from the dashboard's own page", NULL);
        return;
    }
    json_t *root = sn_json_parse_body(req->body ? req->body : "", req->body_len, resp);
    if (!root)
        return;
    json_t *c = json_is_object(root) ? json_object_get(root, "credential") : NULL;
    if (!json_is_string(c)) {
        sn_service_error(resp, 422, c ? "invalid_field" : "missing_field",
                         "expected {\"credential\": \"an API key or a JWT\"}", "credential");
        json_decref(root);
        return;
    }
    sn_principal who;
    bool ok = json_string_length(c) == strlen(json_string_value(c)) &&
              sn_session_check_credential(s, json_string_value(c), &who);
    json_decref(root);
    if (!ok) {
        sn_service_error(resp, 401, "invalid_credential",
                         "the credential was not accepted: paste an API key or a JWT",
                         "credential");
        return;
    }
    char cookie[2 * ID_BYTES + 1];
    sn_session_info info;
    if (!start(s->sessions, &who, cookie, &info)) {
        sn_service_error(resp, 500, "internal_error", "no random numbers for a session", NULL);
        return;
    }
    session_json(resp, 200, &info);
    snprintf(resp->set_cookie, sizeof(resp->set_cookie),
             SN_SESSION_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; Secure; SameSite=Strict", cookie,
             s->cfg.session_ttl);
    OPENSSL_cleanse(cookie, sizeof(cookie));
    OPENSSL_cleanse(&info, sizeof(info));
}

void sn_session_handle(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    if (!strcmp(req->method, "POST")) {
        sign_in(s, req, resp);
        return;
    }
    sn_session_info info;
    if (!sn_session_lookup(s, req, &info)) {
        sn_service_error(resp, 401, "unauthenticated", "no valid session: sign in at /", NULL);
        return;
    }
    if (!strcmp(req->method, "DELETE")) {
        if (!req->csrf_token || strlen(req->csrf_token) != 64 ||
            CRYPTO_memcmp(req->csrf_token, info.csrf, 64) != 0) {
            OPENSSL_cleanse(&info, sizeof(info));
            sn_service_error(resp, 403, "csrf_failed",
                             "signing out needs the session's X-CSRF-Token", NULL);
            return;
        }
        end(s->sessions, req);
        sn_buf b;
        sn_buf_init(&b);
        sn_buf_puts(&b, "{\"signed_out\":true}");
        sn_json_respond(resp, 200, &b);
        snprintf(resp->set_cookie, sizeof(resp->set_cookie),
                 SN_SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    } else {
        session_json(resp, 200, &info);
    }
    OPENSSL_cleanse(&info, sizeof(info));
}
