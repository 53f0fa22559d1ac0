"""The client portal: magic link (30 days, one contact, revocable, cookie scoped to /portal),
the link request (same answer for known and unknown addresses, rate-limited), and isolation:
every portal route with another client's ids and tokens answers 404; nothing internal shows."""

from __future__ import annotations

import html
import secrets
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from l2c_app.billing import service as billing
from l2c_app.clients import portal
from l2c_app.clients.models import PortalLink
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.contracts.service import open_for_signing
from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Document, OutboxMessage
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Account, Contact
from l2c_app.quotes.models import Quote
from tests.clients.test_summary_and_statement import UP_TO

ROUTES = [
    ("GET", "/portal/quotes/{quote}"),
    ("GET", "/portal/change-orders/{co}"),
    ("GET", "/portal/invoices/{invoice}"),
    ("GET", "/portal/invoices/{invoice}/pdf"),
    ("POST", "/portal/contracts/{contract}/sign"),
    ("GET", "/portal/contracts/{contract}/signed.pdf"),
]


def _docs(session, w, account, contact, tag: str) -> dict:
    """A sent quote, a sent contract (the contact signs), a completed contract with its signed
    PDF, a sent change order and an issued invoice of one client."""
    p = w if account is w.account else w.another_project(f"Project {tag}", account=account)
    p.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, p.pid, UP_TO)
    inv.notes = f"INTERNAL-NOTE-{tag}"
    inv = billing.issue_invoice(session, SYSTEM, inv.id)
    q = Quote(
        deal_id=p.deal.id,
        status="sent",
        title=f"Proposal {tag}",
        public_token=secrets.token_urlsafe(16),
        total_minor=120000,
    )
    draft = Quote(deal_id=p.deal.id, status="draft", title=f"Draft {tag}", public_token=secrets.token_urlsafe(16))
    sent = Contract(deal_id=p.deal.id, title=f"MSA {tag}", status="sent")
    doc = Document(
        kind="contract_signed",
        filename=f"signed-{tag}.pdf",
        data=b"%PDF-1.4 signed " + tag.encode(),
        size=20,
        sha256="0" * 64,
    )
    session.add_all([q, draft, sent, doc])
    session.flush()
    done = Contract(deal_id=p.deal.id, title=f"NDA {tag}", status="completed", signed_document_id=doc.id)
    session.add(done)
    session.flush()
    session.add(
        ContractSigner(
            contract_id=sent.id,
            name=contact.name,
            email=contact.email,
            contact_id=contact.id,
            status="sent",
            token_hash=secrets.token_hex(32),
            token_expires_at=utcnow() + timedelta(days=10),
        )
    )
    co = p.change_order(5000, status="sent")
    session.commit()
    return {"quote": q.id, "draft": draft.id, "contract": sent.id, "signed": done.id, "co": co.id, "invoice": inv.id}


@pytest.fixture
def two_clients(session, world):
    other = Account(name="Rival GmbH")
    session.add(other)
    session.flush()
    rival = Contact(account_id=other.id, name="Rita Rival", email="rita@rival.test")
    session.add(rival)
    session.commit()
    mine = _docs(session, world, world.account, world.contact, "A")
    theirs = _docs(session, world, other, rival, "B")
    return world, other, rival, mine, theirs


def _app():
    from l2c_app.api.app import build_api

    return TestClient(build_api(), follow_redirects=False)


def _enter(api, session, account_id, contact_id) -> str:
    _, token = portal.create_link(session, SYSTEM, account_id, contact_id)
    session.commit()
    r = api.get(f"/portal/enter/{token}")
    assert r.status_code == 303 and r.headers["location"] == "/portal/"
    cookie = r.headers["set-cookie"]
    assert "Path=/portal" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Max-Age=25" in cookie  # 30 days = 2,592,000 s
    return token


def test_every_portal_route_with_another_clients_ids_is_404(session, two_clients):
    w, other, rival, mine, theirs = two_clients
    api = _app()
    _enter(api, session, w.account.id, w.contact.id)
    page = api.get("/portal/")
    assert page.status_code == 200
    text = page.text
    assert "Proposal A" in text and "MSA A" in text and "Change order" in text and "Statement" in text
    assert "Rival" not in text and "Proposal B" not in text and "Draft A" not in text
    assert "INTERNAL-NOTE" not in text and "Developer" not in text  # notes, budget roles, costs
    assert "Outbox" not in text and "Issued" not in text and "Due" in text  # the client's words, not the team's
    for method, path in ROUTES:
        url = path.format(
            quote=theirs["quote"],
            co=theirs["co"],
            invoice=theirs["invoice"],
            contract=theirs["signed" if "signed" in path else "contract"],
        )
        assert api.request(method, url).status_code == 404, url
        url = path.format(
            quote=mine["quote"],
            co=mine["co"],
            invoice=mine["invoice"],
            contract=mine["signed" if "signed" in path else "contract"],
        )
        ok = api.request(method, url)
        assert ok.status_code in (200, 303), url
    assert api.get(f"/portal/quotes/{mine['draft']}").status_code == 404  # never a draft
    assert api.get("/portal/quotes/999999").status_code == 404
    # Another client's link (its token) does not open this client's documents either.
    api2 = _app()
    _enter(api2, session, other.id, rival.id)
    assert api2.get(f"/portal/invoices/{mine['invoice']}").status_code == 404
    assert "Proposal A" not in api2.get("/portal/").text
    # Without a cookie: every route is a 404, the home page the request form.
    anon = _app()
    for method, path in ROUTES:
        url = path.format(quote=mine["quote"], co=mine["co"], invoice=mine["invoice"], contract=mine["contract"])
        assert anon.request(method, url).status_code == 404, url
    assert anon.get("/portal/statement.pdf").status_code == 404
    assert "Send me a link" in anon.get("/portal/").text


