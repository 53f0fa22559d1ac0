"""A local webhook receiver on 127.0.0.1 (http.server in a thread) for the outbound webhook tests.

It records every request (headers, raw body) and answers from a script: a status code, "hang"
(holds the request without answering, beyond the sender's timeout), "redirect" (a 302 to
another URL), "big" (a 2 MB body) or {"status": ..., "headers": {...}} (e.g. a Retry-After).
After the script it answers 200.
Follows what a Standard Webhooks receiver sees (https://www.standardwebhooks.com): a POST of
a JSON body with webhook-id, webhook-timestamp and webhook-signature headers.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, tls: tuple[str, str] | None = None):
        self.requests: list[dict] = []
        self.script: list = []
        self.release = threading.Event()  # set at stop: a held ("hang") request ends
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "path": self.path}
                )
                action = receiver.script.pop(0) if receiver.script else 200
                if action == "hang":
                    receiver.release.wait(10)
                    return
                if action == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                extra = {}
                if isinstance(action, dict):  # {"status": 503, "headers": {"Retry-After": "600"}}
                    extra, action = action.get("headers", {}), action["status"]
                payload = b"x" * 2_000_000 if action == "big" else f"answer {action}".encode()
                self.send_response(200 if action == "big" else int(action))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:  # the sender stopped reading (bounded read): expected
                    pass

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # (certificate file, key file): HTTPS
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/hooks/l2c"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
