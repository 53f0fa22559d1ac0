"""The API's edge: hostile input is refused with a 4xx before any route or database sees it.

Threat model: anyone can reach `/api/...` (login, the public lead form, public document
links). Found by a fuzzer and by hand, each of these used to end in a 500: malformed JSON,
a NUL byte (PostgreSQL text cannot hold one), a lone UTF-16 surrogate (cannot be encoded
to UTF-8), NaN/Infinity, JSON nested 100,000 deep (RecursionError in the parser), integers
past what a column holds (ids are 32-bit `integer` on PostgreSQL, money 64-bit), `%00` in a
path token, and bodies of any size. One ASGI middleware checks them all, once:

- body larger than `MAX_BODY` (webhooks: `MAX_WEBHOOK_BODY`) -> 413;
- JSON: must parse (strict UTF-8, no NaN/Infinity, at most `MAX_DEPTH` levels); every
  string (keys too) without NUL or lone surrogates and at most `MAX_TEXT` characters
  (413); every integer within 64 bits, ids (`id`, `*_id`, `*_ids`) within 32 bits; money
  (`*_minor`, `value`) and `minutes` are JSON integers, never `true` or `"100"` -> 422;
- form bodies: strict UTF-8, no NUL, same text limit;
- path: no NUL (`%00`), a numeric segment past +-2^31-1 cannot be a record -> 404;
- query: no NUL, integers within 64 bits, ids within 32 bits -> 422.

The body is read once and handed on unchanged (webhook signatures are over the raw bytes).
Answers have the DomainError shape: {"detail": "<field>: <message>", "error": {...}}.
Guarded: `/api/` and the public invoice PDF `/i/...`; Reflex's own routes are not JSON APIs
(its pages' handlers refuse implausible tokens in the services: core/textlimits.plausible_token).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from l2c_app.core.errors import DomainError

MAX_BODY = 1_000_000  # bytes; the largest legitimate API body is a lead or a quote line
MAX_WEBHOOK_BODY = 20_000_000  # DocuSign Connect may include the signed PDFs (base64)
MAX_DEPTH = 32
MAX_TEXT = 20_000  # characters per string; tighter per-column limits are checked on flush (core/textlimits)
INT64_MAX = 2**63 - 1
ID_MAX = 2**31 - 1  # ids are PostgreSQL `integer`
MONEY_KEYS = re.compile(r"(^|_)minor$|^value$")
MINUTES_KEYS = re.compile(r"(^|_)minutes$")
ID_KEYS = re.compile(r"(^|_)ids?$")
GUARDED = ("/api/", "/i/")
_DIGITS = re.compile(r"^[+-]?\d+$")


class EdgeError(DomainError):
    """Refused at the edge."""


def _text_ok(value: str, where: str) -> None:
    if "\x00" in value:
        raise EdgeError("must not contain a NUL byte", where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EdgeError("is not valid Unicode text (a lone surrogate)", where) from None
    if len(value) > MAX_TEXT:
        raise EdgeError(f"is too long (at most {MAX_TEXT} characters)", where, kind="too_large")


def _depth(raw: str) -> int:
    """Deepest nesting of [ and { outside strings, found without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str):
    raise EdgeError(f"{name} is not a number JSON allows here", "body")


def _check_value(value, where: str, key: str) -> None:
    """Walk the parsed JSON (depth is bounded already, so recursion is safe)."""
    if isinstance(value, str):
        _text_ok(value, where)
        if MONEY_KEYS.search(key) or (MINUTES_KEYS.search(key) and _DIGITS.match(value.strip())):
            raise EdgeError("must be a whole number (a JSON integer), not text", where)
    elif isinstance(value, bool):
        if MONEY_KEYS.search(key) or MINUTES_KEYS.search(key):
            raise EdgeError("must be a whole number, not true/false", where)
    elif isinstance(value, int):
        limit = ID_MAX if ID_KEYS.search(key) else INT64_MAX
        if not -limit - 1 <= value <= limit:
            raise EdgeError(f"is out of range (at most {limit})", where)
    elif isinstance(value, float):
        if MONEY_KEYS.search(key) or MINUTES_KEYS.search(key):
            raise EdgeError("must be a whole number of minor units / minutes", where)
    elif isinstance(value, dict):
        for k, v in value.items():
            _text_ok(k, f"{where}.key" if where != "body" else "body key")
            _check_value(v, k if where == "body" else f"{where}.{k}", k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_value(v, f"{where}[{i}]", key)


# Where the guard leaves the body it parsed, ("json", value) or ("form", pairs), so a route can
# read it without parsing it again (leads/api.py: the public lead form).
PARSED_BODY = "l2c.parsed_body"


def check_json(raw: bytes) -> Any:
    """Refuse a bad JSON body (EdgeError); the parsed value."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EdgeError("the JSON body is not valid UTF-8", "body") from None
    # Nesting is at most the number of [ and {: only a body with more of them needs the walk.
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise EdgeError(f"the JSON body is nested too deeply (at most {MAX_DEPTH} levels)", "body")
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise EdgeError(f"malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", "body") from None
    _check_value(data, "body", "")
    return data


def check_form(raw: bytes) -> list[tuple[str, str]]:
    """Refuse a bad form body (EdgeError); its (key, value) pairs."""
    if b"\x00" in raw or b"%00" in raw.lower():
        raise EdgeError("must not contain a NUL byte", "body")
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, UnicodeEncodeError, ValueError):
        raise EdgeError("the form body is not valid UTF-8 (percent-encoded)", "body") from None
    for key, value in pairs:
        _text_ok(key, "body key")
        _text_ok(value, key)
    return pairs


def check_path(path: str, raw_path: bytes) -> None:
    if "\x00" in path or b"%00" in raw_path.lower():
        raise EdgeError("No such page: the address contains a NUL byte.", "path", kind="not_found")
    for segment in path.split("/"):
        if _DIGITS.match(segment) and abs(int(segment)) > ID_MAX:  # either side: -2^63-1 overflowed SQLite
            raise EdgeError("No such record.", "path", kind="not_found")


def check_query(query: bytes) -> None:
    if b"%00" in query.lower() or b"\x00" in query:
        raise EdgeError("must not contain a NUL byte", "query")
    try:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise EdgeError("the query string is not valid UTF-8", "query") from None
    for key, value in pairs:
        limit = ID_MAX if ID_KEYS.search(key) else INT64_MAX
        for part in value.split(","):
            part = part.strip()
            if _DIGITS.match(part) and abs(int(part)) > limit:
                raise EdgeError(f"is out of range (at most {limit})", key)
        if len(value) > MAX_TEXT:
            raise EdgeError("is too long", key, kind="too_large")


async def _answer(send, exc: DomainError) -> None:
    body = json.dumps(exc.as_json()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """ASGI middleware: every check above, for HTTP requests under /api/."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(GUARDED):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = MAX_WEBHOOK_BODY if path.startswith("/api/webhooks/") else MAX_BODY
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        try:
            check_path(path, scope.get("raw_path") or unquote_to_bytes(path))
            check_query(scope.get("query_string", b""))
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                raise EdgeError(f"the request body is too large (at most {limit} bytes)", "body", kind="too_large")
        except DomainError as exc:
            await _answer(send, exc)
            return
        if (
            scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE")
            and b"content-length" not in headers
            and b"transfer-encoding" not in headers
        ):
            await self.app(scope, receive, send)
            return

        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _answer(
                    send, EdgeError(f"the request body is too large (at most {limit} bytes)", "body", kind="too_large")
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        try:
            if raw and not path.startswith("/api/webhooks/"):  # webhook bodies: signature first, then the handler
                if ctype == b"application/json" or ctype.endswith(b"+json"):
                    scope[PARSED_BODY] = ("json", check_json(raw))
                elif ctype == b"application/x-www-form-urlencoded":
                    pairs = check_form(raw)
                    # Starlette's form parser splits on ";" too and reads a key without "=" its own way:
                    # the pairs stand for its result only without those.
                    if b";" not in raw and all(b"=" in part for part in raw.split(b"&") if part):
                        scope[PARSED_BODY] = ("form", pairs)
        except DomainError as exc:
            await _answer(send, exc)
            return

        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def install(api) -> None:
    """Register the guard and a last net for values the database refuses (api/app.py)."""
    from fastapi.responses import JSONResponse
    from sqlalchemy.exc import DataError

    async def data_error(_request, _exc: DataError) -> JSONResponse:
        # A value the database cannot hold (out of range, invalid text) is the caller's input.
        err = EdgeError("a value is out of range or not valid for its field", "body")
        return JSONResponse(err.as_json(), err.status)

    api.add_exception_handler(DataError, data_error)  # type: ignore[arg-type]
    api.add_middleware(EdgeGuard)
