#!/usr/bin/env bash
# `sentinel serve` under wrk on loopback, in one run, beside the reference system's figures from
# ../shared/peer/RESULTS.md (uvicorn, one worker, a 2-core machine) with ratios:
#   - POST /api/v1/analyze/access (one fixed event, bench/server_access.lua): requests/s, p50,
#     p99 at 1, 16 and 64 connections; GET /health and the user risk score at 16;
#   - POST /api/v1/analyze/batch with 1,000 events: events/s at 1 and 2 connections;
#   - GET /health while 10,000-event batches run back to back: p50, p99, max;
#   - the server's memory (VmRSS, VmHWM from /proc/PID/status) before, during and after an
#     overload: 1,000 connections paced to offer twice the rate measured at 64 connections.
# Prints figures; asserts nothing. SN_BENCH_PERF=1 then samples the server with perf during one
# more 16-connection access run and prints where its time goes.
# usage: bench/server_bench.sh [SECONDS]      (build first: cmake --build build)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
bin=${SENTINEL_BIN:-build/sentinel}
work=${BENCH_DIR:-/tmp/sentinel-bench}
mkdir -p "$work"
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

data="${SENTINEL_DATA_DIR:-../shared/data}/reference/sample_iam_logs_200x50.csv"
if [[ ! -r $data ]]; then
    data="$work/server-bench.csv"
    $bin generate --users 200 --events-per-user 50 --seed 1 --output "$data" --quiet
fi
model="$work/server-bench.bin"
$bin train --input "$data" --model "$model" 2>/dev/null

# Request bodies: batches of the log's first 1,000 and 10,000 events.
/usr/bin/python3 - "$data" "$work" <<'PY'
import csv, json, sys
rows = []
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
for n in (1000, 10000):
    events = [rows[i % len(rows)] for i in range(n)]
    body = json.dumps({"events": events})
    with open(f"{sys.argv[2]}/batch{n}.lua", "w", encoding="utf-8") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        f.write("wrk.body = " + json.dumps(body) + "\n")
PY
# The access event, sent by each connection after a pause: SN_PACE_MS milliseconds.
{
    cat bench/server_access.lua
    echo 'local pause = tonumber(os.getenv("SN_PACE_MS") or "0")'
    echo 'function delay() return pause end'
} >"$work/paced.lua"

# Speed without authentication, rate limits or audit log, as the reference measured it;
# bench/security_bench.sh measures what they cost.
$bin serve --listen 127.0.0.1:0 --model "$model" --max-connections 8192 --insecure-no-auth \
    --rate-limit-general 0 --rate-limit-analysis 0 --audit-log off \
    >"$work/serve.out" 2>"$work/serve.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break
    sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[[ -n $url ]] || { echo "the server did not start:"; cat "$work/serve.log"; exit 1; }
mem() { # VmRSS and VmHWM of the server, in MiB
    awk '/^VmRSS|^VmHWM/ {printf "%s %.1f  ", $1, $2 / 1024}' "/proc/$pid/status"
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
rss_start=$(mem)
# Warm-up; it also gives U0001, whose risk score is asked for below, events to score.
wrk -t1 -c1 -d1s -s bench/server_access.lua "$url/api/v1/analyze/access" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
echo "server: $url, model trained on $(basename "$data"), wrk for ${secs}s per row, log at info"
echo "(ratios: requests/s ours / reference's; latency reference's / ours: both > 1 is better)"
echo
printf '%-36s %5s | %9s %9s %9s | %9s %8s %8s | %8s %8s\n' route conns "req/s" p50 p99 \
    "ref req/s" "ref p50" "ref p99" "x req/s" "x p50"
printf -- '-%.0s' $(seq 118)
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

# wrk's latency ("52.00us", "3.10ms", "1.20s") in microseconds.
to_us() {
    awk -v v="$1" 'BEGIN {
        if (v == "-" || v == "") { print ""; exit }
        n = v + 0
        if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
        else if (v ~ /m$/) print n * 60e6; else print n * 1e6 }'
}
ratio() { # ours over theirs, or "-"
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-";
                                     else printf "%.0f", a / b }'
}

