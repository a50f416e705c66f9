"""A webhook receiver: every POST body (JSON) is appended, one line per
request with its path, to the file given; GET /received returns them all as
a JSON list, GET /-/ready answers 200. What Alertmanager's webhook_configs
and similar notifiers post to, for tests to read back.

    python3 webhook.py PORT FILE
"""

import http.server
import json
import sys
import threading

LOCK = threading.Lock()


def main(port: int, out: str) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the stdlib's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
            with LOCK, open(out, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path, "body": body}) + "\n")
            self.answer(200, b"{}")

        def do_GET(self):  # noqa: N802
            if self.path == "/-/ready":
                self.answer(200, b"ready\n")
            elif self.path == "/received":
                with LOCK:
                    try:
                        lines = open(out, encoding="utf-8").read().splitlines()
                    except FileNotFoundError:
                        lines = []
                self.answer(200, ("[" + ",".join(lines) + "]").encode())
            else:
                self.answer(404, b"not found\n")

        def answer(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
