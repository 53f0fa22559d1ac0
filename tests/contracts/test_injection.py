"""Contract injection: values typed into the public lead form are data in the contract.

The payloads enter through POST /api/v1/leads (no caller), become the deal's account and
contact on conversion, and are merged into the contract. On the signing page (Markdown) and in
the PDF they print literally: no image, no link, no heading, no new paragraph.
"""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt
from pypdf import PdfReader

from l2c_app.contracts import service as contracts
from l2c_app.contracts.merge import escape_md
from l2c_app.contracts.models import Contract
from l2c_app.core.audit import Actor
from l2c_app.core.auth import create_user, setup_organisation
from l2c_app.leads import service as leads
from l2c_app.quotes import service as quotes

IMAGE = "![c](http://tracker.example/x.png)"
LINK = "[Pay here](http://evil.example/pay)"
CLAUSE = "Zoë\n\n## 9. Extra clause\nThe Client waives every right."


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def markdown_html(body: str) -> str:
    """What a CommonMark + tables renderer (the signing page's remark-gfm subset) makes of the body."""
    return MarkdownIt("commonmark").enable("table").render(body)


@pytest.fixture
def hostile_contract(session, db_url) -> Contract:
    from l2c_app.api.app import build_api

    _, owner = setup_organisation(
        session,
        org_name="Northwind Studio",
        currency="EUR",
        timezone="Europe/Paris",
        owner_name="Olivia Owner",
        owner_email="owner@northwind.test",
        password="owner-password-1",
    )
    seller = create_user(
        session, name="Sam Seller", email="sam@northwind.test", role="sales", password="seller-password-1"
    )
    session.commit()
    client = TestClient(build_api())
    r = client.post(
        "/api/v1/leads", json={"name": f"{CLAUSE} {LINK}", "email": "zoe@hostile.test", "company": f"{IMAGE} Corp"}
    )
    assert r.status_code == 201, r.text
    actor = Actor("user", seller.id)
    deal = leads.convert(session, actor, r.json()["id"], value_minor=100_000)
    quote = quotes.create_quote_from_deal(session, actor, deal.id)
    quotes.add_line(session, actor, quote.id, description=f"Workshop {LINK}", quantity="1", unit_price_minor=100_000)
    session.commit()
    quotes.send_quote(session, actor, quote.id)
    session.commit()
    quotes.accept_quote(session, quote.public_token, name="Zoë", agreed=True)
    session.commit()
    contract = contracts.create_from_quote(session, actor, quote.id)
    session.commit()
    assert owner.id
    return contract


def test_merged_values_carry_no_structure_on_the_signing_page(hostile_contract):
    body = hostile_contract.body
    html = markdown_html(body)
    assert "<img" not in html and 'tracker.example/x.png"' not in html
    assert "<a " not in html
    assert "Extra clause</h2>" not in html
    # The template's own headings are still headings; the hostile one is text in a paragraph.
    assert "<h2>1. Scope</h2>" in html
    assert "![c](http://tracker.example/x.png) Corp" in _text_of(html)
    assert "## 9. Extra clause The Client waives every right." in _text_of(html)
    assert "[Pay here](http://evil.example/pay)" in _text_of(html)
    # No value starts a line of its own: every line of the body is the template's.
    assert not any(line.lstrip().startswith(("## 9", "The Client waives")) for line in body.splitlines())


def _text_of(html: str) -> str:
    import html as h
    import re

    return h.unescape(re.sub(r"<[^>]+>", "", html))


def test_merged_values_print_literally_in_the_pdf(session, hostile_contract):
    text = " ".join(pdf_text(contracts.render_pdf(session, hostile_contract)).split())
    assert "![c](http://tracker.example/x.png) Corp" in text
    assert "## 9. Extra clause The Client waives every right." in text
    assert "[Pay here](http://evil.example/pay)" in text
    reader = PdfReader(io.BytesIO(contracts.render_pdf(session, hostile_contract)))
    links = [
        a for page in reader.pages for a in (page.get("/Annots") or []) if a.get_object().get("/Subtype") == "/Link"
    ]
    assert links == []


def test_bold_of_the_template_still_works_and_escapes_are_not_printed(session, hostile_contract):
    text = pdf_text(contracts.render_pdf(session, hostile_contract))
    # the template's **bold** is markup (no stars printed), the escapes of merged values are not printed
    assert "**" not in text and "\\" not in text
    assert "Northwind Studio" in text


def test_signing_page_renders_links_as_text_and_images_as_nothing():
    from l2c_app.contracts.document_view import DOCUMENT_COMPONENTS, document_markdown

    markdown = document_markdown("x")
    code = markdown.children[0]._get_custom_code()
    assert set(DOCUMENT_COMPONENTS) == {"a", "img"}
    # the component map renders <a> and <img> as bare spans: no href, no src reaches the DOM
    for tag in ("a", "img"):
        rendered = str(DOCUMENT_COMPONENTS[tag]("child").render())
        assert "href" not in rendered and "src" not in rendered and "span" in rendered
    assert "ComponentMap_" in code and "rehypeRaw" not in str(markdown.render())


@pytest.mark.parametrize(
    "value",
    [
        IMAGE,
        LINK,
        CLAUSE,
        "<img src=x>",
        "&copy;",
        "**bold**",
        "a | b",
        "1. x",
        "> quote",
        "- item",
        "`code`",
        "http://bare.example",
        "www.bare.example",
        "a@b.example",
        "\\[x\\](y)",
        "~~s~~ __u__ --d--",
    ],
)
def test_escape_md_renders_as_the_literal_text(value):
    html = markdown_html(f"Name: {escape_md(value)}")
    assert _text_of(html).strip() == "Name: " + " ".join(value.split())
    assert html.count("<p>") == 1 and "<a" not in html and "<img" not in html
