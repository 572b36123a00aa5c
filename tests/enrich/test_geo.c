/* The built-in gazetteer against known answers: the reference data's locations, tie-breaks by
 * population and region, folding of case and accents, country codes, and haversine distances. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "enrich/enrich.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct known_place {
    const char *location;
    double lat, lon; /* city centre, independent of the gazetteer */
    const char *cc;
} known_place;

/* Every location of the reference data, with its commonly published centre coordinates. */
static const known_place reference_places[] = {
    {"Tokyo, JP", 35.6762, 139.6503, "JP"},     {"Singapore, SG", 1.3521, 103.8198, "SG"},
    {"Berlin, DE", 52.5200, 13.4050, "DE"},     {"Toronto, CA", 43.6532, -79.3832, "CA"},
    {"Mumbai, IN", 19.0760, 72.8777, "IN"},     {"San Francisco, US", 37.7749, -122.4194, "US"},
    {"London, UK", 51.5074, -0.1278, "GB"},     {"São Paulo, BR", -23.5505, -46.6333, "BR"},
    {"Sydney, AU", -33.8688, 151.2093, "AU"},   {"New York, US", 40.7128, -74.0060, "US"},
    {"Moscow, RU", 55.7558, 37.6173, "RU"},     {"Beijing, CN", 39.9042, 116.4074, "CN"},
    {"Pyongyang, KP", 39.0392, 125.7625, "KP"}, {"Lagos, NG", 6.5244, 3.3792, "NG"},
    {"Tehran, IR", 35.6892, 51.3890, "IR"},
};
#define N_REFERENCE (sizeof(reference_places) / sizeof(reference_places[0]))

static bool lookup(const char *s, sn_place *p)
{
    memset(p, 0, sizeof(*p));
    return sn_geo_lookup(s, strlen(s), p);
}

static void assert_near(const char *location, const sn_place *p, double lat, double lon, double km)
{
    double d = sn_geo_distance_km(p->lat, p->lon, lat, lon);
    if (d > km) {
        print_error("%s resolved to %.4f,%.4f: %.1f km from %.4f,%.4f\n", location, p->lat, p->lon,
                    d, lat, lon);
        fail();
    }
}

static void known_cities_resolve_within_30_km_of_their_centres(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_REFERENCE; i++) {
        const known_place *k = &reference_places[i];
        sn_place p;
        if (!lookup(k->location, &p)) {
            print_error("%s did not resolve\n", k->location);
            fail();
        }
        assert_string_equal(p.cc, k->cc);
        assert_near(k->location, &p, k->lat, k->lon, 30.0);
        assert_true(p.population > 500000);
    }
}

/* Pulls the quoted "City, CC" field out of each line of a reference CSV file. */
static size_t reference_locations(const char *path, char found[][64], size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    size_t count = 0;
    while (fgets(line, sizeof(line), f)) {
        char *open = strchr(line, '"');
        char *close = open ? strchr(open + 1, '"') : NULL;
        if (!close || close - open - 1 >= 64)
            continue;
        char loc[64];
        memcpy(loc, open + 1, (size_t)(close - open - 1));
        loc[close - open - 1] = '\0';
        bool seen = false;
        for (size_t i = 0; i < count && !seen; i++)
            seen = strcmp(found[i], loc) == 0;
        if (!seen && count < cap)
            strcpy(found[count++], loc);
    }
    fclose(f);
    return count;
}

static void every_reference_location_resolves(void **state)
{
    (void)state;
    const char *files[] = {"reference/sample_iam_logs_200x50.csv",
                           "reference/sample_iam_logs_2000x50.csv"};
    size_t checked = 0;
    for (size_t f = 0; f < 2; f++) {
        const char *path = tu_data_path(files[f]);
        if (!path)
            continue;
        char found[64][64];
        size_t n = reference_locations(path, found, 64);
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
            const known_place *k = NULL;
            for (size_t j = 0; j < N_REFERENCE && !k; j++)
                if (strcmp(reference_places[j].location, found[i]) == 0)
                    k = &reference_places[j];
            if (!k) {
                print_error("%s: location '%s' has no known centre in this test\n", path, found[i]);
                fail();
            }
            sn_place p;
            assert_true(lookup(found[i], &p));
            assert_near(found[i], &p, k->lat, k->lon, 30.0);
            checked++;
        }
    }
    if (checked == 0)
        skip();
}

static void london_to_new_york_is_about_5570_km(void **state)
{
    (void)state;
    sn_place london, ny;
    assert_true(lookup("London, UK", &london));
    assert_true(lookup("New York, US", &ny));
    double d = sn_geo_distance_km(london.lat, london.lon, ny.lat, ny.lon);
    assert_true(d > 5550.0 && d < 5590.0);
}

