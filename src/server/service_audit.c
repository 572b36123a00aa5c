/* What the service records in the audit log: the configuration, model and API keys in force at
 * start, every answered request, every verdict, its stop; and opening the log the configuration
 * asks for, where it asks or by default. */
#include "server_internal.h"

#include "../audit/audit.h"
#include "../core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

bool sn_server_audit_default_path(const sn_server_config *cfg, char *out, size_t cap)
{
    /* Beside the server's other data: the store's file (a URL has no directory), else the
     * model's. */
    const char *beside = cfg->db[0] && !strstr(cfg->db, "://") ? cfg->db : cfg->model;
    const char *slash = strrchr(beside, '/');
    int w;
    if (!slash)
        w = snprintf(out, cap, "audit.jsonl");
    else
        w = snprintf(out, cap, "%.*s/audit.jsonl", (int)(slash - beside), beside);
    return w > 0 && (size_t)w < cap;
}

/* How to choose another place for the log, or none. */
static const char elsewhere[] = "give --audit-log FILE (audit_log, SENTINEL_AUDIT_LOG) to keep "
                                "it elsewhere, or --audit-log off to run without an audit log";

/* The key: audit_key_file, else SENTINEL_AUDIT_KEY, else the file beside the log. */
static sn_status audit_key(const sn_server_config *cfg, const char *log, bool log_empty,
                           sn_secret *key, sn_audit_where *where, sn_error *err)
{
    char why[600];
    const char *env = getenv("SENTINEL_AUDIT_KEY");
    if (cfg->audit_key_file[0] || (env && *env)) {
        snprintf(where->key, sizeof(where->key), "%s",
                 cfg->audit_key_file[0] ? cfg->audit_key_file : "SENTINEL_AUDIT_KEY");
        if (sn_secret_load(cfg->audit_key_file, "SENTINEL_AUDIT_KEY", key, err) == SN_OK)
            return SN_OK;
        sn_error_format(err, why, sizeof(why));
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, "audit_key_file",
                            "the audit log is on (%.200s) but there is no usable audit key: %s; "
                            "give audit_key_file or SENTINEL_AUDIT_KEY, or set audit_log: off",
                            log, why);
    }
    if (!sn_audit_key_path(log, where->key, sizeof(where->key)))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "audit_log",
                            "the audit log's name is too long for a key file beside it");
    sn_status st = sn_audit_key_load_or_create(where->key, log_empty, key, &where->key_created,
                                               err);
    if (st == SN_OK)
        return SN_OK;
    sn_error_format(err, why, sizeof(why));
    if (!log_empty && access(where->key, F_OK) != 0)
        /* A new key cannot continue a chain made with another one. */
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, NULL,
                            "%s; the audit log %.200s already holds records, so a new key "
                            "cannot continue it: give the key it was written with "
                            "(audit_key_file or SENTINEL_AUDIT_KEY), or move the log aside to "
                            "start a new one",
                            why, log);
    if (st == SN_ERR_IO)
        return sn_error_set(err, st, true, NULL, 0, NULL, "%s; %s", why, elsewhere);
    return st;
}

