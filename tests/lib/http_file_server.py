#!/usr/bin/env python3
"""A tiny HTTP file server for kiln's ADD <URL> tests (127.0.0.1 only).

usage: http_file_server.py DIR PORTFILE LOGFILE
Serves DIR with Last-Modified (the file's mtime) and a content ETag, answers
If-None-Match / If-Modified-Since with 304, /redirect/NAME with a 302 to
/NAME, and logs one line per request ("METHOD PATH STATUS") to LOGFILE.
Binds a free port and writes it to PORTFILE. Stops by itself after 10 minutes.
"""
import email.utils, hashlib, http.server, os, sys, threading

root, portfile, logfile = sys.argv[1:4]

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def note(self, status):
        with open(logfile, "a") as f:
            f.write(f"{self.command} {self.path} {status}\n")

    def do_GET(self):
        if self.path.startswith("/redirect/"):
            self.note(302)
            self.send_response(302)
            self.send_header("Location", "/" + self.path[len("/redirect/"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        p = os.path.join(root, self.path.lstrip("/").split("?")[0])
        if not os.path.isfile(p):
            self.note(404)
            self.send_error(404)
            return
        data = open(p, "rb").read()
        mtime = int(os.stat(p).st_mtime)
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        lm = email.utils.formatdate(mtime, usegmt=True)
        inm = self.headers.get("If-None-Match")
        if inm is not None and etag in [t.strip() for t in inm.split(",")]:
            self.note(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.note(200)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Last-Modified", lm)
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(data)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
t = threading.Timer(600, srv.shutdown)
t.daemon = True
t.start()
srv.serve_forever()
