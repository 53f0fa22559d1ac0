"""Journeys of issue 22's sending and signing:
1. the owner sends a quote through the e-mail composer: opens it, edits the subject with merge
   fields, sees the live preview (and an unknown field refused), adds a Cc, sends, and finds
   the message with its Cc in the Outbox;
2. the team counter-signer is told in the bell, signs on the contract page (no link from the
   Outbox) and, as the last signer, downloads the signed PDF; the draft contract editor has a
   live preview.
Screenshots of the composer and the contract editor at 1366 and 390 px (one dark) go to
/tmp/shots-ui22c."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.contracts import service as contracts
from l2c_app.core.audit import SYSTEM
from l2c_app.core.models import OutboxMessage, User
from l2c_app.pipeline import service as pipeline
from l2c_app.quotes import service as quotes
from tests.conftest import sign_in
from tests.delivered import a_delivered_project, a_won_client

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-ui22c")
SIZES = ({"width": 1366, "height": 900}, {"width": 390, "height": 844})


def a_draft_quote(app) -> dict:
    with app.session() as s:
        client = a_won_client(s, "Composer Co", ("Cora Client", f"cora.{id(s) % 100000}@composer.test"))
        deal = pipeline.create_deal(
            s, SYSTEM, title="Composer Co site", account_id=client.account.id, contact_id=client.contact.id
        )
        s.flush()
        quote = quotes.create_quote_from_deal(s, SYSTEM, deal.id, title="Site proposal")
        quotes.add_line(s, SYSTEM, quote.id, description="Build", quantity=Decimal("1"), unit_price_minor=150000)
        s.commit()
        return {
            "id": quote.id,
            "label": quotes.quote_label(quote),
            "client": client.name,
            "email": client.contact.email,
        }


def test_send_a_quote_through_the_composer(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, password = app_server.ensure_owner()
    for n, size in enumerate(SIZES):
        world = a_draft_quote(app_server)
        ctx = browser.new_context(viewport=size)
        ctx.set_default_timeout(20_000)
        if n == 0:
            ctx.add_init_script("localStorage.setItem('theme', 'dark')")
        try:
            page = ctx.new_page()
            sign_in(page, app_server, email, password, next_path=f"/quotes/{world['id']}")
            page.get_by_role("button", name="Send", exact=True).click()
            dialog = page.get_by_role("dialog")
            expect(dialog.get_by_role("heading", name="E-mail the quote")).to_be_visible()
            expect(dialog.get_by_label("To", exact=True)).to_have_value(world["email"])
            preview = dialog.get_by_role("region", name="Preview")
            expect(preview).to_contain_text("Hello Cora Client")
            expect(preview).to_contain_text(world["label"])
            subject = dialog.get_by_label("Subject", exact=True)
            subject.fill("Proposal {document_number} for {client_nme}")
            expect(preview.get_by_role("alert")).to_contain_text("Unknown merge field {client_nme}")
            expect(dialog.get_by_role("button", name="Send e-mail")).to_be_disabled()
            subject.fill("Proposal {document_number} for {client_name}")
            expect(preview.get_by_test_id("preview-subject")).to_have_text(
                f"Subject: Proposal {world['label']} for {world['client']}"
            )
            dialog.get_by_label("Cc", exact=True).fill("boss@composer.test")
            expect(preview).to_contain_text("boss@composer.test")
            # The dialog scrolls by itself: a viewport shot shows it as the user sees it.
            page.screenshot(path=str(SHOTS / f"composer-{'dark' if n == 0 else 'light'}-{size['width']}.png"))
            dialog.get_by_role("button", name="Send e-mail").click()
            expect(page.get_by_text(re.compile("Quote sent. The e-mail to"))).to_be_visible()
            expect(page.get_by_role("dialog")).to_have_count(0)
            with app_server.session() as s:
                msg = s.exec(select(OutboxMessage).where(OutboxMessage.to == world["email"])).one()
                assert msg.cc == "boss@composer.test" and msg.subject.startswith("Proposal ")
            page.goto(f"{app_server.base_url}/outbox")
            card = page.get_by_text(f"Proposal {world['label']} for {world['client']}").first
            expect(card).to_be_visible()
            expect(page.get_by_text("Cc boss@composer.test").first).to_be_visible()
        finally:
            ctx.close()


def a_contract_for_the_owner_to_countersign(app) -> dict:
    with app.session() as s:
        owner = s.exec(select(User).where(User.role == "owner")).first()
        client = a_won_client(s, "Countersign Co", ("Cid Client", f"cid.{id(s) % 100000}@countersign.test"))
        project = a_delivered_project(
            s, client, "Countersign Co website", role="Developer", rate_minor=10000, entries=1
        )
        contract = contracts.create_from_deal(s, SYSTEM, project.deal_id)
        contracts.add_signer(s, SYSTEM, contract.id, kind="countersigner", user_id=owner.id)
        draft = contracts.create_from_deal(s, SYSTEM, project.deal_id)  # a second one, left a draft
        contracts.send(s, SYSTEM, contract.id, provider="builtin")
        s.commit()
        msg = s.exec(
            select(OutboxMessage).where(OutboxMessage.to == client.contact.email, OutboxMessage.link.like("%/sign/%"))
        ).one()
        token = msg.link.rsplit("/sign/", 1)[1]
        contracts.sign(s, token, consent=True, typed_name="Cid Client")
        s.commit()
        return {"id": contract.id, "title": contract.title, "draft_id": draft.id}


def test_the_countersigner_signs_in_the_app_and_gets_the_signed_pdf(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, password = app_server.ensure_owner()
    world = a_contract_for_the_owner_to_countersign(app_server)
    ctx = browser.new_context(viewport=SIZES[0])
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        sign_in(page, app_server, email, password)
        page.get_by_role("button", name=re.compile(r"Notifications \(\d+ unread\)")).click()
        # this contract's notification (the shared app's owner may have others by now)
        page.get_by_role(
            "button", name=re.compile("Your signature is needed on .?" + re.escape(world["title"]))
        ).first.click()
        page.wait_for_url(re.compile(rf".*/contracts/{world['id']}/?$"))
        expect(page.get_by_role("main").get_by_text("Your signature is needed").first).to_be_visible()
        page.get_by_role("button", name="Sign the contract").click()
        expect(page.get_by_text(re.compile("tick .I agree to sign electronically")).first).to_be_visible()
        page.get_by_role("checkbox", name="I agree to sign electronically").click()
        page.get_by_role("button", name="Sign the contract").click()
        expect(page.get_by_text("Everyone has signed: the signed PDF is ready to download.")).to_be_visible()
        link = page.get_by_role("link", name="Download signed PDF").last
        expect(link).to_have_attribute("href", f"/api/v1/contracts/{world['id']}/pdf")
        response = page.request.get(f"{app_server.base_url}/api/v1/contracts/{world['id']}/pdf")
        assert response.ok and response.body().startswith(b"%PDF")
        with app_server.session() as s:
            from l2c_app.contracts.models import Contract

            assert s.get(Contract, world["id"]).status == "completed"
    finally:
        ctx.close()


def test_contract_editor_preview(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, password = app_server.ensure_owner()
    world = a_contract_for_the_owner_to_countersign(app_server)
    for n, size in enumerate(SIZES):
        ctx = browser.new_context(viewport=size)
        ctx.set_default_timeout(20_000)
        if n == 1:
            ctx.add_init_script("localStorage.setItem('theme', 'dark')")
        try:
            page = ctx.new_page()
            sign_in(page, app_server, email, password, next_path=f"/contracts/{world['draft_id']}")
            text = page.get_by_label("Contract text")
            try:
                expect(text).to_be_visible()
            except AssertionError:
                page.screenshot(path=str(SHOTS / f"fail-editor-{size['width']}.png"), full_page=True)
                raise
            text.fill(
                "# Services agreement\n\nBetween **us** and the client.\n\n- one\n- two\n\n"
                "| a | b |\n|---|---|\n| 1 | 2 |"
            )
            preview = page.get_by_role("region", name="Preview (as the signer sees it)")
            expect(preview.get_by_role("heading", name="Services agreement")).to_be_visible()
            expect(preview.get_by_role("table")).to_be_visible()
            page.screenshot(
                path=str(SHOTS / f"contract-editor-{'dark' if n == 1 else 'light'}-{size['width']}.png"), full_page=True
            )
        finally:
            ctx.close()
