#!/usr/bin/env python3
"""A tiny Docker registry token server for tests (distribution's `auth: token`).

usage: token_server.py PORT KEY CERT ISSUER USERS_FILE LOG_FILE

GET /token?service=S&scope=repository:NAME:ACTIONS   (Basic auth optional)
POST /token  grant_type=password|refresh_token (form)   -> identity-token flow
Tokens are RS256 JWTs whose header carries the certificate in x5c; they are signed
with `openssl dgst -sha256 -sign KEY` (no third-party Python modules).
USERS_FILE has "user:password" lines. Authenticated users get every action asked
for; anonymous requests get nothing (so the registry refuses them). A POST with
grant_type=password returns a refresh_token "refresh-<user>", accepted later with
grant_type=refresh_token. Every request is appended to LOG_FILE as
"METHOD user-or-anonymous status".
"""
import base64, json, os, subprocess, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, key, cert, issuer, users_file, log_file = sys.argv[1:7]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def users():
    out = {}
    with open(users_file) as f:
        for line in f:
            line = line.strip()
            if ":" in line:
                u, p = line.split(":", 1)
                out[u] = p
    return out


def sign(service, user, scopes):
    access = []
    for s in scopes:
        parts = s.split(":")
        if len(parts) >= 3 and user:
            access.append({"type": parts[0], "name": ":".join(parts[1:-1]), "actions": parts[-1].split(",")})
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    claims = {"iss": issuer, "sub": user or "", "aud": service, "exp": now + 300, "nbf": now - 10,
              "iat": now, "jti": os.urandom(8).hex(), "access": access}
    signing_input = (b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input, check=True,
                         capture_output=True).stdout
    return signing_input.decode() + "." + b64u(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body, user):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(log_file, "a") as f:
            f.write("%s %s %d\n" % (self.command, user or "anonymous", code))

    def basic_user(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None, True
        try:
            u, p = base64.b64decode(h[6:]).decode().split(":", 1)
        except Exception:
            return None, False
        return (u, True) if users().get(u) == p else (u, False)

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        user, ok = self.basic_user()
        if not ok:
            return self.reply(401, {"details": "incorrect username or password"}, user)
        tok = sign(q.get("service", [""])[0], user, q.get("scope", []))
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, user)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        grant = form.get("grant_type", [""])[0]
        user = None
        if grant == "password":
            user = form.get("username", [""])[0]
            if users().get(user) != form.get("password", [""])[0]:
                return self.reply(401, {"details": "incorrect username or password"}, user)
        elif grant == "refresh_token":
            rt = form.get("refresh_token", [""])[0]
            if not rt.startswith("refresh-") or rt[8:] not in users():
                return self.reply(401, {"details": "invalid refresh token"}, None)
            user = rt[8:]
        else:
            return self.reply(400, {"details": "unsupported grant_type"}, None)
        tok = sign(form.get("service", [""])[0], user, form.get("scope", []))
        self.reply(200, {"access_token": tok, "refresh_token": "refresh-" + user, "expires_in": 300}, user)


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
