"""The seller profile (Settings), the client's VAT id, the tax-by-rate table, "Pay by bank
transfer" with the EPC QR code: services on both backends, PDFs read back with pypdf."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlmodel import select

from l2c_app.billing import service, views
from l2c_app.billing.epc import epc_payload, qr_matrix
from l2c_app.billing.models import InvoiceLine
from l2c_app.billing.pdf import render_invoice_pdf
from l2c_app.billing.taxtable import tax_by_rate
from l2c_app.core import seller
from l2c_app.core.audit import SYSTEM, Actor
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog
from l2c_app.pipeline.accounts import update_account_details

ADMIN = Actor("user", None)
IBAN = "DE89 3704 0044 0532 0130 00"  # the standard's example German IBAN (valid check digits)
PROFILE = {
    "legal_name": "Test Studio GmbH",
    "address_line1": "Hauptstraße 5",
    "postcode": "10115",
    "city": "Berlin",
    "country": "Germany",
    "tax_id": "DE123456789",
    "iban": IBAN,
    "bic": "COBADEFFXXX",
}


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 12), (62, 99, 221)).save(out, format="PNG")
    return out.getvalue()


PNG_1PX = _png()


def text_of(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# --- profile and validation -------------------------------------------------------------------


def test_profile_is_saved_normalised_and_audited(session, world):
    saved = seller.save_seller_profile(
        session, ADMIN, {**PROFILE, "iban": "de89 3704-0044 0532 0130 00", "bic": "cobadeffxxx"}
    )
    session.commit()
    assert saved["iban"] == "DE89370400440532013000" and saved["bic"] == "COBADEFFXXX"
    assert seller.seller_profile(session)["legal_name"] == "Test Studio GmbH"
    assert seller.seller_lines(saved) == [
        "Test Studio GmbH",
        "Hauptstraße 5",
        "10115 Berlin",
        "Germany",
        "VAT id: DE123456789",
    ]
    assert seller.bank_lines(saved) == [
        "Account holder: Test Studio GmbH",
        "IBAN: DE89 3704 0044 0532 0130 00",
        "BIC: COBADEFFXXX",
    ]
    audit = session.exec(select(AuditLog).where(AuditLog.action == "seller_profile")).one()
    assert audit.after["settings"]["seller"]["tax_id"] == "DE123456789"
    # other settings of the organisation are kept
    service.save_billing_settings(session, ADMIN, {"invoice_terms": "net_15"})
    assert seller.seller_profile(session)["iban"] == "DE89370400440532013000"


def test_legal_name_falls_back_to_the_organisation(session, world):
    profile = seller.save_seller_profile(session, ADMIN, {"city": "Paris"})
    assert profile["display_name"] == "Test Studio"
    assert seller.seller_lines(profile) == ["Test Studio", "Paris"]
    assert seller.bank_lines(profile) == []


@pytest.mark.parametrize(
    "values, field, words",
    [
        ({"iban": "DE89 3704 0044 0532 0130 01"}, "iban", "check digits"),  # one digit mistyped
        ({"iban": "GB82WEST1234569876543"}, "iban", "GB IBAN has 22 characters"),
        ({"iban": "12345"}, "iban", "2-letter country code"),
        ({"iban": IBAN, "bic": "COBA DE"}, "bic", "8 or 11"),
        ({"iban": IBAN, "bic": "C0BADEFF"}, "bic", "8 or 11"),  # a zero in the bank code
        ({"bic": "COBADEFFXXX"}, "iban", "goes with this BIC"),
        ({"iban": IBAN, "account_number": "12345678", "routing_code": "123456"}, "account_number", "not both"),
        ({"account_number": "12345678"}, "routing_code", "routing number or sort code"),
        ({"routing_code": "12-34-56"}, "account_number", "account number"),
        ({"account_number": "12345678", "routing_code": "12-AB-56"}, "routing_code", "digits only"),
        ({"tax_id": "X" * 41}, "tax_id", "At most 40"),
        ({"legal_name": "Nul\x00"}, "legal_name", "cannot be stored"),
    ],
)
def test_invalid_values_are_refused_with_the_field_and_a_clear_message(session, world, values, field, words):
    with pytest.raises(DomainError) as err:
        seller.save_seller_profile(session, ADMIN, values)
    assert err.value.field == field and err.value.kind == "invalid" and err.value.status == 422
    assert words in err.value.message
    assert seller.seller_profile(session)["iban"] == ""  # nothing saved


def test_iban_check_digits_of_known_ibans():
    for good in (
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "CH9300762011623852957",
    ):
        assert seller.iban_problem(good) == "", good
    assert "check digits" in seller.iban_problem("GB82 WEST 1234 5698 7654 33")
    assert "check digits" in seller.iban_problem("NL19ABNA0417164300")  # transposed check digits


def test_account_number_with_sort_code(session, world):
    p = seller.save_seller_profile(session, ADMIN, {"account_number": "31926819", "routing_code": "60-16-13"})
    assert p["routing_code"] == "601613"
    assert seller.bank_lines(p)[1:] == ["Account number: 31926819", "Routing number / sort code: 601613"]


def test_logo_upload_checks_the_bytes_and_size(session, world):
    with pytest.raises(DomainError, match="PNG or JPEG"):
        seller.set_logo(session, ADMIN, b"GIF89a....", "x.png")  # the name says png, the bytes do not
    with pytest.raises(DomainError, match="could not be read") as err:
        seller.set_logo(session, ADMIN, b"\x89PNG\r\n\x1a\n" + b"garbage", "x.png")
    with pytest.raises(DomainError) as err:
        seller.set_logo(session, ADMIN, b"\x89PNG\r\n\x1a\n" + b"0" * seller.LOGO_MAX_BYTES, "big.png")
    assert err.value.kind == "too_large" and err.value.status == 413
    doc = seller.set_logo(session, ADMIN, PNG_1PX, "../../etc/logo.png")
    assert doc.kind == "logo" and doc.content_type == "image/png" and "/" not in doc.filename
    assert seller.logo_bytes(session) == PNG_1PX
    assert seller.logo_data_uri(session).startswith("data:image/png;base64,")
    seller.remove_logo(session, ADMIN)
    assert seller.logo_bytes(session) is None and seller.logo_data_uri(session) == ""


# --- the client's VAT id ------------------------------------------------------------------------


def test_client_tax_id_is_edited_validated_and_audited(session, world):
    update_account_details(session, ADMIN, world.account.id, tax_id="  FR 40 303265045 ", address="1 rue X\nParis")
    session.commit()
    assert world.account.tax_id == "FR 40 303265045" and world.account.address == "1 rue X\nParis"
    row = session.exec(select(AuditLog).where(AuditLog.entity == "account")).one()
    assert row.after["tax_id"] == "FR 40 303265045"
    with pytest.raises(DomainError) as err:
        update_account_details(session, ADMIN, world.account.id, tax_id="<script>")
    assert err.value.field == "tax_id"
    with pytest.raises(DomainError) as err:
        update_account_details(session, ADMIN, 999_999, tax_id="DE1")
    assert err.value.kind == "not_found"
    update_account_details(session, ADMIN, world.account.id, tax_id="")
    assert world.account.tax_id is None


# --- the tax table ------------------------------------------------------------------------------


def _invoice(session, world, issue: bool = True):
    world.time(120)  # Developer, VAT 20 % exclusive: 190.00 + 38.00
    world.time(60, line=world.design)  # Designer, no tax: 80.00
    world.change_order(10000, tax=world.vat_incl)  # 100.00 with 20 % included: 16.67 inside
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    if issue:
        service.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 4, 1))
    session.commit()
    return inv


def test_tax_table_groups_the_lines_figures_by_rate(session, world):
    inv = _invoice(session, world)
    lines = list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)))
    rows = tax_by_rate(lines)
    # The change order's rate: whatever the tax rule gives the line, the table repeats it.
    co = next(ln for ln in lines if ln.source_type == "change_order")
    expected = {("20%", 19000, 3800), ("0%", 8000, 0)}
    expected.add(
        (
            ("20% incl." if co.tax_inclusive else f"{co.tax_percent.normalize():f}%"),
            co.amount_minor - (co.tax_minor if co.tax_inclusive else 0),
            co.tax_minor,
        )
    )
    assert {(r.label, r.base_minor, r.tax_minor) for r in rows} == expected
    assert sum(r.tax_minor for r in rows) == sum(ln.tax_minor for ln in lines)
    assert rows[-1].label == "0%"  # highest rate first
    # The page and the PDF read the same rows.
    detail = views.invoice_detail(session, inv.id)
    assert {"rate": "20%", "base": "€190.00", "tax": "€38.00"} in detail["tax_rows"]
    assert {"rate": "0%", "base": "€80.00", "tax": "€0.00"} in detail["tax_rows"]


def test_tax_table_of_a_line_with_an_inclusive_rate():
    line = InvoiceLine(
        invoice_id=1, description="x", amount_minor=10000, tax_percent=Decimal("20"), tax_minor=1667, tax_inclusive=True
    )
    other = InvoiceLine(invoice_id=1, description="y", amount_minor=5000, tax_percent=Decimal("20.0"), tax_minor=1000)
    low = InvoiceLine(invoice_id=1, description="z", amount_minor=333, tax_percent=Decimal("1"), tax_minor=3)
    rows = tax_by_rate([low, line, other])
    assert [(r.label, r.base_minor, r.tax_minor) for r in rows] == [
        ("20%", 5000, 1000),
        ("20% incl.", 8333, 1667),
        ("1%", 333, 3),
    ]
    assert tax_by_rate([]) == []


# --- the invoice PDF, page and public page ------------------------------------------------------


def test_invoice_pdf_prints_seller_client_vat_tax_table_and_bank_transfer(session, world):
    seller.save_seller_profile(session, ADMIN, PROFILE)
    update_account_details(session, ADMIN, world.account.id, tax_id="FR40303265045")
    inv = _invoice(session, world)
    text = text_of(render_invoice_pdf(session, inv))
    for expected in (
        "Test Studio GmbH",
        "Hauptstraße 5",
        "10115 Berlin",
        "VAT id: DE123456789",
        "Client VAT id: FR40303265045",
        "Tax by rate",
        "20% €190.00 €38.00",
        "0% €80.00 €0.00",
        "Pay by bank transfer",
        "IBAN: DE89 3704 0044 0532 0130 00",
        "BIC: COBADEFFXXX",
        f"Reference: {inv.number}",
        "Scan to pay",
    ):
        assert expected in text, (expected, text)
    assert inv.number and inv.number in text


def test_paid_invoice_and_credit_note_print_no_bank_transfer(session, world):
    seller.save_seller_profile(session, ADMIN, PROFILE)
    inv = _invoice(session, world)
    cn = service.credit_note(session, SYSTEM, inv.id)
    session.commit()
    text = text_of(render_invoice_pdf(session, cn))
    assert "Test Studio GmbH" in text and "Tax by rate" in text and "-€38.00" in text
    assert "Pay by bank transfer" not in text and "IBAN" not in text
    assert views.public_invoice(session, cn.public_token)["bank"]["lines"] == ""


def test_without_bank_details_the_payment_instructions_stay(session, world):
    inv = _invoice(session, world)
    text = text_of(render_invoice_pdf(session, inv))
    assert "Pay by bank transfer" not in text
    assert f"quote the invoice number as the reference. Reference: {inv.number}" in text


def test_public_page_shows_bank_details_reference_and_qr_for_eur(session, world):
    seller.save_seller_profile(session, ADMIN, PROFILE)
    update_account_details(session, ADMIN, world.account.id, tax_id="FR40303265045")
    seller.set_logo(session, ADMIN, PNG_1PX)
    inv = _invoice(session, world)
    pub = views.public_invoice(session, inv.public_token)
    assert "IBAN: DE89 3704 0044 0532 0130 00" in pub["bank"]["lines"]
    assert pub["bank"]["reference"] == inv.number and pub["bank"]["amount"] == pub["invoice"]["open"]
    assert pub["bank"]["qr"].startswith("data:image/svg+xml;base64,")
    assert pub["seller"]["lines"].startswith("Test Studio GmbH\n") and pub["seller"]["client_tax_id"] == "FR40303265045"
    assert pub["seller"]["logo"].startswith("data:image/png")
    assert {"rate": "20%", "base": "€190.00", "tax": "€38.00"} in pub["tax_rows"]
    # the in-app page has the same bank box, and no logo blob it does not show
    detail = views.invoice_detail(session, inv.id)
    assert detail["bank"] == pub["bank"] and detail["seller"]["logo"] == ""


def test_no_qr_code_outside_eur_or_without_an_iban(session, world):
    seller.save_seller_profile(session, ADMIN, {"account_number": "31926819", "routing_code": "601613"})
    inv = _invoice(session, world)
    pub = views.public_invoice(session, inv.public_token)
    assert "Account number: 31926819" in pub["bank"]["lines"] and pub["bank"]["qr"] == ""
    assert "Scan to pay" not in text_of(render_invoice_pdf(session, inv))

    usd = world.another_project("US site", currency="USD")
    seller.save_seller_profile(session, ADMIN, PROFILE)
    usd.change_order(5000)
    inv2 = service.build_invoice(session, SYSTEM, usd.pid, date(2026, 3, 31))
    service.issue_invoice(session, SYSTEM, inv2.id, issue_date=date(2026, 4, 1))
    inv2.currency = "USD"
    session.commit()
    pub = views.public_invoice(session, inv2.public_token)
    assert "IBAN" in pub["bank"]["lines"] and pub["bank"]["qr"] == ""


def test_logo_prints_on_the_invoice(session, world):
    inv = _invoice(session, world)
    assert len(PdfReader(io.BytesIO(render_invoice_pdf(session, inv))).pages[0].images) == 0
    seller.set_logo(session, ADMIN, PNG_1PX)
    assert len(PdfReader(io.BytesIO(render_invoice_pdf(session, inv))).pages[0].images) == 1


# --- EPC QR payload -----------------------------------------------------------------------------


def test_epc_payload_matches_the_published_example():
    # The EPC069-12 example as published (version 002, structured fields left out here:
    # l2c always sends the invoice number as the unstructured remittance).
    expected = "\n".join(
        [
            "BCD",
            "002",
            "1",
            "SCT",
            "BPOTBEB1",
            "Red Cross of Belgium",
            "BE72000000001616",
            "EUR1",
            "",
            "",
            "Urgency fund",
        ]
    )
    assert (
        epc_payload(
            name="Red Cross of Belgium",
            iban="BE72 0000 0000 1616",
            bic="bpotbeb1",
            amount_minor=100,
            reference="Urgency fund",
        )
        == expected
    )


def test_epc_payload_amounts_limits_and_qr():
    base = dict(name="Franz Mustermänn", iban="DE71110220330123456789", reference="INV-2026-0001")
    assert epc_payload(**base, amount_minor=1230).split("\n")[7] == "EUR12.3"
    assert epc_payload(**base, amount_minor=5).split("\n")[7] == "EUR0.05"
    assert epc_payload(**base, amount_minor=99_999_999_999).split("\n")[7] == "EUR999999999.99"
    assert epc_payload(**base, amount_minor=1230).split("\n")[4] == ""  # BIC optional in version 002
    with pytest.raises(DomainError):
        epc_payload(**base, amount_minor=0)
    with pytest.raises(DomainError):
        epc_payload(**base, amount_minor=100_000_000_000)
    with pytest.raises(DomainError):
        epc_payload(**base, amount_minor=100, currency="USD")
    with pytest.raises(DomainError):
        epc_payload(**{**base, "iban": "DE71110220330123456780"}, amount_minor=100)
    long = epc_payload(name="N" * 100, iban=base["iban"], reference="R" * 300, amount_minor=100)
    assert len(long.split("\n")[5]) == 70 and len(long.split("\n")[10]) == 140
    assert len(long.encode()) <= 331
    matrix = qr_matrix(epc_payload(**base, amount_minor=1230))
    assert len(matrix) == len(matrix[0]) >= 21 + 8  # a real QR symbol with its quiet zone


# --- the client's VAT id over the API -----------------------------------------------------------


@pytest.fixture
def client(db_url, world, session):
    from fastapi.testclient import TestClient

    from l2c_app.api.app import build_api
    from l2c_app.core.auth import create_api_key

    _, raw = create_api_key(session, "seller-tests")
    session.commit()
    with TestClient(build_api(), headers={"Authorization": f"Bearer {raw}"}) as c:
        yield c


def test_patch_account_tax_id(client, world, session):
    r = client.patch(f"/api/v1/accounts/{world.account.id}", json={"tax_id": "ATU12345678"})
    assert r.status_code == 200 and r.json()["tax_id"] == "ATU12345678"
    r = client.patch(f"/api/v1/accounts/{world.account.id}", json={"tax_id": "??"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "tax_id"
    assert client.patch(f"/api/v1/accounts/{world.account.id}", json={"vat": "x"}).status_code == 422
    assert client.patch("/api/v1/accounts/999999", json={"tax_id": "ATU12345678"}).status_code == 404
    session.expire_all()
    from l2c_app.pipeline.models import Account

    assert session.get(Account, world.account.id).tax_id == "ATU12345678"


@pytest.mark.skipif(
    not (__import__("shutil").which("pdftoppm") and __import__("shutil").which("zbarimg")),
    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools) to scan the printed code",
)
def test_the_printed_qr_code_scans_to_the_payload(session, world, tmp_path):
    import subprocess

    seller.save_seller_profile(session, ADMIN, PROFILE)
    inv = _invoice(session, world)
    (tmp_path / "inv.pdf").write_bytes(render_invoice_pdf(session, inv))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-singlefile", str(tmp_path / "inv.pdf"), str(tmp_path / "inv")],
        check=True,
        timeout=60,
    )
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "inv.png")], capture_output=True, text=True, timeout=60
    ).stdout.rstrip("\n")
    expected = epc_payload(
        name="Test Studio GmbH",
        iban=IBAN,
        bic="COBADEFFXXX",
        amount_minor=service.open_amount(session, inv),
        reference=inv.number,
    )
    assert scanned == expected
