#!/usr/bin/env python3
"""An HTTP proxy in front of a test registry that breaks blob downloads on purpose.

usage: fault_proxy.py LISTEN_PORT UPSTREAM_HOST:PORT MODE LOG_FILE

MODE:
  pass      forward everything
  cut-once  the first blob GET whose body is over 1 MiB sends half of it, then the
            connection is closed (the client must resume, e.g. with Range)
  stall     every blob GET over 1 MiB sends half, then hangs; LOG_FILE gets "stalled"
Every request is logged to LOG_FILE as "METHOD PATH RANGE STATUS".
"""
import http.client, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

listen, upstream, mode, log_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
uhost, uport = upstream.rsplit(":", 1)
lock = threading.Lock()
state = {"cut": False}


def log(line):
    with lock, open(log_file, "a") as f:
        f.write(line + "\n")


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n) if n else None
        conn = http.client.HTTPConnection(uhost, int(uport), timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        log("%s %s %s %d" % (self.command, self.path, self.headers.get("Range", "-"), resp.status))
        length = int(resp.getheader("Content-Length", "0") or 0)
        is_blob = self.command == "GET" and "/blobs/sha256:" in self.path and length > (1 << 20)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        breaking = False
        if is_blob and mode == "stall":
            breaking = True
        if is_blob and mode == "cut-once":
            with lock:
                if not state["cut"]:
                    state["cut"] = True
                    breaking = True
        sent = 0
        while True:
            chunk = resp.read(1 << 16)
            if not chunk:
                break
            if breaking and sent + len(chunk) > length // 2:
                self.wfile.write(chunk[: length // 2 - sent])
                self.wfile.flush()
                if mode == "stall":
                    log("stalled")
                    time.sleep(3600)
                self.close_connection = True
                self.connection.close()
                return
            self.wfile.write(chunk)
            sent += len(chunk)
        conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


ThreadingHTTPServer(("127.0.0.1", int(listen)), Proxy).serve_forever()
