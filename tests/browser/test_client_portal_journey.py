"""Journey: search a client -> its page -> send a portal link -> the contact opens it in a
fresh browser -> accepts a quote, signs a contract and pays an invoice (Stripe stand-in) from
the portal -> the client page shows all three. Screenshots of the client page, the portal and
the statement PDF at 1366 and 390 px."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlmodel import select

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.billing import service as billing
from l2c_app.contracts import service as contracts
from l2c_app.core.audit import SYSTEM
from l2c_app.core.models import OutboxMessage
from l2c_app.core.timeutil import org_today
from l2c_app.pipeline import service as pipeline
from l2c_app.quotes import service as quotes
from tests.delivered import a_delivered_project, a_won_client

pytestmark = pytest.mark.browser
SHOTS = "test-artifacts"
WIDTHS = (1366, 390)


def a_client_with_three_documents(app) -> dict:
    """A client whose contact has a sent quote, a contract sent for signature and an issued invoice."""
    with app.session() as s:
        client = a_won_client(s, "Portal Co", ("Pia Portal", f"pia.{id(s) % 100000}@portal.test"))
        project = a_delivered_project(
            s, client, "Portal Co website", role="Developer", rate_minor=10000, entries=2, minutes=60
        )
        deal = pipeline.create_deal(
            s, SYSTEM, title="Portal Co phase two", account_id=client.account.id, contact_id=client.contact.id
        )
        s.flush()
        quote = quotes.create_quote_from_deal(s, SYSTEM, deal.id, title="Phase two proposal")
        quotes.add_line(
            s, SYSTEM, quote.id, description="Phase two build", quantity=Decimal("1"), unit_price_minor=150000
        )
        quotes.send_quote(s, SYSTEM, quote.id)
        contract = contracts.create_from_deal(s, SYSTEM, project.deal_id)
        contracts.send(s, SYSTEM, contract.id)
        inv = billing.build_invoice(s, SYSTEM, project.id, org_today(s) + timedelta(days=1))
        billing.issue_invoice(s, SYSTEM, inv.id)
        s.commit()
        return {
            "name": client.name,
            "email": client.contact.email,
            "account_id": client.account.id,
            "invoice_id": inv.id,
            "contract": contract.title,
            "quote": quotes.quote_label(quote),
        }


def search_and_open_the_client(page, app, name: str) -> None:
    page.goto(f"{app.base_url}/")
    page.get_by_label("Search").fill(name)
    page.get_by_label("Search").press("Enter")
    page.wait_for_url(re.compile(r".*/search"))
    page.get_by_role("link", name=re.compile(re.escape(name))).first.click()
    page.wait_for_url(re.compile(r".*/clients/\d+/?$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def send_the_invoice_for_online_payment(page, app, invoice_id: int) -> None:
    """The team sends the issued invoice (the app makes its Stripe payment link)."""
    page.goto(f"{app.base_url}/invoices/{invoice_id}")
    page.get_by_role("button", name=re.compile("Send (invoice|again)")).click()
    # The e-mail composer opens with today's message; sending it is one more click.
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Subject", exact=True)).to_have_value(re.compile("Invoice"))
    dialog.get_by_role("button", name="Send e-mail").click()
    expect(page.get_by_text(re.compile("sent by e-mail to"))).to_be_visible()


def send_portal_link(page, app, email: str) -> str:
    page.get_by_role("button", name="Send portal link to Pia Portal").click()
    expect(page.get_by_text("Portal link sent", exact=False)).to_be_visible()
    with app.session() as s:
        msg = s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.to == email, OutboxMessage.link.like("%/portal/enter/%"))
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert msg is not None, "no portal e-mail"
        return msg.link


def accept_the_quote(portal) -> None:
    portal.get_by_role("link", name="Review, accept or decline").click()
    portal.wait_for_url(re.compile(r".*/q/"))
    portal.get_by_label("Your full name").fill("Pia Portal")
    portal.get_by_role("checkbox", name=re.compile("I accept this quote")).click()
    portal.get_by_role("button", name="Accept quote").click()
    expect(portal.get_by_text("Accepted by Pia Portal")).to_be_visible()
    expect(portal.get_by_role("link", name="See all your documents")).to_be_visible()


def sign_the_contract(portal, base: str) -> None:
    portal.goto(f"{base}/portal/")
    portal.get_by_role("button", name="Read and sign").click()
    portal.wait_for_url(re.compile(r".*/sign/"))
    consent = portal.get_by_role("checkbox", name="I agree to sign electronically")
    consent.click()
    portal.get_by_label("Type your full name").fill("Pia Portal")
    portal.get_by_role("button", name="Sign", exact=True).click()
    expect(portal.get_by_role("status")).to_contain_text("you have signed")


def pay_the_invoice(portal, base: str) -> None:
    portal.goto(f"{base}/portal/")
    portal.get_by_role("link", name=re.compile(r"Pay invoice INV-")).click()
    portal.wait_for_url(re.compile(r".*/i/"))
    portal.get_by_role("link", name=re.compile(r"^Pay €")).click()
    expect(portal.get_by_role("heading", name="Stand-in checkout")).to_be_visible()
    portal.get_by_role("button", name="Pay").click()
    portal.wait_for_url(re.compile(r".*/i/.*paid=1"))
    expect(portal.get_by_text("Paid", exact=True).first).to_be_visible()


def shots(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def statement_pdf_pictures(page, app, account_id: int) -> None:
    import pypdfium2

    got = page.request.get(f"{app.base_url}/api/v1/clients/{account_id}/statement?format=pdf")
    assert got.status == 200 and got.body()[:5] == b"%PDF-"
    pdf = pypdfium2.PdfDocument(got.body())
    for width in WIDTHS:
        bitmap = pdf[0].render(scale=width / pdf[0].get_width())
        bitmap.to_pil().save(f"{SHOTS}/client-statement-pdf-{width}.png")


def test_client_uses_the_portal_and_the_client_page_shows_it(signed_in_page, app_server, browser):
    app = app_server
    world = a_client_with_three_documents(app)
    page = signed_in_page
    send_the_invoice_for_online_payment(page, app, world["invoice_id"])
    search_and_open_the_client(page, app, world["name"])
    link = send_portal_link(page, app, world["email"])

    context = browser.new_context()
    try:
        portal = context.new_page()
        portal.goto(link)
        portal.wait_for_url(re.compile(r".*/portal/$"))
        expect(portal.get_by_role("heading", name=world["name"])).to_be_visible()
        shots(portal, "portal")
        accept_the_quote(portal)
        sign_the_contract(portal, app.base_url)
        pay_the_invoice(portal, app.base_url)
        portal.goto(f"{app.base_url}/portal/")
        expect(portal.get_by_text("received").first).to_be_visible()
        shots(portal, "portal-after")
    finally:
        context.close()

    page.goto(f"{app.base_url}/clients/{world['account_id']}")
    expect(page.get_by_role("row", name=re.compile(re.escape(world["quote"]) + ".*accepted"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(world["contract"]) + ".*completed"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"INV-.*paid")).first).to_be_visible()
    expect(page.get_by_text("Closing balance")).to_be_visible()
    shots(page, "client-page")
    statement_pdf_pictures(page, app, world["account_id"])
    page.goto(f"{app.base_url}/clients")
    expect(page.get_by_role("link", name=world["name"])).to_be_visible()
    shots(page, "clients-list")
