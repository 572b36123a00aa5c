#!/usr/bin/env bash
# Static analysis: cppcheck over all C sources and clang-tidy (checks in .clang-tidy) over the
# library and front ends. Any finding fails. Needs a configured build directory for
# compile_commands.json (default: build).
# Usage: scripts/lint.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
jobs=$(nproc 2>/dev/null || echo 2)

for tool in cppcheck clang-tidy; do
    command -v "$tool" >/dev/null || { echo "lint: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done

cppcheck --quiet --enable=warning,performance,portability --std=c11 --error-exitcode=1 \
    --suppress=missingIncludeSystem -j"$jobs" -I src src tests bench fuzz

[ -f "$build/compile_commands.json" ] || {
    echo "lint: $build/compile_commands.json is missing; configure the build first" >&2
    exit 1
}
# clang-tidy reads GCC's compile commands: options only GCC knows are left out of its copy.
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
sed -e 's/-fvect-cost-model=[a-z]*//g' "$build/compile_commands.json" >"$db/compile_commands.json"
out=$(find src -name '*.c' -print0 | xargs -0 -P"$jobs" -n8 clang-tidy -p "$db" --quiet 2>/dev/null |
      grep -E '(warning|error):' || true)
if [ -n "$out" ]; then
    echo "$out"
    echo "lint: clang-tidy findings above" >&2
    exit 1
fi
echo "lint: cppcheck and clang-tidy clean"
