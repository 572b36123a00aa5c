"""The HTTP layer of `sentinel serve` over real sockets: the start-up contract, every error status
with its exact JSON body, keep-alive, a 10 MiB body, slow clients, malformed HTTP, 1,000
concurrent connections, concurrent requests giving the same state as sequential ones, a clean stop
on SIGTERM with the in-flight request finished, and bad options refused at start.

Usage: python3 server_http.py SENTINEL_BINARY   (standard library only)
"""
import atexit
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="sn_server_http_")
failures = 0


def check(description, condition, detail=""):
    global failures
    if condition:
        print(f"ok   - {description}")
    else:
        failures += 1
        print(f"FAIL - {description}" + (f": {detail}" if detail else ""))


started = []


@atexit.register
def kill_leftovers():
    """Servers a failed check left running do not outlive the test."""
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    shutil.rmtree(TMP, ignore_errors=True)


# Authentication and rate limits are server_attacks.py's subject; here every call is let in.
NO_AUTH = ["--insecure-no-auth", "--rate-limit-general", "0", "--rate-limit-analysis", "0",
           "--rate-limit-training", "0"]


class Server:
    """One `sentinel serve` process on a free port."""

    def __init__(self, *args, env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", *NO_AUTH, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, text=True)
        started.append(self.proc)
        self.first_line = self.proc.stdout.readline()
        m = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", self.first_line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"no start-up line: {self.first_line!r} "
                               f"{self.proc.stderr.read()}")
        self.port = int(m.group(1))

    def request(self, method, path, body=None, headers=None, conn=None):
        own = conn is None
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        result = (r.status, dict(r.getheaders()), data)
        if own:
            c.close()
        return result

    def json(self, method, path, body=None):
        status, _, data = self.request(method, path, body)
        return status, json.loads(data)

    def stop(self):
        """SIGTERM; the server must exit with status 0 (and, in a sanitizer build, clean)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        check(f"server on port {self.port} stopped cleanly", self.proc.returncode == 0, err)
        return self.proc.returncode, self.first_line + out, err


def run(*args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=full_env, timeout=120)
    return p.returncode, p.stdout, p.stderr


# A small model: 30 users, about 450 events.
gen = os.path.join(TMP, "gen.csv")
model = os.path.join(TMP, "m.bin")
run("generate", "--users", "30", "--events-per-user", "20", "--seed", "3", "--output", gen,
    "--quiet")
rc, _, err = run("train", "--input", gen, "--model", model)
if rc != 0:
    print(f"FAIL - cannot train the test model: {err}")
    sys.exit(1)

EVENT = {"event_id": "C1", "user_id": "U0002", "department": "Sales", "resource": "crm_system",
         "action": "read", "timestamp": "2026-12-05 10:00:00", "source_ip": "192.168.253.10",
         "location": "Mumbai, IN", "success": "True"}

# ---- Start-up contract, health, exact error bodies -------------------------------------------
srv = Server("--model", model)
check("start-up line names the port picked for port 0", srv.port > 0, srv.first_line)
status, body = srv.json("GET", "/health")
check("GET /health answers 200 with status, version, models_loaded, timestamp",
      status == 200 and body.get("status") == "healthy" and body.get("models_loaded") is True
      and re.fullmatch(r"\d+\.\d+\.\d+", body.get("version", ""))
      and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", body.get("timestamp", "")), body)


def expect(description, method, path, want_status, want_body, body=None, headers=None,
           want_headers=None):
    status, hdrs, data = srv.request(method, path, body, headers)
    ok = status == want_status and data == want_body.encode()
    for k, v in (want_headers or {}).items():
        ok = ok and hdrs.get(k) == v
    check(description, ok and hdrs.get("Content-Type") == "application/json",
          f"{status} {hdrs} {data[:300]!r}")


J = {"Content-Type": "application/json"}
expect("404 for an unknown path", "GET", "/nope", 404,
       '{"error":{"code":"not_found","message":"no endpoint at this path"}}')
expect("405 for GET on a POST endpoint, with Allow", "GET", "/api/v1/analyze/access", 405,
       '{"error":{"code":"method_not_allowed","message":"this endpoint answers POST"}}',
       want_headers={"Allow": "POST"})
expect("405 for DELETE on /health, with Allow", "DELETE", "/health", 405,
       '{"error":{"code":"method_not_allowed","message":"this endpoint answers GET"}}',
       want_headers={"Allow": "GET, HEAD"})
expect("415 without Content-Type", "POST", "/api/v1/analyze/access", 415,
       '{"error":{"code":"unsupported_media_type","message":"send the body as JSON with '
       'Content-Type: application/json"}}', body=json.dumps(EVENT))
expect("415 with Content-Type text/plain", "POST", "/api/v1/analyze/batch", 415,
       '{"error":{"code":"unsupported_media_type","message":"send the body as JSON with '
       'Content-Type: application/json"}}', body="{}", headers={"Content-Type": "text/plain"})
expect("400 for malformed JSON, the body not repeated", "POST", "/api/v1/analyze/access", 400,
       '{"error":{"code":"malformed_json","message":"the body is not valid JSON (RFC 8259, '
       'UTF-8): unexpected end of the body at line 1, column 31"}}',
       body='{"user_id": "SECRET-DO-NOT-ECHO', headers=J)


def read_response(s):
    """Status line, headers and body of one response read from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = s.recv(65536)
        if not part:
            return data, {}, b""
        data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.decode().partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(rest) < length:
        part = s.recv(65536)
        if not part:
            break
        rest += part
    return lines[0], headers, rest


