#!/usr/bin/env bash
# The audit log end to end: `sentinel serve` refuses to start with an unusable key, records its
# start, requests, verdicts and stop, continues the chain after a restart; `sentinel audit verify`
# passes the untouched log and names the first bad record after one byte is changed, a record is
# removed, two are swapped and the last is cut short (exact messages); the server refuses to
# continue a damaged log but cuts off a record a crash left unfinished, saying so in the chain;
# `audit show` and `audit pseudonym`.
set -u
bin=$1
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL - $*"; exit 1; }

"$bin" generate --users 20 --events-per-user 20 --seed 5 --output "$tmp/g.csv" 2>/dev/null ||
  fail "generate"
"$bin" train --input "$tmp/g.csv" --model "$tmp/m.bin" 2>/dev/null || fail "train"
printf '%s\n' 0123456789abcdef0123456789abcdef0123456789abcdef > "$tmp/key"
chmod 600 "$tmp/key"
printf '%s\n' pseudonyms-0123456789abcdef0123456789 > "$tmp/pkey"
chmod 600 "$tmp/pkey"
log=$tmp/audit.jsonl
unset SENTINEL_AUDIT_KEY SENTINEL_AUDIT_PSEUDONYM_KEY

# A key file others may read: the server does not start.
cp "$tmp/key" "$tmp/open.key"
chmod 644 "$tmp/open.key"
timeout 30 "$bin" serve --model "$tmp/m.bin" --listen 127.0.0.1:0 --insecure-no-auth \
  --audit-log "$log" --audit-key-file "$tmp/open.key" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "serve with an audit key others may read exited $rc"
grep -qF "\"msg\":\"cannot open the audit log\",\"error\":\"audit_key_file: the audit log is on ($log) but there is no usable audit key: $tmp/open.key: secret file may be read or changed by other users: make it readable by its owner only (chmod 600); give audit_key_file or SENTINEL_AUDIT_KEY, or set audit_log: off\"}" "$tmp/err" ||
  fail "open key: $(cat "$tmp/err")"
[ -s "$log" ] && fail "records written without a usable key"

start() {
  "$bin" serve --model "$tmp/m.bin" --listen 127.0.0.1:0 --insecure-no-auth --audit-log "$log" \
    --audit-key-file "$tmp/key" --audit-pseudonym-key-file "$tmp/pkey" "$@" \
    >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 100); do
    grep -q '^listening on ' "$tmp/out" 2>/dev/null && break
    sleep 0.05
  done
  url=$(sed -n 's/^listening on //p' "$tmp/out")
  [ -n "$url" ] || fail "server did not start: $(cat "$tmp/err")"
}
stop() {
  kill -TERM "$pid"
  wait "$pid"
  local rc=$?
  pid=
  [ $rc -eq 0 ] || fail "server exited $rc: $(cat "$tmp/err")"
}

start
curl -s -o /dev/null "$url/health"
curl -s -o /dev/null -H 'Content-Type: application/json' "$url/api/v1/analyze/access" \
  -d '{"event_id":"E1","user_id":"U0003","source_ip":"10.0.0.1","resource":"crm_system","action":"read","authorization":"Bearer abc"}'
curl -s -o /dev/null -H 'Authorization: Bearer sk-live-do-not-log' "$url/api/v1/user/U0003/risk-score"
stop

out=$("$bin" audit verify --log "$log" --key-file "$tmp/key")
[ $? -eq 0 ] || fail "verify of the untouched log: $out"
[ "$(echo "$out" | head -1)" = "OK: 7 records, chain intact" ] || fail "verify said: $out"
echo "$out" | grep -Eq '^last record: seq 7, mac [0-9a-f]{64} \(check later with --anchor 7:[0-9a-f]{64}\)$' ||
  fail "last record line: $out"
anchor7=$(echo "$out" | sed -n 's/.*--anchor \(7:[0-9a-f]*\))$/\1/p')

# What was recorded, in order; never the token, never the user id of the path.
kinds=$(sed 's/.*"kind":"\([a-z_]*\)".*/\1/' "$log" | tr '\n' ' ')
[ "$kinds" = "config_change model_change api_call prediction api_call api_call service " ] ||
  fail "kinds: $kinds"
grep -q '"route":"/api/v1/user/{user_id}/risk-score","status":200' "$log" || fail "route template"
grep -q 'U0003' "$log" && fail "a user id was recorded in the clear"
grep -q '10.0.0.1\|127.0.0.1\|sk-live\|Bearer' "$log" && fail "an address or token was recorded"
grep -q '"event_id":"E1","user":"p:' "$log" || fail "prediction record: $(sed -n 4p "$log")"

# A restart continues the chain.
start
curl -s -o /dev/null "$url/health"
stop
[ "$("$bin" audit verify --log "$log" --key-file "$tmp/key" | head -1)" = \
  "OK: 11 records, chain intact" ] || fail "after a restart"
# The anchor kept from the first check is still there.
out=$("$bin" audit verify --log "$log" --key-file "$tmp/key" --anchor "$anchor7")
[ $? -eq 0 ] || fail "anchor $anchor7: $out"
anchor11=$(echo "$out" | sed -n 's/.*--anchor \(11:[0-9a-f]*\))$/\1/p')
[ -n "$anchor11" ] || fail "no anchor printed: $out"
"$bin" audit verify --log "$log" --key-file "$tmp/key" --anchor 7:xyz >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "a malformed anchor"
grep -q -- '--anchor: expected SEQ:MAC' "$tmp/err" || fail "anchor message: $(cat "$tmp/err")"
# The key from the environment works the same.
[ "$(SENTINEL_AUDIT_KEY=0123456789abcdef0123456789abcdef0123456789abcdef \
  "$bin" audit verify --log "$log" | head -1)" = "OK: 11 records, chain intact" ] ||
  fail "key from the environment"

