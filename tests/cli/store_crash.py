"""`sentinel serve --db`: every acknowledged event survives a SIGKILL.

Twenty rounds (seeded): start the server on the same store, stream events from two client
threads, SIGKILL the server at a random moment, and check that every event answered with 200
is in the store (ids and count). Then a clean restart: the recent anomalies come back, and
GET /api/v1/user/{id}/export and DELETE /api/v1/user/{id} answer as documented.

Usage: python3 store_crash.py SENTINEL_BINARY   (standard library only)
"""
import atexit
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="sn_store_crash_")
os.chmod(TMP, 0o700)
failures = 0
started = []
rng = random.Random(20261203)


def check(description, condition, detail=""):
    global failures
    if condition:
        print(f"ok   - {description}")
    else:
        failures += 1
        print(f"FAIL - {description}" + (f": {detail}" if detail else ""))


@atexit.register
def cleanup():
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    shutil.rmtree(TMP, ignore_errors=True)


KEY = os.path.join(TMP, "key")
fd = os.open(KEY, os.O_WRONLY | os.O_CREAT, 0o600)
os.write(fd, os.urandom(32).hex().encode() + b"\n")
os.close(fd)
DB = os.path.join(TMP, "s.db")
MODEL = os.path.join(TMP, "m.bin")
GEN = os.path.join(TMP, "g.csv")
subprocess.run([BIN, "generate", "--users", "30", "--events-per-user", "20", "--seed", "5",
                "--output", GEN, "--quiet"], check=True)
subprocess.run([BIN, "train", "-i", GEN, "--model", MODEL, "--store-key-file", KEY],
               check=True, stderr=subprocess.DEVNULL)


def start():
    err = open(os.path.join(TMP, f"serve-{len(started)}.err"), "w")
    proc = subprocess.Popen(
        [BIN, "serve", "--listen", "127.0.0.1:0", "--insecure-no-auth", "--rate-limit-general", "0",
         "--rate-limit-analysis", "0", "--model", MODEL, "--db", DB,
         "--store-key-file", KEY, "--log-level", "warn", "--snapshot-events", "50"],
        stdout=subprocess.PIPE, stderr=err, text=True)
    started.append(proc)
    line = proc.stdout.readline()
    m = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", line)
    if not m:
        proc.kill()
        proc.wait()
        err.close()
        with open(err.name) as f:
            raise SystemExit(f"server did not start: {line!r}; it said: {f.read()[-2000:]}")
    return proc, int(m.group(1))


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


USERS = [f"crash.user{i}" for i in range(12)]


def event(round_no, i):
    return {"event_id": f"R{round_no:02d}-{i:05d}", "user_id": rng.choice(USERS),
            "timestamp": "2026-11-%02dT%02d:%02d:00Z" % (1 + round_no, 8 + i % 10, i % 60),
            "source_ip": "203.0.113.%d" % (1 + i % 200), "resource": "app%d" % (i % 7),
            "action": "read" if i % 9 else "admin", "location": "Lisbon, PT"}


acked = set()
lock = threading.Lock()


def stream(port, round_no, start_i, step, stop):
    """Sends events one request at a time; records the ids answered with 200."""
    i = start_i
    while not stop.is_set():
        ev = event(round_no, i)
        try:
            status, _ = request(port, "POST", "/api/v1/analyze/access", ev)
        except (OSError, http.client.HTTPException):
            return  # the server is gone: this request was never acknowledged
        if status == 200:
            with lock:
                acked.add(ev["event_id"])
        i += step


def stored_ids():
    """The ids of the stored events, every user's, through `sentinel user export` (the ids are
    sealed with the rest of each event)."""
    ids = []
    for user in USERS:
        out = subprocess.run([BIN, "user", "export", user, "--db", DB, "--store-key-file", KEY],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"export of {user} failed: {out.stderr}")
        ids += [e["event_id"] for e in json.loads(out.stdout)["events"]]
    return ids