sn_status sn_server_audit_open(const sn_server_config *cfg, sn_audit **out, sn_audit_where *where,
                               sn_error *err)
{
    *out = NULL;
    sn_audit_where spare;
    if (!where)
        where = &spare;
    memset(where, 0, sizeof(*where));
    if (!strcasecmp(cfg->audit_log, "off")) {
        where->off = true;
        return SN_OK;
    }
    where->default_log = !cfg->audit_log[0];
    if (!where->default_log)
        snprintf(where->log, sizeof(where->log), "%s", cfg->audit_log);
    else if (!sn_server_audit_default_path(cfg, where->log, sizeof(where->log)))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "audit_log",
                            "the default audit log's name is too long; %s", elsewhere);
    /* Whether the log can be written at all, before a key is made for it; and whether it holds
     * records (a key is made only for a log that does not). */
    int fd = open(where->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return sn_error_set(err, SN_ERR_IO, true, NULL, 0, NULL,
                            "cannot write the audit log %.300s: %s; %s", where->log, strerror(e),
                            elsewhere);
    }
    close(fd);
    sn_secret key = {0}, pkey = {0};
    char why[600];
    sn_status st = audit_key(cfg, where->log, sb.st_size == 0, &key, where, err);
    if (st != SN_OK)
        return st;
    const char *penv = getenv("SENTINEL_AUDIT_PSEUDONYM_KEY");
    bool pseudonyms = cfg->audit_pseudonym_key_file[0] || (penv && *penv);
    if (pseudonyms && sn_secret_load(cfg->audit_pseudonym_key_file, "SENTINEL_AUDIT_PSEUDONYM_KEY",
                                     &pkey, err) != SN_OK) {
        sn_secret_free(&key);
        sn_error_format(err, why, sizeof(why));
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, "audit_pseudonym_key_file",
                            "no usable pseudonym key: %s", why);
    }
    sn_audit_options o = {.path = where->log,
                          .key = key.data,
                          .key_len = key.len,
                          .pseudonym_key = pseudonyms ? pkey.data : NULL,
                          .pseudonym_key_len = pkey.len,
                          .fsync_ms = cfg->audit_fsync_ms};
    st = sn_audit_open(out, &o, err);
    sn_secret_free(&key);
    sn_secret_free(&pkey);
    if (st == SN_ERR_IO) {
        sn_error_format(err, why, sizeof(why));
        st = sn_error_set(err, st, true, NULL, 0, NULL, "%s; %s", why, elsewhere);
    }
    return st;
}

void sn_service_set_audit(sn_service *s, sn_audit *a)
{
    s->audit = a;
}

sn_audit *sn_service_audit(sn_service *s)
{
    return s ? s->audit : NULL;
}

/* A failure to record is the log's to report: the request goes on. */
static void record(sn_service *s, const sn_audit_rec *rec)
{
    sn_error err;
    if (sn_audit_record(s->audit, rec, &err) != SN_OK)
        sn_log_msg(s->log, SN_LOG_ERROR, "cannot write the audit log", err.msg);
}

void sn_service_audit_start(sn_service *s)
{
    if (!s->audit)
        return;
    char digest[65];
    sn_server_config_digest(&s->cfg, digest);
    sn_audit_field cf[] = {SN_AUDIT_S("event", "in force at start"),
                           SN_AUDIT_S("config_sha256", digest),
                           SN_AUDIT_S("config_file", s->cfg.config[0] ? s->cfg.config : NULL),
                           SN_AUDIT_S("version", SENTINEL_VERSION)};
    sn_audit_rec c = {"config_change", "sentinel", NULL, cf, 4};
    record(s, &c);
    char learned[24], threshold[24];
    snprintf(learned, sizeof(learned), "%" PRIu64, s->learned);
    snprintf(threshold, sizeof(threshold), "%.2f", s->threshold);
    sn_audit_field mf[] = {
        SN_AUDIT_S("event", "loaded at start"),  SN_AUDIT_S("model_file", s->cfg.model),
        SN_AUDIT_S("trained_at", s->trained_at), SN_AUDIT_S("training_data_sha256", s->data_hash),
        SN_AUDIT_S("events_learned", learned),   SN_AUDIT_S("alert_threshold", threshold),
        SN_AUDIT_B("fitted", s->models_loaded)};
    sn_audit_rec m = {"model_change", "sentinel", NULL, mf, 7};
    record(s, &m);
    sn_auth_audit_keys(s->auth, s->audit);
}

void sn_service_audit_stop(sn_service *s, const char *signal_name)
{
    if (!s->audit)
        return;
    sn_auth_poll_keys(s->auth);
    sn_audit_field f[] = {SN_AUDIT_S("event", "stopped"), SN_AUDIT_S("signal", signal_name)};
    sn_audit_rec rec = {"service", "sentinel", NULL, f, signal_name ? 2 : 1};
    record(s, &rec);
}

