#!/usr/bin/env bash
# The audit log is on by default: a server given no audit option writes it beside its model (or
# its store), with an owner-only key made beside it at the first start and used again after;
# `sentinel audit verify --log FILE` finds that key alone; changes of the keys file made while the
# server runs are recorded (never a secret); a key file others may read, or a default path that
# cannot be written, stops the start with the exact reason; `--audit-log off` turns it off with a
# warning at every start and writes nothing.
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
unset SENTINEL_AUDIT_LOG SENTINEL_AUDIT_KEY SENTINEL_AUDIT_KEY_FILE SENTINEL_AUDIT_PSEUDONYM_KEY \
  SENTINEL_AUDIT_PSEUDONYM_KEY_FILE SENTINEL_CONFIG SENTINEL_DB SENTINEL_KEYS_FILE

mkdir "$tmp/srv" "$tmp/cwd"
"$bin" generate --users 20 --events-per-user 20 --seed 5 --output "$tmp/g.csv" 2>/dev/null ||
  fail "generate"
"$bin" train --input "$tmp/g.csv" --model "$tmp/srv/m.bin" 2>/dev/null || fail "train"
keys=$tmp/keys.jsonl
key1=$("$bin" keys create --role analyst --scope '*' --name soc-1 --keys "$keys" 2>/dev/null) ||
  fail "keys create"
id1=$(echo "$key1" | cut -d_ -f2)
log=$tmp/srv/audit.jsonl
akey=$tmp/srv/audit.key

