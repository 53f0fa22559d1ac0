"""Sending a quote (with the composer's message) and revising a sent one into a new version."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.models import User
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import QuoteEvent
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.quotes.builder import LINE_FIELDS, _editable, quote_sections
from l2c_app.quotes.inputs import DEFAULT_VALID_DAYS, QuoteError, _new_token, _org, org_today, public_url, quote_label
from l2c_app.quotes.models import Quote, QuoteLine
from l2c_app.quotes.records import _refresh, get_quote, quote_lines, quote_totals

# --- send and revise --------------------------------------------------------------------------


def _problems_before_send(session: Session, quote: Quote, lines: list[QuoteLine]) -> tuple[str, str] | None:
    if not lines:
        return "Add at least one line before sending.", "lines"
    for ln in lines:
        if ln.billing_kind == "milestone" and ln.due_date is None:
            return f"The milestone line '{ln.description}' needs a due date.", "due_date"
        if ln.billing_kind == "hourly" and not ln.role:
            return f"The hourly line '{ln.description}' needs a role.", "role"
    if quote.expires_on is not None and quote.expires_on < org_today(session):
        return "The expiry date is in the past; set a new one before sending.", "expires_on"
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    if contact is None or not contact.email:
        return "The quote needs a contact with an e-mail address to send it to.", "contact_id"
    return None


def _email_values(session: Session, quote: Quote, actor: Actor) -> dict[str, str]:
    """The merge fields of a quote's e-mail (core.mailmerge), from the quote as it is now."""
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    deal = session.get(Deal, quote.deal_id)
    account = session.get(Account, deal.account_id) if deal is not None and deal.account_id else None
    org = _org(session)
    org_name = org.name if org else "l2c"
    sender = session.get(User, actor.user_id) if actor.user_id else None
    total = quote_totals(session, quote).total_minor  # the one money path (quotes/totals), never re-added here
    return {
        "client_name": account.name if account else (contact.name if contact else ""),
        "contact_name": contact.name if contact else "",
        "document_number": quote_label(quote),
        "document_title": quote.title,
        "total": format_money(total, quote.currency),
        "link": public_url(quote),
        "due_date": formats.day(quote.expires_on) if quote.expires_on else "",
        "org_name": org_name,
        "sender_name": sender.name if sender else org_name,
    }


def email_draft(session: Session, actor: Actor, quote_id: int):
    """What the composer opens with: today's quote e-mail as a template, and its values."""
    from l2c_app.core.mailmerge import Draft

    quote = get_quote(session, quote_id)
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    expiry = "\nThis proposal is valid until {due_date}." if quote.expires_on else ""
    body = (
        "Hello {contact_name},\n\n"
        'Please find our proposal "{document_title}" ({document_number}) attached, for a total of {total}.\n\n'
        f"You can review it, choose the optional items and accept it online:\n{{link}}\n{expiry}\n\n"
        "Kind regards,\n{sender_name}\n{org_name}"
    )
    return Draft(
        to=contact.email if contact and contact.email else "",
        subject="{org_name}: proposal {document_title} ({document_number})",
        body=body,
        values=_email_values(session, quote, actor),
    )


def send_quote(session: Session, actor: Actor, quote_id: int, message=None):
    """E-mail the contact the PDF and the public link; the quote becomes 'sent'. `message`
    (core.mailmerge.Message, from the composer): recipient, cc, subject and body templates;
    without it, today's default e-mail (email_draft)."""
    from l2c_app.core.mailmerge import Message, parse_addresses, parse_recipient, rendered
    from l2c_app.ports.mailer import send_mail
    from l2c_app.quotes.pdf import quote_pdf_document

    quote = _editable(session, quote_id)
    lines = quote_lines(session, quote_id)
    problem = _problems_before_send(session, quote, lines)
    if problem:
        raise QuoteError(*problem)
    _refresh(session, quote)
    contact = session.get(Contact, quote.contact_id)  # type: ignore[arg-type]
    # The message is checked (address, cc, merge fields) before anything changes.
    draft = email_draft(session, actor, quote.id)
    message = message or Message(to=draft.to, subject=draft.subject, body=draft.body)
    to = parse_recipient((message.to or "").strip() or contact.email)  # type: ignore[union-attr,arg-type]
    cc = parse_addresses(message.cc)
    subject, body = rendered(message, draft.values)
    before = snapshot(quote)
    # Conditional: of two Send clicks at once, one sends and the other is told.
    sent_at = utcnow()
    if (
        session.execute(
            update(Quote).where(Quote.id == quote.id, Quote.status == "draft").values(status="sent", sent_at=sent_at)
        ).rowcount
        != 1
    ):
        raise QuoteError("This quote has just been sent.", "status", kind="conflict")
    quote.status, quote.sent_at = "sent", sent_at
    doc = quote_pdf_document(session, quote)
    link = public_url(quote)
    mail = send_mail(
        session,
        to=to,
        cc=cc,
        subject=subject,  # type: ignore[arg-type]
        body=body,
        link=link,
        attachments=[doc],
        related=("quote", quote.id),
    )  # type: ignore[arg-type]
    record_update(session, actor, quote, before, action="send")
    emit(
        session,
        "quote.sent",
        QuoteEvent(quote_id=quote.id, deal_id=quote.deal_id, total_minor=quote.total_minor, currency=quote.currency),
    )
    add_deal_event(
        session,
        quote.deal_id,
        f"Quote {quote_label(quote)} sent to {to}",
        body=f"Total {format_money(quote.total_minor, quote.currency)}",
        user_id=actor.user_id,
    )
    return mail


def revise_quote(session: Session, actor: Actor, quote_id: int) -> Quote:
    """Copy a sent (or declined, or expired) quote to a new draft version; the old one is
    marked superseded and stays readable (its link shows that a newer version exists)."""
    old = get_quote(session, quote_id)
    if old.status not in ("sent", "declined"):
        msg = {
            "draft": "This quote is still a draft: edit it directly.",
            "accepted": "An accepted quote cannot be revised; create a new quote instead.",
            "superseded": "A newer version exists: revise the latest version.",
        }.get(old.status, "Cannot revise.")
        raise QuoteError(msg, "status", kind="conflict")
    before = snapshot(old)
    latest = session.exec(
        select(func.max(Quote.version)).where(Quote.deal_id == old.deal_id, Quote.number == old.number)
    ).one()
    new = Quote(
        **{
            k: getattr(old, k)
            for k in (
                "deal_id",
                "number",
                "title",
                "currency",
                "contact_id",
                "owner_id",
                "discount_percent",
                "notes",
                "terms",
            )
        },
        sections=quote_sections(old, quote_lines(session, old.id)),
        version=(latest or old.version) + 1,
        revision_of_id=old.id,
        status="draft",
        public_token=_new_token(),
        expires_on=max(old.expires_on or date.min, org_today(session) + timedelta(days=DEFAULT_VALID_DAYS)),
    )
    session.add(new)
    record_create(session, actor, new)
    for ln in quote_lines(session, old.id):
        copy = QuoteLine(
            **{k: getattr(ln, k) for k in LINE_FIELDS if k != "selected"},
            quote_id=new.id,
            position=ln.position,
            selected=not ln.optional,
        )
        session.add(copy)
    old.status = "superseded"
    old.updated_at = utcnow()
    record_update(session, actor, old, before, action="supersede")
    session.flush()
    _refresh(session, new)
    add_deal_event(
        session, old.deal_id, f"Quote {quote_label(old)} revised as {quote_label(new)}", user_id=actor.user_id
    )
    return new
