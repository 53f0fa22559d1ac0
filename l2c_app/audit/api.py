"""The audit log as CSV: the Settings > Audit page links here (the session cookie of an
owner or admin authorises; an API key may read it too, like every settings route)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.audit import service as svc
from l2c_app.core.auth import Principal

router = APIRouter(tags=["audit"])


@router.get("/api/v1/audit.csv")
def export_audit(
    entity: str = Query("", max_length=60),
    action: str = Query("", max_length=40),
    actor: str = Query("", max_length=100),
    date_from: str = Query("", max_length=10),
    date_to: str = Query("", max_length=10),
    session: Session = Depends(db),
    _: Principal = Depends(require("settings")),
) -> Response:
    """The audit log, filtered like the page (dates are the organisation's days, inclusive)."""
    text = svc.audit_csv(session, svc.AuditFilters(entity, action, actor, date_from, date_to))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
