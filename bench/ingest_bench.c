/* Ingest throughput: reads one input file with the streaming reader and prints records/s, MB/s
 * and ns/record (best of several passes, so the page cache and not the disk is measured). */
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: ingest_bench FILE [PASSES] [FORMAT: %s]\n", SN_FORMAT_NAMES);
        return argc < 2 ? 2 : 0;
    }
    const char *path = argv[1];
    int passes = argc > 2 ? atoi(argv[2]) : 5;
    sn_format fmt = SN_FORMAT_AUTO;
    if (argc > 3 && sn_format_from_name(argv[3], &fmt) != 0) {
        fprintf(stderr, "ingest_bench: unknown format '%s'\n", argv[3]);
        return 2;
    }
    if (passes < 1)
        passes = 1;
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    double best = 1e30;
    long records = 0, skipped = 0, ignored = 0, lines = 0;
    sn_format used = fmt;
    unsigned long long checksum = 0;
    for (int p = 0; p < passes; p++) {
        sn_reader *r;
        sn_error err;
        char msg[1024];
        double t0 = now_s();
        if (sn_reader_open(&r, path, fmt, &err) != SN_OK) {
            sn_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "ingest_bench: %s\n", msg);
            return 1;
        }
        sn_event ev;
        sn_status s;
        while ((s = sn_reader_next(r, &ev, &err)) != SN_EOF) {
            if (s == SN_OK) {
                /* touch the event so the work cannot be skipped */
                checksum += (unsigned long long)ev.ts_us + ev.user_id.n + ev.ip.addr[3];
            } else if (err.fatal) {
                sn_error_format(&err, msg, sizeof(msg));
                fprintf(stderr, "ingest_bench: %s\n", msg);
                sn_reader_close(r);
                return 1;
            }
        }
        double t = now_s() - t0;
        records = sn_reader_get_stats(r)->records;
        skipped = sn_reader_get_stats(r)->skipped;
        ignored = sn_reader_get_stats(r)->ignored;
        lines = sn_reader_get_stats(r)->lines;
        used = sn_reader_format(r);
        sn_reader_close(r);
        if (t < best)
            best = t;
    }
    double mb = (double)st.st_size / 1e6;
    printf("file        %s (%s, %.1f MB)\n", path, sn_format_name(used), mb);
    printf("records     %ld (%ld skipped, %ld ignored, %ld lines)\n", records, skipped, ignored,
           lines);
    printf("best of %d  %.3f ms\n", passes, best * 1e3);
    printf("records/s   %.0f\n", (double)records / best);
    printf("lines/s     %.0f\n", (double)lines / best);
    printf("MB/s        %.1f\n", mb / best);
    printf("ns/record   %.1f\n", best * 1e9 / (double)(records ? records : 1));
    printf("checksum    %llx\n", checksum);
    return 0;
}
