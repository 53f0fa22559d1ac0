"""Voiding an invoice and credit notes; both free the billed sources (`released_at`)."""

from __future__ import annotations

import secrets

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, select

from l2c_app.billing.common import BillingError, begin_write
from l2c_app.billing.invoice_totals import _get_invoice, _recompute_totals, lines_of
from l2c_app.billing.issuing import emit_invoice, issue_invoice
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
from l2c_app.billing.payment_status import _deactivate_link_quietly, net_paid, recompute_status
from l2c_app.core.audit import SYSTEM, Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.timeutil import utcnow

# --- void and credit notes ------------------------------------------------------------------


def _release_sources(session: Session, invoice_id: int) -> int:
    line_ids = sa_select(InvoiceLine.id).where(InvoiceLine.invoice_id == invoice_id)
    res = session.execute(
        update(BilledSource)
        .where(BilledSource.invoice_line_id.in_(line_ids), BilledSource.released_at.is_(None))
        .values(released_at=utcnow())
    )
    return res.rowcount or 0


def void_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    reason: str = "",
) -> Invoice:
    """Void a draft or an unpaid issued invoice; its items become unbilled again."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status == "void":
        raise BillingError("The invoice is already void", "status")
    if inv.kind == "credit_note" and inv.number is not None:
        # Voiding it would leave the credited invoice reduced (credited_minor) and its credited
        # work released to unbilled: money lost between the two documents. Correct with an invoice.
        raise BillingError(
            "An issued credit note cannot be voided: invoice the amount again instead", "status", kind="conflict"
        )
    if net_paid(session, inv.id) > 0:
        raise BillingError("Money was received on this invoice: issue a credit note instead", "status")
    before = snapshot(inv)
    released = _release_sources(session, inv.id)
    inv.status, inv.voided_at, inv.void_reason = "void", utcnow(), (reason or "")[:500] or None
    session.add(inv)
    record_update(session, actor, inv, before, action="void")
    record_action(session, actor, "invoice", inv.id, "release_sources", {"released": released, "reason": reason})
    emit_invoice(session, "invoice.voided", inv, detail=inv.void_reason or "")
    if inv.payment_link_id:
        _deactivate_link_quietly(session, inv)
    return inv


def credit_note(
    session: Session,
    actor: Actor,
    invoice_id: int,
    reason: str = "",
) -> Invoice:
    """A credit note for the whole invoice: negative lines, numbered; the sources are released."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.number is None or inv.status == "void" or inv.kind == "credit_note":
        raise BillingError("Only an issued invoice can be credited", "status")
    if session.exec(select(Invoice).where(Invoice.credit_for_invoice_id == inv.id, Invoice.status != "void")).first():
        raise BillingError(
            "This invoice already has a credit note: credit its remaining lines with a partial credit note", "status"
        )
    cn = Invoice(
        kind="credit_note",
        credit_for_invoice_id=inv.id,
        account_id=inv.account_id,
        deal_id=inv.deal_id,
        project_id=inv.project_id,
        currency=inv.currency,
        terms_days=0,
        notes=f"Credit note for {inv.number}" + (f": {reason}" if reason else ""),
        public_token=secrets.token_urlsafe(24),
        created_by_id=actor.user_id,
    )
    session.add(cn)
    session.flush()
    for line in lines_of(session, inv.id):
        session.add(
            InvoiceLine(
                invoice_id=cn.id,
                project_id=line.project_id,
                position=line.position,
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
            )
        )
    session.flush()
    _recompute_totals(session, cn)
    record_create(session, actor, cn)
    issue_invoice(session, actor, cn.id)
    released = _release_sources(session, inv.id)
    before = snapshot(inv)
    inv.status = "void"
    inv.voided_at, inv.void_reason = utcnow(), f"Credited by {cn.number}" + (f": {reason}" if reason else "")
    session.add(inv)
    record_update(session, actor, inv, before, action="credit")
    emit_invoice(session, "invoice.voided", inv, detail=inv.void_reason or "")
    record_action(
        session, actor, "invoice", inv.id, "release_sources", {"released": released, "credit_note": cn.number}
    )
    # Money already received stays on the ledger; it becomes the client's credit.
    recompute_status(session, SYSTEM, inv.id)
    if inv.payment_link_id:
        _deactivate_link_quietly(session, inv)
    return cn
