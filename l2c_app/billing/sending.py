"""Sending invoices, reminders around the due date, recurring retainer invoices.

`send_reminders(session, today)` and `generate_retainer_invoices(session, today)` are plain
functions for the scheduler or the CLI (`l2c` cron); both are idempotent for a day.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from l2c_app.billing.invoice_totals import _get_invoice
from l2c_app.billing.models import Invoice
from l2c_app.billing.pdf import invoice_filename, render_invoice_pdf
from l2c_app.billing.service import (
    BillingError,
    add_invoice_event,
    begin_write,
    billing_settings,
    build_invoice,
    issue_invoice,
    open_amount,
)
from l2c_app.core import formats
from l2c_app.core.audit import SYSTEM, Actor, AuditLog, record_action, record_update, snapshot
from l2c_app.core.config import get_settings
from l2c_app.core.documents import store_document
from l2c_app.core.models import OutboxMessage
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import InvoiceEvent
from l2c_app.pipeline.models import Contact, Deal
from l2c_app.ports.mailer import send_mail
from l2c_app.projects.models import Project, Retainer


def public_url(inv: Invoice) -> str:
    return f"{get_settings().app_base_url}/i/{inv.public_token}"


def client_email(session: Session, inv: Invoice) -> str | None:
    if inv.deal_id:
        deal = session.get(Deal, inv.deal_id)
        if deal and deal.contact_id:
            contact = session.get(Contact, deal.contact_id)
            if contact and contact.email:
                return contact.email
    if inv.account_id:
        contact = session.exec(
            select(Contact).where(Contact.account_id == inv.account_id, Contact.email.is_not(None)).order_by(Contact.id)
        ).first()
        if contact:
            return contact.email
    return None


def _email_values(session: Session, inv: Invoice, actor: Actor) -> dict[str, str]:
    """The merge fields of an invoice's e-mail (core.mailmerge)."""
    from l2c_app.core.auth import get_organisation
    from l2c_app.core.models import User
    from l2c_app.pipeline.models import Account

    account = session.get(Account, inv.account_id) if inv.account_id else None
    deal = session.get(Deal, inv.deal_id) if inv.deal_id else None
    contact = session.get(Contact, deal.contact_id) if deal and deal.contact_id else None
    org = get_organisation(session)
    sender = session.get(User, actor.user_id) if actor.user_id else None
    org_name = org.name if org else "l2c"
    return {
        "client_name": account.name if account else "",
        "contact_name": contact.name if contact else "",
        "document_number": inv.number or "(numbered when sent)",
        "document_title": f"Invoice {inv.number}".strip(),
        "total": format_money(open_amount(session, inv) or inv.total_minor, inv.currency),
        "link": public_url(inv),
        "due_date": formats.day(inv.due_date) if inv.due_date else "",
        "org_name": org_name,
        "sender_name": sender.name if sender else org_name,
    }


def email_draft(
    session: Session,
    actor: Actor,
    invoice_id: int,
):
    """What the composer opens with: today's invoice e-mail as a template, and its values."""
    from l2c_app.core.mailmerge import Draft

    inv = _get_invoice(session, invoice_id)
    due = "due {due_date}" if inv.due_date and inv.terms_days else "due on receipt"
    body = (
        f"Hello,\n\nplease find attached invoice {{document_number}} for {{total}}, {due}.\n\n"
        "View and pay it online: {link}\n\nThank you."
    )
    return Draft(
        to=client_email(session, inv) or "",
        subject="Invoice {document_number}",
        body=body,
        values=_email_values(session, inv, actor),
    )


def send_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    to: str | None = None,
    time_appendix: bool = False,
    message=None,
) -> dict:
    """Issue if still a draft, e-mail the PDF and the public link, ask for the Stripe link.
    `message` (core.mailmerge.Message, from the composer): to, cc, subject and body templates,
    filled once the invoice is issued (its number); without it, today's e-mail (email_draft).

    Nothing outside is called here: the e-mail and the payment link are outbox effects written
    in this transaction and delivered by the worker after commit (outbox/worker.py), so a slow
    mail server or Stripe never holds the write lock, and a rollback sends nothing."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    from l2c_app.core.mailmerge import Message, parse_addresses, parse_recipient, rendered

    if inv.status == "void":
        raise BillingError("A void invoice cannot be sent", "status")
    if message is not None:
        # Checked before the invoice is issued: a typo in the composer issues nothing.
        to = message.to or to
        cc = parse_addresses(message.cc)
        rendered(message, _email_values(session, inv, actor))
    else:
        cc = []
    recipient = (to or client_email(session, inv) or "").strip()
    if not recipient or "@" not in recipient:
        raise BillingError("No e-mail address for the client: give one", "to")
    recipient = parse_recipient(recipient)
    if inv.status == "draft":
        inv = issue_invoice(session, actor, inv.id)
    link_url = None
    if inv.kind != "credit_note":
        from l2c_app.billing.payment_links import ensure_payment_link

        link_url = ensure_payment_link(session, inv)
    data = render_invoice_pdf(session, inv, time_appendix=time_appendix)
    doc = store_document(session, kind="invoice_pdf", filename=invoice_filename(inv), data=data)
    url = public_url(inv)
    draft = email_draft(session, actor, inv.id)
    subject, body = rendered(message or Message(subject=draft.subject, body=draft.body), draft.values)
    msg = send_mail(
        session,
        to=recipient,
        cc=cc,
        subject=subject,
        body=body,
        link=url,
        attachments=[doc],
        related=("invoice", inv.id),
        on_outcome="invoice_delivery",
    )
    before = snapshot(inv)
    inv.sent_at = utcnow()
    # "Sent" only once the e-mail left (record_delivery, called by the worker); until then it
    # waits in the Outbox (queued for the worker, or kept there without SMTP) and says so.
    inv.delivery = "queued"
    session.add(inv)
    record_update(session, actor, inv, before, action="send")
    verb = "queued for sending to" if msg.status == "queued" else "kept in the Outbox (no SMTP) for"
    add_invoice_event(session, inv, f"Invoice {inv.number} {verb} {recipient}", user_id=actor.user_id)
    emit(
        session,
        "invoice.sent",
        InvoiceEvent(
            invoice_id=inv.id, number=inv.number, total_minor=inv.total_minor, currency=inv.currency, detail=recipient
        ),
    )
    return {
        "id": inv.id,
        "number": inv.number,
        "public_url": url,
        "payment_link_url": link_url,
        "to": recipient,
        "delivery": inv.delivery,
        "message_id": msg.id,
    }


def record_delivery(session: Session, msg: OutboxMessage) -> None:
    """The worker's word on an invoice e-mail: the invoice says Sent, or E-mail failed."""
    inv = session.get(Invoice, msg.related_id) if msg.related_entity == "invoice" else None
    if inv is None:
        return
    outcome = {"sent": "sent", "failed": "failed"}.get(msg.status)
    if outcome is None or inv.delivery == outcome:
        return
    before = snapshot(inv)
    inv.delivery = outcome
    session.add(inv)
    record_update(session, SYSTEM, inv, before, action="delivery")
    text = (
        f"Invoice {inv.number} e-mailed to {msg.to}"
        if outcome == "sent"
        else f"Invoice {inv.number} could not be e-mailed to {msg.to}: {msg.error or 'refused'}"
    )
    add_invoice_event(session, inv, text)