static void distance_is_symmetric_and_zero_to_itself(void **state)
{
    (void)state;
    const double pts[][2] = {{35.6895, 139.69171}, {-33.86785, 151.20732}, {51.50853, -0.12574},
                             {0.0, 179.9},         {0.0, -179.9},          {89.9, 0.0},
                             {-89.9, 180.0}};
    size_t n = sizeof(pts) / sizeof(pts[0]);
    for (size_t i = 0; i < n; i++) {
        assert_true(sn_geo_distance_km(pts[i][0], pts[i][1], pts[i][0], pts[i][1]) == 0.0);
        for (size_t j = 0; j < n; j++) {
            double a = sn_geo_distance_km(pts[i][0], pts[i][1], pts[j][0], pts[j][1]);
            double b = sn_geo_distance_km(pts[j][0], pts[j][1], pts[i][0], pts[i][1]);
            assert_true(a >= 0.0 && a - b < 1e-9 && b - a < 1e-9);
        }
    }
    /* Across the antimeridian, and pole to pole: half the mean circumference. */
    assert_true(sn_geo_distance_km(0.0, 179.9, 0.0, -179.9) < 23.0);
    double half = sn_geo_distance_km(90.0, 0.0, -90.0, 0.0);
    assert_true(half > 20015.0 && half < 20016.5);
}

static void unknown_and_garbage_input_is_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "Nowhere, ZZ",      "",           " ",          ",",        " , , ",     "Tokyo, Z1",
        "Tokyo, J",         "xqzvbnm",    "Tokyo, JPN", "\xff\xfe", "Tokyo\xc3", "\xc0\xaf, US",
        "\xed\xa0\x80, US", "1234, 5678", "Paris, XX"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sn_place p;
        if (lookup(bad[i], &p)) {
            print_error("'%s' resolved\n", bad[i]);
            fail();
        }
    }
    char longest[4096];
    memset(longest, 'a', sizeof(longest));
    sn_place p;
    assert_false(sn_geo_lookup(longest, sizeof(longest), &p));
    assert_false(sn_geo_lookup(NULL, 0, &p));
    assert_false(sn_geo_lookup("Tokyo, JP", 9, NULL));
    /* Length is honoured: no reading up to a NUL. */
    assert_true(sn_geo_lookup("Tokyo, JPxxxx", 9, &p));
    assert_string_equal(p.cc, "JP");
}

static void gazetteer_holds_over_100000_cities(void **state)
{
    (void)state;
    assert_true(sn_geo_city_count() > 100000);
}

static void the_country_decides_between_same_named_cities(void **state)
{
    (void)state;
    sn_place p;
    assert_true(lookup("Paris, US", &p));
    assert_string_equal(p.cc, "US");
    assert_true(p.lon < -60.0);
    assert_true(lookup("Paris, FR", &p));
    assert_near("Paris, FR", &p, 48.8566, 2.3522, 10.0);
    assert_true(lookup("London, CA", &p));
    assert_string_equal(p.cc, "CA");
    assert_near("London, CA", &p, 42.9849, -81.2453, 10.0); /* London, Ontario */
    assert_true(lookup("Sydney, CA", &p));
    assert_near("Sydney, CA", &p, 46.1368, -60.1942, 10.0); /* Sydney, Nova Scotia */
}

static void without_a_country_the_most_populous_city_wins(void **state)
{
    (void)state;
    sn_place p;
    assert_true(lookup("Tokyo", &p));
    assert_string_equal(p.cc, "JP");
    assert_true(lookup("London", &p));
    assert_string_equal(p.cc, "GB");
    assert_true(lookup("  paris  ", &p));
    assert_string_equal(p.cc, "FR");
    assert_true(lookup("Sydney", &p));
    assert_string_equal(p.cc, "AU");
    assert_true(lookup("Washington, D.C.", &p)); /* a name with a comma in it */
    assert_near("Washington, D.C.", &p, 38.9072, -77.0369, 10.0);
}

static void a_region_code_picks_among_same_named_cities(void **state)
{
    (void)state;
    sn_place p;
    assert_true(lookup("Paris, TX, US", &p));
    assert_near("Paris, TX, US", &p, 33.6609, -95.5555, 10.0);
    assert_true(lookup("Portland, ME, US", &p));
    assert_near("Portland, ME, US", &p, 43.6591, -70.2568, 10.0);
    assert_true(lookup("Portland, OR, US", &p));
    assert_near("Portland, OR, US", &p, 45.5152, -122.6784, 10.0);
    /* An unknown region falls back to the most populous city of that name in the country. */
    assert_true(lookup("Portland, Nowhere, US", &p));
    assert_near("Portland, Nowhere, US", &p, 45.5152, -122.6784, 10.0);
    assert_true(lookup("Washington, D.C., US", &p));
    assert_near("Washington, D.C., US", &p, 38.9072, -77.0369, 10.0);
    assert_true(lookup("London, England, UK", &p));
    assert_near("London, England, UK", &p, 51.5074, -0.1278, 10.0);
}

