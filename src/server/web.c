/* The dashboard's pages and assets, embedded in the binary at build time (tools/gen_dashboard.js
 * bundles web/ and writes them as byte arrays, each with a gzip copy and an ETag): `/` is the
 * dashboard for a signed-in browser and the sign-in page for any other, the assets revalidate
 * by ETag, and /api/v1/session signs in and out (session.c). */
#include "dashboard.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESSION_PATH "/api/v1/session"
#define ASSET_PREFIX "/assets/"
/* Largest sign-in body: a JWT with generous claims fits many times over. */
#define SESSION_BODY_LIMIT (16 * 1024)

/* Pages load only what the server itself serves; nothing inline, no frames. */
static const char page_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

bool sn_web_owns(const char *path)
{
    return !strcmp(path, "/") || !strcmp(path, SESSION_PATH) ||
           !strncmp(path, ASSET_PREFIX, sizeof(ASSET_PREFIX) - 1);
}

static const sn_web_asset *find_asset(const char *path)
{
    for (size_t i = 0; i < sn_web_asset_count; i++)
        if (!strcmp(sn_web_assets[i].path, path))
            return &sn_web_assets[i];
    return NULL;
}

bool sn_web_precheck(sn_service *s, const sn_http_request *req, long long content_length,
                     sn_http_response *resp)
{
    (void)s;
    memset(resp, 0, sizeof(*resp));
    const char *m = req->method;
    if (!strcmp(req->path, SESSION_PATH)) {
        if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "POST") != 0 &&
            strcmp(m, "DELETE") != 0) {
            sn_service_error(resp, 405, "method_not_allowed",
                             "this endpoint answers GET, POST and DELETE", NULL);
            resp->allow = "GET, HEAD, POST, DELETE";
            return false;
        }
        if (!strcmp(m, "POST")) {
            const char *ct = req->content_type ? req->content_type : "";
            while (*ct == ' ')
                ct++;
            if (strncasecmp(ct, "application/json", 16) != 0 ||
                (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
                sn_service_error(resp, 415, "unsupported_media_type",
                                 "send the body as JSON with Content-Type: application/json", NULL);
                return false;
            }
        }
        if (content_length > SESSION_BODY_LIMIT) {
            sn_service_error(resp, 413, "body_too_large", "a sign-in body is at most 16 KiB", NULL);
            return false;
        }
        return true;
    }
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
        sn_service_error(resp, 405, "method_not_allowed", "the dashboard answers GET", NULL);
        resp->allow = "GET, HEAD";
        return false;
    }
    if (strcmp(req->path, "/") != 0 && !find_asset(req->path)) {
        sn_service_error(resp, 404, "not_found", "no dashboard file at this path", NULL);
        return false;
    }
    if (content_length > 0) {
        sn_service_error(resp, 413, "body_too_large", "the dashboard takes no body", NULL);
        return false;
    }
    return true;
}

/* Whether the If-None-Match header names etag (a list, or "*"). */
static bool etag_matches(const char *header, const char *etag)
{
    if (!header)
        return false;
    size_t n = strlen(etag);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!strncmp(p, "W/", 2))
            p += 2;
        if (*p == '*' || !strncmp(p, etag, n))
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

static bool accepts_gzip(const char *header)
{
    /* "gzip" as a coding, not refused with q=0. */
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = strcspn(p, ",");
        if (k >= 4 && !strncasecmp(p, "gzip", 4) && (k == 4 || p[4] == ';' || p[4] == ' '))
            return !memmem(p, k, "q=0", 3) || memmem(p, k, "q=0.", 4);
        p += k;
    }
    return false;
}

static void send_asset(const sn_http_request *req, const sn_web_asset *a, sn_http_response *resp)
{
    resp->cache_control = "no-cache";
    resp->etag = a->etag;
    resp->content_type = a->content_type;
    if (!strcmp(a->content_type, "text/html; charset=utf-8"))
        resp->csp = page_csp;
    if (etag_matches(req->if_none_match, a->etag)) {
        resp->status = 304;
        resp->body = NULL;
        resp->body_len = 0;
        return;
    }
    bool gz = a->gz_len && accepts_gzip(req->accept_encoding);
    const unsigned char *data = gz ? a->gz : a->data;
    size_t len = gz ? a->gz_len : a->len;
    resp->body = malloc(len ? len : 1);
    if (!resp->body) {
        sn_service_error(resp, 500, "internal_error", "out of memory", NULL);
        return;
    }
    memcpy(resp->body, data, len);
    resp->body_len = len;
    resp->status = 200;
    if (gz)
        resp->content_encoding = "gzip";
}

void sn_web_handle(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    if (!sn_web_precheck(s, req, (long long)req->body_len, resp))
        return;
    if (!strcmp(req->path, SESSION_PATH)) {
        sn_session_handle(s, req, resp);
        return;
    }
    sn_session_info info;
    bool signed_in = sn_session_lookup(s, req, &info);
    const sn_web_asset *a;
    if (!strcmp(req->path, "/"))
        a = find_asset(signed_in ? "/index.html" : "/signin.html");
    else
        a = find_asset(req->path);
    if (!a) {
        sn_service_error(resp, 404, "not_found", "no dashboard file at this path", NULL);
        return;
    }
    if (!a->public_asset && !signed_in) {
        sn_service_error(resp, 401, "unauthenticated", "sign in at / first", NULL);
        return;
    }
    send_asset(req, a, resp);
}
