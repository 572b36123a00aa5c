#!/usr/bin/env bash
# Attacks on `sentinel serve` over real sockets: credentials, JWT forgeries, roles, scopes, rate
# limits, CORS, TLS versions, and no secret in any log or answer. The checks are in
# server_attacks.py (python3-jwt, python3-cryptography, openssl).
exec /usr/bin/python3 "$(dirname "$0")/server_attacks.py" "$1"
