"""One error type for every business rule a caller can break.

A service raises `DomainError(message, kind=..., field=..., code=...)`; the edges turn
it into an answer without reading its text:

- the HTTP API (`api/app.py` registers `http_handler`): the status follows from `kind`
  (invalid 422, not_found 404, conflict 409, forbidden 403, too_large 413,
  upstream 502) and the body
  is `{"detail": "<field>: <message>", "error": {"kind", "code", "field", "message"}}`
  (`detail` keeps the shape FastAPI uses for its own errors, so clients read one key);
- the UI (`ui_message`): the message a person reads in a toast or beside the field.

Stage errors (`BillingError`, `QuoteError`, ...) are subclasses, so existing
`except <Stage>Error` keeps working while the status comes from the kind.
`DomainError` is a `ValueError` for the same reason: older callers catch ValueError.
"""

from __future__ import annotations

from typing import Any, Literal

# upstream: a provider we depend on (DocuSign, Stripe) failed; not the caller's mistake.
Kind = Literal["invalid", "not_found", "conflict", "forbidden", "too_large", "upstream"]

STATUS: dict[str, int] = {
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "forbidden": 403,
    "too_large": 413,
    "upstream": 502,
}


class DomainError(ValueError):
    """A broken business rule, with what the caller needs to react to it."""

    default_kind: Kind = "invalid"

    def __init__(self, message: str, field: str | None = None, *, kind: Kind | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.kind: Kind = kind or self.default_kind
        # A stable, machine-readable code: integrations branch on it, never on the text.
        self.code = code or (f"{field}.{self.kind}" if field else self.kind)

    @property
    def status(self) -> int:
        return STATUS[self.kind]

    def detail(self) -> str:
        # Some stages write the field into the message ("stage_id: no such stage."): the
        # prefix is not repeated. This formats the text; it never chooses a status.
        if not self.field or self.message.startswith(f"{self.field}:"):
            return self.message
        return f"{self.field}: {self.message}"

    def error_json(self) -> dict[str, Any]:
        """The machine-readable part of the body (subclasses add keys, e.g. a link)."""
        return {"kind": self.kind, "code": self.code, "field": self.field, "message": self.message}

    def as_json(self) -> dict[str, Any]:
        return {"detail": self.detail(), "error": self.error_json()}


class NotFound(DomainError):
    default_kind = "not_found"


class Conflict(DomainError):
    default_kind = "conflict"


class Forbidden(DomainError):
    default_kind = "forbidden"


def ui_message(exc: BaseException) -> str:
    """What a person reads for an error raised by a service call from the UI."""
    if isinstance(exc, DomainError):
        return exc.message
    # Anything else is a bug or an outage: its text (SQL, a DSN, a stack) is not for users.
    return "Something went wrong; nothing was saved. Try again, or tell an admin if it keeps happening."


async def http_handler(_request: Any, exc: DomainError) -> Any:
    """FastAPI exception handler: a DomainError that escapes a route becomes its status."""
    from fastapi.responses import JSONResponse

    return JSONResponse(exc.as_json(), status_code=exc.status)
