"""The statement of account as a PDF: the look of every l2c document (core/pdf.BrandedPDF)."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.clients.statement import formatted, statement
from l2c_app.core.auth import get_organisation
from l2c_app.core.pdf import BrandedPDF
from l2c_app.core.seller import logo_bytes, seller_lines, seller_profile

KIND_LABEL = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "void": "Void",
    "payment": "Payment",
    "reversal": "Reversal",
    "refund": "Refund",
    "dispute": "Dispute",
    "write_off": "Write-off",
}


def render_statement_pdf(session: Session, account_id: int, start=None, end=None, currency: str | None = None) -> bytes:
    st = formatted(statement(session, account_id, start, end, currency))
    org = get_organisation(session)
    pdf = BrandedPDF(
        org_name=org.name if org else "l2c",
        title="Statement of account",
        logo=logo_bytes(session),
        subtitle=f"{st['start_text']} to {st['end_text']}",
    )
    pdf.add_page()
    facts = [
        f"From: {st['start_text']}",
        f"To: {st['end_text']}",
        f"Currency: {st['currency']}",
        f"Printed: {st['as_of_text']}",
    ]
    pdf.party_blocks(
        ("From", seller_lines(seller_profile(session))),
        ("Client", [st["client"], *st["address"].splitlines()]),
        ("Statement", facts),
        widths=[64, 64, 52],
    )
    rows = [[f"Opening balance on {st['start_text']}", "", "", "", st["opening"]]]
    rows += [
        [f"{KIND_LABEL[r['kind']]} {r['reference']}", r["date"], r["debit"], r["credit"], r["balance"]]
        for r in st["rows"]
    ]
    rows.append([f"Closing balance on {st['end_text']}", "", "", "", st["closing"]])
    pdf.table(["Document", "Date", "Debit", "Credit", "Balance"], rows, widths=[70, 24, 28, 28, 30], aligns="LLRRR")
    if pdf.will_page_break(8 * 6 + 6):
        pdf.add_page()
    pdf.totals([*[(t["label"], t["amount"]) for t in st["totals_rows"]], ("Closing balance", st["closing"])])
    if pdf.will_page_break(7 * 6 + 14):
        pdf.add_page()
    pdf.heading("Aged balance (open invoices by days past due)", size=10)
    pdf.table(["Age", "Open"], [[a["label"], a["amount"]] for a in st["aged_rows"]], widths=[60, 40], aligns="LR")
    pdf.paragraph("A negative balance is credit the client holds with us.", size=9)
    return pdf.output_bytes()
