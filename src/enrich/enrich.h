/* Public face of the enrich layer: place names to coordinates, distances, network prefixes. */
#ifndef SN_ENRICH_H
#define SN_ENRICH_H

#include "../ingest/event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sn_place {
    double lat, lon;
    char cc[3]; /* ISO 3166-1 alpha-2, upper case */
    uint32_t population;
} sn_place;

/* Resolves "City, CC" (also "City, Region, CC", and common non-ISO codes such as UK for GB)
 * through the built-in gazetteer. When several cities share the name in that country the most
 * populous wins. Returns false when unknown. Thread-safe, no allocation. */
bool sn_geo_lookup(const char *s, size_t n, sn_place *out);

/* Number of cities in the built-in gazetteer. */
size_t sn_geo_city_count(void);

/* Great-circle distance in kilometres (haversine, mean Earth radius 6371.0088 km). */
double sn_geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* Normalises a two-letter country code written in logs to ISO 3166-1 alpha-2 ("UK" -> "GB").
 * Writes 2 upper-case letters and NUL into out; returns false if cc is not two letters. */
bool sn_geo_normalise_cc(const char *cc, size_t n, char out[3]);

/* Sensitivity of a resource: 1 low, 2 medium, 3 high (the reference system's names first, then
 * keyword rules such as "payroll", "pii", "prod" for resources it never named). */
int sn_resource_sensitivity(const char *s, size_t n);

/* Risk of an action: read 1, execute 2, download 2, write 3, delete 4, admin 5; unknown 2. */
int sn_action_risk(const char *s, size_t n);

#endif
