/* sentinel serve: the REST API for real-time decisions, until SIGTERM or SIGINT. */
#include "cli.h"

#include "risk/risk.h"
#include "server/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
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
    "endpoints:\n"
    "  GET  /health                           status, version, models_loaded, timestamp\n"
    "  POST /api/v1/analyze/access            one event -> its verdict\n"
    "  POST /api/v1/analyze/batch             {\"events\": [...]} -> a verdict per event\n"
    "  GET  /api/v1/user/USER_ID/risk-score   the user's risk from five factors\n"
    "  GET  /api/v1/anomalies?limit=N         most recent anomalous verdicts (1-1000, 100)\n"
    "  GET  /api/v1/model/metrics             the model: training, threshold, parameters\n"
    "  POST /api/v1/predict/access            a request -> approve/deny probability, peers\n"
    "  GET  /metrics                          Prometheus metrics\n"
    "  GET  /openapi.json                     the OpenAPI 3.1 document of this API\n"
    "\n"
    "It listens only once the model is loaded. Standard error carries the log: one JSON object\n"
    "per line (time, level, msg; for each request method, path, status, duration_us).\n"
    "\n"
    "options (each also from the environment, SENTINEL_NAME, and from the YAML file given by\n"
    "--config, `name: value`; the command line wins over the environment, which wins over the\n"
    "file):\n";

static const char exit_text[] =
    "\n"
    "exit status: 0 stopped by a signal; 1 failure (unreadable model, address in use);\n"
    "2 bad option.\n";

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
    sn_engine *engine;
    if (sn_engine_load(&engine, cfg.model, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        sn_log_msg(log, SN_LOG_ERROR, "cannot load the model", msg);
        goto done;
    }
    const sn_engine_stats *stats = sn_engine_get_stats(engine);
    long long learned = (long long)stats->learned;
    if (sn_service_new(&svc, engine, &cfg, log, &err) != SN_OK) {
        sn_log_msg(log, SN_LOG_ERROR, "cannot start", err.msg);
        goto done;
    }
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
    sn_log_msg(log, SN_LOG_INFO, "stopped", NULL);
    status = SN_EXIT_OK;
done:
    sn_service_free(svc);
    sn_log_free(log);
    return status;
}
