"""Search finds clients, contacts, deals and documents by number; each result opens its page."""

from __future__ import annotations

import secrets

from l2c_app.billing import credit_notes
from l2c_app.contracts.models import Contract
from l2c_app.core.audit import SYSTEM
from l2c_app.quotes.models import Quote
from l2c_app.ui.admin_service import search
from tests.clients.test_summary_and_statement import UP_TO, issued


def test_search_opens_each_result_on_its_page(session, world):
    inv = issued(session, world, 10000, UP_TO)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=1000, reason="x")
    q = Quote(deal_id=world.deal.id, number=2, version=3, title="Phase two", public_token=secrets.token_urlsafe(16))
    c = Contract(deal_id=world.deal.id, title="Master services")
    session.add_all([q, c])
    session.commit()
    hrefs = {r["kind"]: r["href"] for r in search(session, "client")}
    assert hrefs["Client"] == f"/clients/{world.account.id}"
    assert hrefs["Contact"] == f"/clients/{world.account.id}"  # carl@client.test
    assert {r["href"] for r in search(session, inv.number)} == {f"/invoices/{inv.id}"}
    assert {r["href"] for r in search(session, cn.number.lower())} == {f"/invoices/{cn.id}"}
    assert [r["href"] for r in search(session, f"Q{world.deal.id}-2")] == [f"/quotes/{q.id}"]
    assert [r["href"] for r in search(session, f"q{world.deal.id}-2 v3")] == [f"/quotes/{q.id}"]
    assert [r["href"] for r in search(session, f"C-{c.id}")] == [f"/contracts/{c.id}"]
    assert search(session, "C-999999") == [] and search(session, "Website")[0]["href"] == f"/deals/{world.deal.id}"