def test_actions_forward_to_the_public_token_pages(session, two_clients):
    w, _, _, mine, _ = two_clients
    api = _app()
    _enter(api, session, w.account.id, w.contact.id)
    q = session.get(Quote, mine["quote"])
    assert api.get(f"/portal/quotes/{q.id}").headers["location"] == f"/q/{q.public_token}"
    from l2c_app.billing.models import Invoice

    inv = session.get(Invoice, mine["invoice"])
    assert api.get(f"/portal/invoices/{inv.id}").headers["location"] == f"/i/{inv.public_token}"
    signed = api.get(f"/portal/contracts/{mine['signed']}/signed.pdf")
    assert signed.status_code == 200 and signed.content.startswith(b"%PDF")
    go = api.post(f"/portal/contracts/{mine['contract']}/sign")
    assert go.status_code == 303 and go.headers["location"].startswith("/sign/")
    view = open_for_signing(session, go.headers["location"].removeprefix("/sign/"))
    assert view.contract_id == mine["contract"] and view.signer_email == w.contact.email
    pdf = api.get("/portal/statement.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"


def test_revoked_or_expired_link_signs_out(session, two_clients):
    w, _, _, mine, _ = two_clients
    api = _app()
    token = _enter(api, session, w.account.id, w.contact.id)
    link = session.exec(select(PortalLink).where(PortalLink.contact_id == w.contact.id)).first()
    assert link.expires_at > utcnow() + timedelta(days=29)
    portal.revoke_link(session, SYSTEM, w.account.id, link.id)
    session.commit()
    assert "Send me a link" in api.get("/portal/").text
    assert api.get(f"/portal/invoices/{mine['invoice']}").status_code == 404
    assert api.get(f"/portal/enter/{token}").status_code == 404
    _, token2 = portal.create_link(session, SYSTEM, w.account.id, w.contact.id)
    session.commit()
    link2 = portal.resolve(session, token2)
    link2.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert portal.resolve(session, token2) is None and api.get(f"/portal/enter/{token2}").status_code == 404
    with pytest.raises(DomainError):
        portal.revoke_link(session, SYSTEM, w.account.id + 999, link.id)


def test_link_request_never_reveals_a_known_address_and_is_rate_limited(session, two_clients):
    w, *_ = two_clients
    api = _app()
    before = len(session.exec(select(OutboxMessage)).all())
    known = api.post("/portal/request", data={"email": w.contact.email})
    unknown = api.post("/portal/request", data={"email": "nobody@nowhere.test"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text and html.escape(portal.REQUEST_ANSWER) in known.text
    session.expire_all()
    mails = session.exec(select(OutboxMessage)).all()[before:]
    assert [m.to for m in mails] == [w.contact.email] and "/portal/enter/" in mails[0].body
    for _ in range(portal.PER_EMAIL_PER_HOUR - 1):
        assert api.post("/portal/request", data={"email": "nobody@nowhere.test"}).status_code == 200
    assert api.post("/portal/request", data={"email": "nobody@nowhere.test"}).status_code == 429
    for i in range(portal.PER_IP_PER_HOUR):
        api.post("/portal/request", data={"email": f"x{i}@nowhere.test"})
    assert api.post("/portal/request", data={"email": "fresh@nowhere.test"}).status_code == 429


def test_only_a_live_contact_of_the_client_gets_a_link(session, two_clients):
    w, other, rival, *_ = two_clients
    with pytest.raises(DomainError) as err:
        portal.create_link(session, SYSTEM, w.account.id, rival.id)
    assert getattr(err.value, "kind", "") == "not_found"
    nomail = Contact(account_id=w.account.id, name="No Mail")
    session.add(nomail)
    session.commit()
    with pytest.raises(DomainError) as err:
        portal.send_link(session, SYSTEM, w.account.id, nomail.id)
    assert getattr(err.value, "field", "") == "email"
    _, token = portal.create_link(session, SYSTEM, w.account.id, w.contact.id)
    w.contact.archived_at = utcnow()
    session.commit()
    assert portal.resolve(session, token) is None
