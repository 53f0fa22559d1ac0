"""REST routes, the PDF, the public link, reminders and recurring retainer invoices."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from l2c_app.billing import service
from l2c_app.billing.models import Invoice
from l2c_app.billing.sending import generate_retainer_invoices, send_reminders
from l2c_app.core.audit import SYSTEM
from l2c_app.core.auth import create_api_key
from l2c_app.core.models import OutboxMessage


@pytest.fixture
def client(db_url, world, session):
    from l2c_app.api.app import build_api

    _, raw = create_api_key(session, "billing-tests")
    session.commit()
    with TestClient(build_api(), headers={"Authorization": f"Bearer {raw}"}) as c:
        yield c


def test_rest_cycle_build_issue_send_pay(client, world, session):
    world.time(120)
    world.change_order(50000)
    session.commit()
    r = client.post(f"/api/v1/projects/{world.pid}/invoices", json={"up_to": "2026-03-31"})
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["number"] is None and len(draft["lines"]) == 2
    assert draft["total_minor"] == 19000 + 3800 + 50000 and draft["currency"] == "EUR"
    r = client.post(f"/api/v1/invoices/{draft['id']}/issue")
    assert r.status_code == 200 and r.json()["number"].startswith("INV-")
    r = client.post(f"/api/v1/invoices/{draft['id']}/send", json={})
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["public_url"].endswith("/i/" + session.get(Invoice, draft["id"]).public_token)
    assert sent["payment_link_url"] is None  # Stripe not configured: manual payment only
    r = client.get(f"/api/v1/invoices/{draft['id']}/pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = client.post(
        f"/api/v1/invoices/{draft['id']}/payments",
        json={"amount_minor": 72800, "method": "bank_transfer", "received_on": "2026-04-02", "reference": "TRF 99"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["invoice"]["status"] == "paid"
    got = client.get(f"/api/v1/invoices/{draft['id']}").json()
    assert got["paid_minor"] == 72800 and got["open_minor"] == 0


def test_rest_errors_name_the_field(client, world, session):
    r = client.post(f"/api/v1/projects/{world.pid}/invoices", json={"up_to": "2026-03-31"})
    assert r.status_code == 422 and r.json()["detail"].startswith("up_to:")
    r = client.post(f"/api/v1/projects/{world.pid}/invoices", json={"up_to": "yesterday"})
    assert r.status_code == 422 and "up_to" in r.json()["detail"]
    assert client.get("/api/v1/invoices/999").status_code == 404
    world.change_order(100)
    session.commit()
    inv = client.post(f"/api/v1/projects/{world.pid}/invoices", json={"up_to": "2026-03-31"}).json()
    r = client.post(f"/api/v1/invoices/{inv['id']}/payments", json={"amount_minor": 1.5, "method": "check"})
    assert r.status_code == 422 and r.json()["detail"].startswith("amount_minor")


def test_routes_need_a_key(db_url):
    from l2c_app.api.app import build_api

    with TestClient(build_api()) as anon:
        assert anon.get("/api/v1/invoices/1").status_code == 401


def test_public_pdf_by_token_only_once_issued(client, world, session):
    world.change_order(100)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    session.commit()
    assert client.get(f"/i/{inv.public_token}/pdf").status_code == 404  # a draft is not public
    service.issue_invoice(session, SYSTEM, inv.id)
    session.commit()
    r = client.get(f"/i/{inv.public_token}/pdf", headers={"Authorization": ""})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get("/i/not-a-token/pdf").status_code == 404


def test_pdf_time_appendix(world, session):
    from l2c_app.billing.pdf import render_invoice_pdf

    world.time(60)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    plain = render_invoice_pdf(session, inv)
    detail = render_invoice_pdf(session, inv, time_appendix=True)
    assert plain.startswith(b"%PDF") and len(detail) > len(plain)


def test_reminders_before_and_after_due_date_once_each(world, session):
    world.change_order(1000)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    service.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 4, 1))  # net 30: due 2026-05-01
    due = inv.due_date
    assert send_reminders(session, due - timedelta(days=5)) == 0
    assert send_reminders(session, due - timedelta(days=2)) == 1
    assert send_reminders(session, due - timedelta(days=1)) == 0  # already reminded for this due date
    assert send_reminders(session, due + timedelta(days=1)) == 1
    assert send_reminders(session, due + timedelta(days=3)) == 0
    assert send_reminders(session, due + timedelta(days=8)) == 1
    subjects = [m.subject for m in session.exec(select(OutboxMessage))]
    assert len(subjects) == 3 and all(inv.number in s for s in subjects)
    service.record_manual_payment(session, SYSTEM, inv.id, amount_minor=1000, method="check")
    assert send_reminders(session, due + timedelta(days=20)) == 0  # paid: no more reminders


def test_recurring_retainer_invoices_month_by_month(world, session):
    world.retainer(40000, start=date(2026, 1, 1))
    world.time(60)  # time is not part of the retainer run
    made = generate_retainer_invoices(session, date(2026, 2, 10), send=True)
    assert len(made) == 1
    inv = session.get(Invoice, made[0])
    assert inv.number and inv.subtotal_minor == 80000  # January and February
    assert generate_retainer_invoices(session, date(2026, 2, 20)) == []
    nxt = generate_retainer_invoices(session, date(2026, 3, 1))
    assert session.get(Invoice, nxt[0]).subtotal_minor == 40000
    assert session.exec(select(OutboxMessage)).first().to == "carl@client.test"
