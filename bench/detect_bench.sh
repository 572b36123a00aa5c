#!/usr/bin/env bash
# End-to-end figures on a generated log (default 10,000,000 events, 20,000 users):
# generate, train, detect with the model (parse + baselines + features + score + JSON out),
# detect without a model (two passes), scoring alone (score_bench), ingest alone (ingest_bench),
# with wall time, events/s and peak RSS for each. Prints figures; asserts nothing.
# usage: bench/detect_bench.sh [EVENTS] [USERS]      (build first: cmake --build build)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
users=${2:-20000}
bin=build/sentinel
work=${BENCH_DIR:-/tmp/sentinel-bench}
mkdir -p "$work"
log="$work/gen-$events-$users.csv"
model="$work/model-$events-$users.bin"

measure() { # label, events, command...
    local label=$1 n=$2
    shift 2
    if ! /usr/bin/time -o "$work/time.txt" -f '%e %M %U %S' "$@" >/dev/null 2>"$work/stderr.txt"; then
        echo "$label: failed:"; tail -n 3 "$work/stderr.txt"; return 0
    fi
    local secs kb user sys
    read -r secs kb user sys < <(tail -n 1 "$work/time.txt")
    awk -v l="$label" -v s="$secs" -v k="$kb" -v n="$n" -v c="$user" -v y="$sys" 'BEGIN {
        printf "%-50s %7.2f s %10.0f events/s %6.0f ns/event %6.0f CPU ns/event %7.1f MiB peak RSS\n",
               l, s, (s > 0 ? n / s : 0), (n > 0 ? s * 1e9 / n : 0),
               (n > 0 ? (c + y) * 1e9 / n : 0), k / 1024 }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
if [[ ! -s $log ]]; then
    measure "generate ($events events, $users users)" "$events" \
        $bin generate --total "$events" --users "$users" --seed 1 --output "$log" --quiet
fi
n=$(($(wc -l <"$log") - 1))
echo "input: $log, $n events, $(du -h "$log" | cut -f1)"
measure "ingest only (ingest_bench, one pass)" "$n" build/bench/ingest_bench "$log" 1
measure "train (learn + fit + write model)" "$n" $bin train --input "$log" --model "$model"
measure "detect --model (one pass, JSON to /dev/null)" "$n" \
    $bin detect --input "$log" --model "$model" --output /dev/null --quiet
# The same on one core: its reading, judging and writing threads share one processor.
if command -v taskset >/dev/null 2>&1; then
    measure "detect --model on one core (taskset -c 0)" "$n" \
        taskset -c 0 $bin detect --input "$log" --model "$model" --output /dev/null --quiet
fi
measure "detect without model (learn + score passes)" "$n" \
    $bin detect --input "$log" --output /dev/null --quiet
build/bench/score_bench "$model" "$log" 1000000
