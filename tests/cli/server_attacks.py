"""Attacks on `sentinel serve` over real sockets, each with the exact status and JSON error body
it must get: no credential, a wrong key, a revoked key (revoked while the server runs), an expired
JWT, an unsigned JWT ("alg": "none"), a JWT signed with HS256 keyed by the RS256 public key, a
wrong audience, a viewer on an admin route, an analyst reading a user outside its scope, a burst
over the rate limit, a foreign CORS origin, a TLS 1.2 client against a server that requires TLS
1.3. Then the security headers, the start-up refusals, and last: no key, token or secret used
appears in any server log or response body.

usage: server_attacks.py SENTINEL_BIN   (needs openssl, python3-jwt, python3-cryptography)
"""
import atexit
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import jwt  # python3-jwt

BIN = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="sn-attacks-")
failures = 0
started = []
bodies = []  # every response body, searched for secrets at the end


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"ok   - {name}")
    else:
        failures += 1
        print(f"FAIL - {name}: {str(detail)[:600]}")


@atexit.register
def cleanup():
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    shutil.rmtree(TMP, ignore_errors=True)


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def path(name):
    return os.path.join(TMP, name)


class Server:
    """One `sentinel serve`; standard output and error go to files, searched at the end."""

    def __init__(self, *args, tls=False):
        n = len(started)
        self.out_path, self.err_path = path(f"serve-{n}.out"), path(f"serve-{n}.err")
        self.out, self.err = open(self.out_path, "w"), open(self.err_path, "w")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", *args],
                                     stdout=self.out, stderr=self.err, text=True)
        started.append(self.proc)
        self.tls = tls
        for _ in range(200):
            line = open(self.out_path).read()
            if line.endswith("\n"):
                break
            time.sleep(0.05)
        m = re.fullmatch(r"listening on (https?)://127\.0\.0\.1:(\d+)\n", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"no start-up line: {line!r} {open(self.err_path).read()}")
        check(f"{'TLS ' if tls else ''}server announces {m.group(1)}",
              m.group(1) == ("https" if tls else "http"), line)
        self.port = int(m.group(2))

    def connect(self, context=None):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                               context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, target, body=None, headers=None, key=None, context=None):
        h = dict(headers or {})
        if key:
            h["Authorization"] = f"Bearer {key}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        c = self.connect(context)
        c.request(method, target, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        bodies.append(data)
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()
        return self.proc.returncode


def err_body(code, message, field=None):
    e = {"code": code, "message": message}
    if field:
        e["field"] = field
    return json.dumps({"error": e}, separators=(",", ":")).encode()


def expect(name, got, status, body, challenge=False):
    st, headers, data = got
    ok = st == status and data == body
    if challenge:
        ok = ok and headers.get("www-authenticate", "").startswith("Bearer")
    check(name, ok, (st, data, headers.get("www-authenticate")))


# ---- Model, keys, signing keys, certificate -----------------------------------------------------
rc, _, err = run("generate", "--users", "30", "--events-per-user", "20", "--seed", "3",
                 "--output", path("gen.csv"), "--quiet")
rc, _, err = run("train", "--input", path("gen.csv"), "--model", path("m.bin"))
if rc != 0:
    print(f"FAIL - train: {err}")
    sys.exit(1)

KEYS = path("keys.jsonl")


def create_key(*args):
    rc, out, err = run("keys", "create", *args, "--keys", KEYS)
    key = out.strip()
    check(f"keys create {' '.join(args)}", rc == 0 and re.fullmatch(r"sn_[0-9a-f]{16}_[0-9a-f]{64}",
                                                                     key), (rc, err))
    return key, key.split("_")[1]


admin, _ = create_key("--role", "admin", "--name", "ops")
analyst, _ = create_key("--role", "analyst", "--scope", "department:Finance")
viewer, _ = create_key("--role", "viewer", "--scope", "*")
service, _ = create_key("--role", "service")
doomed, doomed_id = create_key("--role", "analyst", "--scope", "*")
check("the keys file is readable by its owner only", os.stat(KEYS).st_mode & 0o777 == 0o600,
      oct(os.stat(KEYS).st_mode))
rc, out, _ = run("keys", "list", "--keys", KEYS)
check("keys list shows ids and roles but no secret",
      rc == 0 and doomed_id in out and "analyst" in out
      and all(k.split("_")[2] not in out for k in (admin, analyst, viewer, service, doomed)), out)

subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", path("jwt.key")], check=True, capture_output=True)
subprocess.run(["openssl", "pkey", "-in", path("jwt.key"), "-pubout", "-out", path("jwt.pub")],
               check=True, capture_output=True)
PRIVATE = open(path("jwt.key"), "rb").read()
PUBLIC = open(path("jwt.pub"), "rb").read()
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", path("tls.key"), "-out", path("tls.crt")], check=True,
               capture_output=True)
