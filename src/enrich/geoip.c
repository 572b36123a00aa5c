/* IP geolocation through libmaxminddb: opens the location and ASN MaxMind DB files once, takes
 * each file's role from its metadata, and answers country, city, coordinates and autonomous
 * system for public addresses. Reads both MaxMind's layout (country.iso_code, city.names.en,
 * location.latitude) and the flat one of the ip-location-db packages (country_code, city,
 * latitude). */
#include "enrich.h"
#include "ip_internal.h"

#include <maxminddb.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#ifndef SENTINEL_GEOIP_DEFAULT_PATHS
#define SENTINEL_GEOIP_DEFAULT_PATHS ""
#endif

enum { ROLE_LOCATION, ROLE_ASN, ROLE_COUNT };
enum { FAM_V4, FAM_V6, FAM_COUNT };

#define MAX_DBS (ROLE_COUNT * FAM_COUNT)
#define MAX_ENTRY_FILES 64 /* .mmdb files considered in one directory */
#define DESCRIBE_CAP 4096

static const char *const role_names[ROLE_COUNT] = {"location", "ASN"};

struct sn_geoip {
    MMDB_s db[MAX_DBS];
    int n_db;
    const MMDB_s *slot[ROLE_COUNT][FAM_COUNT]; /* the database answering each role and family */
    char describe[DESCRIBE_CAP];
    size_t describe_len;
};

/* One file opened while choosing among the files of a path entry. */
typedef struct candidate {
    MMDB_s mmdb;
    int role; /* -1: neither */
    bool kept;
} candidate;

const char *sn_geoip_default_paths(void)
{
    const char *env = getenv("SENTINEL_GEOIP_DIR");
    return env && *env ? env : SENTINEL_GEOIP_DEFAULT_PATHS;
}

__attribute__((format(printf, 2, 3))) static void note(sn_geoip *g, const char *fmt, ...)
{
    if (g->describe_len + 1 >= DESCRIBE_CAP)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(g->describe + g->describe_len, DESCRIBE_CAP - g->describe_len, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    g->describe_len += (size_t)w;
    if (g->describe_len >= DESCRIBE_CAP - 1) {
        g->describe_len = DESCRIBE_CAP - 1;
        g->describe[DESCRIBE_CAP - 2] = '\n';
        g->describe[DESCRIBE_CAP - 1] = '\0';
    } else {
        g->describe[g->describe_len++] = '\n';
        g->describe[g->describe_len] = '\0';
    }
}

/* The role a database plays, from its metadata's database_type: MaxMind's "GeoLite2-City",
 * "GeoIP2-Country", "GeoLite2-ASN", "GeoIP2-ISP"; ip-location-db's "city ipv4", "country ipv6";
 * the build's "ip-location-db-ASN". City and country come first: "asn-country" locates. */
static int db_role(const MMDB_s *m)
{
    const char *t = m->metadata.database_type;
    if (!t)
        return -1;
    if (strcasestr(t, "city") || strcasestr(t, "country"))
        return ROLE_LOCATION;
    if (strcasestr(t, "asn") || strcasestr(t, "isp"))
        return ROLE_ASN;
    return -1;
}

static bool open_candidate(sn_geoip *g, const char *path, candidate *c)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        note(g, "%s: refused: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(sb.st_mode)) { /* a FIFO would block MMDB_open */
        note(g, "%s: refused: not a regular file", path);
        return false;
    }
    int st = MMDB_open(path, MMDB_MODE_MMAP, &c->mmdb);
    if (st != MMDB_SUCCESS) {
        if (st == MMDB_IO_ERROR || st == MMDB_FILE_OPEN_ERROR)
            note(g, "%s: refused: %s (%s)", path, MMDB_strerror(st), strerror(errno));
        else
            note(g, "%s: refused: %s", path, MMDB_strerror(st));
        return false;
    }
    c->role = db_role(&c->mmdb);
    c->kept = false;
    if (c->role < 0) {
        note(g, "%s: ignored: database type '%s' is neither a location nor an ASN database", path,
             c->mmdb.metadata.database_type ? c->mmdb.metadata.database_type : "");
        MMDB_close(&c->mmdb);
        return false;
    }
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_mmdb_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".mmdb") == 0;
}

/* Opens the .mmdb files of one path entry (a file, or every *.mmdb of a directory in name
 * order) into cands; returns how many opened. -1 when out of memory. */
