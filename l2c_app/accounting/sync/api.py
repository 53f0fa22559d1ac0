"""HTTP routes of the accounting sync: connect (OAuth), its callback, sync now, the sync log.

Threat model: every route needs a user (or API key) allowed to open Settings. The callback is
reached by the signed-in user's browser coming back from Intuit; the one-time `state` stored by
`connect` must match (connection.finish_connect), so an attacker cannot attach their company
by sending someone a callback link. Tokens never appear in a response.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from l2c_app.accounting.sync import connection as conn_service
from l2c_app.accounting.sync.engine import sync_log, sync_pending
from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.core.auth import Principal
from l2c_app.core.db import with_session
from l2c_app.core.errors import DomainError

router = APIRouter(tags=["accounting"])


class Pushed(BaseModel):
    pushed: int = Field(description="records sent to the accounting system")


class FailedSync(BaseModel):
    label: str
    error: str
    attempts: str
    when: str


class ConnectionOut(BaseModel):
    """`connection.status`: one `<provider>_configured` key per accounting system (qbo, xero)."""

    model_config = ConfigDict(extra="allow")

    configured: bool
    status: str
    realm_id: str
    provider: str
    label: str
    last_sync_at: str
    last_error: str
    failed: list[FailedSync]


class SyncRecord(BaseModel):
    entity: str
    local_id: str
    label: str
    status: str = Field(description="synced or failed")
    error: str | None
    attempts: int
    updated_at: str


class SyncLog(BaseModel):
    connection: ConnectionOut
    records: list[SyncRecord]


@router.get("/api/accounting/qbo/connect", include_in_schema=False)
def connect(session: Session = Depends(db), principal: Principal = Depends(require("settings"))) -> RedirectResponse:
    url = conn_service.start_connect(session, principal.actor)
    session.commit()  # the state is stored before the browser leaves for Intuit
    return RedirectResponse(url, 303)


@router.get("/api/accounting/qbo/callback", include_in_schema=False)
async def callback(
    code: str = Query("", max_length=500),
    state: str = Query("", max_length=200),
    realmId: str = Query("", max_length=64),  # noqa: N803 (Intuit's parameter name)
    principal: Principal = Depends(require("settings")),
) -> RedirectResponse:
    try:
        await asyncio.to_thread(conn_service.finish_connect, principal.actor, code, state, realmId)
    except DomainError as exc:  # shown on Settings (the browser is on a redirect, not a form)
        await asyncio.to_thread(with_session, conn_service.note_error, exc.message)
    return RedirectResponse("/settings", 303)


@router.get("/api/accounting/xero/connect", include_in_schema=False)
def xero_connect(
    session: Session = Depends(db), principal: Principal = Depends(require("settings"))
) -> RedirectResponse:
    url = conn_service.start_connect(session, principal.actor, "xero")
    session.commit()  # the state is stored before the browser leaves for Xero
    return RedirectResponse(url, 303)


@router.get("/api/accounting/xero/callback", include_in_schema=False)
async def xero_callback(
    code: str = Query("", max_length=1000),
    state: str = Query("", max_length=200),
    principal: Principal = Depends(require("settings")),
) -> RedirectResponse:
    """Xero comes back with code and state only (the tenant is read from its connections endpoint)."""
    try:
        await asyncio.to_thread(conn_service.finish_connect, principal.actor, code, state, "", "xero")
    except DomainError as exc:
        await asyncio.to_thread(with_session, conn_service.note_error, exc.message, "xero")
    return RedirectResponse("/settings", 303)


@router.post("/api/v1/accounting/sync", response_model=Pushed)
async def sync_now(_: Principal = Depends(require("settings"))) -> Pushed:
    """Push what changed now (the hourly job and the outbox do the same)."""
    return Pushed(pushed=await asyncio.to_thread(sync_pending))


@router.get("/api/v1/accounting/sync-log", response_model=SyncLog)
def log(
    status: str | None = Query(None, pattern="^(synced|failed)$"),
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(require("settings")),
) -> SyncLog:
    return SyncLog.model_validate(
        {
            "connection": conn_service.status(session),
            "records": [
                {
                    "entity": r.entity,
                    "local_id": r.local_id,
                    "label": r.label,
                    "status": r.status,
                    "error": r.error,
                    "attempts": r.attempts,
                    "updated_at": r.updated_at.isoformat(),
                }
                for r in changed_since(sync_log(session, status), updated_since)
            ],
        }
    )
