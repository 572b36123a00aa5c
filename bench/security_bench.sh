#!/usr/bin/env bash
# What the server's own security costs: requests/s and latency (p50, p99) under wrk on loopback,
# in one run, for four servers on the same model:
#   off      --insecure-no-auth, no rate limits, --audit-log off
#   audit    the same with the audit log on (its default): records of every call and verdict
#   keys     an API key checked on every request (salted HMAC-SHA-256, keys file stat'ed for
#            changes), rate limits counted for every request (ceilings too high to refuse), the
#            audit log on (also the authentication attempts)
#   jwt      an RS256 bearer token verified on every request, rate limits and audit log the same
# for POST /api/v1/analyze/access (one event, the analysis work) and GET /api/v1/anomalies?limit=1
# (almost no work: the checks' cost shows most). The three modes take turns, round after round,
# and each figure is the median of the rounds, so that load from elsewhere on the machine falls
# on all four alike. Each server keeps its own audit log in the work directory. A "!" marks rows with non-2xx answers. Prints figures; asserts nothing.
# usage: bench/security_bench.sh [SECONDS] [ROUNDS] [CONNECTIONS]   (build first)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-2}
rounds=${2:-5}
conns=${3:-16}
bin=${SENTINEL_BIN:-build/sentinel}
work=$(mktemp -d /tmp/sentinel-security-bench.XXXXXX)
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done;
      rm -rf "$work"' EXIT

$bin generate --users 200 --events-per-user 50 --seed 1 --output "$work/log.csv" --quiet
$bin train --input "$work/log.csv" --model "$work/m.bin" 2>/dev/null
key=$($bin keys create --role analyst --scope '*' --keys "$work/keys.jsonl" 2>/dev/null)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.key" 2>/dev/null
openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub" 2>/dev/null
token=$(/usr/bin/python3 -c '
import jwt, sys, time
now = int(time.time())
print(jwt.encode({"sub": "bench", "role": "analyst", "scope": "*", "iat": now, "exp": now + 900},
                 open(sys.argv[1], "rb").read(), algorithm="RS256"))' "$work/jwt.key")

high="1000000/second" # counted on every request, never reached
start() { # name, options...; sets url_NAME (not in a subshell: the trap stops the servers)
    local name=$1
    shift
    $bin serve --listen 127.0.0.1:0 --model "$work/m.bin" --log-level warn "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q '^listening on ' "$work/$name.out" 2>/dev/null && break
        sleep 0.05
    done
    printf -v "url_$name" '%s' "$(sed -n 's/^listening on //p' "$work/$name.out")"
}
start off --insecure-no-auth --rate-limit-general 0 --rate-limit-analysis 0 --audit-log off
start audit --insecure-no-auth --rate-limit-general 0 --rate-limit-analysis 0 \
    --audit-log "$work/audit-audit.jsonl"
start keys --keys-file "$work/keys.jsonl" --rate-limit-general "$high" \
    --rate-limit-analysis "$high" --audit-log "$work/audit-keys.jsonl"
start jwt --jwt-public-key-file "$work/jwt.pub" --rate-limit-general "$high" \
    --rate-limit-analysis "$high" --audit-log "$work/audit-jwt.jsonl"
[[ -n $url_off && -n $url_audit && -n $url_keys && -n $url_jwt ]] ||
    { echo "a server did not start"; exit 1; }

script() { # file, method, bearer ("" for none)
    {
        echo "wrk.method = \"$2\""
        if [[ $2 == POST ]]; then
            sed -n '/^wrk.headers/,$p' bench/server_access.lua
        fi
        if [[ -n $3 ]]; then
            echo "wrk.headers[\"Authorization\"] = \"Bearer $3\""
        fi
    } >"$1"
}
script "$work/post-off.lua" POST ""
script "$work/post-audit.lua" POST ""
script "$work/post-keys.lua" POST "$key"
script "$work/post-jwt.lua" POST "$token"
script "$work/get-off.lua" GET ""
script "$work/get-audit.lua" GET ""
script "$work/get-keys.lua" GET "$key"
script "$work/get-jwt.lua" GET "$token"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk: $rounds rounds of ${secs}s per mode, modes interleaved, $conns connections, 2 threads;"
echo "median of the rounds; servers log at warn"
echo
printf '%-34s %-5s | %10s %9s %9s | %7s\n' route mode "req/s" p50 p99 "vs off"
printf -- '-%.0s' $(seq 84)
echo
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
to_us() { # wrk's latency (52.00us, 3.10ms, 1.20s) in microseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
                           else print n * 1e6 }'
}
for route in "POST /api/v1/analyze/access" "GET /api/v1/anomalies?limit=1"; do
    method=${route%% *}
    path=${route#* }
    lower=$(tr 'A-Z' 'a-z' <<<"$method")
    declare -A rps=() p50=() p99=() flag=()
    for _ in $(seq "$rounds"); do
        for mode in off audit keys jwt; do
            var="url_$mode"
            out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/$lower-$mode.lua" \
                "${!var}$path")
            rps[$mode]+="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out") "
            p50[$mode]+="$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")") "
            p99[$mode]+="$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")") "
            grep -q 'Non-2xx' <<<"$out" && flag[$mode]="!"
        done
    done
    base=""
    for mode in off audit keys jwt; do
        r=$(tr ' ' '\n' <<<"${rps[$mode]}" | grep . | median)
        l50=$(tr ' ' '\n' <<<"${p50[$mode]}" | grep . | median)
        l99=$(tr ' ' '\n' <<<"${p99[$mode]}" | grep . | median)
        [[ -z $base ]] && base=$r
        rel=$(awk -v a="$r" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
        printf '%-34s %-5s | %10s %7.0fus %7.0fus | %7s %s\n' "$route" "$mode" "$r" "$l50" \
            "$l99" "$rel" "${flag[$mode]:-}"
    done
    unset rps p50 p99 flag
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