os.chmod(path("tls.key"), 0o600)
TLS_KEY = open(path("tls.key")).read()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(claims, alg="RS256", key=PRIVATE, headers=None):
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def now():
    return int(time.time())


def claims(**extra):
    c = {"sub": "alice", "role": "admin", "aud": "sentinel", "iss": "https://idp.example",
         "iat": now(), "exp": now() + 300}
    c.update(extra)
    return c


good_jwt = token(claims())
expired_jwt = token(claims(iat=now() - 1000, exp=now() - 200))
wrong_aud_jwt = token(claims(aud="someone-else"))
# Unsigned: {"alg": "none"} and an empty signature.
none_jwt = (b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." +
            b64(json.dumps(claims()).encode()) + ".")
# HS256 keyed with the RS256 public key's PEM text, the classic algorithm confusion.
signing_input = (b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." +
                 b64(json.dumps(claims()).encode()))
confused_jwt = signing_input + "." + b64(hmac.new(PUBLIC, signing_input.encode(),
                                                  hashlib.sha256).digest())
SECRETS = [admin, analyst, viewer, service, doomed, good_jwt, expired_jwt, wrong_aud_jwt,
           none_jwt, confused_jwt]
SECRET_PARTS = [k.split("_")[2] for k in (admin, analyst, viewer, service, doomed)]
SECRET_PARTS += [TLS_KEY.splitlines()[1], PRIVATE.decode().splitlines()[1]]

EVENT = {"event_id": "A1", "user_id": "UFIN", "department": "Finance", "resource": "crm_system",
         "action": "read", "timestamp": "2026-12-20 10:00:00", "source_ip": "192.168.1.10",
         "location": "Mumbai, IN", "success": True}
OTHER = {**EVENT, "event_id": "A2", "user_id": "USAL", "department": "Sales"}

# ---- Credentials ------------------------------------------------------------------------------
srv = Server("--model", path("m.bin"), "--keys-file", KEYS, "--jwt-public-key-file",
             path("jwt.pub"), "--jwt-audience", "sentinel", "--jwt-issuer", "https://idp.example",
             "--rate-limit-analysis", "5/minute", "--cors-origins", "https://dashboard.example")

expect("no credential: 401 with WWW-Authenticate: Bearer",
       srv.request("GET", "/api/v1/anomalies"), 401,
       err_body("unauthenticated",
                "authentication required: send Authorization: Bearer <API key or token>"),
       challenge=True)
wrong = admin[:-1] + ("0" if admin[-1] != "0" else "1")
SECRETS.append(wrong)
expect("a wrong key: 401", srv.request("GET", "/api/v1/anomalies", key=wrong), 401,
       err_body("invalid_credentials", "invalid API key"), challenge=True)
expect("a made-up key: 401", srv.request("GET", "/api/v1/anomalies", key="sn_" + "0" * 16 + "_" +
                                         "1" * 64), 401,
       err_body("invalid_credentials", "invalid API key"), challenge=True)
st, _, _ = srv.request("POST", "/api/v1/analyze/access", EVENT, key=doomed)
check("the key to be revoked works before", st == 200, st)
rc, _, err = run("keys", "revoke", doomed_id, "--keys", KEYS)
check("keys revoke ID", rc == 0, err)
expect("the revoked key, the server not restarted: 401",
       srv.request("POST", "/api/v1/analyze/access", EVENT, key=doomed), 401,
       err_body("invalid_credentials", "this API key has been revoked"), challenge=True)
st, _, _ = srv.request("GET", "/api/v1/model/metrics", key=good_jwt)
check("a valid RS256 token is accepted", st == 200, st)
expect("an expired JWT: 401", srv.request("GET", "/api/v1/model/metrics", key=expired_jwt), 401,
       err_body("invalid_credentials", "token expired"), challenge=True)
expect("a JWT with alg none: 401", srv.request("GET", "/api/v1/model/metrics", key=none_jwt), 401,
       err_body("invalid_credentials", "invalid token: malformed or bad signature"),
       challenge=True)