# Clients send large bodies with Expect: 100-continue; the answer comes before the body.
s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
s.sendall(b"POST /api/v1/analyze/access HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Expect: 100-continue\r\nContent-Length: 4194305\r\n\r\n")
line, headers, data = read_response(s)
s.close()
check("413 for a body over 4 MiB, before the body is sent",
      line == b"HTTP/1.1 413 Content Too Large" and data == b'{"error":{"code":"body_too_large",'
      b'"message":"the body is larger than the 4194304-byte limit"}}', (line, data))
# Framing two parties could read differently is refused, not guessed at (request smuggling).
for name, raw, why in (
        ("two Content-Length headers", b"POST /api/v1/analyze/access HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         b"Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
         b"more than one Content-Length header"),
        ("two Host headers", b"GET /api/v1/anomalies?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         b"Host: evil.example\r\n\r\n", b"more than one Host header"),
        ("Content-Length beside Transfer-Encoding", b"POST /api/v1/analyze/access HTTP/1.1\r\n"
         b"Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
         b"both Content-Length and Transfer-Encoding"),
        ("HTTP/1.1 without Host", b"GET /health HTTP/1.1\r\n\r\n",
         b"an HTTP/1.1 request needs a Host header")):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(raw)
    line, headers, data = read_response(s)
    s.close()
    check(f"400 for {name}", line == b"HTTP/1.1 400 Bad Request" and
          data == b'{"error":{"code":"bad_request","message":"' + why + b'"}}', (line, data))
# An encoded NUL (%00) would cut the decoded path short and reach another route than the one named
# (DELETE /api/v1/user/VICTIM%00/risk-score would erase VICTIM): refused as sent.
for target in (b"/health%00junk", b"/api/v1/user/VICTIM%00/risk-score",
               b"/api/v1/anomalies?limit=5%00"):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"DELETE " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    line, headers, data = read_response(s)
    s.close()
    check(f"400 for {target!r}", line == b"HTTP/1.1 400 Bad Request" and
          data == b'{"error":{"code":"bad_request","message":"the request target holds an encoded '
          b'NUL character (%00)"}}', (line, data))
# Without authentication only loopback names are answered: a page that points its own name at
# 127.0.0.1 (DNS rebinding) gets nothing.
for host, want in (("evil.example.com", 403), ("evil.example.com:80", 403), ("127.0.0.2:1", 200),
                   ("localhost", 200), ("LOCALHOST.:8080", 200), ("[::1]:99", 200),
                   ("127.0.0.1.evil.example", 403), ("[::2]", 403)):
    status, hdrs, data = srv.request("GET", "/api/v1/model/metrics", headers={"Host": host})
    check(f"Host {host}: {want}", status == want and (want == 200 or data ==
          b'{"error":{"code":"host_not_allowed","message":"without authentication the server '
          b'answers only requests addressed to a loopback name (Host 127.0.0.1, localhost or '
          b'[::1])"}}'), (status, data[:200]))
# A request target over 8 KiB is 414, header fields over 16 KiB are 431: JSON with the security
# headers, the connection closed; one byte less is served. Past the connection's memory (64 KiB)
# libmicrohttpd answers 431 itself, and the server lives on.
SECURITY_HEADERS = {"content-type": b"application/json", "cache-control": b"no-store",
                    "x-content-type-options": b"nosniff", "x-frame-options": b"DENY",
                    "content-security-policy": b"default-src 'none'; frame-ancestors 'none'; "
                    b"base-uri 'none'; form-action 'none'", "referrer-policy": b"no-referrer",
                    "connection": b"close"}
for name, raw, want_line, want_body in (
        ("a request target of 8,192 bytes", b"GET /health?" + b"a" * 8184 + b" HTTP/1.1\r\n"
         b"Host: 127.0.0.1\r\n\r\n", b"HTTP/1.1 200 OK", None),
        ("a request target of 8,193 bytes", b"GET /health?" + b"a" * 8185 + b" HTTP/1.1\r\n"
         b"Host: 127.0.0.1\r\n\r\n", b"HTTP/1.1 414 URI Too Long",
         b'{"error":{"code":"uri_too_long","message":"the request target is longer than 8192 '
         b'bytes"}}'),
        ("a 40,000-byte request target", b"GET /api/v1/anomalies?limit=" + b"1" * 40000 +
         b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"HTTP/1.1 414 URI Too Long",
         b'{"error":{"code":"uri_too_long","message":"the request target is longer than 8192 '
         b'bytes"}}'),
        # "Host: 127.0.0.1" and its line end take 17 bytes, "X-Big: " and its line end 9 more.
        ("header fields of 16,384 bytes", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
         b"a" * 16358 + b"\r\n\r\n", b"HTTP/1.1 200 OK", None),
        ("header fields of 16,385 bytes", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
         b"a" * 16359 + b"\r\n\r\n", b"HTTP/1.1 431 Request Header Fields Too Large",
         b'{"error":{"code":"headers_too_large","message":"the header fields take more than '
         b'16384 bytes"}}'),
        ("40 headers of 1,000 bytes", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         b"".join(b"X-H%d: " % i + b"b" * 1000 + b"\r\n" for i in range(40)) + b"\r\n",
         b"HTTP/1.1 431 Request Header Fields Too Large",
         b'{"error":{"code":"headers_too_large","message":"the header fields take more than '
         b'16384 bytes"}}')):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(raw)
    line, headers, data = read_response(s)
    if want_body is None:
        check(f"{name}: served", line == want_line, (line, data[:200]))
    else:
        missing = {k: headers.get(k) for k, v in SECURITY_HEADERS.items()
                   if headers.get(k, "").encode() != v}
        check(f"{name}: {want_line.decode()[9:]}, JSON with the security headers",
              line == want_line and data == want_body and not missing, (line, data, missing))
        s.settimeout(5)
        try:
            closed = s.recv(1) == b""
        except socket.timeout:
            closed = False  # still open after 5 s
        except ConnectionResetError:
            closed = True
        check(f"{name}: the connection is closed after the answer", closed)
    s.close()
s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
line, headers, data = read_response(s)
s.close()
check("header fields past the connection's memory: libmicrohttpd's own 431",
      line == b"HTTP/1.1 431 Request Header Fields Too Large", (line, data[:200]))
check("... and the server lives on", srv.request("GET", "/health")[0] == 200)
expect("422 naming a field that fails validation", "POST", "/api/v1/analyze/access", 422,
       '{"error":{"code":"invalid_field","message":"the value is not an IPv4 or IPv6 '
       'address","field":"source_ip"}}', body={**EVENT, "source_ip": "not-an-ip"})
# A value that fails validation is named by its field, never repeated: it may be a secret sent
# in the wrong field.
for field in ("success", "timestamp", "source_ip", "latitude", "event_type", "department"):
    sent = {**EVENT, field: "hunter2-SECRET-" + field}
    if field == "department":
        sent[field] = "\u00e9" * 5000  # too long
    status, hdrs, data = srv.request("POST", "/api/v1/analyze/access", sent)
    bstatus, _, bdata = srv.request("POST", "/api/v1/analyze/batch", {"events": [sent]})
    check(f"a bad {field} is not repeated in the answer", status in (200, 422) and
          b"hunter2" not in data and b"hunter2" not in bdata and "\u00e9" * 50 not in
          data.decode() + bdata.decode(), (status, data[:300], bdata[:300]))
expect("422 for a missing user_id", "POST", "/api/v1/analyze/access", 422,
       '{"error":{"code":"missing_field","message":"required field is missing or empty",'
       '"field":"user_id"}}', body={"resource": "x"})
expect("422 for a body that is not one event", "POST", "/api/v1/analyze/access", 422,
       '{"error":{"code":"invalid_event","message":"the body must be one event: a JSON object '
       'with the fields of the reference CSV (user_id, timestamp, source_ip, ...)"}}',
       body=[EVENT])
for scalar in ('"x"', "null", "42", "true"):
    expect(f"422 for the JSON value {scalar} as the body", "POST", "/api/v1/analyze/access", 422,
           '{"error":{"code":"invalid_event","message":"the body must be one event: a JSON '
           'object with the fields of the reference CSV (user_id, timestamp, source_ip, ...)"}}',
           body=scalar, headers=J)
expect("422 naming events of the wrong type", "POST", "/api/v1/analyze/batch", 422,
       '{"error":{"code":"invalid_field","message":"expected {\\"events\\": [...]} with at '
       'least one event","field":"events"}}', body={"events": {}})
expect("422 for a batch without events", "POST", "/api/v1/analyze/batch", 422,
       '{"error":{"code":"missing_field","message":"expected {\\"events\\": [...]} with at '
       'least one event","field":"events"}}', body={"items": []})
expect("422 for a query parameter given twice", "GET", "/api/v1/anomalies?limit=5&limit=6", 422,
       '{"error":{"code":"invalid_request","message":"a query parameter is given more than '
       'once","field":"limit"}}')
expect("422 for a strange query parameter given twice, not named", "GET",
       "/api/v1/anomalies?SECRET%20x=1&SECRET%20x=2", 422,
       '{"error":{"code":"invalid_request","message":"a query parameter is given more than '
       'once"}}')
for bad in ("0", "1001", "-1", "abc", "5x"):
    expect(f"422 for limit={bad}", "GET", f"/api/v1/anomalies?limit={bad}", 422,
           '{"error":{"code":"invalid_field","message":"limit must be an integer from 1 to '
           '1000","field":"limit"}}')
expect("404 for a user with no events", "GET", "/api/v1/user/NOBODY/risk-score", 404,
       '{"error":{"code":"user_not_found","message":"no events of this user were analysed '
       'since the server started","field":"user_id"}}')
for bad in ("0", "1", "1001", "abc", "2x", "%20"):
    expect(f"422 for n_clusters={bad}", "POST", f"/api/v1/roles/discover?n_clusters={bad}", 422,
           '{"error":{"code":"invalid_field","message":"n_clusters must be an integer from 2 to '
           '1000","field":"n_clusters"}}', body={}, headers=J)
status, body = srv.json("POST", "/api/v1/roles/discover?n_clusters=2")
check("POST /api/v1/roles/discover?n_clusters=2 mines two roles of the model's users",
      status == 200 and body["total_roles"] == 2 and len(body["roles"]) == 2
      and sum(r["user_count"] for r in body["roles"]) == body["total_users"] > 2
      and "role_health" in body, f"{status} {str(body)[:300]}")
expect("503 for access prediction without a predictor", "POST", "/api/v1/predict/access", 503,
       '{"error":{"code":"predictor_not_loaded","message":"no access predictor is configured '
       '(the server\'s predictor option)"}}',
       body={}, headers=J)

status, body = srv.json("POST", "/api/v1/analyze/access", EVENT)
check("POST /api/v1/analyze/access gives a verdict with the reference fields",
      status == 200 and all(k in body for k in (
          "event_id", "user_id", "is_anomaly", "risk_score", "anomaly_score", "risk_level",
          "reasons", "recommendation", "timestamp")) and body["event_id"] == "C1", body)
status, body = srv.json("POST", "/api/v1/analyze/batch",
                        {"events": [EVENT, {**EVENT, "timestamp": "yesterday"}, 7, EVENT]})
check("a bad event in a batch is reported in its own result, the others judged",
      status == 200 and body["total_events"] == 4 and body["failed_events"] == 2
      and body["results"][1]["error"]["field"] == "timestamp"
      and body["results"][1]["index"] == 1
      and body["results"][2]["error"]["code"] == "invalid_event"
      and body["results"][3]["event_id"] == "C1", body)
status, body = srv.json("GET", "/api/v1/user/U0002/risk-score")
check("user risk score with the five factors",
      status == 200 and set(body["factor_scores"]) == {
          "anomaly_score", "peer_deviation", "sensitive_access", "failed_attempts",
          "policy_violations"} and body["recommendations"], body)
status, body = srv.json("GET", "/api/v1/model/metrics")
check("model metrics: trained-at, training-data SHA-256, events learned, threshold",
      status == 200 and re.fullmatch(r"[0-9a-f]{64}", body["training_data_sha256"])
      and body["events_learned"] > 400 and body["threshold"]["risk_score"] == 50, body)
check("model metrics: the poisoning defence and the drift monitor",
      body["training"]["train_filter"] == 0.01
      and body["training"]["rows_filtered"] == int(0.01 * body["events_learned"])
      and body["drift"]["status"] in ("insufficient_data", "stable", "moderate", "drift")
      and body["drift"]["threshold"] == 0.25 and body["drift"]["window"] == 10000
      and len(body["drift"]["bins"]) >= 2, body.get("drift"))

# Keep-alive: several requests on one connection.
conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
statuses = [srv.request("GET", "/health", conn=conn)[0] for _ in range(5)]
statuses.append(srv.request("POST", "/api/v1/analyze/access", EVENT, conn=conn)[0])
statuses.append(srv.request("GET", "/nope", conn=conn)[0])
statuses.append(srv.request("GET", "/health", conn=conn)[0])
conn.close()
check("HTTP/1.1 keep-alive: eight requests on one connection",
      statuses == [200] * 6 + [404, 200], statuses)

# ---- A 10 MiB body, declared and chunked -----------------------------------------------------
s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
s.sendall(b"POST /api/v1/analyze/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Content-Length: 10485760\r\n\r\n")
try:
    s.sendall(b"[" * (10 * 1024 * 1024))
    reply = s.recv(65536)
except OSError:
    reply = b""  # answered and closed without reading the body; the answer may be lost
s.close()
check("a 10 MiB body sent at once is refused (413 or closed)",
      reply == b"" or reply.startswith(b"HTTP/1.1 413"), reply[:200])
check("the server survives a 10 MiB body", srv.request("GET", "/health")[0] == 200)


def chunked_post(size):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"POST /api/v1/analyze/access HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 65536
    sent = 0
    try:
        while sent < size:
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sent += len(chunk)
        s.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    try:
        reply = s.recv(65536)
    except OSError:
        reply = b""
    s.close()
    return reply


reply = chunked_post(10 * 1024 * 1024)
check("a 10 MiB chunked body gets 413", reply.startswith(b"HTTP/1.1 413"), reply[:200])
chunked_post(40 * 1024 * 1024)
check("a 40 MiB chunked body is cut off and the server lives on",
      srv.request("GET", "/health")[0] == 200)

# ---- 1,000 concurrent connections --------------------------------------------------------------
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 2200:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
socks = []
try:
    for _ in range(1000):
        socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=30))
    for s in socks:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    ok = 0
    for s in socks:
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            part = s.recv(4096)
            if not part:
                break
            data += part
        ok += data.startswith(b"HTTP/1.1 200")
