# The web dashboard: tools/gen_dashboard.js bundles web/src with esbuild (npm packages pinned in
# web/package-lock.json, installed into web/node_modules by scripts/install-deps.sh or by this
# step) and writes the files `sentinel serve` serves at / as a C source in the build tree.
# Sets SENTINEL_DASHBOARD_SOURCES.

set(SENTINEL_WEB_DIR "${CMAKE_SOURCE_DIR}/web")

if(NOT EXISTS "${SENTINEL_WEB_DIR}/node_modules/esbuild/package.json"
   OR NOT EXISTS "${SENTINEL_WEB_DIR}/node_modules/uplot/package.json")
  find_program(SENTINEL_NPM NAMES npm)
  if(SENTINEL_NPM)
    message(STATUS "Installing the dashboard's pinned npm packages into ${SENTINEL_WEB_DIR}")
    execute_process(COMMAND "${SENTINEL_NPM}" ci --no-audit --no-fund
                    WORKING_DIRECTORY "${SENTINEL_WEB_DIR}" RESULT_VARIABLE npm_rc OUTPUT_QUIET)
  endif()
endif()
if(NOT EXISTS "${SENTINEL_WEB_DIR}/node_modules/esbuild/package.json"
   OR NOT EXISTS "${SENTINEL_WEB_DIR}/node_modules/uplot/package.json")
  message(FATAL_ERROR
    "The dashboard's npm packages are missing (${SENTINEL_WEB_DIR}/node_modules).\n"
    "Run scripts/install-deps.sh from the repository root, then configure again.")
endif()

find_program(SENTINEL_NODE NAMES node nodejs REQUIRED)
file(GLOB SENTINEL_WEB_INPUTS CONFIGURE_DEPENDS "${SENTINEL_WEB_DIR}/src/*")
set(SENTINEL_DASHBOARD_C "${CMAKE_BINARY_DIR}/generated/web_assets.c")
add_custom_command(
  OUTPUT "${SENTINEL_DASHBOARD_C}"
  COMMAND "${SENTINEL_NODE}" "${CMAKE_SOURCE_DIR}/tools/gen_dashboard.js" "${SENTINEL_WEB_DIR}"
          "${SENTINEL_DASHBOARD_C}"
  DEPENDS "${CMAKE_SOURCE_DIR}/tools/gen_dashboard.js" ${SENTINEL_WEB_INPUTS}
          "${SENTINEL_WEB_DIR}/package-lock.json"
  COMMENT "Bundling the web dashboard"
  VERBATIM)
set_source_files_properties("${SENTINEL_DASHBOARD_C}" PROPERTIES GENERATED TRUE)
set(SENTINEL_DASHBOARD_SOURCES "${SENTINEL_DASHBOARD_C}")
