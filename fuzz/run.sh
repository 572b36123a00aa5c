#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) and runs each
# for the given number of seconds (default 60), starting from the seed corpora in
# fuzz/corpus/<target>/. New inputs go to a work corpus in the build directory, crashes to
# build-fuzz/crashes/. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${SENTINEL_FUZZ_BUILD:-$src/build-fuzz}
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_csv fuzz_jsonl fuzz_fields fuzz_syslog fuzz_winevt \
    fuzz_cloudtrail fuzz_okta fuzz_entra fuzz_ecs fuzz_ocsf fuzz_model fuzz_audit fuzz_amazon fuzz_predict \
    fuzz_store fuzz_json_doc)

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSENTINEL_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

mkdir -p "$build/crashes"
status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  mkdir -p "$work"
  echo "== $t for ${secs}s"
  if ! "$build/fuzz/$t" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" \
       "$work" "$here/corpus/$t" 2>"$build/$t.log"; then
    echo "$t: FAILED (see $build/$t.log and $build/crashes/)"
    tail -40 "$build/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$build/$t.log" | tail -3
  fi
done
exit $status
