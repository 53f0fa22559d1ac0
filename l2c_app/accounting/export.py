"""The journal for a bookkeeper: rows, CSV and JSON, and export batches.

An export batch takes the entries not yet exported in a date range and stamps them with the
batch (once: `journal._only_batch_once`); a past batch is downloaded again as it was, since
its entries never change. Threat model: memo, reference and client names hold text typed by
users and clients; every CSV cell goes through core/csvsafe.safe_cell (CSV injection).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.accounting import journal
from l2c_app.accounting.models import ExportBatch, JournalEntry, JournalLine
from l2c_app.core.audit import Actor, record_create
from l2c_app.core.csvsafe import safe_cell
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.money import minor_digits, to_major
from l2c_app.pipeline.models import Account

CSV_HEADER = [
    "date",
    "entry_id",
    "account",
    "account_name",
    "debit",
    "credit",
    "currency",
    "reference",
    "memo",
    "client",
    "tax_code",
]
MAX_ROWS = 100_000


def _entries(
    session: Session,
    date_from: date | None,
    date_to: date | None,
    *,
    batch_id: int | None = None,
    unexported: bool = False,
) -> list[JournalEntry]:
    q = select(JournalEntry)
    if date_from:
        q = q.where(JournalEntry.entry_date >= date_from)
    if date_to:
        q = q.where(JournalEntry.entry_date <= date_to)
    if batch_id is not None:
        q = q.where(JournalEntry.batch_id == batch_id)
    if unexported:
        q = q.where(JournalEntry.batch_id.is_(None))  # type: ignore[union-attr]
    return list(session.exec(q.order_by(JournalEntry.entry_date, JournalEntry.id).limit(MAX_ROWS)))


def rows(session: Session, entries: list[JournalEntry]) -> list[dict]:
    """One row per journal line, money in minor units with the entry's currency."""
    if not entries:
        return []
    ids = [e.id for e in entries]
    by_entry: dict[int, list[JournalLine]] = {}
    for i in range(0, len(ids), 500):
        for ln in session.exec(
            select(JournalLine)
            .where(JournalLine.entry_id.in_(ids[i : i + 500]))  # type: ignore[attr-defined]
            .order_by(JournalLine.entry_id, JournalLine.id)
        ):
            by_entry.setdefault(ln.entry_id, []).append(ln)
    client_ids = {e.account_id for e in entries if e.account_id}
    names = (
        dict(session.execute(sa_select(Account.id, Account.name).where(Account.id.in_(client_ids))).all())
        if client_ids
        else {}
    )
    out = []
    for e in entries:
        for ln in by_entry.get(e.id, []):
            out.append(
                {
                    "date": e.entry_date.isoformat(),
                    "entry_id": e.id,
                    "source": f"{e.source_type}:{e.source_id}",
                    "seq": e.seq,
                    "kind": e.kind,
                    "account": ln.account,
                    "account_name": ln.account_name,
                    "debit_minor": ln.debit_minor,
                    "credit_minor": ln.credit_minor,
                    "currency": e.currency,
                    "reference": e.reference or "",
                    "memo": e.memo or "",
                    "client": names.get(e.account_id, "") if e.account_id else "",
                    "client_id": e.account_id,
                    "tax_code": ln.tax_code or "",
                    "batch_id": e.batch_id,
                }
            )
    return out


def _amount(minor: int, currency: str) -> str:
    if not minor:
        return ""
    return f"{to_major(minor, currency):.{minor_digits(currency)}f}"


def to_csv(data: list[dict]) -> str:
    """Amounts in major units with the currency's decimals (0, 2 or 3), debit or credit blank."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in data:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    r["date"],
                    r["entry_id"],
                    r["account"],
                    r["account_name"],
                    _amount(r["debit_minor"], r["currency"]),
                    _amount(r["credit_minor"], r["currency"]),
                    r["currency"],
                    r["reference"],
                    r["memo"],
                    r["client"],
                    r["tax_code"],
                )
            ]
        )
    return out.getvalue()


def journal_rows(
    session: Session,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    batch_id: int | None = None,
    unexported: bool = False,
) -> list[dict]:
    """Posts what is pending first (idempotent), then reads; marks nothing exported."""
    journal.post_pending(session)
    if batch_id is not None:
        batch_of(session, batch_id)
    return rows(session, _entries(session, date_from, date_to, batch_id=batch_id, unexported=unexported))


def batch_of(session: Session, batch_id: int) -> ExportBatch:
    batch = session.get(ExportBatch, batch_id)
    if batch is None:
        raise NotFound(f"No export batch {batch_id}", "batch")
    return batch


def create_batch(
    session: Session, actor: Actor, date_from: date | None = None, date_to: date | None = None
) -> ExportBatch:
    """A new batch of every entry not yet exported in the range; those entries are then final."""
    if date_from and date_to and date_from > date_to:
        raise DomainError("The start date is after the end date", "from")
    journal.post_pending(session)
    entries = _entries(session, date_from, date_to, unexported=True)
    if not entries:
        raise DomainError(
            "Every journal entry of these dates is already exported", "from", kind="conflict", code="export.nothing_new"
        )
    batch = ExportBatch(created_by_id=actor.user_id, date_from=date_from, date_to=date_to, entry_count=len(entries))
    session.add(batch)
    session.flush()
    for e in entries:
        e.batch_id = batch.id
        session.add(e)
    session.flush()
    record_create(session, actor, batch)
    return batch


def batches(session: Session, limit: int = 50) -> list[ExportBatch]:
    return list(session.exec(select(ExportBatch).order_by(ExportBatch.id.desc()).limit(limit)))  # type: ignore[union-attr]


def batch_json(batch: ExportBatch) -> dict:
    return {
        "id": batch.id,
        "created_at": batch.created_at.isoformat(),
        "from": batch.date_from.isoformat() if batch.date_from else None,
        "to": batch.date_to.isoformat() if batch.date_to else None,
        "entries": batch.entry_count,
        "csv": f"/api/v1/accounting/journal?batch={batch.id}&format=csv",
        "json": f"/api/v1/accounting/journal?batch={batch.id}&format=json",
    }


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    return int(
        session.execute(
            sa_select(func.count()).select_from(JournalEntry).where(JournalEntry.batch_id.is_(None))
        ).scalar_one()
    )  # type: ignore[union-attr]
