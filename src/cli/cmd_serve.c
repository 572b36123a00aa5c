/* sentinel serve: the REST API for real-time decisions, until SIGTERM or SIGINT. */
#include "cli.h"
#include "pipeline.h"

#include "audit/audit.h"
#include "risk/risk.h"
#include "server/server.h"
#include "store/store.h"

#include <openssl/crypto.h>

#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: sentinel serve --model FILE [--listen HOST:PORT] [--config FILE] [options]\n"
    "\n"
    "Serves the REST API: every event sent to /api/v1/analyze/access or /api/v1/analyze/batch\n"
    "is judged against the history before it, as `sentinel detect --model FILE` would, and\n"
    "then added to it. Once connections are accepted, prints one line on standard output:\n"
    "  listening on http://HOST:PORT\n"
    "SIGTERM or SIGINT stops it: no new connections, in-flight requests finish.\n"
    "\n"
    "endpoints (roles admitted):\n"
    "  GET  /health                           status, version, models_loaded (public)\n"
    "  POST /api/v1/analyze/access            one event -> its verdict (analyst, service)\n"
    "  POST /api/v1/analyze/batch             {\"events\": [...]} -> verdicts (analyst, service)\n"
    "  GET  /api/v1/user/USER_ID/risk-score   the user's risk (viewer, analyst, admin; scope)\n"
    "  GET  /api/v1/anomalies?limit=N         recent anomalous verdicts (viewer, analyst, admin)\n"
    "  GET  /api/v1/model/metrics             the model (admin)\n"
    "  POST /api/v1/roles/discover?n_clusters=K  roles mined from resource use (analyst)\n"
    "  POST /api/v1/predict/access            a request -> approve/deny, peers (analyst, service)\n"
    "  GET  /metrics                          Prometheus metrics (admin, service)\n"
    "  GET  /openapi.json                     the OpenAPI 3.1 document (any role)\n"
    "\n"
    "Callers send Authorization: Bearer KEY (from `sentinel keys create`) or a JWT; viewers and\n"
    "services get risk bands in place of raw scores. Without any credential configured the\n"
    "server refuses to start, unless --insecure-no-auth (loopback only).\n"
    "\n"
    "It listens only once the model is loaded. Standard error carries the log: one JSON object\n"
    "per line (time, level, msg; for each request method, path, status, duration_us).\n"
    "The configuration, the model, every authentication attempt, request and verdict and every\n"
    "change of the keys file go into a tamper-evident audit log, which `sentinel audit verify\n"
    "--log FILE` checks: by default audit.jsonl beside the store (--db) or else the model, its\n"
    "HMAC key audit.key beside it, made at the first start (owner-only). --audit-log FILE keeps\n"
    "it elsewhere, --audit-log off turns it off (with a warning at every start).\n"
    "\n"
    "options (each also from the environment, SENTINEL_NAME, and from the YAML file given by\n"
    "--config, `name: value`; the command line wins over the environment, which wins over the\n"
    "file):\n";

static const char exit_text[] =
    "\n"
    "exit status: 0 stopped by a signal; 1 failure (unreadable model, keys file or TLS key,\n"
    "audit log that cannot be written, unusable audit key, address in use); 2 bad option, or\n"
    "no credential configured.\n";

/* A warning on standard error whatever the log level, before the log exists. */
static void warn_always(const char *text)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "{\"time\":\"%s\",\"level\":\"warn\",\"msg\":\"%s\"}\n", now, text);
}

/* Room for max_connections sockets: the soft limit on open files is often 1024. */
static void raise_open_files(int max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)max_connections + 64;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* The baselines continue from the store: its snapshot, with the events stored after it
 * replayed, when the snapshot comes from the same model; otherwise the model's own, snapshotted
 * now so that a later restart replays only what comes after. */
