"""What every provider stand-in shares: an HTTP server on 127.0.0.1 on a free port, started in
a thread, and a JSON request handler. The stand-ins (tests/accounting/qbo_standin.py,
xero_standin.py) add the provider's documented behaviour on top."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


def plain(obj: Any) -> Any:
    """JSON-able: Decimals as numbers (shortest repr: "123.45" reads back as Decimal("123.45"))."""
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    return obj


class JSONHandler(BaseHTTPRequestHandler):
    """A quiet handler whose `owner` is the stand-in; subclasses route with `_route(method)`."""

    owner: ClassVar[Any]
    encode: ClassVar[Callable[[Any], Any]] = staticmethod(plain)

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(type(self).encode(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _redirect(self, target: str) -> None:
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _route(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")


class StandInServer:
    """Start/stop and the base URL; `handler` is the stand-in's JSONHandler subclass."""

    handler: ClassVar[type[JSONHandler]]
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self):
        owner = self

        class Bound(self.handler):  # type: ignore[name-defined,misc]
            pass

        Bound.owner = owner
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Bound)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
