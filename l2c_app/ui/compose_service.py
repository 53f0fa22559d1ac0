"""The e-mail composer's two calls, for each kind of document it sends: the draft it opens
with (today's e-mail as templates, and the document's values) and the send through the
document's own send service (which writes the Outbox; SMTP runs after commit, never here).
Plain functions: the UI state (ui/composer.py) only calls these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlmodel import Session

from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError
from l2c_app.core.mailmerge import Draft, Message

# kind -> (section whose role may send it, what the dialog calls it)
KINDS: dict[str, tuple[str, str]] = {
    "quote": ("quotes", "quote"),
    "contract": ("contracts", "contract"),
    "invoice": ("invoices", "invoice"),
    "changeorder": ("projects", "change order"),
}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise DomainError(f"Unknown document kind {kind!r}.", "kind", code="kind.invalid")
    return kind


def draft(session: Session, actor: Actor, kind: str, doc_id: int) -> Draft:
    kind = _kind(kind)
    if kind == "quote":
        from l2c_app.quotes.service import email_draft as quote_draft

        return quote_draft(session, actor, doc_id)
    if kind == "contract":
        from l2c_app.contracts.service import email_draft as contract_draft

        return contract_draft(session, actor, doc_id)
    if kind == "invoice":
        from l2c_app.billing.sending import email_draft as invoice_draft

        return invoice_draft(session, actor, doc_id)
    from l2c_app.projects.service import change_order_email_draft

    return change_order_email_draft(session, actor, doc_id)


def draft_dict(session: Session, actor: Actor, kind: str, doc_id: int) -> dict[str, Any]:
    return asdict(draft(session, actor, kind, doc_id))


def send(session: Session, actor: Actor, kind: str, doc_id: int, message: Message) -> str:
    """Send the document with the composer's message; what to tell the user."""
    kind = _kind(kind)
    senders: dict[str, Callable[[], str]] = {
        "quote": lambda: _send_quote(session, actor, doc_id, message),
        "contract": lambda: _send_contract(session, actor, doc_id, message),
        "invoice": lambda: _send_invoice(session, actor, doc_id, message),
        "changeorder": lambda: _send_change_order(session, actor, doc_id, message),
    }
    return senders[kind]()


def _send_quote(session: Session, actor: Actor, doc_id: int, message: Message) -> str:
    from l2c_app.quotes.service import send_quote

    mail = send_quote(session, actor, doc_id, message)
    return f"Quote sent. The e-mail to {mail.to} is in the Outbox."


def _send_contract(session: Session, actor: Actor, doc_id: int, message: Message) -> str:
    from l2c_app.contracts.service import send as send_contract

    send_contract(session, actor, doc_id, message=message)
    return "Sent for signature. The invitations are in the Outbox."


def _send_invoice(session: Session, actor: Actor, doc_id: int, message: Message) -> str:
    from l2c_app.billing.sending import send_invoice

    out = send_invoice(session, actor, doc_id, message=message)
    return f"Invoice {out['number']} sent by e-mail to {out['to']} (Outbox)."


def _send_change_order(session: Session, actor: Actor, doc_id: int, message: Message) -> str:
    from l2c_app.projects.service import send_change_order

    co = send_change_order(session, actor, doc_id, message=message)
    how = " as a DocuSign envelope" if co.provider == "docusign" else ": the client approves it from the link"
    return f"Change order #{co.number} sent{how}."
