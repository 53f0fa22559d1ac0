"""`Idempotency-Key` on every POST, as Stripe does it: a retry returns the first answer.

Stripe's rules (docs.stripe.com/api/idempotent_requests): the first request's status and
body are saved for the key and every retry with that key gets them back, errors included
(a 5xx is not saved: the request did not finish, so a retry runs it again); the same key
with different parameters is refused; keys may be pruned after 24 hours; a key whose
first request is still running answers 409 to a concurrent one.

How: an ASGI middleware in front of the routes. For a POST with the header it inserts
(caller, key, fingerprint) in its own short transaction BEFORE the route runs; the unique
constraint decides a race (the loser reads the row: still running -> 409, finished ->
the saved answer, other body -> 422). When the route finished with < 500 the answer is
saved; otherwise the row is deleted so a retry executes. The caller is the SHA-256 of the
credential (API key or session cookie), so one caller cannot replay another's answer.

Threat model: the key is the caller's string (at most 255 printable characters); it is
only ever compared, never interpreted. Saved bodies are the caller's own answers.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from l2c_app.api.idempotency_models import IdempotencyKey
from l2c_app.core.db import get_engine
from l2c_app.core.timeutil import utcnow

HEADER = b"idempotency-key"
KEEP = timedelta(hours=24)
MAX_KEY = 255


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _caller(scope, headers: dict[bytes, bytes]) -> str:
    credential = headers.get(b"authorization") or headers.get(b"cookie")
    if credential is None:  # public routes: anonymous callers are told apart by address
        client = scope.get("client") or ("", 0)
        credential = b"anonymous " + str(client[0]).encode()
    return _sha(credential)


def _claim(caller: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Insert the row (None: this request runs), else the existing live row."""
    with Session(get_engine(), expire_on_commit=False) as s:
        s.exec(
            delete(IdempotencyKey).where(
                IdempotencyKey.caller == caller,
                IdempotencyKey.key == key,  # type: ignore[call-overload]
                IdempotencyKey.created_at < utcnow() - KEEP,
            )
        )
        s.commit()
        s.add(IdempotencyKey(caller=caller, key=key, fingerprint=fingerprint))
        try:
            s.commit()
            return None
        except IntegrityError:
            s.rollback()
        return s.exec(select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)).first()


def _finish(caller: str, key: str, status: int, body: bytes, content_type: str | None) -> None:
    with Session(get_engine()) as s:
        row = s.exec(select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)).first()
        if row is None:
            return
        if status >= 500 or status in (401, 429):  # not an answer: the retry must run again
            s.delete(row)
        else:
            row.status_code, row.response_body, row.content_type = status, body.decode("utf-8", "replace"), content_type
            s.add(row)
        s.commit()


async def _send_json(send, status: int, payload: dict, extra: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra],
        }
    )
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            return await self.app(scope, receive, send)
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY or not key.isprintable():
            return await _send_json(
                send,
                422,
                {
                    "detail": f"Idempotency-Key: 1 to {MAX_KEY} printable characters",
                    "error": {
                        "kind": "invalid",
                        "code": "idempotency_key.invalid",
                        "field": "Idempotency-Key",
                        "message": "not a usable key",
                    },
                },
            )
        # The body is read whole (the edge middleware bounds its size) and replayed to the route.
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        caller = _caller(scope, headers)
        fingerprint = _sha(
            scope["method"].encode()
            + b" "
            + scope["path"].encode()
            + b"?"
            + scope.get("query_string", b"")
            + b"\n"
            + body
        )
        existing = await to_thread.run_sync(_claim, caller, key, fingerprint)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                return await _send_json(
                    send,
                    422,
                    {
                        "detail": "Idempotency-Key: this key was used with a different request; use a new key",
                        "error": {
                            "kind": "invalid",
                            "code": "idempotency_key.reused",
                            "field": "Idempotency-Key",
                            "message": "this key was used with a different request",
                        },
                    },
                )
            if existing.status_code is None:
                return await _send_json(
                    send,
                    409,
                    {
                        "detail": "Idempotency-Key: the first request with this key is still running; retry shortly",
                        "error": {
                            "kind": "conflict",
                            "code": "idempotency_key.in_progress",
                            "field": "Idempotency-Key",
                            "message": "the first request with this key is still running",
                        },
                    },
                    [(b"retry-after", b"1")],
                )
            data = (existing.response_body or "").encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": existing.status_code,
                    "headers": [
                        (b"content-type", (existing.content_type or "application/json").encode()),
                        (b"content-length", str(len(data)).encode()),
                        (b"idempotent-replayed", b"true"),
                    ],
                }
            )
            return await send({"type": "http.response.body", "body": data})

        sent_body = False

        async def replay_receive():
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        content_type = None
        out: list[bytes] = []

        async def capture(message):
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = dict(message.get("headers") or []).get(b"content-type", b"").decode() or None
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            await to_thread.run_sync(_finish, caller, key, status, b"".join(out), content_type)
