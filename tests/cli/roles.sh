#!/usr/bin/env bash
# Role mining from the command line: the JSON fields, k given or chosen, the same seed giving the
# same roles, the Amazon access file (a small hand-made one, and the real one when present), and
# the errors of a bad command line.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   - $1"; else echo "FAIL - $1"; fail=1; fi; }
cd "$tmp"
"$bin" generate --users 60 --events-per-user 40 --seed 5 --output gen.csv --quiet

"$bin" roles --input gen.csv --json >a.json 2>err.txt
check "roles --json succeeds" "[ \$? -eq 0 ]"
check "the reference fields and the roles' own" "/usr/bin/python3 -c '
import json
d=json.load(open(\"a.json\"))
assert d[\"total_users\"]==60 and d[\"total_roles\"]==len(d[\"roles\"])>=2
assert d[\"k_selection\"][\"method\"]==\"silhouette\"
for r in d[\"roles\"]:
    for k in (\"role_id\",\"role_name\",\"user_count\",\"department\",\"top_resource\",\"users\",\"common_resources\",\"dominant_department\",\"dominant_job_title\",\"description\"):
        assert k in r, k
    assert r[\"user_count\"]==len(r[\"users\"])
assert sum(r[\"user_count\"] for r in d[\"roles\"])==60
h=d[\"role_health\"]
for k in (\"total_roles\",\"total_users\",\"avg_users_per_role\",\"small_roles_count\",\"small_roles_ratio\",\"is_role_explosion\",\"recommendation\",\"overlapping_roles\",\"over_privileged_users\"):
    assert k in h, k
assert 0<=d[\"quality\"][\"purity_department\"]<=1
'"
check "the summary names users and resources" "grep -q '60 users' err.txt"
"$bin" roles --input gen.csv --json >b.json 2>/dev/null
check "same seed, same roles" "/usr/bin/python3 -c '
import json
a=json.load(open(\"a.json\")); b=json.load(open(\"b.json\"))
a.pop(\"seconds\"); b.pop(\"seconds\"); assert a==b'"
"$bin" roles --input gen.csv --k 4 --json >k4.json 2>/dev/null
check "--k 4 gives four roles" "/usr/bin/python3 -c '
import json; d=json.load(open(\"k4.json\")); assert d[\"total_roles\"]==4 and d[\"k_selection\"][\"method\"]==\"given\"'"
"$bin" roles --input gen.csv --k 3 >text.txt 2>/dev/null
check "text output lists the roles and their health" "grep -q '^3 roles for 60 users' text.txt && grep -q '^R002' text.txt && grep -q '^role health' text.txt"

# The Amazon access file: approved requests only; the tuple or the role code is the user.
cat >amazon.csv <<'EOF'
ACTION,RESOURCE,MGR_ID,ROLE_ROLLUP_1,ROLE_ROLLUP_2,ROLE_DEPTNAME,ROLE_TITLE,ROLE_FAMILY_DESC,ROLE_FAMILY,ROLE_CODE
1,100,7,1,2,30,40,50,60,70
1,101,7,1,2,30,40,50,60,70
1,100,8,1,2,30,40,51,60,70
1,101,8,1,2,30,40,51,60,70
1,200,9,1,2,31,41,52,61,71
1,201,9,1,2,31,41,52,61,71
1,200,9,1,2,31,41,53,61,71
1,201,9,1,2,31,41,53,61,71
0,999,9,1,2,31,41,53,61,71
EOF
"$bin" roles --amazon amazon.csv --k 2 --json >am.json 2>am.err
check "amazon: four role tuples in two roles" "/usr/bin/python3 -c '
import json; d=json.load(open(\"am.json\"))
assert d[\"total_users\"]==4 and d[\"total_roles\"]==2
assert sorted(r[\"department\"] for r in d[\"roles\"])==[\"30\",\"31\"]
assert all(r[\"top_resource\"]!=\"999\" for r in d[\"roles\"])
assert d[\"quality\"][\"purity_department\"]==1.0'"
check "amazon: 9 requests read; the denied one's resource is not counted" "grep -q '9 requests read, 4 users, 4 resources, 8 user-resource pairs' am.err"
"$bin" roles --amazon amazon.csv --amazon-user role_code --k 2 --json >amc.json 2>/dev/null
check "amazon: role codes as users" "/usr/bin/python3 -c '
import json; d=json.load(open(\"amc.json\")); assert d[\"total_users\"]==2'"
printf 'ACTION,RESOURCE\n1,2\n' >bad.csv
"$bin" roles --amazon bad.csv >/dev/null 2>err.txt
check "amazon: a missing column is named (exit 1)" "[ \$? -eq 1 ] && grep -q 'ROLE_ROLLUP_1' err.txt"
printf 'ACTION,RESOURCE,MGR_ID,ROLE_ROLLUP_1,ROLE_ROLLUP_2,ROLE_DEPTNAME,ROLE_TITLE,ROLE_FAMILY_DESC,ROLE_FAMILY,ROLE_CODE\n1,x,1,1,1,1,1,1,1,1\n' >bad2.csv
"$bin" roles --amazon bad2.csv >/dev/null 2>err.txt
check "amazon: a non-integer is refused with its line" "[ \$? -eq 1 ] && grep -q 'bad2.csv:2: RESOURCE' err.txt"

"$bin" roles >/dev/null 2>&1
check "no input: exit 2" "[ \$? -eq 2 ]"
"$bin" roles --input gen.csv --amazon amazon.csv >/dev/null 2>&1
check "two inputs: exit 2" "[ \$? -eq 2 ]"
"$bin" roles --input gen.csv --weighting idf >/dev/null 2>&1
check "bad weighting: exit 2" "[ \$? -eq 2 ]"
"$bin" roles --input gen.csv --k 61 >/dev/null 2>err.txt
check "more roles than users: exit 2, said" "[ \$? -eq 2 ] && grep -q '61 roles asked of 60 users' err.txt"
"$bin" roles --input gen.csv --k-min 9 --k-max 3 >/dev/null 2>&1
check "k-min above k-max: exit 2" "[ \$? -eq 2 ]"

data=${SENTINEL_DATA_DIR:-../shared/data}
if [ -f "$data/amazon-access/train.csv" ]; then
    "$bin" roles --amazon "$data/amazon-access/train.csv" --json >real.json 2>/dev/null
    check "the real Amazon file: 6,282 role tuples with approved requests" "/usr/bin/python3 -c '
import json; d=json.load(open(\"real.json\")); assert d[\"total_users\"]==6282 and 2<=d[\"total_roles\"]<=30'"
else
    echo "skip - $data/amazon-access/train.csv is missing"
fi
exit $fail
