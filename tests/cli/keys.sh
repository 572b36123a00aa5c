#!/usr/bin/env bash
# sentinel keys: create, list and revoke, the keys file's mode and content, and bad usage.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() { # name, command...
    local name=$1
    shift
    if "$@"; then echo "ok   - $name"; else echo "FAIL - $name"; failures=$((failures + 1)); fi
}
keys=$tmp/keys.jsonl

key=$("$bin" keys create --role viewer --scope department:HR --expires 2099-01-01 --name a \
    --keys "$keys" 2>"$tmp/err")
check "create prints sn_ID_SECRET alone" grep -Eqx 'sn_[0-9a-f]{16}_[0-9a-f]{64}' <<<"$key"
check "and says what it made on standard error" \
    grep -q "role viewer, scope 'department:HR', expires 2099-01-01T00:00:00Z" "$tmp/err"
check "the keys file is mode 0600" test "$(stat -c %a "$keys")" = 600
id=${key:3:16}
secret=${key:20}
check "the file holds the ID but not the secret" \
    bash -c "grep -q '\"id\":\"$id\"' '$keys' && ! grep -q '$secret' '$keys'"
SENTINEL_KEYS_FILE=$keys "$bin" keys create --role admin >/dev/null 2>&1
check "SENTINEL_KEYS_FILE names the file; admin's scope defaults to *" \
    grep -q '"role":"admin","scope":"\*"' "$keys"
"$bin" keys list --keys "$keys" >"$tmp/list"
check "list shows both keys, active" test "$(grep -c ' active ' "$tmp/list")" = 2
check "revoke ID" "$bin" keys revoke "$id" --keys "$keys" 2>/dev/null
"$bin" keys list --keys "$keys" >"$tmp/list"
check "list shows it revoked" grep -q "^$id .* revoked " "$tmp/list"

# Creations at once each keep their key (the file is locked while it is read and replaced).
before=$(wc -l <"$keys")
for _ in $(seq 10); do
    "$bin" keys create --role viewer --keys "$keys" >/dev/null 2>&1 &
done
wait
check "10 creations at once add 10 keys" test "$(wc -l <"$keys")" = $((before + 10))

expect() { # name, exit status, stderr pattern, args...
    local name=$1 want=$2 pattern=$3
    shift 3
    "$bin" keys "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" = "$want" ] && grep -qF -- "$pattern" "$tmp/err" && [ ! -s "$tmp/out" ]; then
        echo "ok   - $name: exit $want"
    else
        echo "FAIL - $name: exit $rc, $(head -c 300 "$tmp/err")"
        failures=$((failures + 1))
    fi
}
expect "an unknown role" 2 "--role must be viewer, analyst, admin or service" \
    create --role root --keys "$keys"
expect "no keys file" 2 "--keys FILE is required" create --role viewer
expect "a past date" 2 "is not a duration" create --role viewer --expires 2001-01-01 \
    --keys "$keys"
expect "an unknown ID" 1 "no key with ID 'ffff'" revoke ffff --keys "$keys"
expect "an unknown subcommand" 2 "unknown subcommand 'frob'" frob
chmod 644 "$keys"
expect "a keys file others can read" 1 "chmod 600" list --keys "$keys"
expect "a missing keys file" 1 "cannot open keys file" list --keys "$tmp/none.jsonl"
exit $((failures > 0))