static sn_status restore_from_store(sn_store *store, sn_engine **engine, sn_log *log)
{
    sn_engine *restored = NULL;
    sn_error err;
    char msg[1024];
    sn_status st = sn_store_restore_engine(store, &restored, &err);
    if (st == SN_OK && !memcmp(sn_engine_get_stats(restored)->data_hash,
                               sn_engine_get_stats(*engine)->data_hash, 32)) {
        sn_engine_free(*engine);
        *engine = restored;
        sn_log_msg(log, SN_LOG_INFO, "baselines restored from the store", NULL);
        return SN_OK;
    }
    sn_engine_free(restored);
    if (st != SN_OK && st != SN_EOF) {
        sn_error_format(&err, msg, sizeof(msg));
        sn_log_msg(log, SN_LOG_ERROR, "cannot restore the baselines from the store", msg);
        return st;
    }
    if (st == SN_OK)
        sn_log_msg(log, SN_LOG_WARN,
                   "the store's baselines come from another model; starting "
                   "from the model's",
                   NULL);
    /* The model's own history is in no stored event: kept as the base an erasure rebuilds
     * from (a new model's replaces the old one's). */
    bool other_model = st == SN_OK;
    if ((st = sn_store_save_engine(store, *engine, &err)) != SN_OK ||
        (st = sn_store_save_base(store, *engine, other_model, &err)) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        sn_log_msg(log, SN_LOG_ERROR, "cannot snapshot the baselines", msg);
    }
    return st;
}

