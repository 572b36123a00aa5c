#!/usr/bin/env bash
# The store from the command line: nothing personal in clear on disk after ingesting the
# reference log (database, journal, model), export and erasure of one user, retention, backup,
# key rotation, and clear errors for a wrong or missing key and a tampered model.
set -u
bin=$1
data=${SENTINEL_DATA_DIR:-}/reference/sample_iam_logs_200x50.csv
if [ ! -r "$data" ]; then
    echo "skip - real data missing ($data); set SENTINEL_DATA_DIR"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   - $1"; else echo "FAIL - $1"; fail=1; fi; }
cd "$tmp"
umask 077
openssl rand -hex 32 >key
openssl rand -hex 32 >key2
openssl rand -hex 32 >wrong
unset SENTINEL_STORE_KEY

"$bin" train -i "$data" --model m.bin --db s.db --store-key-file key 2>train.err
check "train --db succeeds" "[ \$? -eq 0 ]"
"$bin" detect -i "$data" --model m.bin --db s.db --store-key-file key -o v.jsonl -q
check "detect --db with the encrypted model succeeds" "[ \$? -eq 0 ]"
check "the model file is encrypted" "[ \"\$(head -c 8 m.bin)\" = SNTLMENC ]"

# Every user id, username, address and location of the input, searched in the files' strings.
/usr/bin/python3 - "$data" >values.txt <<'PY'
import csv, sys
vals = set()
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    for f in ("user_id", "username", "source_ip", "location"):
        if row[f]:
            vals.add(row[f])
print("\n".join(sorted(vals)))
PY
check "values to search for were extracted" "[ \$(wc -l <values.txt) -gt 100 ]"
: >strings.txt
for f in s.db s.db-wal m.bin; do [ -e "$f" ] && strings -n 4 "$f" >>strings.txt; done
check "strings finds no user id, username, address or location in the database, WAL or model" \
    "! grep -F -f values.txt strings.txt >found.txt"
check "the database holds the events" "[ \$(sqlite3 s.db 'select sum(events) from event_blocks') -eq \$((2 * \$(wc -l <v.jsonl))) ]"
check "the detect run's events are in rows of one page each" "[ \$(sqlite3 s.db 'select count(*) from event_blocks where events > 1 and length(record) + length(user_tokens) > 4096 - 92') -eq 0 ] && [ \$(sqlite3 s.db 'select count(*) from event_blocks') -lt \$(wc -l <v.jsonl) ]"
check "the model registry has the model" "[ \"\$(sqlite3 s.db 'select active from models')\" = 1 ]"
check "schema version 2" "[ \"\$(sqlite3 s.db 'pragma user_version')\" = 2 ]"
check "WAL mode" "[ \"\$(sqlite3 s.db 'pragma journal_mode')\" = wal ]"

# A wrong key, no key, a tampered model.
"$bin" user export U0090 --db s.db --store-key-file wrong >/dev/null 2>err.txt
check "wrong key: exit 1 and a clear message" "[ \$? -eq 1 ] && grep -q 'wrong store key' err.txt"
"$bin" user export U0090 --db s.db >/dev/null 2>err.txt
check "no key: exit 1 naming SENTINEL_STORE_KEY" "[ \$? -eq 1 ] && grep -q SENTINEL_STORE_KEY err.txt"
cp m.bin bad.bin
printf '\x00' | dd of=bad.bin bs=1 seek=5000 conv=notrunc 2>/dev/null
"$bin" detect -i "$data" --model bad.bin --store-key-file key -o /dev/null -q 2>err.txt
check "a changed byte in the model is refused" "[ \$? -eq 1 ] && grep -q 'cannot decrypt the model' err.txt"
"$bin" detect -i "$data" --model m.bin --store-key-file wrong -o /dev/null -q 2>err.txt
check "the model with a wrong key is refused" "[ \$? -eq 1 ] && grep -q 'cannot decrypt the model' err.txt"

