#!/usr/bin/env bash
# User risk from the command line: ranking, one user's factors in the reference field names,
# and the errors for an unknown user and a missing argument.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   - $1"; else echo "FAIL - $1"; fail=1; fi; }
cd "$tmp"
"$bin" generate --users 40 --events-per-user 30 --seed 11 --output gen.csv --quiet

"$bin" users --input gen.csv --top 5 >top.txt 2>/dev/null
check "users ranks five users" "[ \$(tail -n +2 top.txt | wc -l) -eq 5 ]"
check "ranked by descending risk" "tail -n +2 top.txt | awk '{print \$3}' | sort -g -r -c"
first=$(sed -n 2p top.txt | awk '{print $2}')
"$bin" user-risk --input gen.csv --user "$first" --json >one.json 2>/dev/null
check "user-risk gives the reference fields" "/usr/bin/python3 -c '
import json,sys
d=json.load(open(\"one.json\"))
assert set(d[\"factor_scores\"])=={\"anomaly_score\",\"peer_deviation\",\"sensitive_access\",\"failed_attempts\",\"policy_violations\"}
assert d[\"risk_level\"] in (\"NORMAL\",\"LOW\",\"MEDIUM\",\"HIGH\",\"CRITICAL\") and 0<=d[\"risk_score\"]<=100
assert isinstance(d[\"recommendations\"], list)
'"
check "the ranking and the explanation agree" "grep -q \"\\\"user_id\\\":\\\"$first\\\"\" one.json && [ \"\$(sed -n 2p top.txt | awk '{print \$3}')\" = \"\$(/usr/bin/python3 -c 'import json;print(\"%.1f\"%json.load(open(\"one.json\"))[\"risk_score\"])')\" ]"
"$bin" user-risk --input gen.csv --user nobody >/dev/null 2>err.txt
check "unknown user: exit 1 naming it" "[ \$? -eq 1 ] && grep -q nobody err.txt"
"$bin" user-risk --input gen.csv >/dev/null 2>err.txt
check "missing --user: exit 2" "[ \$? -eq 2 ]"
exit $fail
