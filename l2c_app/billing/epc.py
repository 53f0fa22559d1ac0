"""EPC/SEPA payment QR code ("GiroCode", EPC069-12) for EUR invoices.

The payload is twelve lines (trailing empty ones left out), UTF-8, separated by LF:

    BCD            service tag
    002            version (002: the BIC is optional inside the EEA)
    1              character set (1 = UTF-8)
    SCT            SEPA credit transfer
    <BIC>          may be empty in version 002
    <name>         beneficiary, at most 70 characters
    <IBAN>
    EUR<amount>    0.01 .. 999999999.99, "." as decimal separator, no trailing zeros needed
    <purpose>      4-letter code, empty here
    <structured reference>     (RF creditor reference: empty, we use the unstructured one)
    <unstructured remittance>  at most 140 characters: the invoice number
    <information>  empty

A banking app that scans it pre-fills the transfer, so a client cannot mistype the IBAN or
the reference. The QR code uses error correction level M, as the standard asks.
"""

from __future__ import annotations

import base64
from decimal import Decimal

from l2c_app.core.errors import DomainError
from l2c_app.core.seller import bic_problem, compact, iban_problem

MAX_PAYLOAD_BYTES = 331


def epc_payload(
    *, name: str, iban: str, amount_minor: int, reference: str, bic: str = "", currency: str = "EUR"
) -> str:
    """The EPC069-12 text for one transfer of `amount_minor` cents in EUR."""
    if currency != "EUR":
        raise DomainError("An EPC QR code is for EUR transfers only.", "currency")
    if not 1 <= amount_minor <= 99_999_999_999:
        raise DomainError("An EPC QR code carries 0.01 to 999,999,999.99 EUR.", "amount")
    iban = compact(iban)
    if iban_problem(iban):
        raise DomainError(iban_problem(iban), "iban")
    bic = compact(bic)
    if bic and bic_problem(bic):
        raise DomainError(bic_problem(bic), "bic")
    # Integer cents to text without a float: 1230 -> "12.3", 100 -> "1", 5 -> "0.05".
    amount = format(Decimal(amount_minor).scaleb(-2).normalize(), "f")
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic,
        " ".join(name.split())[:70],
        iban,
        f"EUR{amount}",
        "",
        "",
        " ".join(reference.split())[:140],
        "",
    ]
    while lines and lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:  # cannot happen with the limits above; the standard's cap
        raise DomainError("The payment details are too long for an EPC QR code.", "reference")
    return payload


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR code's modules (True = dark), with the standard 4-module quiet zone."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(payload.encode("utf-8"))
    qr.make(fit=True)
    return qr.get_matrix()


def qr_svg(payload: str) -> str:
    """The QR code as an SVG document (qrcode's pure-Python writer)."""
    import qrcode
    import qrcode.image.svg
    from qrcode.constants import ERROR_CORRECT_M

    img = qrcode.make(
        payload.encode("utf-8"),
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=ERROR_CORRECT_M,
        border=4,
        box_size=10,
    )
    return img.to_string(encoding="unicode")


def qr_svg_data_uri(payload: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(payload).encode()).decode()
