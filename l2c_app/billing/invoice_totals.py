"""An invoice's tax (per line or per rate) and totals, and reading its lines."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, case, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from l2c_app.billing.common import BillingError
from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.core.lines import PER_RATE, TaxItem, allocate_rate_tax, tax_convention


def _apply_rate_tax(session: Session, inv: Invoice) -> None:
    """The "per_rate" convention (core/lines): each rate's tax is round(rate x the sum of its
    lines' amounts), shared over those lines. Deposit deductions keep the tax their deposit
    invoice stated, and a credit note repeats the credited lines' taxes, so the documents
    of one sale add up to its tax. One aggregate per rate; only lines that change are
    written (a grouped invoice has few lines; an itemised one touches at most a few)."""
    if inv.kind == "credit_note":
        return
    # coalesce: a manual or credited line has no source_type, and NULL = "deposit" would drop a
    # negative one from its rate's sharing as if it were a deposit deduction
    fixed = and_(func.coalesce(col(InvoiceLine.source_type), "") == "deposit", col(InvoiceLine.amount_minor) < 0)
    rows = session.execute(
        sa_select(
            col(InvoiceLine.tax_percent),
            col(InvoiceLine.tax_inclusive),
            func.sum(col(InvoiceLine.amount_minor)),
            func.sum(col(InvoiceLine.tax_minor)),
        )
        .where(col(InvoiceLine.invoice_id) == inv.id, ~fixed, col(InvoiceLine.tax_percent) != 0)
        .group_by(col(InvoiceLine.tax_percent), col(InvoiceLine.tax_inclusive))
    ).all()
    for percent, inclusive, _base, stored in rows:
        per_line = session.execute(
            sa_select(col(InvoiceLine.id), col(InvoiceLine.amount_minor))
            .where(
                col(InvoiceLine.invoice_id) == inv.id,
                ~fixed,
                col(InvoiceLine.tax_percent) == percent,
                col(InvoiceLine.tax_inclusive).is_(bool(inclusive)),
            )
            .order_by(col(InvoiceLine.position), col(InvoiceLine.id))
        ).all()
        items = [TaxItem(lid, int(amount), Decimal(percent), bool(inclusive)) for lid, amount in per_line]
        target = allocate_rate_tax(items, PER_RATE)
        if sum(target.values()) == int(stored or 0) and len(items) == 1:
            continue
        current = dict(
            session.execute(
                sa_select(col(InvoiceLine.id), col(InvoiceLine.tax_minor)).where(col(InvoiceLine.id).in_(list(target)))
            ).all()
        )
        for lid, tax in target.items():
            if current.get(lid) != tax:
                session.execute(update(InvoiceLine).where(col(InvoiceLine.id) == lid).values(tax_minor=tax))


def _recompute_totals(session: Session, inv: Invoice) -> None:
    """Like a quote: tax_minor reports every tax; the total adds the exclusive ones only."""
    if tax_convention(session) == PER_RATE:
        _apply_rate_tax(session, inv)
    exclusive = case((col(InvoiceLine.tax_inclusive).is_(False), col(InvoiceLine.tax_minor)), else_=0)
    sub, tax, excl = session.execute(
        sa_select(
            func.coalesce(func.sum(col(InvoiceLine.amount_minor)), 0),
            func.coalesce(func.sum(col(InvoiceLine.tax_minor)), 0),
            func.coalesce(func.sum(exclusive), 0),
        ).where(col(InvoiceLine.invoice_id) == inv.id)
    ).one()
    inv.subtotal_minor, inv.tax_minor = int(sub), int(tax)
    inv.total_minor = inv.subtotal_minor + int(excl)
    session.add(inv)
    session.flush()


def tax_split(inv: Invoice) -> tuple[int, int]:
    """(taxes added on top, taxes included in the amounts) of an invoice."""
    added = inv.total_minor - inv.subtotal_minor
    return added, inv.tax_minor - added


def tax_label(line: InvoiceLine) -> str:
    """A line's rate as shown on pages and the PDF: "20 %" or "20 % incl."."""
    return f"{Decimal(line.tax_percent).normalize():f} %" + (" incl." if line.tax_inclusive else "")


def lines_of(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return list(
        session.exec(
            select(InvoiceLine)
            .where(col(InvoiceLine.invoice_id) == invoice_id)
            .order_by(col(InvoiceLine.position), col(InvoiceLine.id))
        )
    )


def _get_invoice(session: Session, invoice_id: int, lock: bool = False) -> Invoice:
    stmt = select(Invoice).where(col(Invoice.id) == invoice_id)
    if lock:
        stmt = stmt.with_for_update()
    inv = session.exec(stmt).first()
    if inv is None:
        raise BillingError(f"No invoice {invoice_id}", "invoice_id", kind="not_found")
    if lock:
        session.refresh(inv)
    return inv
