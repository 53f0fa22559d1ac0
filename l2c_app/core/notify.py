"""Tell a team member something happened: an in-app notification (badge) and an e-mail
(outbox without SMTP), written through the mailer port (core.mailer)."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.core.config import get_settings
from l2c_app.core.mailer import send_mail
from l2c_app.core.models import Notification, User


def notify(
    session: Session, user_id: int | None, kind: str, text: str, link: str | None = None, email: bool = True
) -> Notification | None:
    if user_id is None:
        return None
    note = Notification(user_id=user_id, kind=kind, text=text[:500], link=link)
    session.add(note)
    user = session.get(User, user_id)
    if email and user is not None:
        url = f"{get_settings().app_base_url}{link}" if link else None
        send_mail(
            session,
            to=user.email,
            subject=f"l2c: {text[:120]}",
            body=text + (f"\n\n{url}" if url else ""),
            link=url,
            related=("notification", 0),
        )
    return note
