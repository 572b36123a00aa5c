#!/usr/bin/env bash
# `sentinel serve` fair, observable and self-describing over real sockets: /health during a
# 10,000-event batch, body limits with exact error bodies, /metrics, /openapi.json against the
# server, the JSON log, batches beyond the queue. The checks are in server_ops.py.
exec /usr/bin/python3 "$(dirname "$0")/server_ops.py" "$1"
