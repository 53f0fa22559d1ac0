"""Structured logs an operator can grep: one line per event, `key=value` pairs.

    2026-12-01T22:40:01Z INFO l2c.http method=POST path=/api/v1/leads status=201 ms=12.4
    2026-12-01T22:40:02Z INFO l2c.jobs job="invoice reminders" outcome="2 reminder(s) written" ms=31.0
    2026-12-01T22:40:03Z INFO l2c.webhooks provider=stripe status=200 outcome=processed ms=8.1

Request lines carry the path, never the query string or body (tokens and personal data
stay out of the logs). `LOG_LEVEL` (DEBUG, INFO, WARNING, ERROR) sets the level.
"""

from __future__ import annotations

import logging
import time

_FMT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _UTCFormatter(logging.Formatter):
    converter = time.gmtime  # type: ignore[assignment]  # logging calls it with the record's time

    _second, _stamp = -1, ""

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's API
        second = int(record.created)
        if second != self._second:  # one strftime per second, not per line
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%SZ", self.converter(second))
        return self._stamp


def _quote(value) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' "=\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def kv(**fields) -> str:
    """`a=1 b="two words"`: the message of one structured line."""
    return " ".join(f"{k}={_quote(v)}" for k, v in fields.items() if v is not None)


def event(logger: str, level: int = logging.INFO, **fields) -> None:
    logging.getLogger(logger).log(level, kv(**fields))


_configured = False


def configure(level: str | None = None) -> None:
    """Send l2c's loggers to stderr in the one format (idempotent)."""
    global _configured
    if _configured:
        return
    if level is None:
        from l2c_app.core.config import get_settings

        level = get_settings().log_level
    handler = logging.StreamHandler()
    handler.setFormatter(_UTCFormatter(_FMT))
    root = logging.getLogger("l2c")
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    _configured = True


_HTTP = logging.getLogger("l2c.http")
_QUIET_EXCEPT = ("/api/", "/i/", "/q/", "/co/", "/sign/")


def _request_line(level: int, method, path: str, code: int, ms: float) -> None:
    """`kv(method=..., path=..., status=..., ms=...)` through the l2c.http logger, made cheaply:
    nothing is built when the level is off, and the record skips logging's stack walk for the
    caller's file and line (the format has neither)."""
    if not _HTTP.isEnabledFor(level):
        return
    msg = f"method={_quote(method)} path={_quote(path)} status={code} ms={ms}"
    _HTTP.handle(_HTTP.makeRecord(_HTTP.name, level, __file__, 0, msg, (), None))


class RequestLog:
    """ASGI middleware: one line per HTTP request with status and time (static files at DEBUG)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500}  # an exception before the response starts is a 500

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            code, path = status["code"], scope.get("path") or ""
            # The frontend's static files are many and dull: DEBUG unless they fail.
            quiet = code < 400 and not path.startswith(_QUIET_EXCEPT)
            level = logging.WARNING if code >= 500 else logging.DEBUG if quiet else logging.INFO
            _request_line(level, scope.get("method"), path, code, round((time.perf_counter() - start) * 1000, 1))