# Export, then forget one user; the others' verdicts stay as they were.
n=$(/usr/bin/python3 -c "import csv,sys;print(sum(r['user_id']=='U0090' for r in csv.DictReader(open(sys.argv[1]))))" "$data")
"$bin" user export U0090 --db s.db --store-key-file key >u.json
check "export returns the user's events (twice: train and detect) and verdicts" "/usr/bin/python3 -c '
import json; d=json.load(open(\"u.json\"))
assert d[\"user_id\"]==\"U0090\"
assert len(d[\"events\"])==2*$n, len(d[\"events\"])
assert len(d[\"verdicts\"])==$n
assert all(e[\"user_id\"]==\"U0090\" and e[\"username\"] for e in d[\"events\"])
assert all(v[\"user_id\"]==\"U0090\" for v in d[\"verdicts\"])
'"
"$bin" user export U0068 --db s.db --store-key-file key >other_before.json
"$bin" user forget U0090 --db s.db --store-key-file key 2>forget.err
check "forget reports the counts" "[ \$? -eq 0 ] && grep -q \"$((2 * n)) events, $n verdicts\" forget.err"
"$bin" user export U0090 --db s.db --store-key-file key >u2.json
check "a second export is empty" "[ \"\$(cat u2.json)\" = '{\"user_id\":\"U0090\",\"events\":[],\"verdicts\":[],\"alerts\":[],\"baselines\":[]}' ]"
"$bin" user export U0068 --db s.db --store-key-file key >other_after.json
check "the other users' records are unchanged" "cmp -s other_before.json other_after.json"
check "the erasure is in the privacy log, counts only" "[ \"\$(sqlite3 s.db \"select events, verdicts from privacy_log where action='forget'\")\" = \"$((2 * n))|$n\" ]"
check "neither the database nor the WAL holds the id" "! grep -q -a U0090 s.db && ! { [ -e s.db-wal ] && grep -q -a U0090 s.db-wal; }"

# Backup, rotation, retention.
"$bin" backup --db s.db --to b.db --store-key-file key 2>/dev/null
check "backup is a store that opens with the same key" "[ \$? -eq 0 ] && \"$bin\" user export U0068 --db b.db --store-key-file key | cmp -s - other_after.json"
"$bin" keys rotate --db s.db --old-key-file key --new-key-file key2 --batch 1000 2>rot.err
check "rotation re-encrypts every row" "[ \$? -eq 0 ] && [ \$(sqlite3 s.db \"select count(*) from event_blocks where key_no <> (select key_no from store_keys where retired_at is null)\") -eq 0 ]"
"$bin" user export U0068 --db s.db --store-key-file key2 >other_rot.json
check "after rotation the new key reads the same records" "cmp -s other_rot.json other_after.json"
"$bin" user export U0068 --db s.db --store-key-file key >/dev/null 2>err.txt
check "after rotation the old key is refused" "[ \$? -eq 1 ] && grep -q retired err.txt"
"$bin" retention apply --db s.db --days 1 --store-key-file key2 2>ret.err
check "retention deletes records older than the period, and only those" "[ \$? -eq 0 ] && [ \$(sqlite3 s.db \"select count(*) from event_blocks where min_ts < (strftime('%s','now') - 86400) * 1000000\") -eq 0 ] && [ \$(sqlite3 s.db \"select count(*) from alerts where ts_us < (strftime('%s','now') - 86400) * 1000000\") -eq 0 ] && grep -q 'older than 1 days deleted' ret.err"
check "retention is in the privacy log" "[ \$(sqlite3 s.db \"select count(*) from privacy_log where action='retention'\") -eq 1 ]"
# A mistyped store path is an error, never an erasure or an export of nothing.
for cmd in "user forget U0068" "user export U0068" "retention apply --days 1" "backup --to nb.db"; do
    "$bin" $cmd --db typo.db --store-key-file key2 >/dev/null 2>err.txt
    check "$cmd on a store that does not exist: exit 1 naming it, nothing created" \
        "[ \$? -eq 1 ] && grep -q 'typo.db: no such store' err.txt && [ ! -e typo.db ]"
done
"$bin" keys rotate --db typo.db --old-key-file key --new-key-file key2 >/dev/null 2>err.txt
check "keys rotate on a store that does not exist: exit 1" "[ \$? -eq 1 ] && [ ! -e typo.db ]"
if [ -w /dev/full ]; then
    "$bin" user export U0068 --db s.db --store-key-file key2 --output /dev/full 2>err.txt
    check "a failed export names the file and why" \
        "grep -qx 'sentinel user export: cannot write the export to /dev/full: No space left on device' err.txt"
fi
exit $fail
