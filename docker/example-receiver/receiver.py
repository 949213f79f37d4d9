"""A one-file webhook receiver for trying Tributary's destinations locally.

It answers every POST/PUT/PATCH with 200 {"ok": true} and prints one JSON line per request
(method, path, the headers that matter, the body) to stdout, so `docker compose logs receiver`
shows what arrived. GET /healthz answers 200. Standard library only.

Set RECEIVER_STATUS to answer with another status (e.g. 500 or 429) to watch retries.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("RECEIVER_PORT", "9000"))
STATUS = int(os.environ.get("RECEIVER_STATUS", "200"))
SHOWN_HEADERS = ("content-type", "content-encoding", "authorization", "x-signature", "user-agent")


class Handler(BaseHTTPRequestHandler):
    def _receive(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {k: v for k, v in self.headers.items() if k.lower() in SHOWN_HEADERS},
            "body": body,
        }
        print(json.dumps(record), flush=True)
        payload = json.dumps({"ok": STATUS < 400}).encode()
        self.send_response(STATUS)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_PUT = do_PATCH = _receive

    def do_GET(self):
        payload = b'{"status":"ok"}'
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, fmt, *args):  # the JSON line above is the log
        pass


if __name__ == "__main__":
    print(f"example receiver listening on :{PORT}, answering {STATUS}", file=sys.stderr, flush=True)
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
