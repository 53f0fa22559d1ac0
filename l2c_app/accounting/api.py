"""REST routes of the journal: read or download it, export batches, the accounts it posts to.

Threat model: every caller is untrusted; each route depends on `require("accounting")`
(owner, admin, billing, or an API key). Dates are parsed strictly (ISO), the format is one of
two words, ids are integers. Reading the journal posts what is pending first (idempotent) and
commits it before answering; it marks nothing exported. Only POST /exports makes a batch.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from l2c_app.accounting import export
from l2c_app.accounting import settings as acct
from l2c_app.accounting.api_models import AccountingSettingsOut, BatchList, BatchOut, JournalOut
from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError

router = APIRouter(tags=["accounting"])


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{field}: a date as YYYY-MM-DD", field) from None


@router.get(
    "/api/v1/accounting/journal",
    response_model=JournalOut,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?format=csv"}},
)
def get_journal(
    date_from: str | None = Query(None, alias="from", max_length=10),
    date_to: str | None = Query(None, alias="to", max_length=10),
    format: Literal["csv", "json"] = "json",  # noqa: A002 - the query's name
    batch: int | None = Query(None, ge=1, le=2**31 - 1),
    status: Literal["all", "unexported"] = "all",
    session: Session = Depends(db),
    _: Principal = Depends(require("accounting")),
) -> JournalOut | Response:
    """The journal lines of the dates (inclusive), of one export batch, or not yet exported.
    JSON: money as integer minor units with the currency; CSV: the bookkeeper's columns."""
    data = export.journal_rows(
        session, _day(date_from, "from"), _day(date_to, "to"), batch_id=batch, unexported=status == "unexported"
    )
    session.commit()  # what post_pending added is stored before the answer
    if format == "csv":
        name = f"journal-batch-{batch}.csv" if batch else "journal.csv"
        return Response(
            export.to_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JournalOut.model_validate({"lines": data, "count": len(data)})


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BatchBody(_Body):
    date_from: date | None = None
    date_to: date | None = None


@router.post("/api/v1/accounting/exports", status_code=201, response_model=BatchOut)
def create_export(
    body: BatchBody, session: Session = Depends(db), principal: Principal = Depends(require("accounting"))
) -> BatchOut:
    """A batch of every entry not yet exported in the dates: they are final from now on."""
    batch = export.create_batch(session, principal.actor, body.date_from, body.date_to)
    session.commit()
    return BatchOut.model_validate(export.batch_json(batch))


@router.get("/api/v1/accounting/exports", response_model=BatchList)
def list_exports(
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(require("accounting")),
) -> BatchList:
    return BatchList.model_validate(
        {
            "batches": [export.batch_json(b) for b in changed_since(export.batches(session), updated_since)],
            "not_exported": export.pending_count(session),
        }
    )


class SettingsBody(_Body):
    accounts: dict[str, dict[str, str]] | None = None
    income: dict[str, dict[str, str]] | None = None
    tax: dict[str, dict[str, str]] | None = None


@router.get("/api/v1/accounting/settings", response_model=AccountingSettingsOut)
def get_settings(
    session: Session = Depends(db), _: Principal = Depends(require("accounting"))
) -> AccountingSettingsOut:
    return AccountingSettingsOut.model_validate(acct.accounting_settings(session))


@router.put("/api/v1/accounting/settings", response_model=AccountingSettingsOut)
def put_settings(
    body: SettingsBody, session: Session = Depends(db), principal: Principal = Depends(require("settings"))
) -> AccountingSettingsOut:
    """Change the accounts (owner, admin): what is posted stays where it was posted."""
    out = acct.save_accounting_settings(session, principal.actor, body.model_dump(exclude_none=True))
    session.commit()
    return AccountingSettingsOut.model_validate(out)
