"""Numbering and issuing an invoice."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session

from l2c_app.billing.common import BillingError, begin_write, billing_settings
from l2c_app.billing.invoice_links import add_invoice_event
from l2c_app.billing.invoice_totals import _get_invoice, lines_of
from l2c_app.billing.models import Invoice, NumberSequence
from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import org_today
from l2c_app.events.bus import emit
from l2c_app.events.types import InvoiceEvent

# --- issue, numbering ---------------------------------------------------------------------


def next_number(session: Session, name: str) -> int:
    """Take the next value of a gap-free counter under a row lock.

    PostgreSQL: SELECT ... FOR UPDATE holds the row until commit, so concurrent issuers
    queue. SQLite serialises writers; the UPDATE ... RETURNING takes the write lock in
    one statement (a read-then-write would risk SQLITE_BUSY on upgrade). The counter
    moves in the issuing transaction: a rollback gives the number back, so no gaps.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(NumberSequence).values(name=name, next_value=1).on_conflict_do_nothing())
        row = session.execute(
            sa_select(NumberSequence.next_value).where(NumberSequence.name == name).with_for_update()
        ).scalar_one()
        session.execute(update(NumberSequence).where(NumberSequence.name == name).values(next_value=row + 1))
        return int(row)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    session.execute(sqlite_insert(NumberSequence).values(name=name, next_value=1).on_conflict_do_nothing())
    value = session.execute(
        update(NumberSequence)
        .where(NumberSequence.name == name)
        .values(next_value=NumberSequence.next_value + 1)
        .returning(NumberSequence.next_value)
    ).scalar_one()
    return int(value) - 1


def issue_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    issue_date: date | None = None,
) -> Invoice:
    """Give the draft its number (gap-free, pattern from settings), issue date and due date."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft" or inv.number is not None:
        raise BillingError(f"Invoice is already {inv.status}", "status")
    if not lines_of(session, inv.id):
        raise BillingError("An invoice needs at least one line", "lines")
    if inv.kind != "credit_note" and inv.total_minor <= 0:
        raise BillingError("The total must be positive", "total_minor")
    cfg = billing_settings(session)
    day = issue_date or org_today(session)
    before = snapshot(inv)
    if inv.kind == "credit_note":
        pattern, seq_name = cfg["credit_note_number_pattern"], f"credit_note:{day.year}"
    else:
        pattern, seq_name = cfg["invoice_number_pattern"], f"invoice:{day.year}"
    seq = next_number(session, seq_name)
    inv.number = pattern.format(year=day.year, month=day.month, seq=seq)
    inv.issue_date, inv.due_date = day, day + timedelta(days=inv.terms_days)
    inv.status = "sent" if inv.kind != "credit_note" else "paid"
    session.add(inv)
    record_update(session, actor, inv, before, action="issue")
    add_invoice_event(
        session,
        inv,
        f"Invoice {inv.number} issued ({format_money(inv.total_minor, inv.currency)})",
        user_id=actor.user_id,
    )
    emit_invoice(session, "invoice.issued", inv)
    return inv


def emit_invoice(session: Session, event_type: str, inv: Any, detail: str = "") -> None:
    """An invoice.* domain event (`inv`: the ORM invoice or a locked Core row)."""
    emit(
        session,
        event_type,
        InvoiceEvent(
            invoice_id=inv.id, number=inv.number, total_minor=inv.total_minor, currency=inv.currency, detail=detail
        ),
    )
