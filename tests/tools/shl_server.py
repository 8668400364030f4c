#!/usr/bin/env python3
"""A SMART Health Link server for tests/e2e/health-cards.sh, on loopback.

    shl_server.py ROOT PORT_FILE

Serves the files under ROOT by GET (a U link's file, a manifest's
locations) and answers a manifest request, a POST to /NAME, with
ROOT/NAME/manifest.json (404 without one). When ROOT/NAME/passcode exists
the request's "passcode" must be its content, else 401 with
{"remainingAttempts": N}, N counting down from 3. Every request is logged
to ROOT/requests.log as one line: METHOD PATH, and for a POST the request
body's keys and recipient ({"recipient": ..., "passcode": "given"|"none"}),
never the passcode itself. Binds 127.0.0.1 on a free port and writes it to
PORT_FILE; runs until killed (the test stops it by its pid)."""
import json
import os
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.abspath(sys.argv[1])
PORT_FILE = sys.argv[2]


def log(line):
    with open(os.path.join(ROOT, "requests.log"), "a", encoding="utf-8") as f:
        f.write(line + "\n")


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=ROOT, **kwargs)

    def log_message(self, fmt, *args):  # the test reads requests.log instead
        pass

    def do_GET(self):
        log("GET " + self.path)
        super().do_GET()

    def reply(self, status, body):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        name = self.path.strip("/")
        folder = os.path.join(ROOT, name)
        try:
            req = json.loads(raw)
        except ValueError:
            log("POST " + self.path + " not-json")
            return self.reply(400, {"error": "not JSON"})
        log("POST %s %s" % (self.path, json.dumps({
            "recipient": req.get("recipient"),
            "passcode": "given" if "passcode" in req else "none"}, sort_keys=True)))
        if "/" in name or name.startswith(".") or not os.path.isdir(folder):
            return self.reply(404, {"error": "no such link"})
        code_file = os.path.join(folder, "passcode")
        if os.path.exists(code_file):
            with open(code_file, encoding="utf-8") as f:
                code = f.read().strip()
            if req.get("passcode") != code:
                left_file = os.path.join(folder, "attempts-left")
                left = int(open(left_file).read()) if os.path.exists(left_file) else 3
                left = max(left - 1, 0)
                with open(left_file, "w") as f:
                    f.write(str(left))
                return self.reply(401, {"remainingAttempts": left})
        manifest = os.path.join(folder, "manifest.json")
        if not os.path.exists(manifest):
            return self.reply(404, {"error": "no manifest"})
        with open(manifest, "rb") as f:
            return self.reply(200, f.read())


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
