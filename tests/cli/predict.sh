#!/usr/bin/env bash
# Access-request prediction from the command line: learning from access history and from a
# labelled request file, cross-validation, asking, and the errors for a damaged predictor file,
# a missing column and a bad label.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   - $1"; else echo "FAIL - $1"; fail=1; fi; }
cd "$tmp"
"$bin" generate --users 40 --events-per-user 30 --seed 11 --output gen.csv --quiet

"$bin" predict train --input gen.csv --output hist.bin --trees 40 2>err.txt
check "train on access history: exit 0, file written" "[ \$? -eq 0 ] && [ -s hist.bin ]"
read -r user dept title res act < <(/usr/bin/python3 -c '
import csv
r = next(csv.DictReader(open("gen.csv")))
print(r["user_id"], r["department"].replace(" ", "_"), r["job_title"].replace(" ", "_"), r["resource"], r["action"])')
dept=${dept//_/ }
title=${title//_/ }
"$bin" predict ask --model hist.bin --user "$user" --department "$dept" --title "$title" \
    --resource "$res" --action "$act" >ask.json 2>err.txt
check "ask: exit 0" "[ \$? -eq 0 ]"
check "ask gives the reference fields" "/usr/bin/python3 -c '
import json
d = json.load(open(\"ask.json\"))
assert set(d) == {\"should_approve\", \"confidence\", \"probability_approve\", \"probability_deny\", \"recommendation\", \"reason\", \"peer_analysis\"}, d
assert abs(d[\"probability_approve\"] + d[\"probability_deny\"] - 1) < 1e-3
assert d[\"recommendation\"] in (\"APPROVE\", \"REVIEW\", \"DENY\")
pa = d[\"peer_analysis\"]
assert set(pa) == {\"department\", \"job_title\"}, pa
assert pa[\"department\"][\"value\"] == \"$dept\" and pa[\"department\"][\"peers\"] >= 1
'"
"$bin" predict ask --model hist.bin --user "$user" --department "$dept" --title "$title" \
    --resource "$res" --action "$act" >ask2.json 2>/dev/null
check "the same question, the same answer" "cmp -s ask.json ask2.json"
"$bin" predict ask --model hist.bin --user "$user" --department "$dept" --title "$title" \
    --action "$act" >/dev/null 2>err.txt
check "ask without a column: exit 2 naming it" "[ \$? -eq 2 ] && grep -q 'the model needs column resource: give --field resource=VALUE or --resource' err.txt"

# A labelled request file: department decides who gets each resource.
/usr/bin/python3 - <<'PY'
import random
random.seed(5)
with open("req.csv", "w") as f:
    f.write("ACTION,RESOURCE,MGR_ID,ROLE_DEPTNAME\n")
    for i in range(600):
        dept = random.choice(["10", "20", "30"])
        res = random.choice(["100", "200", "300"])
        ok = (int(dept) // 10) == (int(res) // 100) or res == "300"
        if random.random() < 0.05:
            ok = not ok
        f.write(f"{int(ok)},{res},{random.randint(1, 12)},{dept}\n")
PY
"$bin" predict cv --input req.csv --folds 3 --seed 4 --trees 40 >cv.txt 2>err.txt
check "cv: exit 0, three folds and a mean" "[ \$? -eq 0 ] && [ \$(grep -c '^fold [123]  ROC AUC 0\.9' cv.txt) -eq 3 ] && grep -q '^mean    ROC AUC 0\.9' cv.txt"
"$bin" predict cv --input req.csv --folds 3 --seed 4 --trees 40 >cv2.txt 2>/dev/null
check "cv is the same for the same seed" "diff <(sed 's/(.*//' cv.txt) <(sed 's/(.*//' cv2.txt) >/dev/null"
"$bin" predict cv --input req.csv --folds 3 --seed 4 --trees 40 --json >cv.json 2>/dev/null
check "cv --json" "/usr/bin/python3 -c '
import json
d = json.load(open(\"cv.json\"))
assert d[\"rows\"] == 600 and d[\"folds\"] == 3 and len(d[\"auc\"]) == 3
assert abs(sum(d[\"auc\"]) / 3 - d[\"mean_auc\"]) < 1e-5
'"
"$bin" predict cv --input req.csv --algorithm forest --trees 30 --folds 3 >cvf.txt 2>/dev/null
check "cv of the random forest" "[ \$? -eq 0 ] && grep -q '^mean    ROC AUC 0\.9' cvf.txt"
"$bin" predict cv --input req.csv --folds 3 --trees 20 --bags 3 >cvb.txt 2>/dev/null
check "cv of three bags" "[ \$? -eq 0 ] && grep -q '^mean    ROC AUC 0\.9' cvb.txt"
"$bin" predict cv --input req.csv --bags 17 >/dev/null 2>err.txt
check "too many bags: exit 2" "[ \$? -eq 2 ] && grep -q -- '--bags' err.txt"
"$bin" predict train --input req.csv --output req.bin --cv-folds 3 --trees 40 >/dev/null 2>err.txt
check "train with --cv-folds" "[ \$? -eq 0 ] && [ -s req.bin ]"
"$bin" predict ask --model req.bin --resource 100 --manager 3 --department 10 >ok.json 2>err.txt
check "ask by meaning: a request like the approved ones" "grep -q '\"should_approve\":true' ok.json"
"$bin" predict ask --model req.bin --field RESOURCE=100 --field MGR_ID=3 --field ROLE_DEPTNAME=20 >no.json 2>err.txt
check "ask by column name: a request like the denied ones" "grep -q '\"should_approve\":false' no.json && grep -q '\"recommendation\":\"DENY\"' no.json"
"$bin" predict ask --model req.bin --resource 100 --manager 3 --department 10 --field NOPE=1 >/dev/null 2>err.txt
check "ask with an unknown column: exit 2" "[ \$? -eq 2 ] && grep -q 'NOPE: the model has no such column' err.txt"

# Damage: one changed byte, a cut, a foreign file.
cp req.bin bad.bin
printf '\x00' | dd of=bad.bin bs=1 seek=100 conv=notrunc 2>/dev/null
cmp -s req.bin bad.bin && printf '\x01' | dd of=bad.bin bs=1 seek=100 conv=notrunc 2>/dev/null
"$bin" predict ask --model bad.bin --resource 1 --manager 1 --department 1 >/dev/null 2>err.txt
check "a changed byte: exit 1, checksum mismatch" "[ \$? -eq 1 ] && grep -q 'bad.bin: not a usable predictor file: checksum mismatch' err.txt"
head -c 500 req.bin >cut.bin
"$bin" predict ask --model cut.bin --resource 1 --manager 1 --department 1 >/dev/null 2>err.txt
check "a cut file: exit 1" "[ \$? -eq 1 ] && grep -q 'length does not match' err.txt"
"$bin" predict ask --model gen.csv --resource 1 --manager 1 --department 1 >/dev/null 2>err.txt
check "a foreign file: exit 1" "[ \$? -eq 1 ] && grep -q 'wrong magic number' err.txt"

# Over a socket: a server started with --predictor answers what `predict ask` answers.
"$bin" train --input gen.csv --model m.bin 2>/dev/null
SENTINEL_BIN=$bin /usr/bin/python3 - "$user" "$dept" "$title" "$res" "$act" >socket.txt 2>&1 <<'PY'
import http.client, json, os, re, subprocess, sys
user, dept, title, res, act = sys.argv[1:6]
p = subprocess.Popen([os.environ["SENTINEL_BIN"], "serve", "--listen", "127.0.0.1:0", "--insecure-no-auth",
                      "--rate-limit-general", "0", "--rate-limit-analysis", "0", "--model", "m.bin",
                      "--predictor", "hist.bin", "--log-level", "off"], stdout=subprocess.PIPE, text=True)
try:
    port = int(re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", p.stdout.readline()).group(1))
    def post(body):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/api/v1/predict/access", json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read().decode()
    status, body = post({"user_id": user, "department": dept, "job_title": title, "resource": res, "action": act})
    print("good", status, body == open("ask.json").read().strip())
    status, body = post({"user_id": user, "department": dept, "job_title": title, "action": act})
    print("missing", status, body)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/api/v1/model/metrics")
    m = json.loads(c.getresponse().read())
    print("metrics", m["access_predictor"]["file"], m["access_predictor"]["algorithm"])
finally:
    p.terminate()
    p.wait()
PY
check "the endpoint answers as predict ask does" "grep -qx 'good 200 True' socket.txt"
check "the endpoint: a missing column is 422 naming it" "grep -qx 'missing 422 {\"error\":{\"code\":\"missing_field\",\"message\":\"the request needs resource\",\"field\":\"resource\"}}' socket.txt"
check "the model metrics describe the predictor" "grep -qx 'metrics hist.bin gradient_boosted_trees' socket.txt"
"$bin" serve --model m.bin --predictor bad.bin --listen 127.0.0.1:0 --insecure-no-auth >/dev/null 2>err.txt
check "a damaged predictor: serve exits 1 saying why" "[ \$? -eq 1 ] && grep -q 'cannot load the access predictor' err.txt && grep -q 'checksum mismatch' err.txt"

printf 'ACTION,RESOURCE\n1,a\n2,b\n' >badlabel.csv
"$bin" predict cv --input badlabel.csv >/dev/null 2>err.txt
check "a bad label: exit 1 naming file, line and field" "[ \$? -eq 1 ] && grep -qx 'sentinel predict: badlabel.csv:3: ACTION: the label must be 0 or 1' err.txt"
"$bin" predict fly >/dev/null 2>err.txt
check "an unknown subcommand: exit 2" "[ \$? -eq 2 ]"
"$bin" predict train --input req.csv >/dev/null 2>err.txt
check "train without --output: exit 2" "[ \$? -eq 2 ] && grep -q -- '--output OUT is required' err.txt"
"$bin" predict cv --input req.csv --folds 1 >/dev/null 2>err.txt
check "one fold: exit 2" "[ \$? -eq 2 ]"
exit $fail
