"""Sending an invoice through the e-mail composer: default = today's e-mail; cc kept; a typo in
the composer issues nothing."""

from datetime import date

import pytest
from sqlmodel import select

from l2c_app.billing import sending
from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.core.mailmerge import Message
from l2c_app.core.models import OutboxMessage

UP_TO = date(2026, 3, 31)


def draft_invoice(session, world):
    world.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    session.commit()
    return inv


def test_default_message_and_composer_message_with_cc(session, world):
    inv = draft_invoice(session, world)
    draft = sending.email_draft(session, SYSTEM, inv.id)
    assert draft.to == "carl@client.test" and draft.subject == "Invoice {document_number}"
    out = sending.send_invoice(
        session,
        SYSTEM,
        inv.id,
        message=Message(
            to="carl@client.test",
            cc="ap@client.test",
            subject="{org_name} invoice {document_number}",
            body="Hello {contact_name}, {total} due {due_date}. {link}",
        ),
    )
    session.commit()
    inv = session.get(Invoice, inv.id)
    msg = session.get(OutboxMessage, out["message_id"])
    assert inv.status != "draft" and inv.number
    assert msg.cc == "ap@client.test" and msg.subject == f"Test Studio invoice {inv.number}"
    assert msg.body.startswith("Hello Carl Client, ") and msg.body.endswith(sending.public_url(inv))


def test_the_default_is_todays_text(session, world):
    inv = draft_invoice(session, world)
    out = sending.send_invoice(session, SYSTEM, inv.id)
    session.commit()
    inv = session.get(Invoice, inv.id)
    msg = session.get(OutboxMessage, out["message_id"])
    assert msg.subject == f"Invoice {inv.number}" and msg.cc == ""
    assert msg.body.startswith(f"Hello,\n\nplease find attached invoice {inv.number} for ")
    assert f"View and pay it online: {sending.public_url(inv)}\n\nThank you." in msg.body


def test_a_bad_field_issues_nothing(session, world):
    inv = draft_invoice(session, world)
    with pytest.raises(DomainError) as err:
        sending.send_invoice(session, SYSTEM, inv.id, message=Message(subject="Invoice", body="Pay {amount}"))
    assert err.value.field == "body" and "{amount}" in err.value.message
    session.rollback()
    assert session.get(Invoice, inv.id).status == "draft"
    assert session.exec(select(OutboxMessage)).all() == []
