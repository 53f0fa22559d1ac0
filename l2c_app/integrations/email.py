"""Outgoing e-mail through the outbox. Every message is written to `OutboxMessage` in the
caller's transaction; with `SMTP_URL` set an `email` outbox effect is queued beside it and the
worker (outbox/worker.py) sends it after commit, retrying with backoff, and records the
outcome on the message. Without SMTP it stays in the Outbox page, clearly marked as not sent,
so the whole cycle works with no mail account.

Threat model (faults): the mail server may hang (20 s timeout, outside any transaction: no
other write waits for it), refuse for now (4xx, connection errors: retried) or for good (5xx,
refused recipient: failed with the server's answer). A worker killed between the server's
"250 OK" and our record sends the message again on the retry: the Message-ID is derived from
the effect's idempotency key, so the receiving side can recognise the duplicate.
"""

from __future__ import annotations

import importlib
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlparse

from sqlmodel import Session, select

from l2c_app.core.config import get_settings
from l2c_app.core.models import Document, OutboxMessage
from l2c_app.core.row_writes import insert_row
from l2c_app.core.timeutil import utcnow
from l2c_app.outbox.service import Permanent, enqueue, handler, on_failed, write_scope

SMTP_TIMEOUT_S = 20

# What to call once a message is sent or has failed for good: `on_outcome` names one of these
# (a dotted path, imported when needed: the worker runs without the stage's pages loaded).
OUTCOME_HOOKS = {"invoice_delivery": "l2c_app.billing.sending:record_delivery"}


def send_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    link: str | None = None,
    attachments: list[Document] | None = None,
    related: tuple[str, int] | None = None,
    on_outcome: str | None = None,
    cc: list[str] | None = None,
) -> OutboxMessage:
    """Write the message (and, with SMTP, queue its sending) in the caller's transaction.
    `cc`: addresses copied on it (checked by the caller, e.g. core.mailmerge.parse_addresses)."""
    msg = OutboxMessage(
        to=to,
        cc=", ".join(cc or []),
        subject=subject,
        body=body,
        link=link,
        attachment_ids=[d.id for d in attachments or [] if d.id is not None],
        related_entity=related[0] if related else None,
        related_id=related[1] if related else None,
    )
    session.add(msg)
    session.flush()
    if get_settings().smtp_url:
        msg.status = "queued"
        session.add(msg)
        payload = {"message_id": msg.id}
        if on_outcome:
            payload["on_outcome"] = on_outcome
        enqueue(session, "email", payload, f"email:{msg.id}", summary=f"E-mail to {to}: {subject}", related=related)
    return msg


def send_plain_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    link: str | None = None,
    related: tuple[str, int] | None = None,
) -> int:
    """`send_mail` of a plain message as one Core insert (core/row_writes.py), its id. With SMTP
    it is `send_mail` (the message and its delivery effect, through the ORM)."""
    if get_settings().smtp_url:
        msg = send_mail(session, to=to, subject=subject, body=body, link=link, related=related)
        return int(msg.id or 0)
    values = {
        "to": to,
        "subject": subject,
        "body": body,
        "link": link,
        "related_entity": related[0] if related else None,
        "related_id": related[1] if related else None,
    }
    return insert_row(session, OutboxMessage, values)


def _outcome(session: Session, effect_payload: dict, msg: OutboxMessage) -> None:
    name = effect_payload.get("on_outcome")
    if name in OUTCOME_HOOKS:
        module, _, fn = OUTCOME_HOOKS[name].partition(":")
        getattr(importlib.import_module(module), fn)(session, msg)


@handler("email")
def deliver_email(effect) -> str:
    from l2c_app.core.db import session_scope

    with session_scope() as session:
        msg = session.get(OutboxMessage, effect.payload["message_id"])
        if msg is None:
            raise Permanent("the message is gone")
        if msg.status == "sent":
            return "already sent"
        docs = (
            list(session.exec(select(Document).where(Document.id.in_(msg.attachment_ids))))
            if msg.attachment_ids
            else []
        )
        for d in docs:
            session.expunge(d)
        to, subject, body, cc = msg.to, msg.subject, msg.body, msg.cc
    settings = get_settings()
    if not settings.smtp_url:
        raise Permanent("SMTP is not configured (SMTP_URL)")
    message_id = make_msgid(idstring=effect.idempotency_key.replace(":", "-"), domain="l2c")
    try:
        _smtp_send(settings.smtp_url, settings.mail_from, to, subject, body, docs, message_id, cc=cc)
    except smtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"recipient refused: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise Permanent(f"{exc.smtp_code} {exc.smtp_error!r}") from None
        raise
    with write_scope() as session:
        msg = session.get(OutboxMessage, effect.payload["message_id"])
        msg.status, msg.sent_at, msg.error = "sent", utcnow(), None
        session.add(msg)
        _outcome(session, effect.payload, msg)
    return message_id


def _mail_failed(session: Session, effect) -> None:
    msg = session.get(OutboxMessage, effect.payload.get("message_id"))
    if msg is None or msg.status == "sent":
        return
    msg.status, msg.error = "failed", (effect.last_error or "")[:500]
    session.add(msg)
    _outcome(session, effect.payload, msg)


on_failed("email", _mail_failed)


def _smtp_send(
    url: str,
    sender: str,
    to: str,
    subject: str,
    body: str,
    attachments: list[Document],
    message_id: str | None = None,
    cc: str = "",
) -> None:
    parts = urlparse(url)
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, to, subject
    if cc:
        email["Cc"] = cc  # send_message delivers to To and Cc
    if message_id:
        email["Message-ID"] = message_id
    email.set_content(body)
    for doc in attachments:
        maintype, _, subtype = doc.content_type.partition("/")
        email.add_attachment(doc.data, maintype=maintype, subtype=subtype, filename=doc.filename)
    cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with cls(
        parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25), timeout=SMTP_TIMEOUT_S
    ) as smtp:
        if parts.scheme == "smtp" and parts.query == "starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(email)