lost_total = 0
for round_no in range(20):
    proc, port = start()
    stop = threading.Event()
    threads = [threading.Thread(target=stream, args=(port, round_no, k, 2, stop))
               for k in range(2)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(0.1, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join()
    ids = stored_ids()
    stored = set(ids)
    with lock:
        lost = acked - stored
        round_acked = sum(1 for a in acked if a.startswith(f"R{round_no:02d}-"))
    lost_total += len(lost)
    check(f"round {round_no + 1}: {round_acked} acknowledged this round, none lost "
          f"({len(stored)} stored in all)", not lost,
          f"lost {sorted(lost)[:5]}")
    check(f"round {round_no + 1}: no event stored twice", len(ids) == len(stored))
check("twenty SIGKILLs lost no acknowledged event", lost_total == 0, f"{lost_total} lost")
check("events were acknowledged before the kills", len(acked) >= 100, len(acked))

# A clean restart: anomalies reloaded, export and erasure over HTTP.
proc, port = start()
status, body = request(port, "GET", "/api/v1/anomalies?limit=1000")
conn = sqlite3.connect(f"file:{DB}?mode=ro", uri=True)
stored_anomalies = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
conn.close()
check("recent anomalies are restored from the store",
      status == 200 and json.loads(body)["count"] == min(stored_anomalies, 1000),
      f"{status} {body[:200]!r} vs {stored_anomalies}")
user = USERS[0]
status, body = request(port, "GET", f"/api/v1/user/{user}/export")
doc = json.loads(body) if status == 200 else {}
ours = [e for e in acked if e in set(x["event_id"] for x in doc.get("events", []))]
check("export returns the user's stored events", status == 200 and len(doc["events"]) > 0
      and all(e["user_id"] == user for e in doc["events"])
      and len(doc["verdicts"]) == len(doc["events"]), f"{status} {body[:200]!r}")
n_events = len(doc.get("events", []))
status, body = request(port, "DELETE", f"/api/v1/user/{user}")
check("DELETE erases the user and says how much",
      status == 200 and json.loads(body)["deleted"]["events"] == n_events, f"{status} {body!r}")
status, body = request(port, "GET", f"/api/v1/user/{user}/export")
check("a second export is empty",
      status == 200 and json.loads(body)["events"] == [] and json.loads(body)["verdicts"] == [],
      f"{status} {body[:200]!r}")
status, body = request(port, "GET", f"/api/v1/user/{user}/risk-score")
check("the erased user's risk history is gone from memory", status == 404, f"{status}")
status, body = request(port, "GET", "/api/v1/anomalies?limit=1000")
check("the erased user's anomalies are gone from the feed",
      status == 200 and all(a["user_id"] != user for a in json.loads(body)["anomalies"]))
status, _ = request(port, "POST", f"/api/v1/user/{user}")
check("POST on the erasure path is 405", status == 405)
# While the server holds the store, erasures and retention runs from the command line are
# refused (the server's next snapshot would write the erased baselines back); exports are not.
other = USERS[1] if USERS[0] == user else USERS[0]
NEWKEY = os.path.join(TMP, "new.key")
fd = os.open(NEWKEY, os.O_WRONLY | os.O_CREAT, 0o600)
os.write(fd, os.urandom(32).hex().encode() + b"\n")
os.close(fd)
for cmd in (["user", "forget", other], ["retention", "apply", "--days", "1"],
            ["keys", "rotate", "--old-key-file", KEY, "--new-key-file", NEWKEY]):
    keyopt = ["--store-key-file", KEY] if cmd[0] != "keys" else []
    out = subprocess.run([BIN, *cmd, "--db", DB, *keyopt], capture_output=True, text=True)
    check(f"`{' '.join(cmd[:2])}` refused while the server runs", out.returncode == 1 and
          out.stderr == f"sentinel {cmd[0]} {cmd[1]}: {DB}: the store is in use by another "
          "process that writes to it (a running `sentinel serve`?): erase through its API "
          "(DELETE /api/v1/user/{id}), or stop it first\n", f"{out.returncode} {out.stderr!r}")
out = subprocess.run([BIN, "user", "export", other, "--db", DB, "--store-key-file", KEY],
                     capture_output=True, text=True)
check("`user export` works while the server runs",
      out.returncode == 0 and len(json.loads(out.stdout)["events"]) > 0, out.stderr)
proc.send_signal(signal.SIGTERM)
proc.wait()
with open(DB, "rb") as f:
    db_bytes = f.read()
wal = DB + "-wal"
wal_bytes = open(wal, "rb").read() if os.path.exists(wal) else b""
check("neither the database nor its WAL holds a user id in clear",
      not any(u.encode() in db_bytes or u.encode() in wal_bytes for u in USERS))

conn = sqlite3.connect(f"file:{DB}?mode=ro", uri=True)
models = conn.execute("SELECT count(*), sum(active) FROM models").fetchone()
conn.close()
check("the model is in the registry once, active, after twenty-two starts", models == (1, 1),
      models)

# The retention job: every stored event is older than a day, so one run deletes them all.
err = open(os.path.join(TMP, "retention.err"), "w")
proc = subprocess.Popen(
    [BIN, "serve", "--listen", "127.0.0.1:0", "--insecure-no-auth", "--rate-limit-general", "0",
         "--rate-limit-analysis", "0", "--model", MODEL, "--db", DB, "--store-key-file",
     KEY, "--retention-days", "1", "--retention-interval", "1"],
    stdout=subprocess.PIPE, stderr=err, text=True)
started.append(proc)
proc.stdout.readline()
deadline = time.time() + 20
remaining = None
while time.time() < deadline:
    time.sleep(0.5)
    conn = sqlite3.connect(f"file:{DB}?mode=ro", uri=True)
    remaining = conn.execute("SELECT coalesce(sum(events), 0) FROM event_blocks").fetchone()[0]
    logged = conn.execute("SELECT count(*) FROM privacy_log WHERE action='retention'").fetchone()[0]
    conn.close()
    if remaining == 0 and logged:
        break
proc.send_signal(signal.SIGTERM)
proc.wait()
err.close()
log = open(os.path.join(TMP, "retention.err")).read()
check("the server's retention job deletes what is older than retention_days, and logs it",
      remaining == 0 and '"msg":"retention applied"' in log, f"{remaining} left; {log[-300:]!r}")
sys.exit(1 if failures else 0)
