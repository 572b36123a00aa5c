/* sentinel serve: the REST API for real-time decisions, until SIGTERM or SIGINT. */
#include "cli.h"

#include "risk/risk.h"
#include "server/server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

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

    sn_engine *engine;
    if (sn_engine_load(&engine, cfg.model, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel serve: %s\n", msg);
        return SN_EXIT_FAIL;
    }
    const sn_engine_stats *stats = sn_engine_get_stats(engine);
    unsigned long long learned = stats->learned;
    sn_service *svc;
    if (sn_service_new(&svc, engine, &cfg, &err) != SN_OK) {
        fprintf(stderr, "sentinel serve: %s\n", err.msg);
        return SN_EXIT_FAIL;
    }
    sn_server *srv;
    if (sn_server_start(&srv, svc, &cfg, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel serve: %s\n", msg);
        sn_service_free(svc);
        return SN_EXIT_FAIL;
    }
    fprintf(stderr, "sentinel serve: model %s (%llu events learned)\n", cfg.model, learned);
    printf("listening on %s\n", sn_server_url(srv));
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    fprintf(stderr, "sentinel serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sn_server_stop(srv);
    sn_service_free(svc);
    return SN_EXIT_OK;
}