finally:
    for s in socks:
        s.close()
check("1,000 concurrent connections are all answered", ok == 1000, f"{ok} of 1000")
check("the server survives 1,000 concurrent connections", srv.request("GET", "/health")[0] == 200)

rc, out, err = srv.stop()
check("SIGTERM stops it with status 0", rc == 0, err)
check("standard output holds exactly the one start-up line",
      re.fullmatch(r"listening on http://127\.0\.0\.1:\d+\n", out) is not None, repr(out))

# ---- Slow clients --------------------------------------------------------------------------
srv = Server("--model", model, "--connection-timeout", "2")
slow = []
for _ in range(50):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finishes its headers
    slow.append(s)
t0 = time.monotonic()
fast = [srv.request("GET", "/health")[0] for _ in range(20)]
check("requests are served while 50 slow clients hold connections",
      fast == [200] * 20 and time.monotonic() - t0 < 2, fast)
time.sleep(3.5)
closed = 0
for s in slow:
    try:
        s.settimeout(1)
        closed += s.recv(100) == b""
    except OSError:
        closed += 1
    s.close()
check("slow clients are cut off after the connection timeout", closed == 50, f"{closed} of 50")
# A body that stalls halfway.
s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
s.sendall(b"POST /api/v1/analyze/access HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Content-Length: 100\r\n\r\n{\"user_id\":")
s.settimeout(6)
try:
    cut = s.recv(100) == b""
