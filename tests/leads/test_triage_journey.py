"""Journey: a seller triages the lead inbox: merges a duplicate, disqualifies spam with a
reason, and exports what is left as CSV."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import select

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.leads import service as leads
from l2c_app.leads.models import Lead
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def given_leads(app, tag: str) -> None:
    app.ensure_owner()
    with app.session() as s:
        for name, email, msg in [
            (f"Tess {tag}", f"tess@{tag}.test", "First request"),
            (f"Tess B {tag}", f"TESS@{tag}.test", "Second request"),
            (f"Spammy {tag}", f"win@{tag}-prizes.test", "You won"),
        ]:
            leads.capture(s, {"name": name, "email": email, "company": f"Firm {tag}", "message": msg}, trusted=True)
        s.commit()


def search(page, text: str) -> None:
    page.get_by_label("Search leads").fill(text)
    page.get_by_role("button", name="Search", exact=True).click()


def merge_duplicate(page, name: str) -> None:
    page.get_by_role("button", name=f"Merge {name} into lead").click()
    expect(page.get_by_text("Duplicate merged into the original lead.")).to_be_visible()


def disqualify(page, name: str, reason: str) -> None:
    page.get_by_role("button", name=f"Disqualify {name}").click()
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Disqualify", exact=True).click()
    expect(page.get_by_text("Lead disqualified.")).to_be_visible()


def test_seller_merges_a_duplicate_and_disqualifies_spam(page, app_server):
    app = app_server
    tag = uuid.uuid4().hex[:6]
    given_leads(app, tag)
    sign_in(page, app, *app.ensure_owner())
    page.goto(f"{app.base_url}/leads")
    search(page, tag)
    expect(page.get_by_role("row").filter(has_text=f"Tess B {tag}")).to_contain_text("duplicate")
    merge_duplicate(page, f"Tess B {tag}")
    disqualify(page, f"Spammy {tag}", "Obvious spam")
    # The default view lists open leads: only the original is left.
    expect(page.get_by_role("row").filter(has_text=tag)).to_have_count(1)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert f"tess@{tag}.test" in text and "Spammy" not in text

    with app.session() as s:
        rows = {ld.name: ld for ld in s.exec(select(Lead).where(Lead.company == f"Firm {tag}"))}
        assert rows[f"Tess B {tag}"].status == "merged"
        assert "Second request" in rows[f"Tess {tag}"].message
        assert (rows[f"Spammy {tag}"].status, rows[f"Spammy {tag}"].disqualify_reason) == (
            "disqualified",
            "Obvious spam",
        )
