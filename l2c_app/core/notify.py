"""Tell a team member something happened: an in-app notification (badge) and an e-mail
(outbox without SMTP), written through the mailer port (core.mailer).

Both rows are plain Core inserts (core/row_writes.py: no ORM object, no flush): a new lead
notifies its owner on every capture."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.core.config import get_settings
from l2c_app.core.mailer import send_plain_mail
from l2c_app.core.models import Notification, User
from l2c_app.core.row_writes import insert_row


def notify(
    session: Session,
    user_id: int | None,
    kind: str,
    text: str,
    link: str | None = None,
    email: bool = True,
    *,
    to: str | None = None,
) -> int | None:
    """The notification's id. `to`: the user's e-mail when the caller knows it (saves reading the user)."""
    if user_id is None:
        return None
    note_id = insert_row(session, Notification, {"user_id": user_id, "kind": kind, "text": text[:500], "link": link})
    if email:
        if to is None:
            user = session.get(User, user_id)
            to = user.email if user is not None else None
        if to is not None:
            url = f"{get_settings().app_base_url}{link}" if link else None
            send_plain_mail(
                session,
                to=to,
                subject=f"l2c: {text[:120]}",
                body=text + (f"\n\n{url}" if url else ""),
                link=url,
                related=("notification", 0),
            )
    return note_id
