"""Partial credit notes: credit chosen lines of an invoice, or an amount off it.

- Chosen lines: each is copied negated onto the credit note (`credits_line_id` points to
  it; a line is credited at most once) and ONLY its billed-source links are released, so
  just that work becomes unbilled again.
- An amount: one negative line at the invoice's single tax rate (the line-tax rule of
  `drafting._line_tax`, the one every document uses); it is a price reduction, so no work
  is released. An invoice with several rates is credited by lines instead.
- The invoice keeps its number and status rule; what is due becomes total - credited
  (`Invoice.credited_minor`, the sum of its live credit notes, recomputed, never
  incremented). Money already received above that is the client's credit. Once the credit
  notes cover the whole total, the invoice is void ("Credited by ..."), as with a full one.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session

from l2c_app.billing.drafting import _line_tax
from l2c_app.billing.invoice_totals import _get_invoice, _recompute_totals
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
from l2c_app.billing.payment_status import _deactivate_link_quietly
from l2c_app.billing.reversals import _release_sources
from l2c_app.billing.service import (
    begin_write,
    issue_invoice,
    lines_of,
    recompute_status,
)
from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.errors import Conflict, DomainError
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import utcnow


def credited_line_ids(session: Session, invoice_id: int) -> set[int]:
    """Lines of the invoice already credited by a live credit note."""
    rows = session.execute(
        sa_select(InvoiceLine.credits_line_id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            Invoice.credit_for_invoice_id == invoice_id,
            Invoice.status != "void",
            InvoiceLine.credits_line_id.is_not(None),
        )
    ).scalars()
    return {int(r) for r in rows}


def credited_total(session: Session, invoice_id: int) -> int:
    """What the live credit notes of the invoice credit, as a positive amount."""
    return -int(
        session.execute(
            sa_select(func.coalesce(func.sum(Invoice.total_minor), 0)).where(
                Invoice.credit_for_invoice_id == invoice_id, Invoice.kind == "credit_note", Invoice.status != "void"
            )
        ).scalar_one()
    )


def partial_credit_note(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    line_ids: list[int] | None = None,
    amount_minor: int | None = None,
    reason: str = "",
) -> Invoice:
    """A numbered credit note for chosen lines (`line_ids`) or an amount (`amount_minor`, the
    credited line's amount before any exclusive tax); returns the credit note."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.number is None or inv.status == "void" or inv.kind == "credit_note":
        raise Conflict("Only an issued invoice can be credited", "status")
    if bool(line_ids) == (amount_minor is not None):
        raise DomainError("Choose the lines to credit, or give an amount (not both)", "line_ids")
    lines = lines_of(session, inv.id)
    taken = credited_line_ids(session, inv.id)
    new_lines: list[InvoiceLine] = []
    chosen: list[InvoiceLine] = []
    if line_ids:
        by_id = {ln.id: ln for ln in lines}
        for lid in dict.fromkeys(int(i) for i in line_ids):
            line = by_id.get(lid)
            if line is None:
                raise DomainError(f"No line {lid} on this invoice", "line_ids", kind="not_found")
            if lid in taken:
                raise Conflict(f"The line \u201c{line.description}\u201d is already credited", "line_ids")
            if line.amount_minor <= 0:
                raise DomainError(f"The line \u201c{line.description}\u201d has no amount to credit", "line_ids")
            chosen.append(line)
        for pos, line in enumerate(chosen, start=1):
            new_lines.append(
                InvoiceLine(
                    project_id=line.project_id,
                    position=pos,
                    description=f"Credit: {line.description}"[:500],
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price_minor=-line.unit_price_minor,
                    amount_minor=-line.amount_minor,
                    tax_rate_id=line.tax_rate_id,
                    tax_percent=line.tax_percent,
                    tax_minor=-line.tax_minor,
                    tax_inclusive=line.tax_inclusive,
                    source_type=None,
                    credits_line_id=line.id,
                )
            )
    else:
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise DomainError("The amount must be more than zero", "amount_minor")
        rates = {(Decimal(ln.tax_percent), ln.tax_inclusive, ln.tax_rate_id) for ln in lines if ln.amount_minor > 0}
        if len(rates) > 1:
            raise DomainError(
                "This invoice has several tax rates: credit chosen lines instead",
                "amount_minor",
                code="amount.several_rates",
            )
        pct, incl, rate_id = next(iter(rates)) if rates else (Decimal(0), False, None)
        label = reason.strip() or "price reduction"
        new_lines.append(
            InvoiceLine(
                position=1,
                description=f"Credit: {label}"[:500],
                unit_price_minor=-amount_minor,
                amount_minor=-amount_minor,
                tax_rate_id=rate_id,
                tax_percent=pct,
                tax_minor=-_line_tax(amount_minor, pct, incl),
                tax_inclusive=incl,
                source_type=None,
            )
        )
    # What the credit note takes off, with the invoice's own rule (amount + exclusive tax).
    gross = sum(-ln.amount_minor + (0 if ln.tax_inclusive else -ln.tax_minor) for ln in new_lines)
    already = credited_total(session, inv.id)
    if already + gross > inv.total_minor:
        cur = inv.currency
        raise DomainError(
            f"Only {format_money(inv.total_minor - already, cur)} of this invoice is left to credit; "
            f"this credit note is {format_money(gross, cur)}",
            "amount_minor",
            code="amount.exceeds_invoice",
        )
    cn = Invoice(
        kind="credit_note",
        credit_for_invoice_id=inv.id,
        account_id=inv.account_id,
        deal_id=inv.deal_id,
        project_id=inv.project_id,
        currency=inv.currency,
        terms_days=0,
        notes=f"Partial credit note for {inv.number}" + (f": {reason.strip()}" if reason.strip() else ""),
        public_token=secrets.token_urlsafe(24),
        created_by_id=actor.user_id,
    )
    session.add(cn)
    session.flush()
    for ln in new_lines:
        ln.invoice_id = cn.id
        session.add(ln)
    session.flush()
    _recompute_totals(session, cn)
    record_create(session, actor, cn)
    issue_invoice(session, actor, cn.id)
    released = 0
    if chosen:  # only the credited work goes back to unbilled
        res = session.execute(
            update(BilledSource)
            .where(BilledSource.invoice_line_id.in_([ln.id for ln in chosen]), BilledSource.released_at.is_(None))
            .values(released_at=utcnow())
        )
        released = res.rowcount or 0
    before = snapshot(inv)
    inv.credited_minor = credited_total(session, inv.id)
    if inv.credited_minor >= inv.total_minor:  # nothing left: the invoice is credited in full
        released += _release_sources(session, inv.id)
        inv.status, inv.voided_at = "void", utcnow()
        inv.void_reason = f"Credited by {cn.number}" + (f": {reason.strip()}" if reason.strip() else "")
    session.add(inv)
    record_update(session, actor, inv, before, action="partial_credit")
    record_action(
        session,
        actor,
        "invoice",
        inv.id,
        "release_sources",
        {"released": released, "credit_note": cn.number, "line_ids": [ln.id for ln in chosen]},
    )
    recompute_status(session, actor, inv)
    if inv.payment_link_id:
        _deactivate_link_quietly(session, inv)  # the amount changed: a new link is made on the next send
    return cn
