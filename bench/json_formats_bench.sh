#!/usr/bin/env bash
# Parse throughput of the JSON log readers: generates about RECORDS records of each format with
# bench/gen_json_logs.py (seeded), then reads each file with build/bench/ingest_bench (best of
# PASSES, so the page cache and not the disk is measured) and prints MB/s, events/s and the
# reader's peak resident memory. Usage: bench/json_formats_bench.sh [RECORDS] [PASSES] [BUILD]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
records=${1:-100000}
passes=${2:-3}
build=${3:-$here/../build}
bench=$build/bench/ingest_bench
[ -x "$bench" ] || { echo "missing $bench: build first (cmake --build $build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/gen_json_logs.py" "$tmp" "$records"
printf '%-24s %8s %9s %9s %8s %11s %9s\n' file MB records ignored MB/s events/s 'RSS MB'
for f in cloudtrail.json cloudtrail_pretty.json okta.jsonl entra.jsonl ecs.jsonl ocsf.jsonl \
         winevt.jsonl jsonl.jsonl; do
    fmt=${f%%.*}
    fmt=${fmt%_pretty}
    out=$("$bench" "$tmp/$f" "$passes" "$fmt")
    rss=-
    if [ -x /usr/bin/time ]; then
        rss=$( { /usr/bin/time -f '%M' "$bench" "$tmp/$f" 1 "$fmt" >/dev/null; } 2>&1 | tail -1)
        rss=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
    fi
    mb=$(awk '/^file/ { gsub(/[(,]/, " "); print $(NF-1) }' <<<"$out")
    rec=$(awk '/^records / { print $2 }' <<<"$out")
    ign=$(awk '/^records / { gsub(/[(,]/, " "); print $5 }' <<<"$out")
    mbs=$(awk '/^MB\/s/ { print $2 }' <<<"$out")
    eps=$(awk '/^records\/s/ { print $2 }' <<<"$out")
    printf '%-24s %8s %9s %9s %8s %11s %9s\n' "$f" "$mb" "$rec" "$ign" "$mbs" "$eps" "$rss"
done