# Damage, and the first bad record named.
damaged() { # $1: python statement on the list `lines`; $2: expected first line
  python3 - "$log" "$tmp/bad.jsonl" "$1" <<'EOF'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
lines = [l + b'\n' for l in lines]
exec(sys.argv[3])
open(sys.argv[2], 'wb').write(b''.join(lines))
EOF
  got=$("$bin" audit verify --log "$tmp/bad.jsonl" --key-file "$tmp/key")
  rc=$?
  [ $rc -eq 1 ] || fail "damaged log ($1) exited $rc"
  [ "$(echo "$got" | head -1)" = "$2" ] || fail "for $1: got '$got', expected '$2'"
}
damaged "lines[2] = lines[2].replace(b'\"status\":200', b'\"status\":201')" \
  "FAILED: line 3 (seq 3): mac mismatch: the record was changed after it was written (or the key is not this log's)"
damaged "del lines[3]" \
  "FAILED: line 4 (seq 5): chain broken: its prev is not the mac of the record before it (line 3, seq 3): a record was removed or reordered"
damaged "lines[4], lines[5] = lines[5], lines[4]" \
  "FAILED: line 5 (seq 6): chain broken: its prev is not the mac of the record before it (line 4, seq 4): a record was removed or reordered"
damaged "lines[-1] = lines[-1][:-40]" \
  "FAILED: line 11 (seq 11): record cut short: the file ends inside it (no newline)"
damaged "lines[6] = b'not json\n'" \
  "FAILED: line 7: malformed JSON: '[' or '{' expected near 'not' (column 3)"
# The last two records removed: only the anchor tells.
python3 -c "import sys; l=open(sys.argv[1],'rb').read().split(b'\n'); open(sys.argv[2],'wb').write(b'\n'.join(l[:-3]) + b'\n')" \
  "$log" "$tmp/bad.jsonl"
out=$("$bin" audit verify --log "$tmp/bad.jsonl" --key-file "$tmp/key" | head -1)
[ "$out" = "OK: 9 records, chain intact" ] || fail "log cut by whole records: $out"
out=$("$bin" audit verify --log "$tmp/bad.jsonl" --key-file "$tmp/key" --anchor "$anchor11")
[ $? -eq 1 ] || fail "anchor past the end did not fail"
[ "$(echo "$out" | head -1)" = "FAILED: line 10: the log ends at seq 9, before the anchored record seq 11: records were removed from its end" ] ||
  fail "anchor past the end: $out"
out=$("$bin" audit verify --log "$log" --key-file "$tmp/key" --anchor "7:${anchor11#11:}" | head -1)
[ "$out" = "FAILED: line 7 (seq 7): anchor mismatch: this is not the record anchored as seq 7 (its mac differs): the log was rewritten from here or earlier" ] ||
  fail "anchor mismatch: $out"

# A last record cut short (a crash in the middle of a write): the server cuts it off, says so in
# its log and in the chain, and the log verifies again.
cp "$log" "$log.cut"
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[1],'wb').write(d[:-30])" "$log.cut"
log="$log.cut" start
stop
grep -q '"the audit log ended in a record left unfinished by a crash: cut off, and recorded as audit_recovered"' "$tmp/err" ||
  fail "cut log, no warning: $(cat "$tmp/err")"
cut_bytes=$(( $(tail -n 1 "$log" | wc -c) - 30 ))
grep -q "\"seq\":11,.*\"kind\":\"audit_recovered\",\"actor\":\"sentinel\",\"source\":null,\"details\":{\"cut_bytes\":$cut_bytes,\"cut_sha256\":\"[0-9a-f]\{64\}\",\"after_seq\":10}" "$log.cut" ||
  fail "no audit_recovered record of $cut_bytes bytes: $(grep audit_recovered "$log.cut")"
out=$("$bin" audit verify --log "$log.cut" --key-file "$tmp/key" | head -1)
case $out in "OK: "*" records, chain intact") ;; *) fail "the recovered log: $out" ;; esac

# show and pseudonym.
[ "$("$bin" audit show --log "$log" --tail 2 | wc -l)" -eq 2 ] || fail "show --tail 2"
[ "$("$bin" audit show --log "$log" --kind prediction | wc -l)" -eq 1 ] || fail "show --kind"
p=$("$bin" audit pseudonym U0003 --pseudonym-key-file "$tmp/pkey") || fail "pseudonym"
grep -q "\"user\":\"$p\"" "$log" || fail "pseudonym $p not found in the log"
"$bin" audit verify --key-file "$tmp/key" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "verify without --log"

# With API keys, every record names the caller: the attempt, the call and the verdict.
key=$("$bin" keys create --role analyst --scope '*' --keys "$tmp/keys.jsonl" 2>/dev/null) || fail "keys create"
id=$(echo "$key" | cut -d_ -f2)
"$bin" serve --model "$tmp/m.bin" --listen 127.0.0.1:0 --keys-file "$tmp/keys.jsonl" \
  --audit-log "$log.keyed" --audit-key-file "$tmp/key" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$tmp/out" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$tmp/out")
curl -s -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  "$url/api/v1/analyze/access" -d '{"event_id":"K1","user_id":"U0003","resource":"crm_system","action":"read"}'
stop
for kind in auth api_call prediction; do
  grep -q "\"kind\":\"$kind\",\"actor\":\"key:$id\"" "$log.keyed" ||
    fail "the $kind record does not name key:$id: $(grep "\"kind\":\"$kind\"" "$log.keyed")"
done
grep -q "$key" "$log.keyed" "$tmp/err" && fail "the key itself was written down"
echo "PASS"