void sn_service_audit_call(sn_service *s, const char *caller, const char *source,
                           const char *method, const char *path, int status, int64_t duration_us)
{
    if (!s->audit)
        return;
    sn_audit_field f[] = {SN_AUDIT_S("method", method),
                          SN_AUDIT_S("route", sn_service_route_name(sn_service_route_index(path))),
                          SN_AUDIT_I("status", status), SN_AUDIT_I("duration_us", duration_us)};
    sn_audit_rec r = {"api_call", caller, source, f, 4};
    record(s, &r);
}

/* Verdicts are recorded this many at a time: one write each. */
#define VERDICT_CHUNK 256

typedef struct verdict_fields {
    char event_id[SN_AUDIT_MAX_VALUE + 1], user[SN_AUDIT_MAX_VALUE + 1], risk[16];
    sn_audit_field f[7];
} verdict_fields;

static void copy_str(char *out, const sn_str *s)
{
    size_t n = s->n < SN_AUDIT_MAX_VALUE ? s->n : SN_AUDIT_MAX_VALUE;
    if (n)
        memcpy(out, s->p, n);
    out[n] = '\0';
}

void sn_service_audit_verdicts(sn_service *s, const sn_http_request *req, const sn_req_events *evs,
                               const sn_verdict *verdicts)
{
    if (!s->audit || !evs->good)
        return;
    size_t chunk = evs->good < VERDICT_CHUNK ? evs->good : VERDICT_CHUNK;
    verdict_fields *vf = malloc(chunk * sizeof(*vf));
    sn_audit_rec *recs = malloc(chunk * sizeof(*recs));
    const char *route = sn_service_route_name(sn_service_route_index(req->path));
    sn_error err;
    if (!vf || !recs) {
        sn_log_msg(s->log, SN_LOG_ERROR, "cannot write the audit log", "out of memory");
        free(vf);
        free(recs);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < evs->n; i++) {
        if (evs->refused[i])
            continue;
        const sn_verdict *v = &verdicts[i];
        verdict_fields *x = &vf[k];
        copy_str(x->event_id, &evs->ev[i].event_id);
        copy_str(x->user, &evs->ev[i].user_id);
        snprintf(x->risk, sizeof(x->risk), "%.2f", v->risk_score);
        x->f[0] = SN_AUDIT_S("route", route);
        x->f[1] = SN_AUDIT_S("event_id", x->event_id[0] ? x->event_id : NULL);
        x->f[2] = SN_AUDIT_P("user", x->user);
        x->f[3] = SN_AUDIT_S("risk_level", sn_level_name(v->level));
        x->f[4] = SN_AUDIT_S("risk_score", x->risk);
        x->f[5] = SN_AUDIT_S("recommendation", v->recommendation);
        x->f[6] = SN_AUDIT_B("is_anomaly", v->is_anomaly);
        recs[k] = (sn_audit_rec){"prediction", req->caller, req->source, x->f, 7};
        if (++k == chunk) {
            if (sn_audit_record_many(s->audit, recs, k, &err) != SN_OK)
                sn_log_msg(s->log, SN_LOG_ERROR, "cannot write the audit log", err.msg);
            k = 0;
        }
    }
    if (k && sn_audit_record_many(s->audit, recs, k, &err) != SN_OK)
        sn_log_msg(s->log, SN_LOG_ERROR, "cannot write the audit log", err.msg);
    free(vf);
    free(recs);
}

void sn_service_audit_metrics_text(sn_service *s, sn_buf *out)
{
    sn_buf_printf(out,
                  "# HELP sentinel_audit_records_total Records written to the audit log since "
                  "start.\n# TYPE sentinel_audit_records_total counter\n"
                  "sentinel_audit_records_total %" PRIu64 "\n"
                  "# HELP sentinel_audit_write_failures_total Writes to the audit log that "
                  "failed (the records were not recorded).\n"
                  "# TYPE sentinel_audit_write_failures_total counter\n"
                  "sentinel_audit_write_failures_total %" PRIu64 "\n",
                  sn_audit_records(s->audit), sn_audit_failures(s->audit));
}
