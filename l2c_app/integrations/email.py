"""Outgoing e-mail. Every message is written to the outbox first; with `SMTP_URL` set it
is also sent, and the outcome recorded. Without SMTP it stays in the Outbox page,
clearly marked as not sent, so the whole cycle works with no mail account."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlmodel import Session

from l2c_app.core.config import get_settings
from l2c_app.core.models import Document, OutboxMessage
from l2c_app.core.timeutil import utcnow


def send_mail(session: Session, *, to: str, subject: str, body: str, link: str | None = None,
              attachments: list[Document] | None = None, related: tuple[str, int] | None = None) -> OutboxMessage:
    msg = OutboxMessage(to=to, subject=subject, body=body, link=link,
                        attachment_ids=[d.id for d in attachments or [] if d.id is not None],
                        related_entity=related[0] if related else None, related_id=related[1] if related else None)
    session.add(msg)
    session.flush()
    settings = get_settings()
    if settings.smtp_url:
        try:
            _smtp_send(settings.smtp_url, settings.mail_from, to, subject, body, attachments or [])
            msg.status, msg.sent_at = "sent", utcnow()
        except (OSError, smtplib.SMTPException) as exc:  # kept in the outbox, marked failed
            msg.status, msg.error = "failed", str(exc)[:500]
    return msg


def _smtp_send(url: str, sender: str, to: str, subject: str, body: str, attachments: list[Document]) -> None:
    parts = urlparse(url)
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, to, subject
    email.set_content(body)
    for doc in attachments:
        maintype, _, subtype = doc.content_type.partition("/")
        email.add_attachment(doc.data, maintype=maintype, subtype=subtype, filename=doc.filename)
    cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with cls(parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25), timeout=20) as smtp:
        if parts.scheme == "smtp" and parts.query == "starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(email)
