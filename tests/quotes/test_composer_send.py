"""Sending a quote through the e-mail composer: today's message is the default (nothing lost),
an edited subject / body / cc is what is written to the Outbox, a bad field sends nothing."""

import pytest
from sqlmodel import select

from l2c_app.core import formats
from l2c_app.core.errors import DomainError
from l2c_app.core.mailmerge import Message, render
from l2c_app.core.models import OutboxMessage
from l2c_app.core.money import format_money
from l2c_app.quotes import service as svc
from l2c_app.quotes.models import Quote
from tests.quotes.test_service import build_quote


def test_the_default_message_is_todays_quote_email(session, world):
    q = build_quote(session, world)
    draft = svc.email_draft(session, world.actor, q.id)
    assert draft.to == "zoe@client.test"
    preview = render(draft.body, draft.values)
    msg = svc.send_quote(session, world.actor, q.id)
    session.commit()
    q = session.get(Quote, q.id)
    assert msg.body == preview and msg.cc == ""
    assert msg.subject == render(draft.subject, draft.values)
    assert f"for a total of {draft.values['total']}" in msg.body and msg.link in msg.body
    assert draft.values["total"] == format_money(q.total_minor, q.currency)  # the quote's own total
    assert "Hello Zoë" in msg.body and svc.quote_label(q) in msg.subject


def test_an_edited_message_with_cc_is_what_the_outbox_holds(session, world):
    q = build_quote(session, world)
    msg = svc.send_quote(
        session,
        world.actor,
        q.id,
        Message(
            to="zoe@client.test",
            cc="boss@client.test, finance@client.test",
            subject="Our offer {document_number} for {client_name}",
            body="Total {total}, valid until {due_date}: {link}",
        ),
    )
    session.commit()
    q = session.get(Quote, q.id)
    row = session.get(OutboxMessage, msg.id)
    assert row.cc == "boss@client.test, finance@client.test"
    assert row.subject.startswith(f"Our offer {svc.quote_label(q)} for ")
    assert row.body.endswith(f"/q/{q.public_token}") and f"valid until {formats.day(q.expires_on)}:" in row.body
    assert q.expires_on.isoformat() not in row.body  # the client reads the organisation's locale


def test_an_unknown_field_or_bad_cc_sends_nothing(session, world):
    q = build_quote(session, world)
    with pytest.raises(DomainError) as err:
        svc.send_quote(session, world.actor, q.id, Message(subject="Hi {clientname}", body="x"))
    assert err.value.field == "subject" and "{clientname}" in err.value.message
    session.rollback()
    with pytest.raises(DomainError) as err:
        svc.send_quote(session, world.actor, q.id, Message(cc="nope", subject="s", body="b"))
    assert err.value.field == "cc"
    session.rollback()
    assert session.get(Quote, q.id).status == "draft"
    assert session.exec(select(OutboxMessage)).all() == []
