/* IP geolocation speed and memory: opens the databases (default paths, $SENTINEL_GEOIP_DIR, or
 * the list given), then looks up uniformly random public IPv4 addresses on one thread, twice
 * (the first pass faults the mapped pages in). Prints lookups/s and the resident memory of the
 * process before and after opening and after the lookups (file-backed pages are the mapped
 * databases). usage: geoip_bench [LOOKUPS] [PATHS] */
#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmRSS and RssFile from /proc/self/status, in KiB. */
static void rss(const char *when)
{
    long total = -1, file = -1;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f)) {
        sscanf(line, "VmRSS: %ld", &total);
        sscanf(line, "RssFile: %ld", &file);
    }
    if (f)
        fclose(f);
    printf("  RSS %-28s %8.1f MiB (file-backed %.1f MiB)\n", when, total / 1024.0, file / 1024.0);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static double pass(const sn_geoip *g, long n, long *found, long *with_asn)
{
    *found = *with_asn = 0;
    double t0 = now();
    for (long i = 0; i < n;) {
        uint32_t x = next32();
        sn_ip ip = {.family = 4, .addr = {x >> 24, (x >> 16) & 0xff, (x >> 8) & 0xff, x & 0xff}};
        if (sn_ip_class(&ip) != SN_IP_PUBLIC)
            continue;
        sn_geoip_result r;
        if (sn_geoip_lookup(g, &ip, &r))
            (*found)++;
        if (r.has_asn)
            (*with_asn)++;
        i++;
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    const char *paths = argc > 2 ? argv[2] : NULL;
    if (n <= 0) {
        fprintf(stderr, "usage: geoip_bench [LOOKUPS] [PATHS]\n");
        return 2;
    }
    rss("before opening");
    double t0 = now();
    sn_geoip *g = sn_geoip_open(paths);
    double open_s = now() - t0;
    if (!g) {
        fprintf(stderr, "geoip_bench: out of memory\n");
        return 1;
    }
    printf("%s", sn_geoip_describe(g));
    printf("  opened in %.3f ms\n", open_s * 1e3);
    rss("after opening");
    for (int p = 1; p <= 2; p++) {
        long found, with_asn;
        double s = pass(g, n, &found, &with_asn);
        printf("  pass %d: %ld random public IPv4 lookups in %.3f s: %.0f lookups/s, %.0f ns each; "
               "%.1f%% located or with an ASN, %.1f%% with an ASN\n",
               p, n, s, n / s, s / n * 1e9, 100.0 * found / n, 100.0 * with_asn / n);
        rss(p == 1 ? "after pass 1" : "after pass 2");
    }
    sn_geoip_close(g);
    return 0;
}
