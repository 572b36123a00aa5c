/* What the server's in-process tests share: an engine trained on a small generated log, and
 * requests answered by a service into a buffer. Static inline functions, included by each test. */
#ifndef SN_TEST_SERVER_FIXTURE_H
#define SN_TEST_SERVER_FIXTURE_H

#include "gen/gen.h"
#include "ingest/ingest.h"
#include "risk/risk.h"
#include "server/server.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An engine trained on 30 generated users of 20 events each; fitted unless fit is false. */
static inline sn_engine *fx_engine(bool fit)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    sn_gen_options o;
    sn_gen_options_init(&o);
    o.users = 30;
    o.events_per_user = 20;
    o.seed = 3;
    sn_error err;
    if (!f || sn_gen_write(&o, f, "gen", NULL, &err) != SN_OK)
        return NULL;
    fclose(f);
    sn_engine *e = sn_engine_new(NULL);
    sn_reader *r;
    if (!e || sn_reader_open_mem(&r, data, len, "gen", SN_FORMAT_CSV, &err) != SN_OK)
        return NULL;
    sn_event ev;
    while (sn_reader_next(r, &ev, &err) == SN_OK)
        sn_engine_learn(e, &ev, &err);
    sn_reader_close(r);
    free(data);
    if (fit && sn_engine_fit(e, &err) != SN_OK)
        return NULL;
    return e;
}

/* A service on fx_engine(fit) with the default options but batch_limit, without
 * authentication or rate limits. */
static inline sn_service *fx_service(bool fit, int batch_limit)
{
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.batch_limit = batch_limit;
    /* Who calls and how often is test_auth.c's subject; elsewhere every call is let in. */
    cfg.insecure_no_auth = true;
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    sn_engine *e = fx_engine(fit);
    sn_service *s;
    sn_error err;
    if (!e || sn_service_new(&s, e, &cfg, NULL, &err) != SN_OK)
        return NULL;
    return s;
}

typedef struct fx_answer {
    int status;
    char *body; /* NUL-terminated; freed by the next call */
    size_t len;
    const char *content_type;
    int retry_after;
} fx_answer;

/* Answers one request; the answer stays valid until the next call. */
static inline fx_answer *fx_call(sn_service *s, const char *method, const char *path,
                                 const char *content_type, const char *body, size_t body_len)
{
    static fx_answer a;
    free(a.body);
    sn_http_request req = {.method = method,
                           .path = path,
                           .content_type = content_type,
                           .body = body,
                           .body_len = body_len};
    sn_http_response resp;
    sn_service_handle(s, &req, &resp);
    a.status = resp.status;
    a.content_type = resp.content_type;
    a.retry_after = resp.retry_after;
    a.body = malloc(resp.body_len + 1);
    if (a.body) {
        memcpy(a.body, resp.body, resp.body_len);
        a.body[resp.body_len] = '\0';
    }
    a.len = resp.body_len;
    free(resp.body);
    return &a;
}

static inline fx_answer *fx_post(sn_service *s, const char *path, const char *body, size_t len)
{
    return fx_call(s, "POST", path, "application/json", body, len);
}

/* {"events": [...]} of n events of 50 users, a minute apart, as text (caller frees). */
static inline char *fx_batch(size_t n, size_t *len)
{
    size_t cap = 64 + n * 320;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    size_t o = (size_t)snprintf(b, cap, "{\"events\":[");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(b + o, cap - o,
                              "%s{\"event_id\":\"B%zu\",\"user_id\":\"U%04zu\",\"department\":"
                              "\"Sales\",\"resource\":\"crm_system\",\"action\":\"read\","
                              "\"timestamp\":\"2026-12-%02zu %02zu:%02zu:00\",\"source_ip\":"
                              "\"192.168.%zu.10\",\"location\":\"Mumbai, IN\",\"success\":true}",
                              i ? "," : "", i, i % 50, 10 + i / 1440 % 18, i / 60 % 24, i % 60,
                              i % 50);
    o += (size_t)snprintf(b + o, cap - o, "]}");
    *len = o;
    return b;
}

#endif