def _reminded(session: Session, invoice_id: int, key: str) -> bool:
    rows = session.exec(
        select(AuditLog).where(
            AuditLog.entity == "invoice", AuditLog.entity_id == invoice_id, AuditLog.action == "reminder"
        )
    )
    return any((r.after or {}).get("key") == key for r in rows)


def _overdue_recorded(session: Session, invoice_id: int) -> bool:
    from l2c_app.events.models import DomainEvent

    return (
        session.exec(
            select(DomainEvent.id).where(DomainEvent.type == "invoice.overdue", DomainEvent.subject_id == invoice_id)
        ).first()
        is not None
    )


def send_reminders(session: Session, today: date | None = None) -> int:
    """Remind clients N days before the due date and on the days after it (settings); once each."""
    begin_write(session)
    today = today or org_today(session)
    cfg = billing_settings(session)
    before_days = int(cfg["reminder_days_before"])
    after_days = [int(d) for d in cfg["reminder_days_after"]]
    sent = 0
    stmt = select(Invoice).where(
        Invoice.status.in_(("sent", "partially_paid")), Invoice.due_date.is_not(None), Invoice.kind != "credit_note"
    )
    for inv in session.exec(stmt).all():
        if inv.disputed:  # the client disputes the charge with their bank: no "please pay" meanwhile
            continue
        delta = (today - inv.due_date).days
        if delta > 0 and not _overdue_recorded(session, inv.id):
            emit(
                session,
                "invoice.overdue",
                InvoiceEvent(
                    invoice_id=inv.id,
                    number=inv.number,
                    total_minor=inv.total_minor,
                    currency=inv.currency,
                    open_minor=open_amount(session, inv),
                    detail=inv.due_date.isoformat(),
                ),
            )
        if delta < 0 and before_days and -delta <= before_days:
            key, text = f"before:{inv.due_date.isoformat()}", f"is due on {formats.day(inv.due_date)}"
        elif delta > 0 and any(delta >= d for d in after_days):
            step = max(d for d in after_days if delta >= d)
            key, text = f"after:{step}", f"was due on {formats.day(inv.due_date)} ({delta} days ago)"
        else:
            continue
        if _reminded(session, inv.id, key):
            continue
        to = client_email(session, inv)
        if not to:
            continue
        url = public_url(inv)
        amount = format_money(open_amount(session, inv), inv.currency)
        send_mail(
            session,
            to=to,
            subject=f"Reminder: invoice {inv.number} {text.split(' (')[0]}",
            body=f"Hello,\n\ninvoice {inv.number} ({amount} open) {text}.\n\nView and pay it: {url}\n\nThank you.",
            link=url,
            related=("invoice", inv.id),
        )
        record_action(session, SYSTEM, "invoice", inv.id, "reminder", {"key": key, "to": to})
        sent += 1
    return sent


def generate_retainer_invoices(session: Session, today: date | None = None, send: bool = False) -> list[int]:
    """Monthly: one invoice per project with retainer months due and not billed yet; e-mailed
    to the client (through the outbox) when `send` or one of the project's active retainers
    says so (`Retainer.email_invoices`)."""
    begin_write(session)
    today = today or org_today(session)
    made: list[int] = []
    project_ids = sorted(set(session.exec(select(Retainer.project_id).where(Retainer.active.is_(True)))))
    for pid in project_ids:
        project = session.get(Project, pid)
        if project is None or project.status == "done":
            continue
        try:
            inv = build_invoice(
                session,
                SYSTEM,
                pid,
                today,
                only_types={"retainer_period"},
                deduct_deposits=False,
                notes="Monthly retainer",
            )
        except BillingError:
            continue  # nothing due for this project
        issue_invoice(session, SYSTEM, inv.id, issue_date=today)
        wants_mail = send or any(
            session.exec(select(Retainer.email_invoices).where(Retainer.project_id == pid, Retainer.active.is_(True)))
        )
        if wants_mail:
            try:
                send_invoice(session, SYSTEM, inv.id)
            except BillingError as exc:
                record_action(session, SYSTEM, "invoice", inv.id, "send_failed", {"reason": str(exc)})
        made.append(inv.id)
    return made