static int open_entry(sn_geoip *g, const char *entry, candidate *cands)
{
    struct stat st;
    if (stat(entry, &st) != 0) {
        note(g, "%s: %s", entry, strerror(errno));
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return open_candidate(g, entry, &cands[0]) ? 1 : 0;
    DIR *d = opendir(entry);
    if (!d) {
        note(g, "%s: %s", entry, strerror(errno));
        return 0;
    }
    char *names[MAX_ENTRY_FILES] = {0};
    size_t n = 0;
    bool nomem = false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!has_mmdb_suffix(de->d_name))
            continue;
        if (n == MAX_ENTRY_FILES) {
            note(g, "%s: more than %d .mmdb files; the rest are ignored", entry, MAX_ENTRY_FILES);
            break;
        }
        if (!(names[n] = strdup(de->d_name))) {
            nomem = true;
            break;
        }
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_names);
    int opened = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        int w = snprintf(path, sizeof(path), "%s/%s", entry, names[i]);
        if (!nomem && w > 0 && (size_t)w < sizeof(path) && open_candidate(g, path, &cands[opened]))
            opened++;
        free(names[i]);
    }
    if (n == 0 && !nomem)
        note(g, "%s: no .mmdb file", entry);
    if (nomem) {
        for (int i = 0; i < opened; i++)
            MMDB_close(&cands[i].mmdb);
        return -1;
    }
    return opened;
}

static void describe_db(sn_geoip *g, const char *what, const MMDB_s *m)
{
    char built[16] = "?";
    time_t t = (time_t)m->metadata.build_epoch;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(built, sizeof(built), "%Y-%m-%d", &tm);
    note(g, "%s: %s (%s, built %s)", what, m->filename,
         m->metadata.database_type ? m->metadata.database_type : "", built);
}

/* Chooses, for each role not supplied by an earlier entry, the databases of this entry: for
 * IPv4 the first IPv4-only one, else the first IPv6 one (which holds IPv4 under ::/96); for
 * IPv6 the first IPv6 one. The chosen ones move into g; the others are closed. */
