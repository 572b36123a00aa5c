#!/usr/bin/env bash
# `sentinel serve` over real sockets: start-up contract, error statuses with their exact bodies,
# limits, slow and malformed clients, 1,000 connections, concurrency, clean stop, bad options.
# The checks are in server_http.py (Python standard library only).
exec /usr/bin/python3 "$(dirname "$0")/server_http.py" "$1"
