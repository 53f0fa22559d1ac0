"""Request models' validation errors in the project's error shape.

FastAPI answers a body that does not fit its model with its own list
(`{"detail": [{"loc", "msg", ...}]}`). Routes that took a free `dict` before issue 12
answered every mistake as a DomainError (`{"detail": "<field>: <message>", "error": {...}}`,
core/errors) and their clients read that; a router made with `route_class=FieldErrorRoute`
keeps that shape now that its bodies are models: the first error becomes one DomainError
whose field is the path into the body (`lines[0].quantity`), status 422.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from l2c_app.core.errors import DomainError

_WHERE = ("body", "query", "path", "header", "cookie")
# Pydantic adds the member type of a union to `loc` ("value", "int"): not a field name.
_TAGS = {"str", "int", "float", "bool", "none", "list", "dict", "decimal", "date", "datetime"}


def field_of(loc: Sequence[Any]) -> str:
    """("body", "lines", 0, "quantity") -> "lines[0].quantity"; ("query", "limit") -> "limit"."""
    parts = list(loc[1:] if loc and loc[0] in _WHERE else loc)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS or not str(part).replace("_", "").isalnum():
            break
        else:
            out += f".{part}" if out else str(part)
    return out or (str(loc[0]) if loc else "body")


def as_domain_error(exc: RequestValidationError) -> DomainError:
    first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "not valid"}
    field = field_of(first.get("loc", ("body",)))
    message = str(first.get("msg", "not valid"))
    if first.get("type") == "missing":
        message = "is required"
    return DomainError(message, field)


class FieldErrorRoute(APIRoute):
    """An APIRoute whose request validation errors answer as a DomainError (422)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise as_domain_error(exc) from None

        return route
