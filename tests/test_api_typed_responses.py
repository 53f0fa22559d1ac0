"""Issue 12: every route of the modules converted to Pydantic response models documents its
success answer in the OpenAPI document (no `{}` / empty schema), so a route that slips back
to `-> dict` fails here. Add a module to TYPED when it is converted."""

from __future__ import annotations

import typing

import pytest
from fastapi.responses import Response
from fastapi.routing import APIRoute

from l2c_app.accounting import api as accounting_api
from l2c_app.api.app import build_api
from l2c_app.billing import api as billing_api
from l2c_app.billing import api_drafts, ledger_api
from l2c_app.contracts import api as contracts_api
from l2c_app.contracts import api_signing
from l2c_app.payments import api as payments_api
from l2c_app.pipeline import api as pipeline_api
from l2c_app.quotes import api_catalog, api_templates
from l2c_app.team import api_org

TYPED = {
    "quotes/api_catalog": [api_catalog.router, api_catalog.public],
    "team/api_org": [api_org.router],
    "quotes/api_templates": [api_templates.router],
    "contracts/api": [contracts_api.router],
    "contracts/api_signing": [api_signing.router, api_signing.public],
    "pipeline/api": [pipeline_api.router],
    "accounting/api": [accounting_api.router],
    "payments/api": [payments_api.router],
    # billing/api's router also holds ledger_api's routes (included); each module is named too
    "billing/api": [billing_api.router],
    "billing/api_drafts": [api_drafts.router],
    "billing/ledger_api": [ledger_api.router],
}

DOC = build_api().openapi()


def _answers_raw(route: APIRoute) -> bool:
    """A PDF, or a provider's webhook acknowledgement: a `Response`, not a JSON body."""
    answer = typing.get_type_hints(route.endpoint).get("return")
    return isinstance(answer, type) and issubclass(answer, Response)


def _routes():
    for name, routers in TYPED.items():
        for router in routers:
            for route in router.routes:
                if isinstance(route, APIRoute) and not _answers_raw(route):
                    for method in route.methods:
                        yield name, route.path, method.lower(), route.status_code or 200


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


ROUTES = sorted(set(_routes()))


def test_the_converted_modules_have_routes():
    assert len(ROUTES) >= 20, ROUTES


@pytest.mark.parametrize(("module", "path", "method", "status"), ROUTES)
def test_every_success_answer_has_a_schema(module, path, method, status):
    if status == 204:
        return
    op = DOC["paths"][path][method]
    content = op["responses"][str(status)].get("content", {}).get("application/json", {})
    schema = _resolve(content.get("schema", {}))
    assert schema and (schema.get("properties") or schema.get("items") or schema.get("anyOf")), (
        f"{module}: {method.upper()} {path} answers an untyped {status}"
    )


def test_an_export_batch_keeps_its_from_to_and_json_keys():
    from l2c_app.accounting.api_models import BatchOut

    raw = {
        "id": 1,
        "created_at": "2026-01-01T00:00:00+00:00",
        "from": None,
        "to": "2026-01-31",
        "entries": 3,
        "csv": "/c",
        "json": "/j",
    }
    assert BatchOut.model_validate(raw).model_dump(mode="json", by_alias=True) == raw