except OSError:
    cut = True
s.close()
check("a body that stalls is cut off too", cut)
# ---- Malformed HTTP (on the server with a short connection timeout: a request the server still
# waits on, such as one with two Content-Length headers, is cut off by it) ------------------------
garbage = [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n",
           b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 200000 + b"\r\n\r\n",
           b"POST /api/v1/analyze/access HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n",
           b"POST /api/v1/analyze/access HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
           b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n",
           b"GET /" + b"%" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"]
answers = []
for g in garbage:
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        s.sendall(g)
        s.shutdown(socket.SHUT_WR)
        answers.append(s.recv(100).split(b"\r\n")[0])
    except TimeoutError:
        answers.append(b"no answer")
    except OSError:
        answers.append(b"")  # closed by the server (reset)
    s.close()
check("malformed HTTP is answered with a 4xx/5xx or a closed connection",
      all(a == b"" or re.match(rb"HTTP/1\.[01] [45]\d\d", a) for a in answers), answers)
check("the server survives malformed HTTP", srv.request("GET", "/health")[0] == 200)

srv.stop()

# ---- Options: file, environment, command line; batch limit -----------------------------------
cfg = os.path.join(TMP, "serve.yaml")
with open(cfg, "w") as f:
    f.write(f"# test configuration\nmodel: {model}\nbatch_limit: 2\nbody_limit: 64KiB\n")
srv = Server("--config", cfg, env={"SENTINEL_BATCH_LIMIT": "3"})
status, _, data = srv.request("POST", "/api/v1/analyze/batch", {"events": [EVENT] * 4})
check("the batch limit comes from the environment over the file: 4 events > 3 get 413",
      status == 413 and data == b'{"error":{"code":"too_many_events","message":"4 events; a '
      b'batch holds at most 3","field":"events"}}', data)
status, _, _ = srv.request("POST", "/api/v1/analyze/batch", {"events": [EVENT] * 3})
check("3 events are within the limit", status == 200)
status, _, _ = srv.request("POST", "/api/v1/analyze/access", {**EVENT, "x": "y" * 70000})
check("the body limit comes from the file (64 KiB)", status == 413)
srv.stop()

# ---- Concurrency: 8 clients x 200 requests give the state of 1,600 sequential ones ------------
SAME = {**EVENT, "event_id": "P", "user_id": "UCONC", "location": "Lagos, NG",
        "source_ip": "41.58.1.1"}


def state(s):
    risk = s.json("GET", "/api/v1/user/UCONC/risk-score")[1]
    anomalies = s.json("GET", "/api/v1/anomalies?limit=1000")[1]["anomalies"]
    for a in anomalies:
        del a["analysed_at"]
    return risk, anomalies


def strip(v):
    v = dict(v)
    del v["analysed_at"]
    return json.dumps(v, sort_keys=True)


srv = Server("--model", model)
sequential = []
conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
for _ in range(1600):
    sequential.append(strip(json.loads(srv.request("POST", "/api/v1/analyze/access", SAME,
                                                   conn=conn)[2])))
conn.close()
seq_state = state(srv)
srv.stop()

srv = Server("--model", model)
parallel = []
lock = threading.Lock()


def client():
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    mine = [strip(json.loads(srv.request("POST", "/api/v1/analyze/access", SAME, conn=c)[2]))
            for _ in range(200)]
    c.close()
    with lock:
        parallel.extend(mine)


threads = [threading.Thread(target=client) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
par_state = state(srv)
check("8 parallel clients x 200: the same verdicts as 1,600 sequential requests",
      sorted(parallel) == sorted(sequential), f"{len(parallel)} verdicts")
check("... the same user risk score", par_state[0] == seq_state[0],
      f"{par_state[0]} vs {seq_state[0]}")
check("... the same anomaly list", par_state[1] == seq_state[1],
      f"{len(par_state[1])} vs {len(seq_state[1])}")
check("... and some of them were anomalies", len(seq_state[1]) > 0)

# ---- SIGTERM lets the in-flight request finish ----------------------------------------------
body = json.dumps(EVENT).encode()
s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
s.sendall(b"POST /api/v1/analyze/access HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
time.sleep(0.3)
srv.proc.send_signal(signal.SIGTERM)
time.sleep(0.3)
refused = False
try:
    socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
except OSError:
    refused = True
check("after SIGTERM, new connections are refused", refused)
s.sendall(body[10:])
reply = b""
while True:
    part = s.recv(65536)
    if not part:
        break
    reply += part
s.close()
check("the request in flight at SIGTERM is answered", reply.startswith(b"HTTP/1.1 200"),
      reply[:200])
rc, _, err = srv.stop()
check("and the server then exits with status 0", rc == 0, err)

# ---- Bad options at start --------------------------------------------------------------------
bad_yaml = os.path.join(TMP, "bad.yaml")
with open(bad_yaml, "w") as f:
    f.write(f"model: {model}\nthreads: lots\n")
cases = [
    (["--model", model, "--threads", "abc"], {}, r"--threads: 'abc' is not an integer"),
    (["--model", model, "--frobnicate", "1"], {}, r"unknown option '--frobnicate'"),
    ([], {}, r"--model: required"),
    (["--model", model, "--listen", "nowhere"], {}, r"--listen: 'nowhere' is not HOST:PORT"),
    (["--config", bad_yaml], {}, re.escape(bad_yaml) + r":2: threads: 'lots' is not an integer"),
    (["--model", model], {"SENTINEL_BODY_LIMIT": "huge"}, r"SENTINEL_BODY_LIMIT: 'huge'"),
    (["--config", os.path.join(TMP, "missing.yaml")], {}, r"--config: .*cannot open"),
]
for args, env, pattern in cases:
    rc, out, err = run("serve", *args, env=env)
    check(f"bad option {args or env or 'none'}: exit 2 naming it",
          rc == 2 and re.search(pattern, err) and err.count("\n") == 1 and out == "", err)
rc, out, err = run("serve", "--model", os.path.join(TMP, "gen.csv"), "--listen", "127.0.0.1:0",
                   *NO_AUTH)
check("a file that is not a model: exit 1 with the reason", rc == 1 and "magic" in err, err)
rc, out, _ = run("serve", "--help")
check("--help lists every option with its environment variable",
      rc == 0 and all(o in out for o in (
          "--listen", "--model", "--config", "--threads", "--body-limit", "--batch-limit",
          "--alert-threshold", "--connection-timeout", "SENTINEL_LISTEN")), out)
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen()
rc, out, err = run("serve", "--model", model, "--listen", f"127.0.0.1:{busy.getsockname()[1]}",
                   *NO_AUTH)
busy.close()
check("an address in use: exit 1 naming it", rc == 1 and "cannot listen" in err, err)

sys.exit(1 if failures else 0)
