"""The proposal PDF, read back with pypdf: text, totals, page count, logo, non-ASCII names."""

import io
import re
from decimal import Decimal

from pypdf import PdfReader

from l2c_app.core.documents import store_document
from l2c_app.core.money import round_minor
from l2c_app.quotes import service as svc
from l2c_app.quotes.pdf import quote_pdf_bytes


def read(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(p.extract_text() for p in reader.pages)


def test_one_line_quote(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_line(
        session,
        world.actor,
        q.id,
        description="Audit für Ærø",
        quantity="1",
        unit_price_minor=123456,
        tax_rate_id=world.vat.id,
        section="Étape 1",
    )
    svc.update_quote(session, world.actor, q.id, terms="Payable à 30 jours.")
    reader, text = read(quote_pdf_bytes(session, q.id))
    assert len(reader.pages) == 1
    for expected in (
        "Zoë Łukasiewicz",
        "Ćlient Ltd",
        "Nørdwind Studio",
        "Audit für Ærø",
        "Étape 1",
        "€1,234.56",
        "€246.91",
        "€1,481.47",
        "Payable à 30 jours.",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_three_hundred_lines_across_pages(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    for i in range(300):
        svc.add_line(
            session,
            world.actor,
            q.id,
            description=f"Task {i:03d} — Łódź",
            quantity="1.5",
            unit_price_minor=1001 + i,
            section=f"Section {i // 100}",
            optional=(i == 299),
        )
    svc.update_quote(session, world.actor, q.id, discount_percent="5")
    view = svc.quote_view(session, q.id)
    reader, text = read(quote_pdf_bytes(session, q.id))
    pages = len(reader.pages)
    assert pages >= 5
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()
    assert "Task 000" in text and "Task 299" in text and "Section 2" in text
    assert view["totals"]["total"] in reader.pages[-1].extract_text()
    # every page after the first repeats the table header
    assert all("Description" in p.extract_text() for p in reader.pages[:-1])
    # the optional last line is listed but not counted; half-up once per line
    assert view["totals"]["subtotal_minor"] == sum(round_minor(Decimal(1001 + i) * Decimal("1.5")) for i in range(299))


def test_three_hundred_lines_print_as_on_the_plain_fpdf2_path(session, world, monkeypatch):
    """The fast path (core.pdf: shared fonts, its own line breaker, a row laid out once) against
    plain fpdf2 (tests/test_pdf_shared_fonts.ReferencePDF) on a 300-line quote: the same text
    on the same pages, and the same bytes but for the creation date."""
    from l2c_app.quotes import pdf as quote_pdf
    from tests.test_pdf_shared_fonts import ReferencePDF

    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    for i in range(300):
        svc.add_line(
            session,
            world.actor,
            q.id,
            description=f"Task {i:03d} — Łódź " + "and a description long enough to wrap in its column " * (i % 3),
            quantity="1.5",
            unit_price_minor=1001 + i,
            section=f"Section {i // 100}",
            optional=(i % 7 == 0),
            billing_kind="milestone" if i % 5 == 0 else "fixed",
            due_date="2099-01-31" if i % 5 == 0 else None,
        )
    svc.update_quote(session, world.actor, q.id, notes="Notes  with\n\ntwo paragraphs\tand a tab. " * 20)
    view = svc.quote_view(session, q.id)
    fast = quote_pdf.render_quote_pdf(view)
    monkeypatch.setattr(quote_pdf, "BrandedPDF", ReferencePDF)
    plain = quote_pdf.render_quote_pdf(view)
    fast_reader, fast_text = read(fast)
    plain_reader, plain_text = read(plain)
    assert len(fast_reader.pages) == len(plain_reader.pages) >= 10
    assert [p.extract_text() for p in fast_reader.pages] == [p.extract_text() for p in plain_reader.pages]
    assert "Task 299" in fast_text and view["totals"]["total"] in fast_text
    dated = re.compile(rb"/CreationDate \(D:[^)]*\)|/ID \[<[^]]*\]")  # the file id hashes the date
    assert dated.sub(b"", fast) == dated.sub(b"", plain)


def test_logo_from_the_organisation(session, world):
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
    )
    doc = store_document(session, kind="logo", filename="logo.png", data=png, content_type="image/png")
    world.org.logo_document_id = doc.id
    session.add(world.org)
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_line(session, world.actor, q.id, description="One", unit_price_minor=100)
    session.flush()
    with_logo = PdfReader(io.BytesIO(quote_pdf_bytes(session, q.id)))
    assert len(with_logo.pages[0].images) == 1


def test_expiry_and_milestone_due_in_the_organisation_locale(session, world):
    from l2c_app.core import formats
    from l2c_app.core.audit import SYSTEM

    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_line(
        session,
        world.actor,
        q.id,
        description="Launch",
        unit_price_minor=1000,
        billing_kind="milestone",
        due_date="2099-01-31",
    )
    svc.update_quote(session, world.actor, q.id, expires_on="2099-02-14")
    formats.save_formats(session, SYSTEM, locale="de-DE", hours_format="hm")
    _, german = read(quote_pdf_bytes(session, q.id))
    assert "Valid until 14.02.2099" in german and "due 31.01.2099" in german and "2099-02-14" not in german
    assert svc.quote_view(session, q.id)["expires_on"] == "2099-02-14"  # the view (the API's) keeps ISO
    row = next(r for r in svc.list_quotes(session) if r.id == q.id)
    assert row.expires_on == "14.02.2099" and row.updated.count(".") == 2 and "-" not in row.updated
    formats.save_formats(session, SYSTEM, locale="en-US", hours_format="hm")
    assert "Valid until Feb 14, 2099" in read(quote_pdf_bytes(session, q.id))[1]