expect("a JWT signed HS256 with the RS256 public key: 401",
       srv.request("GET", "/api/v1/model/metrics", key=confused_jwt), 401,
       err_body("invalid_credentials", "invalid token: signing algorithm not accepted"),
       challenge=True)
expect("a JWT for another audience: 401",
       srv.request("GET", "/api/v1/model/metrics", key=wrong_aud_jwt), 401,
       err_body("invalid_credentials", "invalid token: wrong audience"), challenge=True)

# ---- Roles and scopes -------------------------------------------------------------------------
expect("a viewer on an admin route: 403",
       srv.request("GET", "/api/v1/model/metrics", key=viewer), 403,
       err_body("forbidden", "the viewer role may not use this endpoint"))
expect("a service on the model route: 403",
       srv.request("GET", "/api/v1/model/metrics", key=service), 403,
       err_body("forbidden", "the service role may not use this endpoint"))
st, _, data = srv.request("POST", "/api/v1/analyze/access", EVENT, key=analyst)
check("an analyst analyses and sees raw scores", st == 200 and b'"anomaly_score"' in data, data)
st, _, data = srv.request("POST", "/api/v1/analyze/access", OTHER, key=service)
v = json.loads(data) if st == 200 else {}
check("a service analyses but gets a risk band, never raw scores",
      st == 200 and "anomaly_score" not in v and "risk_score" not in v
      and re.fullmatch(r"\d+-\d+", v.get("risk_band", "")) and "risk_level" in v
      and "recommendation" in v, data)
st, _, data = srv.request("GET", "/api/v1/user/UFIN/risk-score", key=analyst)
check("an analyst scoped to Finance reads a Finance user", st == 200, (st, data))
expect("an analyst reading a user outside its scope: 403",
       srv.request("GET", "/api/v1/user/USAL/risk-score", key=analyst), 403,
       err_body("out_of_scope", "this user is outside the departments the caller may read",
                "user_id"))
st, _, data = srv.request("GET", "/api/v1/user/USAL/risk-score", key=viewer)
check("a viewer of scope * reads it without raw scores",
      st == 200 and b"anomaly_score" not in data and b'"risk_band"' in data, data)

# ---- Rate limit -------------------------------------------------------------------------------
fresh, _ = create_key("--role", "service")
SECRETS.append(fresh)
SECRET_PARTS.append(fresh.split("_")[2])
answers = [srv.request("POST", "/api/v1/analyze/access", EVENT, key=fresh) for _ in range(8)]
statuses = [a[0] for a in answers]
check("a burst of 8 analyses at 5/minute: 5 judged, then 429",
      statuses == [200] * 5 + [429] * 3, statuses)
st, h, data = answers[5]
check("the 429 says when to retry and what is left",
      data == err_body("rate_limited", "more than 5 requests per minute to the analysis "
                       "endpoints; retry in 12 s")
      and h.get("retry-after") == "12" and h.get("ratelimit-limit") == "5"
      and h.get("ratelimit-remaining") == "0" and h.get("ratelimit-reset") == "60",
      (data, h))
st, h, _ = answers[0]
check("successful answers carry RateLimit-Limit and RateLimit-Remaining",
      h.get("ratelimit-limit") == "5" and h.get("ratelimit-remaining") == "4", h)

# ---- CORS and headers -------------------------------------------------------------------------
st, h, _ = srv.request("GET", "/health", headers={"Origin": "https://evil.example"})
check("a foreign origin gets no Access-Control-Allow-Origin",
      st == 200 and "access-control-allow-origin" not in h and h.get("vary") == "Origin", h)
expect("a foreign origin's preflight: 403",
       srv.request("OPTIONS", "/api/v1/analyze/access",
                   headers={"Origin": "https://evil.example",
                            "Access-Control-Request-Method": "POST"}), 403,
       err_body("origin_not_allowed", "this origin may not call the API from a browser"))
st, h, data = srv.request("OPTIONS", "/api/v1/analyze/access",
                          headers={"Origin": "https://dashboard.example",
                                   "Access-Control-Request-Method": "POST"})
check("the allowed origin's preflight: 204 with methods and headers",
      st == 204 and data == b"" and h.get("access-control-allow-origin") ==
      "https://dashboard.example" and h.get("access-control-allow-methods") == "POST"
      and "Authorization" in h.get("access-control-allow-headers", "")
      and "access-control-allow-credentials" not in h, (st, h))
