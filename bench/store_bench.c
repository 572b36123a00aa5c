/* The store's cost next to detection's, from one run over one input: detection end to end as
 * `sentinel detect` does it without a model (learning pass, fit, scoring pass, from memory),
 * then the same events and verdicts committed to a fresh store with encryption on and off (puts
 * of one batch each, a transaction per SN_STORE_BULK_EVENTS events, as `detect --db` commits).
 * Prints events/s, bytes on disk per event (database and journal once the store is closed) and
 * the encrypted store's share of detect + store. The store reads the events and verdicts from
 * arrays that detection filled long before (out of cache), where `detect --db` stores each
 * batch just judged: a little more than it costs there.
 * usage: store_bench EVENTS.csv [DIR] (DIR: where the stores are written; default /tmp) */
#include "ingest/ingest.h"
#include "risk/risk.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a shared machine the wall clock also counts waiting for a
 * CPU, so both are printed. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* Stores every event with its verdict; returns seconds, or -1 after printing an error. */
static double store_run(const char *path, bool encrypt, const sn_event *ev, char (*ids)[32],
                        const sn_verdict *v, size_t n, long long *bytes, double *cpu)
{
    double c0 = cpu_now();
    char wal[4200];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    unlink(path);
    unlink(wal);
    sn_store_keys keys = {.encrypt = encrypt};
    for (int i = 0; i < 32; i++)
        keys.master[i] = (unsigned char)(i * 37 + 11);
    sn_store *s;
    sn_error err;
    double t0 = now();
    if (sn_store_open(&s, path, &keys, &err) != SN_OK) {
        fprintf(stderr, "store_bench: %s\n", err.msg);
        return -1;
    }
    sn_store_item items[SN_ANALYSE_BLOCK];
    sn_status st = sn_store_begin(s, &err);
    for (size_t i = 0; st == SN_OK && i < n; i += SN_ANALYSE_BLOCK) {
        size_t k = n - i < SN_ANALYSE_BLOCK ? n - i : SN_ANALYSE_BLOCK;
        for (size_t j = 0; j < k; j++)
            items[j] =
                (sn_store_item){.ev = &ev[i + j], .event_id = ids[i + j], .verdict = &v[i + j]};
        st = sn_store_put(s, items, k, &err);
        if (st == SN_OK && (i + k) % SN_STORE_BULK_EVENTS == 0) {
            st = sn_store_commit(s, &err);
            if (st == SN_OK)
                st = sn_store_begin(s, &err);
        }
    }
    if (st == SN_OK)
        st = sn_store_commit(s, &err);
    sn_store_close(s);
    double secs = now() - t0;
    *cpu = cpu_now() - c0;
    if (st != SN_OK) {
        fprintf(stderr, "store_bench: %s\n", err.msg);
        return -1;
    }
    *bytes = file_size(path) + file_size(wal);
    unlink(path);
    unlink(wal);
    return secs;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: store_bench EVENTS.csv [DIR]\n");
        return 2;
    }
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    size_t cap = 1 << 16, n = 0;
    sn_event *ev = malloc(cap * sizeof(*ev));
    char **bufs = malloc(cap * sizeof(*bufs));
    char(*ids)[32] = malloc(cap * sizeof(*ids));
    sn_error err;
    sn_reader *r = NULL;
    if (!ev || !bufs || !ids || sn_reader_open(&r, argv[1], SN_FORMAT_AUTO, &err) != SN_OK) {
        if (ev && bufs && ids)
            fprintf(stderr, "store_bench: %s: %s\n", argv[1], err.msg);
        else
            fprintf(stderr, "store_bench: out of memory\n");
        free(ev);
        free(bufs);
        free(ids);
        return 1;
    }
    sn_event e;
    sn_status st;
    char *tmp = malloc(SN_MAX_RECORD);
    while (tmp && (st = sn_reader_next(r, &e, &err)) != SN_EOF) {
        if (st != SN_OK)
            continue;
        if (n == cap) {
            cap *= 2;
            sn_event *ne = realloc(ev, cap * sizeof(*ev));
            char **nb = realloc(bufs, cap * sizeof(*bufs));
            char(*ni)[32] = realloc(ids, cap * sizeof(*ids));
            if (!ne || !nb || !ni)
                return 1;
            ev = ne;
            bufs = nb;
            ids = ni;
        }
        size_t used = sn_event_copy(&ev[n], &e, tmp, SN_MAX_RECORD);
        bufs[n] = used == (size_t)-1 ? NULL : malloc(used ? used : 1);
        if (!bufs[n])
            return 1;
        /* The copy's strings point into tmp: move them with it. */
        memcpy(bufs[n], tmp, used);
        sn_str *f[] = {&ev[n].event_id,      &ev[n].user_id,    &ev[n].username,
                       &ev[n].department,    &ev[n].job_title,  &ev[n].resource,
                       &ev[n].action,        &ev[n].location,   &ev[n].country,
                       &ev[n].user_agent,    &ev[n].session_id, &ev[n].anomaly_type,
                       &ev[n].raw_timestamp, &ev[n].raw_ip};
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
            if (f[k]->n)
                f[k]->p = bufs[n] + (f[k]->p - tmp);
        snprintf(ids[n], sizeof(ids[n]), "%.*s", (int)ev[n].event_id.n,
                 ev[n].event_id.n ? ev[n].event_id.p : "");
        if (!ids[n][0])
            snprintf(ids[n], sizeof(ids[n]), "E%zu", n);
        n++;
    }
    free(tmp);
    sn_reader_close(r);
    sn_verdict *v = malloc(n * sizeof(*v));
    sn_engine *engine = sn_engine_new(NULL);
    if (!v || !engine)
        return 1;

    double t0 = now(), c0 = cpu_now();
    for (size_t i = 0; i < n; i++)
        if (sn_engine_learn(engine, &ev[i], &err) != SN_OK)
            return 1;
    if (sn_engine_fit(engine, &err) != SN_OK)
        return 1;
    sn_engine_reset_history(engine);
    for (size_t i = 0; i < n; i += SN_ANALYSE_BLOCK) {
        size_t k = n - i < SN_ANALYSE_BLOCK ? n - i : SN_ANALYSE_BLOCK;
        if (sn_engine_analyse_many(engine, &ev[i], k, &v[i], &err) != SN_OK)
            return 1;
    }
    double detect_s = now() - t0, detect_cpu = cpu_now() - c0;

    char path[4096];
    snprintf(path, sizeof(path), "%s/store_bench_%d.db", dir, (int)getpid());
    long long enc_bytes = 0, plain_bytes = 0;
    double enc_cpu = 0, plain_cpu = 0;
    double enc_s = store_run(path, true, ev, ids, v, n, &enc_bytes, &enc_cpu);
    double plain_s = store_run(path, false, ev, ids, v, n, &plain_bytes, &plain_cpu);
    if (enc_s < 0 || plain_s < 0)
        return 1;

    printf("input: %s, %zu events\n", argv[1], n);
    printf("%-42s %9s %12s %9s %12s %12s\n", "", "wall s", "events/s", "CPU s", "events/CPU-s",
           "bytes/event");
    printf("%-42s %9.3f %12.0f %9.3f %12.0f\n", "detect (learn + fit + score, in memory)", detect_s,
           n / detect_s, detect_cpu, n / detect_cpu);
    printf("%-42s %9.3f %12.0f %9.3f %12.0f %12.0f\n", "store, AES-256-GCM encryption on", enc_s,
           n / enc_s, enc_cpu, n / enc_cpu, (double)enc_bytes / (double)n);
    printf("%-42s %9.3f %12.0f %9.3f %12.0f %12.0f\n", "store, encryption off", plain_s,
           n / plain_s, plain_cpu, n / plain_cpu, (double)plain_bytes / (double)n);
    printf("%-42s %9.3f %12.0f %9.3f %12.0f\n", "detect + encrypted store", detect_s + enc_s,
           n / (detect_s + enc_s), detect_cpu + enc_cpu, n / (detect_cpu + enc_cpu));
    printf("the encrypted store's share of detect + store: %.0f%% of the wall time, %.0f%% of the "
           "CPU time\n",
           100.0 * enc_s / (detect_s + enc_s), 100.0 * enc_cpu / (detect_cpu + enc_cpu));
    printf("the encrypted store's CPU time is %.0f%% of detect's\n", 100.0 * enc_cpu / detect_cpu);
    sn_engine_free(engine);
    for (size_t i = 0; i < n; i++)
        free(bufs[i]);
    free(bufs);
    free(ev);
    free(ids);
    free(v);
    return 0;
}
