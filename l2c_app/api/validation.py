"""Request validation errors in the project's one error shape (issue 12).

FastAPI answers a request that does not fit its models (body, query, path, header) with its
own list (`{"detail": [{"loc", "msg", ...}]}`). The API app registers `handler` for
`RequestValidationError` instead, so every error answers the DomainError body of core/errors
(`{"detail": "<field>: <message>", "error": {"kind", "code", "field", "message"}}`): the
first error becomes one DomainError whose field is the path into the body (`lines[0].quantity`)
or the parameter's name (`limit`), status 422. `openapi_422` makes the OpenAPI document say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from l2c_app.core.errors import DomainError, http_handler

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
        elif part in _TAGS or not str(part).replace("_", "").replace("-", "").isalnum():
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


async def handler(request: Any, exc: RequestValidationError) -> Any:
    """FastAPI exception handler: a request that does not fit its models is a DomainError (422)."""
    return await http_handler(request, as_domain_error(exc))


# --- the OpenAPI document ------------------------------------------------------------------


class ErrorInfo(BaseModel):
    kind: str = Field(description="invalid, not_found, conflict, forbidden, too_large or upstream")
    code: str = Field(description="stable and machine-readable (`<field>.<kind>` unless named): branch on it")
    field: str | None = Field(description="the input at fault (`lines[0].quantity`), or null")
    message: str = Field(description="for a person; may change between versions")


class ErrorBody(BaseModel):
    """Every error the API answers (core/errors.DomainError)."""

    detail: str = Field(description="`<field>: <message>`, or the message when no field is at fault")
    error: ErrorInfo


_FASTAPI_422 = "#/components/schemas/HTTPValidationError"


def openapi_422(document: dict[str, Any]) -> dict[str, Any]:
    """Declare FastAPI's generated 422 responses as the ErrorBody they are (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    defs: dict[str, Any] = {}
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    defs.update(body.pop("$defs", {}))
    schemas.update({**defs, "ErrorBody": body})
    for operations in document.get("paths", {}).values():
        for op in operations.values():
            response = (op.get("responses") or {}).get("422") if isinstance(op, dict) else None
            media = (response or {}).get("content", {}).get("application/json", {})
            if media.get("schema", {}).get("$ref") == _FASTAPI_422:
                media["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
                response["description"] = "The request does not fit (DomainError body, kind invalid)"
    # Nothing refers to FastAPI's own shapes any more: they are not in the document.
    if _FASTAPI_422 not in str(document.get("paths")):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document
