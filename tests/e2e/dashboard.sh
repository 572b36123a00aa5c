#!/usr/bin/env bash
# The web dashboard end to end in headless Chromium (playwright-core, web/package-lock.json):
# usage: dashboard.sh SENTINEL_BIN BUILD_DIR. The checks are in dashboard.js. Skips (exit 77)
# when Chromium, Node.js or the pinned npm packages are missing.
set -u
bin="$1"
build="$2"
src="${SENTINEL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
chromium="${SENTINEL_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
    echo "SKIP: no Chromium at $chromium"
    exit 77
fi
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: no Node.js"
    exit 77
fi
if [ ! -f "$src/web/node_modules/playwright-core/package.json" ]; then
    echo "SKIP: playwright-core is not installed (run scripts/install-deps.sh)"
    exit 77
fi
exec node "$src/tests/e2e/dashboard.js" "$bin" "$build" "$chromium"
