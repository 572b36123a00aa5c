#!/usr/bin/env bash
# `sentinel serve` under wrk: requests/s and latency (p50, p99) for GET /health, POST
# /api/v1/analyze/access (one fixed event, bench/server_access.lua) and GET
# /api/v1/user/U0001/risk-score, with 1 and 16 connections, and for 1,000-event batches, beside the reference system's figures
# from ../shared/peer/RESULTS.md (uvicorn, one worker, same kind of 2-core machine).
# Prints figures; asserts nothing.
# usage: bench/server_bench.sh [SECONDS]      (build first: cmake --build build)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
bin=${SENTINEL_BIN:-build/sentinel}
work=${BENCH_DIR:-/tmp/sentinel-bench}
mkdir -p "$work"
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }

data="${SENTINEL_DATA_DIR:-../shared/data}/reference/sample_iam_logs_200x50.csv"
if [[ ! -r $data ]]; then
    data="$work/server-bench.csv"
    $bin generate --users 200 --events-per-user 50 --seed 1 --output "$data" --quiet
fi
model="$work/server-bench.bin"
$bin train --input "$data" --model "$model" 2>/dev/null

$bin serve --listen 127.0.0.1:0 --model "$model" >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break
    sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[[ -n $url ]] || { echo "the server did not start:"; cat "$work/serve.err"; exit 1; }
# Warm-up; it also gives U0001, whose risk score is asked for below, events to score.
wrk -t1 -c1 -d1s -s bench/server_access.lua "$url/api/v1/analyze/access" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
echo "server: $url, model trained on $(basename "$data"), wrk for ${secs}s per row"
echo
printf '%-40s %5s | %10s %9s %9s | %10s %9s %9s\n' route conns "req/s" p50 p99 \
    "ref req/s" "ref p50" "ref p99"
printf -- '-%.0s' $(seq 112)
echo

# Reference figures from ../shared/peer/RESULTS.md ("-" where it has none).
reference() { # route, connections
    case "$1 $2" in
    "POST /api/v1/analyze/access 1") echo "35 28ms 31ms" ;;
    "POST /api/v1/analyze/access 16") echo "36 446ms 681ms" ;;
    "GET /api/v1/user/U0001/risk-score 16") echo "200 80ms -" ;;
    "GET /health 16") echo "5015 3.1ms -" ;;
    "POST /api/v1/analyze/batch 1") echo "0.036 28s -" ;;
    *) echo "- - -" ;;
    esac
}

row() { # method, path, connections, wrk options...
    local method=$1 path=$2 conns=$3
    shift 3
    local threads=$((conns < 2 ? 1 : 2))
    local out
    out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$url$path")
    local rps p50 p99
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    if grep -q 'Non-2xx' <<<"$out"; then
        rps="$rps!"
    fi
    read -r rrps rp50 rp99 < <(reference "$method $path" "$conns")
    printf '%-40s %5s | %10s %9s %9s | %10s %9s %9s\n' "$method $path" "$conns" "$rps" "$p50" \
        "$p99" "$rrps" "$rp50" "$rp99"
}

for c in 1 16; do
    row GET /health "$c"
    row POST /api/v1/analyze/access "$c" -s bench/server_access.lua
    row GET /api/v1/user/U0001/risk-score "$c"
done

# A batch of the first 1,000 events of the log (the reference: 27-29 s per batch).
/usr/bin/python3 - "$data" "$work/batch.lua" <<'PY'
import csv, json, sys
rows = []
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        rows.append(r)
        if len(rows) == 1000:
            break
body = json.dumps({"events": rows})
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
    f.write("wrk.body = " + json.dumps(body) + "\n")
PY
row POST /api/v1/analyze/batch 1 -s "$work/batch.lua"
echo "  (one request = 1,000 events; the reference took 27-29 s per such batch)"
echo
echo "(! after req/s: some answers were not 2xx)"