st, h, _ = srv.request("GET", "/api/v1/anomalies", key=viewer,
                       headers={"Origin": "https://dashboard.example"})
check("the allowed origin is echoed exactly, with Vary: Origin",
      st == 200 and h.get("access-control-allow-origin") == "https://dashboard.example"
      and h.get("vary") == "Origin", h)
for target, key in (("/health", None), ("/api/v1/anomalies", None), ("/nowhere", viewer)):
    st, h, _ = srv.request("GET", target, key=key)
    check(f"security headers on {target} ({st})",
          h.get("x-content-type-options") == "nosniff" and h.get("x-frame-options") == "DENY"
          and "frame-ancestors 'none'" in h.get("content-security-policy", "")
          and h.get("referrer-policy") == "no-referrer" and h.get("cache-control") == "no-store"
          and "server" not in h and "strict-transport-security" not in h, h)
srv.stop()

# ---- TLS --------------------------------------------------------------------------------------
tls = Server("--model", path("m.bin"), "--keys-file", KEYS, "--tls-cert-file", path("tls.crt"),
             "--tls-key-file", path("tls.key"), tls=True)
ctx13 = ssl.create_default_context(cafile=path("tls.crt"))
ctx13.minimum_version = ssl.TLSVersion.TLSv1_3
st, h, _ = tls.request("GET", "/api/v1/anomalies", key=viewer, context=ctx13)
check("a TLS 1.3 client is served, with HSTS",
      st == 200 and h.get("strict-transport-security", "").startswith("max-age="), (st, h))
ctx12 = ssl.create_default_context(cafile=path("tls.crt"))
ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
try:
    tls.request("GET", "/health", context=ctx12)
    refused = None
except (ssl.SSLError, ConnectionError, OSError) as e:
    refused = e
check("a TLS 1.2 client is refused when TLS 1.3 is required", refused is not None, refused)
s = socket.create_connection(("127.0.0.1", tls.port), timeout=10)
s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
try:
    plain = s.recv(100)
except OSError:
    plain = b""
s.close()
check("plain HTTP on the TLS port gets no answer", not plain.startswith(b"HTTP/1.1 200"), plain)
tls.stop()
tls12 = Server("--model", path("m.bin"), "--keys-file", KEYS, "--tls-cert-file",
               path("tls.crt"), "--tls-key-file", path("tls.key"), "--tls-min-version", "1.2",
               tls=True)
st, _, _ = tls12.request("GET", "/health", context=ctx12)
check("--tls-min-version 1.2 lets the TLS 1.2 client in", st == 200, st)
tls12.stop()
os.chmod(path("tls.key"), 0o644)
rc, out, err = run("serve", "--listen", "127.0.0.1:0", "--model", path("m.bin"), "--keys-file",
                   KEYS, "--tls-cert-file", path("tls.crt"), "--tls-key-file", path("tls.key"))
check("a TLS key others can read: refused at start", rc == 1 and "chmod 600" in err, (rc, err))

# ---- Start-up refusals --------------------------------------------------------------------------
rc, out, err = run("serve", "--listen", "127.0.0.1:0", "--model", path("m.bin"))
check("no credential configured: exit 2", rc == 2 and "no credential is configured" in err, err)
rc, out, err = run("serve", "--listen", "0.0.0.0:0", "--model", path("m.bin"),
                   "--insecure-no-auth")
check("--insecure-no-auth on a public address: exit 2",
      rc == 2 and "only allowed on a loopback address" in err, err)
open_srv = Server("--model", path("m.bin"), "--insecure-no-auth")
open_srv.stop()
check("--insecure-no-auth on loopback starts, with a warning on standard error",
      "authentication is off" in open(open_srv.err_path).read())

# ---- Nothing secret in logs or answers ---------------------------------------------------------
logs = ""
for name in os.listdir(TMP):
    if name.startswith("serve-"):
        logs += open(path(name)).read()
check("the logs say who called by key id", doomed_id in logs, logs[-500:])
everything = logs.encode() + b"".join(bodies)
leaked = [s[:12] + "..." for s in SECRETS + SECRET_PARTS if s.encode() in everything]
check(f"no key, token or secret ({len(SECRETS + SECRET_PARTS)}) in the logs or "
      f"{len(bodies)} response bodies", not leaked, leaked)

sys.exit(1 if failures else 0)
