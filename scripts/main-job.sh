#!/usr/bin/env bash
# The main job: installs what is missing, builds, then detects anomalies in labelled access logs
# and prints the top alerts with their reasons and the evaluation figures.
# Input: the reference data in $SENTINEL_DATA_DIR/reference (default ../shared/data) when it is
# there, else a log made by `sentinel generate`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
data_dir=${SENTINEL_DATA_DIR:-../shared/data}
mkdir -p out
inputs=()
if [[ -r $data_dir/reference/sample_iam_logs_200x50.csv ]]; then
    inputs+=("$data_dir/reference/sample_iam_logs_200x50.csv")
    [[ -r $data_dir/reference/sample_iam_logs_2000x50.csv ]] &&
        inputs+=("$data_dir/reference/sample_iam_logs_2000x50.csv")
else
    echo "Reference data not found in $data_dir/reference; generating a labelled log instead."
    build/sentinel generate --users 200 --events-per-user 50 --seed 42 --output out/generated.csv
    inputs+=(out/generated.csv)
fi
first=1
for input in "${inputs[@]}"; do
    name=$(basename "$input" .csv)
    echo "== $input"
    build/sentinel detect --input "$input" --output "out/$name.verdicts.jsonl"
    if ((first)); then
        build/sentinel eval --input "$input" --top 10
        first=0
    else
        build/sentinel eval --input "$input"
    fi
    echo "verdicts: out/$name.verdicts.jsonl"
    echo
done

# Real logs written by real systems, when they are there: an internet-facing sshd under attack
# (loghub) and a Windows password spray with Kerberoasting (OTRF). No labels: the top alerts.
for input in "$data_dir/loghub/OpenSSH_2k.log" \
    "$data_dir/otrf/purplesharp_ad_playbook_I_auth_events.jsonl"; do
    [[ -r $input ]] || continue
    name=$(basename "$input")
    echo "== $input"
    build/sentinel detect --input "$input" --output "out/$name.verdicts.jsonl" --top 5
    echo "verdicts: out/$name.verdicts.jsonl"
    echo
done

