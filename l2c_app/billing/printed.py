"""What an invoice prints beyond its lines, the same on the PDF, the in-app page and the
client's page: the seller, the client's VAT id, the tax table and "Pay by bank transfer"."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.billing.epc import epc_payload
from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.billing.service import open_amount
from l2c_app.billing.taxtable import tax_by_rate
from l2c_app.core.money import format_money
from l2c_app.core.seller import bank_lines, has_bank
from l2c_app.pipeline.models import Account


def client_tax_id(session: Session, inv: Invoice) -> str:
    acc = session.get(Account, inv.account_id) if inv.account_id else None
    return (acc.tax_id or "") if acc else ""


def tax_rows(lines: list[InvoiceLine], currency: str) -> list[dict[str, str]]:
    """The tax table as display strings (rate, base, tax)."""
    return [
        {"rate": r.label, "base": format_money(r.base_minor, currency), "tax": format_money(r.tax_minor, currency)}
        for r in tax_by_rate(lines)
    ]


def bank_transfer(session: Session, inv: Invoice, profile: dict[str, str]) -> dict[str, str] | None:
    """Bank details, the reference and (EUR with an IBAN) the EPC QR payload; None when there is
    nothing to pay by transfer (a credit note, a paid or void invoice, no bank account set)."""
    if inv.kind == "credit_note" or inv.status in ("draft", "paid", "void") or not has_bank(profile):
        return None
    due = open_amount(session, inv)
    if due <= 0:
        return None
    reference = inv.number or ""
    payload = ""
    if inv.currency == "EUR" and profile.get("iban") and due <= 99_999_999_999:
        payload = epc_payload(
            name=profile.get("display_name", ""),
            iban=profile["iban"],
            bic=profile.get("bic", ""),
            amount_minor=due,
            reference=reference,
        )
    return {
        "lines": "\n".join(bank_lines(profile)),
        "reference": reference,
        "amount": format_money(due, inv.currency),
        "epc_payload": payload,
    }


def page_extras(session: Session, inv: Invoice, public: bool = False) -> dict:
    """For the in-app invoice page and /i/<token>: the tax table, the seller block, the
    client's VAT id and "Pay by bank transfer" (with the EPC QR code as an inline SVG)."""
    from l2c_app.billing.epc import qr_svg_data_uri
    from l2c_app.billing.service import lines_of
    from l2c_app.core.seller import logo_data_uri, seller_lines, seller_profile

    profile = seller_profile(session)
    transfer = bank_transfer(session, inv, profile) or {}
    bank = {
        "lines": transfer.get("lines", ""),
        "reference": transfer.get("reference", ""),
        "amount": transfer.get("amount", ""),
        "qr": qr_svg_data_uri(transfer["epc_payload"]) if transfer.get("epc_payload") else "",
    }
    acc = session.get(Account, inv.account_id) if inv.account_id else None
    seller = {
        "lines": "\n".join(seller_lines(profile)),
        "client_tax_id": client_tax_id(session, inv),
        "client": "\n".join(x for x in ((acc.name, acc.address or "") if acc else ()) if x),
        "logo": logo_data_uri(session) if public else "",
    }
    return {"tax_rows": tax_rows(lines_of(session, inv.id), inv.currency), "seller": seller, "bank": bank}
