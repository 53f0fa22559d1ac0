"""The HTTP API, mounted on the app's own port (Reflex's `api_transformer`).

Routes live under `/api`: health, auth, webhooks and the REST v1 API (OpenAPI at
`/api/v1/openapi.json`). Each stage of the cycle adds its routes in its own
`<stage>/api.py` as `router`; they are included here in the order of the cycle.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from l2c_app.accounting import api as accounting_api
from l2c_app.accounting.sync import api as accounting_sync_api
from l2c_app.api import auth_routes, edge, validation
from l2c_app.api.idempotency import IdempotencyMiddleware
from l2c_app.audit import api as audit_api
from l2c_app.billing import api as billing_api
from l2c_app.clients import api as clients_api
from l2c_app.contracts import api as contracts_api
from l2c_app.core.db import get_async_engine
from l2c_app.core.errors import DomainError, http_handler
from l2c_app.core.logs import RequestLog, configure
from l2c_app.insights import api_cash as insights_api_cash
from l2c_app.insights import api_cycle as insights_cycle_api
from l2c_app.leads import api as leads_api
from l2c_app.payments import api as payments_api
from l2c_app.pipeline import api as pipeline_api
from l2c_app.projects import api as projects_api
from l2c_app.quotes import api as quotes_api
from l2c_app.webhooks_out import api as webhooks_out_api

STAGE_ROUTERS = [
    leads_api,
    pipeline_api,
    quotes_api,
    contracts_api,
    projects_api,
    billing_api,
    payments_api,
    clients_api,
]


class Health(BaseModel):
    status: str = Field(description="ok, or degraded (503) when the database is unreachable")
    database: str = Field(description="ok or unreachable")


def _cycle_routers() -> list:
    """Typed routes that let an integration run the whole cycle (issue 19), one module per stage."""
    from l2c_app.api import keys_api
    from l2c_app.billing import api_drafts
    from l2c_app.contracts import api_signing, api_templates
    from l2c_app.pipeline import api_summary
    from l2c_app.projects import api_delivery, api_team
    from l2c_app.quotes import api_catalog
    from l2c_app.quotes import api_templates as quote_templates_api
    from l2c_app.team import api_org

    return [
        api_catalog.router,
        api_catalog.public,
        api_signing.router,
        api_signing.public,
        api_delivery.router,
        api_drafts.router,
        api_summary.router,
        api_org.router,
        keys_api.router,
        api_templates.router,
        api_team.router,
        quote_templates_api.router,
    ]


def _margin_router():
    from fastapi import APIRouter

    from l2c_app.insights import api_margin
    from l2c_app.projects import api_expenses

    both = APIRouter()
    both.include_router(api_margin.router)
    both.include_router(api_expenses.router)
    return both


def build_api() -> FastAPI:
    api = FastAPI(
        title="l2c API", version="1", openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None
    )
    # A business rule broken anywhere below a route answers by its kind (core/errors).
    api.add_exception_handler(DomainError, http_handler)  # type: ignore[arg-type]
    # ... and so does a request that does not fit a route's models: one shape for every error.
    api.add_exception_handler(RequestValidationError, validation.handler)
    configure()
    api.add_middleware(RequestLog)  # one log line per request (core/logs)
    # Idempotency-Key on POSTs (api/idempotency): inside the edge guard, which bounds the body.
    api.add_middleware(IdempotencyMiddleware)
    # Hostile input (NUL, surrogates, NaN, deep JSON, huge bodies, out-of-range ints) -> 4xx.
    edge.install(api)

    @api.get("/api/health", tags=["health"], response_model=Health, responses={503: {"model": Health}})
    async def health() -> JSONResponse:
        """Liveness and database reachability (async: never blocks other requests)."""
        try:
            async with get_async_engine().connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # any failure to reach the database is a 503, not a crash
            return JSONResponse({"status": "degraded", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    api.include_router(payments_api.webhook_router)  # first: Stripe's deliveries match at once (issue 18)
    api.include_router(auth_routes.router)
    for module in STAGE_ROUTERS:
        api.include_router(module.router)
    for router in _cycle_routers():
        api.include_router(router)
    api.include_router(audit_api.router)  # Settings > Audit's CSV export
    api.include_router(webhooks_out_api.router)  # Settings > Webhooks: outbound endpoints and their log
    api.include_router(accounting_sync_api.router)  # Settings > Accounting: QuickBooks connect and sync
    api.include_router(accounting_api.router)  # the journal and its export (closes the cycle)
    api.include_router(insights_api_cash.router)  # Insights > Cash: forecast, AR aging, CSV
    api.include_router(insights_cycle_api.router)  # Insights: cycle times and the pipeline forecast
    from l2c_app.insights import api_leaks

    api.include_router(api_leaks.router)  # the leak ledger (Insights)
    api.include_router(_margin_router())  # Insights > Margin: margin, utilisation, expenses, cost rates (issue 17)
    _declare_error_shape(api)
    return api


def _declare_error_shape(api: FastAPI) -> None:
    """The OpenAPI document says what `validation.handler` answers: a 422 is an ErrorBody."""
    default = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = validation.openapi_422(default())
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


API_PREFIX = "/api/"


def api_first(top, api, set_contexts):
    """The served ASGI app: HTTP requests under /api/ go straight to the FastAPI app `api`;
    everything else (pages, the websocket, lifespan) to Reflex's `top` app, as before.

    Reflex wraps the whole backend in its own Starlette app (ServerErrorMiddleware, CORS, the
    context middleware, ExceptionMiddleware, a router with one mount) in front of `api`, which
    has its own error middleware and CORS (Reflex adds the same CORS to an api_transformer).
    On the API path that outer layer only repeats what `api` does, at a cost on every request;
    `set_contexts` is what the context middleware does (Reflex's contexts for state updates)
    and still runs. A path under /api/ that no route takes still falls through to Reflex
    (mounted inside `api` at ""), exactly as before.
    """

    async def app(scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            set_contexts()
            await api(scope, receive, send)
        else:
            await top(scope, receive, send)

    app.top = top  # type: ignore[attr-defined]
    app.api = api  # type: ignore[attr-defined]
    return app
