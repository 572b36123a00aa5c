#!/usr/bin/env bash
# The server with a store: SIGKILL at random points mid-stream loses no acknowledged event, a
# restart restores baselines and recent anomalies, export and erasure over HTTP. The checks are
# in store_crash.py.
exec /usr/bin/python3 "$(dirname "$0")/store_crash.py" "$1"