static void choose(sn_geoip *g, candidate *cands, int n, bool role_done[ROLE_COUNT])
{
    for (int role = 0; role < ROLE_COUNT; role++) {
        if (role_done[role])
            continue;
        int pick[FAM_COUNT] = {-1, -1};
        for (int i = 0; i < n; i++) {
            if (cands[i].role != role)
                continue;
            if (cands[i].mmdb.metadata.ip_version == 4 && pick[FAM_V4] < 0)
                pick[FAM_V4] = i;
            if (cands[i].mmdb.metadata.ip_version == 6 && pick[FAM_V6] < 0)
                pick[FAM_V6] = i;
        }
        int v4 = pick[FAM_V4] >= 0 ? pick[FAM_V4] : pick[FAM_V6];
        int v6 = pick[FAM_V6];
        if (v4 < 0 && v6 < 0)
            continue;
        role_done[role] = true;
        int at4 = -1, at6 = -1;
        if (v4 >= 0) {
            at4 = g->n_db;
            g->db[g->n_db++] = cands[v4].mmdb;
            cands[v4].kept = true;
        }
        if (v6 >= 0 && v6 == v4) {
            at6 = at4;
        } else if (v6 >= 0) {
            at6 = g->n_db;
            g->db[g->n_db++] = cands[v6].mmdb;
            cands[v6].kept = true;
        }
        char what[32];
        if (at4 >= 0) {
            g->slot[role][FAM_V4] = &g->db[at4];
            snprintf(what, sizeof(what), "%s IPv4%s", role_names[role], at4 == at6 ? "+IPv6" : "");
            describe_db(g, what, &g->db[at4]);
        }
        if (at6 >= 0) {
            g->slot[role][FAM_V6] = &g->db[at6];
            if (at6 != at4) {
                snprintf(what, sizeof(what), "%s IPv6", role_names[role]);
                describe_db(g, what, &g->db[at6]);
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (!cands[i].kept)
            MMDB_close(&cands[i].mmdb);
}

sn_geoip *sn_geoip_open(const char *paths)
{
    sn_geoip *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    if (!paths)
        paths = sn_geoip_default_paths();
    char *list = strdup(paths);
    candidate *cands = calloc(MAX_ENTRY_FILES, sizeof(*cands));
    if (!list || !cands) {
        free(list);
        free(cands);
        free(g);
        return NULL;
    }
    bool role_done[ROLE_COUNT] = {false};
    char *save = NULL;
    for (char *e = strtok_r(list, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
        int n = open_entry(g, e, cands);
        if (n < 0) {
            free(list);
            free(cands);
            sn_geoip_close(g);
            return NULL;
        }
        choose(g, cands, n, role_done);
    }
    free(list);
    free(cands);
    if (!role_done[ROLE_LOCATION])
        note(g,
             "no location database in '%s': country, city and coordinates are unknown "
             "(run scripts/install-deps.sh, or set SENTINEL_GEOIP_DIR)",
             paths);
    if (!role_done[ROLE_ASN])
        note(g, "no ASN database in '%s': autonomous systems are unknown", paths);
    return g;
}

void sn_geoip_close(sn_geoip *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_db; i++)
        MMDB_close(&g->db[i]);
    free(g);
}

bool sn_geoip_has_location(const sn_geoip *g)
{
    return g && (g->slot[ROLE_LOCATION][FAM_V4] || g->slot[ROLE_LOCATION][FAM_V6]);
}

bool sn_geoip_has_asn(const sn_geoip *g)
{
    return g && (g->slot[ROLE_ASN][FAM_V4] || g->slot[ROLE_ASN][FAM_V6]);
}

const char *sn_geoip_describe(const sn_geoip *g)
{
    return g ? g->describe : "no geolocation databases opened\n";
}

/* Length of the longest prefix of s (n bytes) that is well-formed UTF-8 (RFC 3629) and at most
 * cap bytes; 0 if s is not UTF-8 at all or holds a NUL. */
static size_t utf8_prefix(const unsigned char *s, size_t n, size_t cap)
{
    size_t i = 0, good = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t v, min;
        if (c == 0)
            return 0;
        if (c < 0x80)
            len = 1, v = c, min = 0;
        else if (c >= 0xc2 && c <= 0xdf)
            len = 2, v = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, v = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, v = c & 0x07, min = 0x10000;
        else
            return 0;
        if (len > n - i)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            v = (v << 6) | (s[i + k] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
            return 0;
        i += len;
        if (i <= cap)
            good = i;
    }
    return good;
}

/* Copies the string at path into dst (cap bytes with the NUL); false when it is absent, empty,
 * not a string or not UTF-8. */
static bool get_string(MMDB_entry_s *e, const char *const *path, char *dst, size_t cap)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
        return false;
    size_t n = utf8_prefix((const unsigned char *)d.utf8_string, d.data_size, cap - 1);
    if (n == 0)
        return false;
    memcpy(dst, d.utf8_string, n);
    dst[n] = '\0';
    return true;
}

static bool get_number(MMDB_entry_s *e, const char *const *path, double *out)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
        return false;
    if (d.type == MMDB_DATA_TYPE_DOUBLE)
        *out = d.double_value;
    else if (d.type == MMDB_DATA_TYPE_FLOAT)
        *out = d.float_value;
    else
        return false;
    return isfinite(*out);
}

static bool lookup_entry_bits(const MMDB_s *m, const sn_ip *ip, MMDB_entry_s *entry,
                              unsigned *net_bits);

static bool lookup_entry(const MMDB_s *m, const sn_ip *ip, MMDB_entry_s *entry)
{
    unsigned bits;
    return lookup_entry_bits(m, ip, entry, &bits);
}

/* The entry for ip and the length of the database's network that holds it, in bits of ip's own
 * family (an IPv4 address in an IPv6 tree sits below its IPv4 start node). */
static bool lookup_entry_bits(const MMDB_s *m, const sn_ip *ip, MMDB_entry_s *entry,
                              unsigned *net_bits)
{
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
    const struct sockaddr *sa;
    if (ip->family == 4) {
        memset(&s4, 0, sizeof(s4));
        s4.sin_family = AF_INET;
        memcpy(&s4.sin_addr, ip->addr, 4);
        sa = (const struct sockaddr *)&s4;
    } else {
        memset(&s6, 0, sizeof(s6));
        s6.sin6_family = AF_INET6;
        memcpy(&s6.sin6_addr, ip->addr, 16);
        sa = (const struct sockaddr *)&s6;
    }
    int err = MMDB_SUCCESS;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(m, sa, &err);
    if (err != MMDB_SUCCESS || !r.found_entry)
        return false;
    *entry = r.entry;
    unsigned start = ip->family == 4 ? m->ipv4_start_node.netmask : 0;
    *net_bits = r.netmask >= start ? r.netmask - start : 0;
    return true;
}

static void lookup_location(const MMDB_s *m, const sn_ip *ip, sn_geoip_result *out)
{
    static const char *const cc_flat[] = {"country_code", NULL};
    static const char *const cc_maxmind[] = {"country", "iso_code", NULL};
    static const char *const cc_registered[] = {"registered_country", "iso_code", NULL};
    static const char *const city_flat[] = {"city", NULL};
    static const char *const city_maxmind[] = {"city", "names", "en", NULL};
    static const char *const lat_flat[] = {"latitude", NULL};
    static const char *const lon_flat[] = {"longitude", NULL};
    static const char *const lat_maxmind[] = {"location", "latitude", NULL};
    static const char *const lon_maxmind[] = {"location", "longitude", NULL};
    MMDB_entry_s e;
    if (!lookup_entry(m, ip, &e))
        return;
    char cc[8];
    if (get_string(&e, cc_flat, cc, sizeof(cc)) || get_string(&e, cc_maxmind, cc, sizeof(cc)) ||
        get_string(&e, cc_registered, cc, sizeof(cc))) {
        /* ZZ is ISO 3166's user-assigned code that databases write for "unknown". */
        if (strlen(cc) == 2 && strcmp(cc, "ZZ") != 0 && sn_geo_normalise_cc(cc, 2, out->cc))
            out->has_country = true;
    }
    out->has_city = get_string(&e, city_flat, out->city, sizeof(out->city)) ||
                    get_string(&e, city_maxmind, out->city, sizeof(out->city));
    double lat, lon;
    if ((get_number(&e, lat_flat, &lat) && get_number(&e, lon_flat, &lon)) ||
        (get_number(&e, lat_maxmind, &lat) && get_number(&e, lon_maxmind, &lon))) {
        if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
            out->lat = lat;
            out->lon = lon;
            out->has_coords = true;
        }
    }
}

