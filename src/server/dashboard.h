/* Shared by the server's own files only: the web dashboard's figures (dashboard.c), its
 * sign-in sessions (session.c) and its embedded assets (web.c). */
#ifndef SN_SERVER_DASHBOARD_H
#define SN_SERVER_DASHBOARD_H

#include "auth.h"
#include "server_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Figures (dashboard.c) -------------------------------------------------------------- */

/* What the dashboard counts over every event the service judged: totals, levels, an hourly
 * timeline, the hour-by-weekday heat map, sources of failures, and per user a short timeline,
 * places and resources (with the share of the user's department that uses each). Not
 * thread-safe: kept under the service lock. Memory is bounded by the number of distinct users,
 * resources, places and (SN_DASH_MAX_SOURCES) failure sources. */
typedef struct sn_dash sn_dash;

/* NULL when out of memory. */
sn_dash *sn_dash_new(void);
void sn_dash_free(sn_dash *d);
/* Counts one judged event. SN_ERR_NOMEM when out of memory (the figures may then miss it). */
sn_status sn_dash_record(sn_dash *d, const sn_event *ev, const sn_verdict *v);
/* Drops what is kept about one user (their figures, recent events, resources and places, their
 * place among their department's users), after an erasure; the totals, the timeline and the heat
 * map keep counting the events they had. */
void sn_dash_forget_user(sn_dash *d, const char *user, size_t n);

/* Handlers of the dashboard's data endpoints (route table in routes.c). */
void sn_dash_h_overview(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                        sn_http_response *resp);
void sn_dash_h_anomalies(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                         sn_http_response *resp);
void sn_dash_h_user_events(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                           sn_http_response *resp);

/* ---- Sessions (session.c) --------------------------------------------------------------- */

/* Name of the session cookie. */
#define SN_SESSION_COOKIE "sn_session"

typedef struct sn_sessions sn_sessions;

/* At most cap sessions, each lasting ttl_seconds. NULL when out of memory. */
sn_sessions *sn_sessions_new(size_t cap, int ttl_seconds);
void sn_sessions_free(sn_sessions *t);

/* Validates a credential pasted at sign-in (an API key or a JWT) exactly as an Authorization
 * header is checked: true with the caller it stands for (role and scope), which the session then
 * carries. Without authentication (insecure_no_auth) any non-empty credential of at most 8 KiB
 * is accepted, as the API itself is then open to every caller. */
bool sn_session_check_credential(sn_service *s, const char *credential, sn_principal *who);

/* Whether the request is answered by the dashboard rather than the route table: the pages, the
 * assets and /api/v1/session. */
bool sn_web_owns(const char *path);
/* sn_service_precheck for those paths. */
bool sn_web_precheck(sn_service *s, const sn_http_request *req, long long content_length,
                     sn_http_response *resp);
/* Answers those paths (every check of sn_web_precheck included). */
void sn_web_handle(sn_service *s, const sn_http_request *req, sn_http_response *resp);

/* Whether the request carries the session cookie. */
bool sn_session_cookie_sent(const sn_http_request *req);
/* A browser's credential: the session of its cookie. SN_AUTH_OK with who (the caller the
 * session stands for) and *csrf_ok (a safe method, or the session's X-CSRF-Token given);
 * SN_AUTH_MISSING with why when there is no valid session. */
sn_auth_result sn_session_authenticate(sn_service *s, const sn_http_request *req, sn_principal *who,
                                       bool *csrf_ok, const char **why);

/* Answers /api/v1/session: GET the session (with its CSRF token), POST {"credential"} to sign
 * in, DELETE to sign out (method already checked by sn_web_precheck). */
void sn_session_handle(sn_service *s, const sn_http_request *req, sn_http_response *resp);

/* The session of the request's cookie, copied out; false when there is none or it expired. */
typedef struct sn_session_info {
    sn_principal who;
    char csrf[65];
    int64_t expires_us;
} sn_session_info;
bool sn_session_lookup(sn_service *s, const sn_http_request *req, sn_session_info *out);

/* ---- Assets (web.c, data generated from web/ at build time) ----------------------------- */

typedef struct sn_web_asset {
    const char *path;         /* "/assets/app.js" */
    const char *content_type; /* with charset for text */
    const unsigned char *data, *gz;
    size_t len, gz_len;
    const char *etag;  /* quoted: "\"1a2b...\"" */
    bool public_asset; /* served without a session (the sign-in page's own) */
} sn_web_asset;

/* The assets bundled at build time (web_assets.c in the build tree). */
extern const sn_web_asset sn_web_assets[];
extern const size_t sn_web_asset_count;

#endif
