"""Every domain event type and its payload: ids and amounts as the REST API gives them
(money in integer minor units with its currency, dates ISO). One dataclass per type; `emit`
refuses a payload with missing or unknown fields, so a subscriber can rely on the shape."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class LeadCreated:
    lead_id: int
    source: str = ""
    owner_id: int | None = None


@dataclass(frozen=True)
class LeadAssigned:
    lead_id: int
    owner_id: int | None = None
    previous_owner_id: int | None = None


@dataclass(frozen=True)
class DealStageChanged:
    deal_id: int
    stage_id: int | None = None
    previous_stage_id: int | None = None


@dataclass(frozen=True)
class DealClosed:  # deal.won, deal.lost
    deal_id: int
    amount_minor: int = 0
    currency: str = ""
    reason: str = ""


@dataclass(frozen=True)
class QuoteEvent:  # quote.sent, quote.accepted, quote.declined
    quote_id: int
    deal_id: int | None = None
    total_minor: int = 0
    currency: str = ""


@dataclass(frozen=True)
class ContractEvent:  # contract.sent, contract.signed, contract.declined
    contract_id: int
    deal_id: int | None = None
    quote_id: int | None = None
    provider: str = ""


@dataclass(frozen=True)
class ProjectCreated:
    project_id: int
    contract_id: int | None = None
    deal_id: int | None = None


@dataclass(frozen=True)
class WeekApproved:
    project_id: int
    user_id: int
    week_start: str
    minutes: int = 0


@dataclass(frozen=True)
class ChangeOrderApproved:
    change_order_id: int
    project_id: int
    amount_minor: int = 0
    currency: str = ""


@dataclass(frozen=True)
class InvoiceEvent:  # invoice.issued, invoice.sent, invoice.paid, invoice.overdue, invoice.voided
    invoice_id: int
    number: str | None = None
    total_minor: int = 0
    currency: str = ""
    open_minor: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class PaymentEvent:  # payment.received, payment.refunded
    payment_id: int
    invoice_id: int | None = None
    amount_minor: int = 0
    currency: str = ""
    refund_id: int | None = None


@dataclass(frozen=True)
class DisputeEvent:  # dispute.opened, dispute.closed
    dispute_id: int
    payment_id: int | None = None
    invoice_id: int | None = None
    amount_minor: int = 0
    currency: str = ""
    status: str = ""


# type -> (payload class, subject kind, the payload field holding the subject's id)
EVENT_TYPES: dict[str, tuple[type, str, str]] = {
    "lead.created": (LeadCreated, "lead", "lead_id"),
    "lead.assigned": (LeadAssigned, "lead", "lead_id"),
    "deal.stage_changed": (DealStageChanged, "deal", "deal_id"),
    "deal.won": (DealClosed, "deal", "deal_id"),
    "deal.lost": (DealClosed, "deal", "deal_id"),
    "quote.sent": (QuoteEvent, "quote", "quote_id"),
    "quote.accepted": (QuoteEvent, "quote", "quote_id"),
    "quote.declined": (QuoteEvent, "quote", "quote_id"),
    "contract.sent": (ContractEvent, "contract", "contract_id"),
    "contract.signed": (ContractEvent, "contract", "contract_id"),
    "contract.declined": (ContractEvent, "contract", "contract_id"),
    "project.created": (ProjectCreated, "project", "project_id"),
    "time.week_approved": (WeekApproved, "project", "project_id"),
    "change_order.approved": (ChangeOrderApproved, "change_order", "change_order_id"),
    "invoice.issued": (InvoiceEvent, "invoice", "invoice_id"),
    "invoice.sent": (InvoiceEvent, "invoice", "invoice_id"),
    "invoice.paid": (InvoiceEvent, "invoice", "invoice_id"),
    "invoice.overdue": (InvoiceEvent, "invoice", "invoice_id"),
    "invoice.voided": (InvoiceEvent, "invoice", "invoice_id"),
    "payment.received": (PaymentEvent, "payment", "payment_id"),
    "payment.refunded": (PaymentEvent, "payment", "payment_id"),
    "dispute.opened": (DisputeEvent, "dispute", "dispute_id"),
    "dispute.closed": (DisputeEvent, "dispute", "dispute_id"),
}


def field_names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}
