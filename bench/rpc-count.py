#!/usr/bin/env python3
"""A counting JSON-RPC proxy on the loopback, for bench/run.sh.

    rpc-count.py UPSTREAM_URL LOG

Listens on 127.0.0.1 at a free port, prints "Listening on 127.0.0.1:PORT",
and forwards every HTTP POST to UPSTREAM_URL (a loopback node) unchanged.
Each POST appends one line to LOG:

    CONNECTION_NUMBER CALLS METHOD[,METHOD...]

where CALLS is 1 for a single JSON-RPC request and N for a batch of N calls,
so the number of lines is the number of HTTP round trips and the sum of the
second column the number of JSON-RPC calls. Only the standard library; the
anvil log cannot tell a batch from single requests, hence this.
"""
import http.client
import http.server
import itertools
import json
import sys
import threading
import urllib.parse

upstream = urllib.parse.urlsplit(sys.argv[1])
if upstream.hostname not in ("127.0.0.1", "localhost", "::1"):
    sys.exit("rpc-count: upstream must be on the loopback")
log = open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
connections = itertools.count(1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients expect

    def setup(self):
        super().setup()
        self.number = next(connections)
        self.node = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            msg = json.loads(body)
            calls = msg if isinstance(msg, list) else [msg]
            methods = ",".join(str(c.get("method", "?")) for c in calls)
        except (ValueError, AttributeError):
            calls, methods = [None], "unparsed"
        with lock:
            log.write("%d %d %s\n" % (self.number, len(calls), methods))
        self.node.request("POST", upstream.path or "/", body,
                          {"Content-Type": "application/json"})
        reply = self.node.getresponse()
        data = reply.read()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("Listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
