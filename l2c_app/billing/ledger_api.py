"""REST routes of the ledger's corrections: reverse a payment, apply client credit, a partial
credit note, a write-off; and a client's credit balance.

Bodies are typed (pydantic, unknown fields refused, amounts strict integers of minor units);
a broken rule raises a DomainError whose kind gives the status (422 invalid, 404 not
found, 409 conflict). Each write is committed before the answer says it succeeded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.billing import credit_notes, ledger, service
from l2c_app.billing.api_models import (
    ApplyCreditBody,
    CreditAppliedOut,
    CreditBalanceList,
    InvoiceOut,
    InvoiceSummaryOut,
    PartialCreditBody,
    ReverseBody,
    ReversedOut,
    WriteOffBody,
)
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import Actor
from l2c_app.core.auth import Principal
from l2c_app.core.errors import NotFound
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Account

router = APIRouter(tags=["billing"])

T = TypeVar("T")


def _run(session: Session, actor: Actor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a use case `fn(session, actor, ...)`; a DomainError it raises (BillingError is one)
    answers by its own kind (api/app's handler), never by its text."""
    out = fn(session, actor, *args, **kwargs)
    session.commit()  # committed before the answer (a failed commit is a 500, never a 2xx)
    return out


def _payment_json(pay: Payment) -> dict[str, Any]:
    return {
        "id": pay.id,
        "invoice_id": pay.invoice_id,
        "amount_minor": pay.amount_minor,
        "currency": pay.currency,
        "method": pay.method,
        "status": pay.status,
        "received_on": pay.received_on.isoformat() if pay.received_on else None,
        "reference": pay.reference,
        "reversed_at": pay.reversed_at.isoformat() if pay.reversed_at else None,
        "reversal_reason": pay.reversal_reason,
    }


def _invoice(session: Session, invoice_id: int | None) -> Invoice:
    inv = session.get(Invoice, invoice_id) if invoice_id is not None else None
    if inv is None:
        raise NotFound(f"No invoice {invoice_id}", "invoice_id")
    return inv


@router.post("/api/v1/payments/{payment_id}/reverse")
def reverse_payment(
    payment_id: int,
    body: ReverseBody,
    session: Session = Depends(db),
    principal: Principal = Depends(require("payments")),
) -> ReversedOut:
    """Reverse a manual or credit payment (kept, marked reversed); 409 for a Stripe payment or
    when the credit it created is already applied elsewhere."""
    pay = _run(session, principal.actor, ledger.reverse_payment, payment_id, body.reason)
    return ReversedOut.model_validate(
        {
            "payment": _payment_json(pay),
            "invoice": service.invoice_json(session, _invoice(session, pay.invoice_id), with_lines=False),
        }
    )


@router.post("/api/v1/invoices/{invoice_id}/apply-credit", status_code=201)
def apply_credit(
    invoice_id: int,
    body: ApplyCreditBody | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("payments")),
) -> CreditAppliedOut:
    """Pay the invoice with the client's credit (a payment of method "credit")."""
    _invoice(session, invoice_id)
    amount = body.amount_minor if body else None
    pay = _run(session, principal.actor, ledger.apply_credit, invoice_id, amount)
    inv = _invoice(session, invoice_id)
    return CreditAppliedOut.model_validate(
        {
            "payment": _payment_json(pay),
            "invoice": service.invoice_json(session, inv, with_lines=False),
            "credit_balance_minor": ledger.client_credit_balance(session, inv.account_id, inv.currency),
        }
    )


@router.post("/api/v1/invoices/{invoice_id}/partial-credit-note", status_code=201)
def partial_credit_note(
    invoice_id: int,
    body: PartialCreditBody,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> InvoiceOut:
    """A credit note for `line_ids` (their work becomes unbilled again) or an `amount_minor`."""
    _invoice(session, invoice_id)
    cn = _run(
        session,
        principal.actor,
        credit_notes.partial_credit_note,
        invoice_id,
        line_ids=body.line_ids,
        amount_minor=body.amount_minor,
        reason=body.reason,
    )
    return InvoiceOut.model_validate(service.invoice_json(session, cn))


@router.post("/api/v1/invoices/{invoice_id}/write-off")
def write_off(
    invoice_id: int,
    body: WriteOffBody,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> InvoiceSummaryOut:
    """Write off what is open, with a reason: the invoice shows "Written off", open 0."""
    _invoice(session, invoice_id)
    inv = _run(session, principal.actor, ledger.write_off, invoice_id, body.reason)
    return InvoiceSummaryOut.model_validate(service.invoice_json(session, inv, with_lines=False))


@router.get("/api/v1/accounts/{account_id}/credit")
def account_credit(
    account_id: int, session: Session = Depends(db), _: Principal = Depends(require("payments"))
) -> CreditBalanceList:
    """The client's credit per currency: held by its invoices, applied, balance."""
    if session.get(Account, account_id) is None:
        raise NotFound(f"No client {account_id}", "account_id")
    rows = [r for r in ledger.credit_balances(session) if r["account_id"] == account_id]
    return CreditBalanceList.model_validate(
        {
            "items": [
                {
                    "currency": r["currency"],
                    "held_minor": r["held"],
                    "applied_minor": r["applied"],
                    "balance_minor": r["balance"],
                }
                for r in rows
            ]
        }
    )