/* The AS number of the entry for ip, 0 when there is none (AS 0 is reserved: "no AS", RFC
 * 7607); *e is the entry when found. */
static uint32_t asn_number(const MMDB_s *m, const sn_ip *ip, MMDB_entry_s *e, unsigned *net_bits)
{
    static const char *const asn_path[] = {"autonomous_system_number", NULL};
    *net_bits = 0;
    if (!lookup_entry_bits(m, ip, e, net_bits))
        return 0;
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, asn_path) != MMDB_SUCCESS || !d.has_data)
        return 0;
    if (d.type == MMDB_DATA_TYPE_UINT32)
        return d.uint32;
    if (d.type == MMDB_DATA_TYPE_UINT16)
        return d.uint16;
    return 0;
}

static void lookup_asn(const MMDB_s *m, const sn_ip *ip, sn_geoip_result *out)
{
    static const char *const org_path[] = {"autonomous_system_organization", NULL};
    MMDB_entry_s e;
    unsigned bits;
    out->asn = asn_number(m, ip, &e, &bits);
    if (out->asn == 0)
        return;
    out->has_asn = true;
    get_string(&e, org_path, out->as_org, sizeof(out->as_org));
}

bool sn_geoip_lookup(const sn_geoip *g, const sn_ip *ip, sn_geoip_result *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = sn_ip_class(ip);
    if (out->kind != SN_IP_PUBLIC || !g)
        return false;
    sn_ip v4;
    if (sn_ip__embedded_v4(ip, &v4))
        ip = &v4;
    int fam = ip->family == 4 ? FAM_V4 : FAM_V6;
    if (g->slot[ROLE_LOCATION][fam])
        lookup_location(g->slot[ROLE_LOCATION][fam], ip, out);
    if (g->slot[ROLE_ASN][fam])
        lookup_asn(g->slot[ROLE_ASN][fam], ip, out);
    return out->has_country || out->has_city || out->has_coords || out->has_asn;
}

uint32_t sn_geoip_asn_org(const sn_geoip *g, const sn_ip *ip, char *org, size_t n)
{
    unsigned bits;
    return sn_geoip_asn_net(g, ip, org, n, &bits);
}

uint32_t sn_geoip_asn_net(const sn_geoip *g, const sn_ip *ip, char *org, size_t n,
                          unsigned *net_bits)
{
    *net_bits = 0;
    if (org && n)
        org[0] = '\0';
    if (!g || sn_ip_class(ip) != SN_IP_PUBLIC)
        return 0;
    sn_ip v4;
    bool embedded = sn_ip__embedded_v4(ip, &v4);
    if (embedded)
        ip = &v4;
    const MMDB_s *m = g->slot[ROLE_ASN][ip->family == 4 ? FAM_V4 : FAM_V6];
    MMDB_entry_s e;
    uint32_t asn = m ? asn_number(m, ip, &e, net_bits) : 0;
    if (embedded)
        *net_bits = 0; /* a network of the embedded address, not of the one asked about */
    if (asn && org && n) {
        static const char *const org_path[] = {"autonomous_system_organization", NULL};
        get_string(&e, org_path, org, n);
    }
    return asn;
}

uint32_t sn_geoip_asn(const sn_geoip *g, const sn_ip *ip)
{
    return sn_geoip_asn_org(g, ip, NULL, 0);
}
