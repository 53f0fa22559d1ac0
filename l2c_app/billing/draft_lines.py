"""Editing a draft's lines: remove (kept for restore), restore, add a manual line."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from l2c_app.billing.common import BillingError, begin_write
from l2c_app.billing.drafting import _line_tax
from l2c_app.billing.invoice_totals import _get_invoice, _recompute_totals, lines_of
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine, RemovedInvoiceLine
from l2c_app.core.audit import Actor, record_action
from l2c_app.core.money import check_amount
from l2c_app.core.timeutil import utcnow


def remove_line(
    session: Session,
    actor: Actor,
    invoice_id: int,
    line_id: int,
) -> Invoice:
    """Untick a line of a draft: its sources become unbilled again at once."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft":
        raise BillingError("Only a draft's lines can be removed; void or credit an issued invoice", "status")
    line = session.get(InvoiceLine, line_id)
    if line is None or line.invoice_id != invoice_id:
        raise BillingError(f"No line {line_id} on this invoice", "line_id", kind="not_found")
    sources = [
        {"source_type": b.source_type, "source_id": b.source_id, "amount_minor": b.amount_minor}
        for b in session.exec(
            select(BilledSource).where(BilledSource.invoice_line_id == line_id, BilledSource.released_at.is_(None))
        )
    ]  # type: ignore[union-attr]
    kept = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in line.model_dump().items() if k != "id"}
    removed = RemovedInvoiceLine(
        invoice_id=invoice_id, description=line.description, amount_minor=line.amount_minor, line=kept, sources=sources
    )
    session.add(removed)
    session.execute(BilledSource.__table__.delete().where(BilledSource.invoice_line_id == line_id))
    session.delete(line)
    session.flush()
    detail = {
        "line_id": line_id,
        "description": line.description,
        "amount_minor": line.amount_minor,
        "removed_line_id": removed.id,
    }
    _recompute_totals(session, inv)
    record_action(session, actor, "invoice", inv.id, "remove_line", detail)
    return inv


def removed_lines(session: Session, invoice_id: int) -> list[RemovedInvoiceLine]:
    """The draft's unticked lines that can still be put back."""
    _get_invoice(session, invoice_id)
    return list(
        session.exec(
            select(RemovedInvoiceLine)
            .where(RemovedInvoiceLine.invoice_id == invoice_id, RemovedInvoiceLine.restored_at.is_(None))  # type: ignore[union-attr]
            .order_by(RemovedInvoiceLine.id)
        )
    )


def restore_line(
    session: Session,
    actor: Actor,
    invoice_id: int,
    removed_id: int,
) -> Invoice:
    """Put an unticked line back on its draft, as it was: its work is billed by it again.
    409 when another invoice billed that work meanwhile (it cannot be billed twice)."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft":
        raise BillingError("Only a draft's lines can be restored", "status")
    removed = session.get(RemovedInvoiceLine, removed_id)
    if removed is None or removed.invoice_id != invoice_id:
        raise BillingError(f"No removed line {removed_id} on this invoice", "removed_line_id", kind="not_found")
    if removed.restored_at is not None:
        raise BillingError("This line is already back on the invoice", "removed_line_id", kind="conflict")
    for src in removed.sources:
        taken = session.exec(
            select(BilledSource.id).where(
                BilledSource.source_type == src["source_type"],
                BilledSource.source_id == src["source_id"],
                BilledSource.released_at.is_(None),
            )
        ).first()  # type: ignore[union-attr]
        if taken is not None:
            raise BillingError(
                "Another invoice bills this work now; it cannot be billed twice.", "removed_line_id", kind="conflict"
            )
    values = dict(removed.line)
    for key in ("quantity", "tax_percent"):
        values[key] = Decimal(str(values[key]))
    values["position"] = len(lines_of(session, invoice_id)) + 1
    line = InvoiceLine(**values)
    session.add(line)
    session.flush()
    for src in removed.sources:
        session.add(
            BilledSource(
                invoice_line_id=line.id,
                source_type=src["source_type"],
                source_id=src["source_id"],
                amount_minor=src["amount_minor"],
            )
        )
    removed.restored_at, removed.restored_line_id = utcnow(), line.id
    session.add(removed)
    session.flush()
    _recompute_totals(session, inv)
    record_action(
        session,
        actor,
        "invoice",
        inv.id,
        "restore_line",
        {"line_id": line.id, "removed_line_id": removed.id, "amount_minor": line.amount_minor},
    )
    return inv


def removed_line_json(r: RemovedInvoiceLine) -> dict:
    return {
        "id": r.id,
        "invoice_id": r.invoice_id,
        "description": r.description,
        "amount_minor": r.amount_minor,
        "sources": len(r.sources),
        "removed_at": r.removed_at,
        "updated_at": r.updated_at,
    }


def add_manual_line(
    session: Session,
    actor: Actor,
    invoice_id: int,
    description: str,
    amount_minor: int,
    tax_percent: Decimal | str = "0",
    tax_inclusive: bool = False,
) -> InvoiceLine:
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft":
        raise BillingError("Lines can be added to drafts only", "status")
    if not description.strip():
        raise BillingError("A line needs a description", "description")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor == 0:
        # a zero line never appears on an invoice (nor a float: amounts are minor units)
        raise BillingError("Enter the line's amount (not 0)", "amount_minor")
    check_amount(amount_minor, "amount_minor", "The line's amount")
    pct = Decimal(str(tax_percent))
    pos = len(lines_of(session, invoice_id)) + 1
    line = InvoiceLine(
        invoice_id=invoice_id,
        position=pos,
        description=description.strip()[:500],
        unit_price_minor=amount_minor,
        amount_minor=amount_minor,
        tax_percent=pct,
        tax_minor=_line_tax(amount_minor, pct, tax_inclusive),
        tax_inclusive=tax_inclusive,
        source_type=None,
    )
    session.add(line)
    session.flush()
    _recompute_totals(session, inv)
    record_action(
        session, actor, "invoice", inv.id, "add_line", {"description": line.description, "amount_minor": amount_minor}
    )
    return line