last_rps=0
row() { # method, path, connections, wrk options...
    local method=$1 path=$2 conns=$3
    shift 3
    local threads=$((conns < 2 ? 1 : 2))
    local out
    out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$url$path")
    local rps p50 p99 flag=""
    rps=$(awk '/^Requests\/sec:/ {printf "%.2f", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    grep -q 'Non-2xx' <<<"$out" && flag="!"
    last_rps=$rps
    read -r rrps rp50 rp99 < <(reference "$method $path" "$conns")
    local xr=- xl=-
    [[ $rrps != - ]] && xr=$(ratio "$rps" "$rrps")
    [[ $rp50 != - ]] && xl=$(ratio "$(to_us "$rp50")" "$(to_us "$p50")")
    printf '%-36s %5s | %9s %9s %9s | %9s %8s %8s | %8s %8s\n' "$method $path" "$conns" \
        "$(printf '%.0f' "$rps")$flag" "$p50" "$p99" "$rrps" "$rp50" "$rp99" "$xr" "$xl"
}

row GET /health 16
row POST /api/v1/analyze/access 1 -s bench/server_access.lua
row POST /api/v1/analyze/access 16 -s bench/server_access.lua
row POST /api/v1/analyze/access 64 -s bench/server_access.lua
sustainable=$last_rps
row GET /api/v1/user/U0001/risk-score 16
row POST /api/v1/analyze/batch 1 -s "$work/batch1000.lua"
batch1=$last_rps
row POST /api/v1/analyze/batch 2 -s "$work/batch1000.lua"
batch2=$last_rps
echo
awk -v a="$batch1" -v b="$batch2" 'BEGIN {
    printf "batches of 1,000 events: %.0f events/s with 1 connection, %.0f with 2 ", a * 1000, b * 1000
    printf "(reference: about 36 events/s, 27-29 s per batch; x%.0f)\n", a * 1000 / 36 }'

# /health while 10,000-event batches run back to back.
wrk -t1 -c1 -d"$((secs + 2))s" -s "$work/batch10000.lua" "$url/api/v1/analyze/batch" \
    >"$work/batch-bg.out" &
bg=$!
sleep 1
out=$(wrk -t1 -c4 -d"${secs}s" --latency "$url/health")
wait "$bg"
batch_rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/batch-bg.out")
awk -v b="$batch_rps" '
    $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2} $1 == "Latency" && NF >= 4 {max = $4}
    /^Requests\/sec:/ {rps = $2}
    END {
        printf "GET /health (4 connections) while 10,000-event batches run back to back ";
        printf "(%.0f events/s): %.0f req/s, p50 %s, p99 %s, max %s\n", b * 10000, rps, p50, p99, max;
        print "  (reference: a /health sent 2 s into a 1,000-event batch took 24.6 s)" }' <<<"$out"

# Overload: 1,000 connections, each pausing so that together they would send twice the rate
# measured at 64 connections if every answer were instant.
conns=1000
pace=$(awk -v c="$conns" -v r="$sustainable" 'BEGIN { p = c * 1000 / (2 * r); print (p < 1 ? 1 : int(p + 0.5)) }')
offered=$(awk -v c="$conns" -v p="$pace" 'BEGIN { printf "%.0f", c * 1000 / p }')
sleep 1
rss_before=$(mem)
SN_PACE_MS=$pace wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/paced.lua" \
    "$url/api/v1/analyze/access" >"$work/overload.out" &
load=$!
peak=0
while kill -0 "$load" 2>/dev/null; do
    r=$(rss_kib)
    ((r > peak)) && peak=$r
    sleep 0.2
done
wait "$load" || true
sleep 1
rss_after=$(mem)
echo
awk -v off="$offered" -v sus="$sustainable" '
    $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2} /^Requests\/sec:/ {rps = $2}
    /Non-2xx/ {bad = $NF} /Socket errors/ {errs = $0}
    END {
        printf "overload: %d connections offering %s req/s (2 x %.0f): %.0f answered/s, p50 %s, ", 1000, off, sus, rps, p50;
        printf "p99 %s%s%s\n", p99, bad ? ", non-2xx " bad : "", errs ? "; " errs : "" }' \
    "$work/overload.out"
echo "memory (MiB): at start:         $rss_start"
echo "              before overload:  $rss_before (after everything above)"
awk -v k="$peak" 'BEGIN { printf "              during:           VmRSS peak %.1f (sampled every 0.2 s)\n", k / 1024 }'
echo "              1 s after:        $rss_after"
echo "  (reference: 1.4 GB peak RSS for its offline run on 1,000,183 events; no figure for its server)"
echo
dropped=$(curl -s "$url/metrics" | awk '/^sentinel_log_lines_dropped_total/ {print $2}' || true)
echo "log lines written: $(wc -l <"$work/serve.log")${dropped:+, dropped: $dropped}"
echo "(! after req/s: some answers were not 2xx)"
if [[ ${SN_BENCH_PERF:-0} == 1 ]] && command -v perf >/dev/null; then
    # A run of its own, so that sampling does not slow the rows above.
    wrk -t2 -c16 -d"$((secs + 2))s" -s bench/server_access.lua "$url/api/v1/analyze/access" \
        >/dev/null &
    load=$!
    sleep 1
    perf record -q -F 999 -p "$pid" -o "$work/perf.data" -- sleep "$secs" 2>/dev/null || true
    wait "$load" || true
    echo
    echo "where the server's time goes during POST /api/v1/analyze/access at 16 connections:"
    perf report -i "$work/perf.data" --no-children --sort dso 2>/dev/null | grep '%' | head -8
    perf report -i "$work/perf.data" --no-children --sort sym 2>/dev/null | grep '%' |
        grep -v '^#' | head -25
fi
