"""The proposal PDF (core/pdf.BrandedPDF): client block, sections, lines, totals, notes,
terms, page numbers. Figures come from `service.quote_view`, i.e. from the one totals
function, so the PDF shows the same cents as the page and the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.documents import store_document
from l2c_app.core.models import Document
from l2c_app.core.pdf import BrandedPDF
from l2c_app.core.seller import logo_bytes, seller_lines, seller_profile
from l2c_app.quotes.models import Quote

BILLING_LABELS = {"fixed": "Fixed fee", "milestone": "Milestone", "hourly": "Hourly estimate", "recurring": "Recurring"}
STATUS_NOTES = {
    "superseded": "Superseded by a newer version",
    "declined": "Declined",
    "expired": "Expired",
    "draft": "Draft",
}


def _day(iso: str) -> str:
    """The view keeps ISO dates (form values, API); the document shows the organisation's locale."""
    return formats.day(date.fromisoformat(iso)) if iso else ""


def _line_text(line: dict[str, Any]) -> str:
    text = line["description"]
    details = [BILLING_LABELS.get(line["billing_kind"], line["billing_kind"])]
    if line["billing_kind"] == "milestone" and line["due_date"]:
        details.append(f"due {_day(line['due_date'])}")
    if line["role"]:
        details.append(line["role"])
    if line["tax_name"]:
        details.append(line["tax_name"])
    if line["optional"]:
        details.append("optional, " + ("chosen" if line["included"] else "not chosen"))
    return f"{text}\n{' · '.join(details)}"


def render_quote_pdf(view: dict[str, Any], logo: bytes | None = None, seller: dict[str, str] | None = None) -> bytes:
    """A pure function of the quote's view (and the seller profile, core/seller.py): the same
    inputs always give the same document."""
    status_note = STATUS_NOTES.get(view["status"], "")
    pdf = BrandedPDF(org_name=view["org_name"], title=f"Proposal {view['label']}", logo=logo, subtitle=status_note)
    pdf.add_page()
    pdf.heading(view["title"], size=15)
    client = [view["account"]["name"], view["contact"]["name"], view["contact"]["email"], view["account"]["address"]]
    ours = (seller_lines(seller) if seller else [view["org_name"]]) + [view["owner"]["name"], view["owner"]["email"]]
    meta = [
        f"Quote {view['label']}",
        f"Valid until {_day(view['expires_on'])}" if view["expires_on"] else "",
        f"Currency {view['currency']}",
    ]
    pdf.party_blocks(("For", client), ("From", ours), ("Quote", meta))

    rows: list[list[str]] = []
    section_rows: set[int] = set()
    current = None
    for line in view["lines"]:
        if line["section"] != current and line["section"]:
            section_rows.add(len(rows))
            rows.append([line["section"], "", "", "", ""])
        current = line["section"]
        discount = f"-{line['discount_percent']}%" if line["discount_percent"] not in ("0", "") else ""
        amount = line["amount"] if line["included"] else f"({line['amount']})"
        rows.append([_line_text(line), f"{line['quantity']} {line['unit']}", line["unit_price"], discount, amount])
    pdf.table(
        ["Description", "Quantity", "Unit price", "Disc.", "Amount"],
        rows,
        widths=[88, 24, 28, 14, 26],
        aligns="LRRRR",
        section_rows=section_rows,
    )

    t = view["totals"]
    totals: list[tuple[str, str]] = [("Subtotal", t["subtotal"])]
    if t["discount_minor"]:
        totals.append((f"Discount {view['discount_percent']}%", f"-{t['discount']}"))
    for tax in t["taxes"]:
        label = tax["name"] if f"{tax['percent']}%" in tax["name"] else f"{tax['name']} ({tax['percent']}%)"
        label += " included" if tax["inclusive"] else ""
        totals.append((label, tax["tax"]))
    totals.append((f"Total {view['currency']}", t["total"]))
    if pdf.will_page_break(8 * len(totals) + 6):
        pdf.add_page()
    pdf.totals(totals)

    if any(ln["optional"] for ln in view["lines"]):
        pdf.paragraph("Amounts in brackets are optional items not included in the total.", size=8)
    if view["notes"]:
        pdf.heading("Notes", size=11)
        pdf.paragraph(view["notes"])
    if view["terms"]:
        pdf.heading("Terms", size=11)
        pdf.paragraph(view["terms"])
    if view.get("accepted_name"):
        pdf.heading("Accepted", size=11)
        pdf.paragraph(f"Accepted by {view['accepted_name']} on {view['accepted_at'][:16].replace('T', ' ')} UTC.")
    return pdf.output_bytes()


def _logo(session: Session) -> bytes | None:
    return logo_bytes(session)


def render_for(session: Session, view: dict[str, Any]) -> bytes:
    """The PDF of a quote view with this organisation's logo and seller profile."""
    return render_quote_pdf(view, logo_bytes(session), seller_profile(session))


def quote_pdf_bytes(session: Session, quote: Quote | int, public: bool = False) -> bytes:
    from l2c_app.quotes.service import quote_view

    return render_for(session, quote_view(session, quote, public=public))


def pdf_filename(view_or_quote: dict | Quote) -> str:
    label = view_or_quote["label"] if isinstance(view_or_quote, dict) else None
    if label is None:
        from l2c_app.quotes.service import quote_label

        label = quote_label(view_or_quote)  # type: ignore[arg-type]
    return f"Proposal-{label.replace(' ', '-')}.pdf"


def quote_pdf_document(session: Session, quote: Quote) -> Document:
    """The PDF as sent, stored so the e-mail's attachment stays exactly what the client got."""
    return store_document(session, kind="quote_pdf", filename=pdf_filename(quote), data=quote_pdf_bytes(session, quote))
