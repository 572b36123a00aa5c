#!/usr/bin/env bash
# Same verdicts online as offline: train on the first half (by time) of the reference system's
# labelled sample, then judge the second half with `sentinel detect --model` and, each time with
# a fresh server on that model, through /api/v1/analyze/access one event at a time and through
# /api/v1/analyze/batch in chunks. is_anomaly, risk_score and risk_level must agree event for
# event.
set -u
bin=$1
data="${SENTINEL_DATA_DIR:-$(dirname "$0")/../../../shared/data}/reference/sample_iam_logs_200x50.csv"
if [ ! -r "$data" ]; then
    echo "skip - $data is missing (set SENTINEL_DATA_DIR): online/offline parity not checked"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$data" "$tmp" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
fields = list(rows[0].keys())
rows.sort(key=lambda r: r["timestamp"])  # stable: ties keep their file order
half = len(rows) // 2
for name, part in (("train.csv", rows[:half]), ("test.csv", rows[half:])):
    with open(f"{sys.argv[2]}/{name}", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(part)
EOF

"$bin" train --input "$tmp/train.csv" --model "$tmp/m.bin" 2>"$tmp/train.err" ||
    { cat "$tmp/train.err"; echo "FAIL - train"; exit 1; }
"$bin" detect --input "$tmp/test.csv" --model "$tmp/m.bin" --output "$tmp/offline.jsonl" --quiet ||
    { echo "FAIL - detect"; exit 1; }
# The server is called as an analyst would call it, with an API key; thousands of events go one
# per request, so the analysis rate limit is lifted.
"$bin" keys create --role analyst --name parity --keys "$tmp/keys.jsonl" >"$tmp/key" 2>/dev/null ||
    { echo "FAIL - keys create"; exit 1; }

exec /usr/bin/python3 - "$bin" "$tmp" <<'EOF'
import atexit, csv, http.client, json, re, signal, subprocess, sys

bin, tmp = sys.argv[1], sys.argv[2]
offline = [json.loads(line) for line in open(f"{tmp}/offline.jsonl", encoding="utf-8")]
events = list(csv.DictReader(open(f"{tmp}/test.csv", newline="", encoding="utf-8")))
failures = 0
key = open(f"{tmp}/key").read().strip()


def serve():
    p = subprocess.Popen([bin, "serve", "--listen", "127.0.0.1:0", "--model", f"{tmp}/m.bin",
                          "--keys-file", f"{tmp}/keys.jsonl", "--rate-limit-analysis", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    atexit.register(lambda: p.poll() is None and (p.kill(), p.wait()))
    port = int(re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n",
                            p.stdout.readline()).group(1))
    return p, http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def post(conn, path, body):
    conn.request("POST", path, json.dumps(body),
                 {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"{path}: {r.status} {data[:300]!r}")
    return json.loads(data)


def stop(p):
    global failures
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    if p.returncode != 0:
        failures += 1
        print(f"FAIL - the server exited with status {p.returncode}: {err}")


def compare(how, online):
    global failures
    keys = ("is_anomaly", "risk_score", "risk_level")
    diff = [i for i, (a, b) in enumerate(zip(offline, online))
            if a["event_id"] != b["event_id"] or any(a[k] != b[k] for k in keys)]
    if len(online) != len(offline) or diff:
        failures += 1
        first = diff[0] if diff else min(len(online), len(offline))
        print(f"FAIL - {how}: {len(online)} verdicts online, {len(offline)} offline, "
              f"{len(diff)} differ; first at {first}:")
        if diff:
            print("  offline", {k: offline[first][k] for k in ("event_id",) + keys})
            print("  online ", {k: online[first][k] for k in ("event_id",) + keys})
    else:
        flagged = sum(v["is_anomaly"] for v in online)
        print(f"ok   - {how}: {len(online)} verdicts equal to detect --model "
              f"({flagged} anomalies)")


p, conn = serve()
compare("one event per request", [post(conn, "/api/v1/analyze/access", e) for e in events])
stop(p)

p, conn = serve()
online = []
for i in range(0, len(events), 97):  # not a multiple of the engine's block of 64
    online += post(conn, "/api/v1/analyze/batch", {"events": events[i:i + 97]})["results"]
compare("batches of 97", online)
stop(p)
sys.exit(1 if failures else 0)
EOF