int sn_cmd_serve(int argc, char **argv)
{
    sn_server_config cfg;
    sn_error err;
    char msg[1024];
    bool help;
    if (sn_server_config_parse(&cfg, argc, argv, &help, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel serve: %s\n", msg);
        return SN_EXIT_USAGE;
    }
    if (help) {
        fputs(usage_text, stdout);
        sn_server_config_help(stdout);
        fputs(exit_text, stdout);
        return SN_EXIT_OK;
    }
    if (sn_server_config_check(&cfg, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel serve: %s\n", msg);
        return SN_EXIT_USAGE;
    }
    /* Written whatever the log level: nobody should run this way without noticing. */
    if (cfg.insecure_no_auth)
        warn_always("authentication is off (--insecure-no-auth): every caller on this machine is "
                    "an admin");
    if (!strcasecmp(cfg.audit_log, "off"))
        warn_always("the audit log is off (--audit-log off): authentication attempts, requests, "
                    "verdicts and key changes are not recorded");
    /* The signals are taken by sigwait below; worker threads inherit the mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    raise_open_files(cfg.max_connections);

    /* From here on, standard error carries JSON lines only. */
    sn_log *log = sn_log_new(STDERR_FILENO, (sn_log_level)cfg.log_level);
    if (!log) {
        fprintf(stderr, "sentinel serve: out of memory\n");
        return SN_EXIT_FAIL;
    }
    int status = SN_EXIT_FAIL;
    sn_service *svc = NULL;
    sn_server *srv = NULL;
    sn_audit *audit = NULL;
    sn_engine *engine;
    /* The audit log first: the server never runs without the one it is to keep. */
    sn_audit_where where;
    if (sn_server_audit_open(&cfg, &audit, &where, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        sn_log_msg(log, SN_LOG_ERROR, "cannot open the audit log", msg);
        goto done;
    }
    if (audit) {
        sn_log_line line;
        sn_log_begin(&line, SN_LOG_INFO,
                     where.key_created ? "audit log on, its key made now" : "audit log on");
        sn_log_str(&line, "audit_log", where.log, strlen(where.log));
        sn_log_str(&line, "audit_key_from", where.key, strlen(where.key));
        sn_log_end(log, &line);
        uint64_t cut = sn_audit_recovered_bytes(audit);
        if (cut) {
            sn_log_begin(&line, SN_LOG_WARN,
                         "the audit log ended in a record left unfinished by a crash: cut off, "
                         "and recorded as audit_recovered");
            sn_log_int(&line, "cut_bytes", (long long)cut);
            sn_log_end(log, &line);
        }
    }
    sn_store *store = NULL;
    unsigned char key[32];
    bool have_key = false;
    const char *env_key = getenv(SN_STORE_KEY_ENV);
    if (cfg.store_key_file[0] || (env_key && env_key[0]) || cfg.db[0]) {
        sn_store_keys keys;
        if (sn_store_keys_load(&keys, cfg.store_key_file, &err) != SN_OK) {
            sn_error_format(&err, msg, sizeof(msg));
            sn_log_msg(log, SN_LOG_ERROR, "no usable store key", msg);
            goto done;
        }
        memcpy(key, keys.master, 32);
        have_key = true;
        if (cfg.db[0] && (sn_store_open(&store, cfg.db, &keys, &err) != SN_OK ||
                          sn_store_claim(store, &err) != SN_OK)) {
            sn_store_close(store);
            store = NULL;
            OPENSSL_cleanse(&keys, sizeof(keys));
            OPENSSL_cleanse(key, sizeof(key));
            sn_error_format(&err, msg, sizeof(msg));
            sn_log_msg(log, SN_LOG_ERROR, "cannot open the store", msg);
            goto done;
        }
        OPENSSL_cleanse(&keys, sizeof(keys));
    }
    sn_status loaded = sn_engine_load_keyed(&engine, cfg.model, have_key ? key : NULL, &err);
    OPENSSL_cleanse(key, sizeof(key));
    if (loaded != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        sn_log_msg(log, SN_LOG_ERROR, "cannot load the model", msg);
        sn_store_close(store);
        goto done;
    }
    if (store) {
        /* The model in use, in the store's registry (once per model file). */
        char hex[65], abs[4096];
        const sn_engine_stats *ms = sn_engine_get_stats(engine);
        if (sn_cli_file_sha256(cfg.model, hex) != 0 ||
            sn_store_register_model(store, realpath(cfg.model, abs) ? abs : cfg.model, hex,
                                    ms->learned, ms->trained_at, &err) != SN_OK)
            sn_log_msg(log, SN_LOG_WARN, "cannot register the model in the store", NULL);
    }
    if (store && restore_from_store(store, &engine, log) != SN_OK) {
        sn_engine_free(engine);
        sn_store_close(store);
        goto done;
    }
    const sn_engine_stats *stats = sn_engine_get_stats(engine);
    long long learned = (long long)stats->learned;
    if (sn_service_new(&svc, engine, &cfg, log, &err) != SN_OK) {
        sn_log_msg(log, SN_LOG_ERROR, "cannot start", err.msg);
        sn_store_close(store);
        goto done;
    }
    if (store && sn_service_set_store(svc, store, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        sn_log_msg(log, SN_LOG_ERROR, "cannot use the store", msg);
        goto done;
    }
    sn_service_set_audit(svc, audit);
    sn_service_audit_start(svc);
    if (cfg.predictor[0]) {
        sn_predictor *pr = NULL;
        if (sn_predictor_load(&pr, cfg.predictor, &err) != SN_OK) {
            sn_error_format(&err, msg, sizeof(msg));
            sn_log_msg(log, SN_LOG_ERROR, "cannot load the access predictor", msg);
            goto done;
        }
        sn_service_set_predictor(svc, pr);
    }
    if (sn_server_start(&srv, svc, &cfg, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        sn_log_msg(log, SN_LOG_ERROR, "cannot start", msg);
        goto done;
    }
    sn_log_line line;
    sn_log_begin(&line, SN_LOG_INFO, "listening");
    sn_log_str(&line, "url", sn_server_url(srv), strlen(sn_server_url(srv)));
    sn_log_str(&line, "model", cfg.model, strlen(cfg.model));
    sn_log_int(&line, "events_learned", learned);
    if (cfg.predictor[0])
        sn_log_str(&line, "predictor", cfg.predictor, strlen(cfg.predictor));
    sn_log_end(log, &line);
    printf("listening on %s\n", sn_server_url(srv));
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    sn_log_begin(&line, SN_LOG_INFO, "stopping");
    sn_log_str(&line, "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", 7);
    sn_log_end(log, &line);
    sn_server_stop(srv);
    sn_service_audit_stop(svc, sig == SIGINT ? "SIGINT" : "SIGTERM");
    sn_log_msg(log, SN_LOG_INFO, "stopped", NULL);
    status = SN_EXIT_OK;
done:
    sn_service_free(svc);
    sn_audit_close(audit);
    sn_log_free(log);
    return status;
}