static void case_spaces_and_accents_do_not_matter(void **state)
{
    (void)state;
    const char *forms[] = {
        "São Paulo, BR",         "Sao Paulo, BR", "SÃO PAULO, br", "sa\xcc\x83o paulo,BR",
        "  sao   paulo ,  BR  ", "São-Paulo, BR", "SAO PAULO"};
    sn_place first;
    assert_true(lookup(forms[0], &first));
    for (size_t i = 1; i < sizeof(forms) / sizeof(forms[0]); i++) {
        sn_place p;
        if (!lookup(forms[i], &p)) {
            print_error("'%s' did not resolve\n", forms[i]);
            fail();
        }
        assert_true(p.lat == first.lat && p.lon == first.lon);
        assert_string_equal(p.cc, "BR");
    }
    sn_place p;
    assert_true(lookup("Zürich, CH", &p));
    assert_true(lookup("Zurich, ch", &p));
    assert_true(lookup("KÖLN, DE", &p));
    assert_true(lookup("Bogota, CO", &p));
    assert_near("Bogota, CO", &p, 4.7110, -74.0721, 15.0);
    assert_true(lookup("Kraków, PL", &p));
    assert_true(lookup("Krakow, PL", &p));
    assert_true(lookup("Malmö, SE", &p));
    assert_true(lookup("Łódź, PL", &p));
    assert_true(lookup("Lodz, PL", &p));
    assert_true(lookup("Reykjavík, IS", &p));
}

static void common_names_and_country_names_resolve(void **state)
{
    (void)state;
    sn_place p;
    assert_true(lookup("Paris, France", &p));
    assert_string_equal(p.cc, "FR");
    assert_true(lookup("Tokyo, Japan", &p));
    assert_string_equal(p.cc, "JP");
    assert_true(lookup("London, United Kingdom", &p));
    assert_string_equal(p.cc, "GB");
    assert_true(lookup("Austin, Texas, USA", &p));
    assert_string_equal(p.cc, "US");
    assert_true(lookup("Geneva, Switzerland", &p));
    assert_near("Geneva, Switzerland", &p, 46.2044, 6.1432, 10.0);
    assert_true(lookup("Bangalore, IN", &p));
    assert_near("Bangalore, IN", &p, 12.9716, 77.5946, 15.0);
    assert_true(lookup("Athens, EL", &p));
    assert_string_equal(p.cc, "GR");
}

static void country_codes_are_normalised_to_iso(void **state)
{
    (void)state;
    char cc[3];
    assert_true(sn_geo_normalise_cc("UK", 2, cc));
    assert_string_equal(cc, "GB");
    assert_true(sn_geo_normalise_cc("uk", 2, cc));
    assert_string_equal(cc, "GB");
    assert_true(sn_geo_normalise_cc("EL", 2, cc));
    assert_string_equal(cc, "GR");
    assert_true(sn_geo_normalise_cc("de", 2, cc));
    assert_string_equal(cc, "DE");
    assert_true(sn_geo_normalise_cc("GB", 2, cc));
    assert_string_equal(cc, "GB");
    assert_false(sn_geo_normalise_cc("D", 1, cc));
    assert_false(sn_geo_normalise_cc("DEU", 3, cc));
    assert_false(sn_geo_normalise_cc("D1", 2, cc));
    assert_false(sn_geo_normalise_cc("\xc3\x96", 2, cc));
    assert_false(sn_geo_normalise_cc(NULL, 2, cc));
}

/* Lookups from several threads at once give the answers one thread gives. */
static void *lookup_many(void *arg)
{
    intptr_t wrong = 0;
    (void)arg;
    for (int round = 0; round < 2000; round++)
        for (size_t i = 0; i < N_REFERENCE; i++) {
            sn_place p;
            const known_place *k = &reference_places[i];
            if (!sn_geo_lookup(k->location, strlen(k->location), &p) || strcmp(p.cc, k->cc) != 0 ||
                sn_geo_distance_km(p.lat, p.lon, k->lat, k->lon) > 30)
                wrong++;
        }
    return (void *)wrong;
}

static void lookups_are_thread_safe(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, lookup_many, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *wrong;
        assert_int_equal(pthread_join(t[i], &wrong), 0);
        assert_int_equal((intptr_t)wrong, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_cities_resolve_within_30_km_of_their_centres),
        cmocka_unit_test(every_reference_location_resolves),
        cmocka_unit_test(london_to_new_york_is_about_5570_km),
        cmocka_unit_test(distance_is_symmetric_and_zero_to_itself),
        cmocka_unit_test(unknown_and_garbage_input_is_refused),
        cmocka_unit_test(gazetteer_holds_over_100000_cities),
        cmocka_unit_test(the_country_decides_between_same_named_cities),
        cmocka_unit_test(without_a_country_the_most_populous_city_wins),
        cmocka_unit_test(a_region_code_picks_among_same_named_cities),
        cmocka_unit_test(case_spaces_and_accents_do_not_matter),
        cmocka_unit_test(common_names_and_country_names_resolve),
        cmocka_unit_test(country_codes_are_normalised_to_iso),
        cmocka_unit_test(lookups_are_thread_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
