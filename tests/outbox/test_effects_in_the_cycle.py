"""The billing cycle's events and e-mails through the outbox: an issued, sent, paid invoice
leaves invoice.issued, invoice.sent, payment.received and invoice.paid; a reminder past the due
date records invoice.overdue once; a retainer that says so has its monthly invoice e-mailed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from l2c_app.billing import service
from l2c_app.billing.models import Invoice
from l2c_app.billing.sending import generate_retainer_invoices, send_invoice, send_reminders
from l2c_app.core.audit import SYSTEM
from l2c_app.core.models import OutboxMessage
from l2c_app.events.models import DomainEvent
from tests.billing.factory import World


@pytest.fixture
def world(session):
    w = World(session)
    session.commit()
    return w


def types(session) -> list[str]:
    return [e.type for e in session.exec(select(DomainEvent).order_by(DomainEvent.id))]


def test_an_invoice_from_issue_to_paid_leaves_its_events(session, world):
    world.change_order(10000)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    service.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 4, 1))
    send_invoice(session, SYSTEM, inv.id)
    due = session.get(Invoice, inv.id).due_date
    assert send_reminders(session, due + timedelta(days=8)) == 1
    assert send_reminders(session, due + timedelta(days=9)) == 0
    service.record_manual_payment(session, SYSTEM, inv.id, amount_minor=10000, method="bank_transfer")
    session.commit()
    seen = [t for t in types(session) if t.startswith(("invoice.", "payment."))]
    assert seen == [
        "invoice.issued",
        "invoice.sent",
        "invoice.overdue",
        "payment.received",
        "invoice.paid",
    ] or seen == ["invoice.issued", "invoice.sent", "invoice.overdue", "invoice.paid", "payment.received"]
    paid = session.exec(select(DomainEvent).where(DomainEvent.type == "invoice.paid")).one()
    assert paid.subject_kind == "invoice" and paid.subject_id == inv.id
    assert paid.payload["total_minor"] == 10000 and paid.payload["currency"] == "EUR"


def test_a_retainer_that_says_so_has_its_invoice_emailed(session, world):
    from l2c_app.projects.service import set_retainer_email

    r = world.retainer(40000, start=date(2026, 1, 1))
    assert generate_retainer_invoices(session, date(2026, 1, 10))  # flag off: issued, not e-mailed
    assert session.exec(select(OutboxMessage)).first() is None
    set_retainer_email(session, SYSTEM, r.id, True)
    (made,) = generate_retainer_invoices(session, date(2026, 2, 10))
    session.commit()
    (mail,) = session.exec(select(OutboxMessage))
    assert mail.related_entity == "invoice" and mail.related_id == made and mail.to == "carl@client.test"
    assert session.get(Invoice, made).delivery == "queued"
