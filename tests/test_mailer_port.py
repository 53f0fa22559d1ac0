"""core writes mail through the mailer port (core/mailer.py): the built-in default writes the
Outbox row; another mailer plugged in with `use_mailer` receives the same message instead."""

from __future__ import annotations

from sqlmodel import select

from l2c_app.core import mailer
from l2c_app.core.auth import create_user, invite_user
from l2c_app.core.models import OutboxMessage
from l2c_app.core.notify import notify


def test_a_notification_reaches_the_outbox_through_the_default_mailer(session):
    user = create_user(session, name="Nora", email="nora@example.com", role="sales", password=None)
    notify(session, user.id, "deal", "Deal D-1 is yours", link="/deals/1")
    session.commit()
    [msg] = session.exec(select(OutboxMessage).where(OutboxMessage.to == "nora@example.com")).all()
    assert msg.subject == "l2c: Deal D-1 is yours" and msg.link and msg.link.endswith("/deals/1")


def test_another_mailer_receives_the_invitation_instead(session):
    sent: list[dict] = []

    def recording(session, **message):
        sent.append(message)

    mailer.use_mailer(recording)
    try:
        invite_user(session, name="Ida", email="ida@example.com", role="delivery")
    finally:
        mailer.use_mailer(None)
    session.commit()
    assert [m["to"] for m in sent] == ["ida@example.com"]
    assert "/invite/" in sent[0]["link"] and sent[0]["related"][0] == "user"
    assert session.exec(select(OutboxMessage).where(OutboxMessage.to == "ida@example.com")).all() == []
