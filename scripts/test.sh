#!/usr/bin/env bash
# Runs every test: installs what is missing, builds (warnings are errors), runs the test suite,
# then builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs it again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== static analysis (cppcheck, clang-tidy)"
scripts/lint.sh build

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSENTINEL_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")
echo "== fuzzing every parser briefly (fuzz/run.sh runs longer campaigns)"
fuzz/run.sh "${SENTINEL_FUZZ_SECONDS:-15}"

echo "== all tests passed"