# Started from another directory, so that nothing lands in the working directory.
start() {
  (cd "$tmp/cwd" && exec "$bin" serve --model "$tmp/srv/m.bin" --listen 127.0.0.1:0 \
    --keys-file "$keys" "$@" >"$tmp/out" 2>"$tmp/err") &
  pid=$!
  for _ in $(seq 400); do
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
analyse() { # $1: the bearer key; prints the status
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' "$url/api/v1/analyze/access" \
    -d '{"event_id":"D1","user_id":"U0003","resource":"crm_system","action":"read"}'
}
wait_err() { # $1: a fixed string standard error must come to hold (the log is written apart)
  for _ in $(seq 400); do
    grep -qF "$1" "$tmp/err" && return 0
    sleep 0.05
  done
  return 1
}
wait_for() { # $1: a fixed string the log must come to hold
  for _ in $(seq 400); do
    grep -qF "$1" "$log" && return 0
    sleep 0.05
  done
  fail "the audit log never held $1: $(cat "$log")"
}

# First start: the log and its key are made beside the model, and the start says where.
start
wait_err "\"msg\":\"audit log on, its key made now\",\"audit_log\":\"$log\",\"audit_key_from\":\"$akey\"}" ||
  fail "where the log is: $(cat "$tmp/err")"
[ "$(stat -c '%a %s' "$akey")" = "600 65" ] || fail "the key file: $(stat -c '%a %s' "$akey")"
grep -Eq '^[0-9a-f]{64}$' "$akey" || fail "the key file holds something else"
[ "$(stat -c '%a' "$log")" = 600 ] || fail "the log's mode: $(stat -c '%a' "$log")"
[ -z "$(ls -A "$tmp/cwd")" ] || fail "files in the working directory: $(ls -A "$tmp/cwd")"

[ "$(analyse "$key1")" = 200 ] || fail "analyse with the first key"
[ "$(analyse sn_0000000000000000_0000000000000000000000000000000000000000000000000000000000000000)" = 401 ] ||
  fail "an unknown key was not refused"
# A key created while the server runs is recorded by the server, without a request.
key2=$("$bin" keys create --role service --name ingest --expires 2030-03-17T17:46:40Z --keys "$keys" 2>/dev/null) ||
  fail "second keys create"
id2=$(echo "$key2" | cut -d_ -f2)
wait_for "\"action\":\"created\",\"key_id\":\"$id2\""
# Revoked: recorded, and the key refused.
"$bin" keys revoke "$id1" --keys "$keys" >/dev/null 2>&1 || fail "keys revoke"
wait_for "\"action\":\"revoked\",\"key_id\":\"$id1\""
[ "$(analyse "$key1")" = 401 ] || fail "a revoked key was not refused"
stop

# What was recorded, in order; the key changes as they were made, never a secret.
kinds=$(sed 's/.*"kind":"\([a-z_]*\)".*/\1/' "$log" | tr '\n' ' ')
[ "$kinds" = "config_change model_change key_change prediction auth api_call auth api_call key_change key_change auth api_call service " ] ||
  fail "kinds: $kinds"
grep -qF "\"kind\":\"key_change\",\"actor\":\"sentinel\",\"source\":null,\"details\":{\"action\":\"present_at_start\",\"key_id\":\"$id1\",\"name\":\"soc-1\",\"role\":\"analyst\",\"scope\":\"*\",\"expires\":null,\"revoked\":false,\"keys_file\":\"$keys\"}" "$log" ||
  fail "present at start: $(grep present_at_start "$log")"
grep -qF "\"details\":{\"action\":\"created\",\"key_id\":\"$id2\",\"name\":\"ingest\",\"role\":\"service\",\"scope\":\"\",\"expires\":\"2030-03-17T17:46:40.000000Z\",\"revoked\":false,\"keys_file\":\"$keys\"}" "$log" ||
  fail "created: $(grep '"created"' "$log")"
grep -qF "\"details\":{\"action\":\"revoked\",\"key_id\":\"$id1\",\"name\":\"soc-1\",\"role\":\"analyst\",\"scope\":\"*\",\"expires\":null,\"revoked\":true,\"keys_file\":\"$keys\"}" "$log" ||
  fail "revoked: $(grep '"revoked"' "$log")"
for k in "$key1" "$key2"; do
  grep -qF "${k##*_}" "$log" "$tmp/err" && fail "a key's secret was written down"
done
grep -qF "\"kind\":\"auth\",\"actor\":\"key:$id1\"" "$log" || fail "no auth record of key:$id1"
grep -qF "\"kind\":\"prediction\",\"actor\":\"key:$id1\"" "$log" || fail "no prediction record"

# verify finds the key beside the log by itself.
out=$("$bin" audit verify --log "$log")
[ $? -eq 0 ] || fail "verify with the key beside the log: $out"
[ "$(echo "$out" | head -1)" = "OK: 13 records, chain intact" ] || fail "verify said: $out"

# A second start uses the same key and continues the chain.
start
wait_err "\"msg\":\"audit log on\",\"audit_log\":\"$log\",\"audit_key_from\":\"$akey\"}" ||
  fail "second start: $(cat "$tmp/err")"
stop
[ "$("$bin" audit verify --log "$log" | head -1)" = "OK: 18 records, chain intact" ] ||
  fail "after a restart: $("$bin" audit verify --log "$log")"

# A key file others may read: no start, and no verify, saying why.
chmod 644 "$akey"
(cd "$tmp/cwd" && timeout 30 "$bin" serve --model "$tmp/srv/m.bin" --listen 127.0.0.1:0 --keys-file "$keys" \
  >"$tmp/out" 2>"$tmp/err")
rc=$?
[ $rc -eq 1 ] || fail "serve with an audit key others may read exited $rc"
grep -qF "\"level\":\"error\",\"msg\":\"cannot open the audit log\",\"error\":\"$akey: the audit key file may be read or changed by other users (mode 0644): make it readable by its owner only (chmod 600)\"}" \
  "$tmp/err" || fail "open key: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "it said it was listening"
"$bin" audit verify --log "$log" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "verify with an audit key others may read"
[ "$(cat "$tmp/err")" = "sentinel audit verify: no usable audit key: $akey: the audit key file may be read or changed by other users (mode 0644): make it readable by its owner only (chmod 600) (give --key-file or SENTINEL_AUDIT_KEY, or keep the key file the server made beside the log)" ] ||
  fail "verify with an open key: $(cat "$tmp/err")"
chmod 600 "$akey"
# A key file cut short.
head -c 40 "$akey" >"$tmp/short" && cp "$akey" "$tmp/akey.good" && cat "$tmp/short" >"$akey"
(cd "$tmp/cwd" && timeout 30 "$bin" serve --model "$tmp/srv/m.bin" --listen 127.0.0.1:0 --keys-file "$keys" \
  >"$tmp/out" 2>"$tmp/err")
[ $? -eq 1 ] || fail "serve with a key file cut short"
grep -qF "\"error\":\"$akey: the audit key file holds 40 bytes, not 64 hexadecimal digits and a newline (65 bytes, as written at the first start)\"}" \
  "$tmp/err" || fail "short key: $(cat "$tmp/err")"
cp "$tmp/akey.good" "$akey"
# A log that holds records is never continued with a new key.
mv "$akey" "$tmp/akey.moved"
(cd "$tmp/cwd" && timeout 30 "$bin" serve --model "$tmp/srv/m.bin" --listen 127.0.0.1:0 --keys-file "$keys" \
  >"$tmp/out" 2>"$tmp/err")
[ $? -eq 1 ] || fail "serve on a log without its key"
grep -qF "\"error\":\"$akey: cannot open the audit key file: No such file or directory; the audit log $log already holds records, so a new key cannot continue it: give the key it was written with (audit_key_file or SENTINEL_AUDIT_KEY), or move the log aside to start a new one\"}" \
  "$tmp/err" || fail "log without its key: $(cat "$tmp/err")"
[ -e "$akey" ] && fail "a new key was made for a log that holds records"
mv "$tmp/akey.moved" "$akey"

# Beside the store when there is one; a default path that cannot be written stops the start.
: >"$tmp/notadir"
printf '%s\n' 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff >"$tmp/store.key"
chmod 600 "$tmp/store.key"
mkdir "$tmp/sealed"
"$bin" train --input "$tmp/g.csv" --model "$tmp/sealed/m.bin" --store-key-file "$tmp/store.key" \
  2>/dev/null || fail "train a sealed model"
(cd "$tmp/cwd" && timeout 30 "$bin" serve --model "$tmp/sealed/m.bin" --listen 127.0.0.1:0 --keys-file "$keys" \
  --db "$tmp/notadir/s.db" --store-key-file "$tmp/store.key" >"$tmp/out" 2>"$tmp/err")
[ $? -eq 1 ] || fail "serve with an unwritable default audit log"
grep -qF "\"msg\":\"cannot open the audit log\",\"error\":\"cannot write the audit log $tmp/notadir/audit.jsonl: Not a directory; give --audit-log FILE (audit_log, SENTINEL_AUDIT_LOG) to keep it elsewhere, or --audit-log off to run without an audit log\"}" \
  "$tmp/err" || fail "unwritable: $(cat "$tmp/err")"
mkdir "$tmp/store"
(cd "$tmp/cwd" && exec "$bin" serve --model "$tmp/sealed/m.bin" --listen 127.0.0.1:0 \
  --keys-file "$keys" --db "$tmp/store/s.db" --store-key-file "$tmp/store.key" \
  >"$tmp/out" 2>"$tmp/err") &
pid=$!
for _ in $(seq 400); do
  grep -q '^listening on ' "$tmp/out" 2>/dev/null && break
  sleep 0.05
done
grep -q '^listening on ' "$tmp/out" || fail "server with a store did not start: $(cat "$tmp/err")"
stop
[ -e "$tmp/sealed/audit.jsonl" ] && fail "the log went beside the model, not the store"
[ "$("$bin" audit verify --log "$tmp/store/audit.jsonl" | head -1)" = "OK: 5 records, chain intact" ] ||
  fail "the log beside the store: $(ls "$tmp/store")"
[ "$(stat -c '%a' "$tmp/store/audit.key")" = 600 ] || fail "the key beside the store"

# Off: a warning at every start, whatever the log level, and nothing written.
mkdir "$tmp/off"
cp "$tmp/srv/m.bin" "$tmp/off/m.bin"
for how in "--audit-log off" "env"; do
  if [ "$how" = env ]; then
    (cd "$tmp/cwd" && SENTINEL_AUDIT_LOG=off exec "$bin" serve --model "$tmp/off/m.bin" \
      --listen 127.0.0.1:0 --insecure-no-auth --log-level error >"$tmp/out" 2>"$tmp/err") &
  else
    (cd "$tmp/cwd" && exec "$bin" serve --model "$tmp/off/m.bin" --listen 127.0.0.1:0 \
      --insecure-no-auth --audit-log off --log-level error >"$tmp/out" 2>"$tmp/err") &
  fi
  pid=$!
  for _ in $(seq 400); do
    grep -q '^listening on ' "$tmp/out" 2>/dev/null && break
    sleep 0.05
  done
  url=$(sed -n 's/^listening on //p' "$tmp/out")
  [ -n "$url" ] || fail "server did not start ($how): $(cat "$tmp/err")"
  curl -s -o /dev/null "$url/api/v1/anomalies"
  stop
  grep -qE '^\{"time":"[0-9T:-]+Z","level":"warn","msg":"the audit log is off \(--audit-log off\): authentication attempts, requests, verdicts and key changes are not recorded"\}$' \
    "$tmp/err" || fail "no warning ($how): $(cat "$tmp/err")"
  [ -z "$(ls -A "$tmp/off" | grep -v '^m.bin$')" ] || fail "files written with the log off: $(ls -A "$tmp/off")"
  [ -z "$(ls -A "$tmp/cwd")" ] || fail "files in the working directory ($how)"
done
echo "PASS"
