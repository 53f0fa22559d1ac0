"""Invoice PDF: the same look as quotes and contracts (core/pdf.BrandedPDF), with an
optional appendix listing the time entries each time line bills."""

from __future__ import annotations

from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.billing.epc import qr_matrix
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
from l2c_app.billing.printed import bank_transfer, tax_rows
from l2c_app.billing.service import (
    billing_settings,
    line_sections,
    lines_of,
    open_amount,
    spanned_project_names,
    state_label,
    tax_label,
    tax_split,
)
from l2c_app.core import formats
from l2c_app.core.auth import get_organisation
from l2c_app.core.models import User
from l2c_app.core.money import format_money
from l2c_app.core.pdf import BrandedPDF
from l2c_app.core.seller import logo_bytes, seller_lines, seller_profile
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.projects.models import BudgetLine, Project, TimeEntry


def _title(inv: Invoice) -> str:
    kind = {"credit_note": "Credit note", "deposit": "Deposit invoice"}.get(inv.kind, "Invoice")
    return f"{kind} {inv.number or '(draft)'}"


def render_invoice_pdf(session: Session, inv: Invoice, time_appendix: bool = False) -> bytes:
    org = get_organisation(session)
    profile = seller_profile(session)
    pdf = BrandedPDF(
        org_name=org.name if org else "l2c", title=_title(inv), logo=logo_bytes(session), subtitle=state_label(inv)
    )  # the same words as the page
    pdf.add_page()
    client: list[str] = []
    if inv.account_id:
        acc = session.get(Account, inv.account_id)
        if acc:
            client += [acc.name, acc.address or ""]
            if acc.tax_id:
                client.append(f"Client VAT id: {acc.tax_id}")
    if inv.deal_id:
        deal = session.get(Deal, inv.deal_id)
        if deal and deal.contact_id:
            c = session.get(Contact, deal.contact_id)
            if c:
                client += [c.name, c.email or ""]
    elif inv.account_id:  # spanning several deals: the client's first contact
        c = session.exec(select(Contact).where(Contact.account_id == inv.account_id).order_by(Contact.id)).first()
        if c:
            client += [c.name, c.email or ""]
    project = session.get(Project, inv.project_id) if inv.project_id else None
    spanned = spanned_project_names(session, inv)
    facts = [
        f"Number: {inv.number or 'draft'}",
        f"Issued: {formats.day(inv.issue_date)}",
        f"Due: {formats.day(inv.due_date)}" + (" (on receipt)" if inv.terms_days == 0 else f" (net {inv.terms_days})"),
        f"Project: {project.name}" if project else (f"Projects: {', '.join(spanned)}" if len(spanned) > 1 else ""),
    ]
    label = "Credit note" if inv.kind == "credit_note" else "Invoice"
    # The facts are short; the addresses get the room (a VAT id line must not wrap).
    pdf.party_blocks(("From", seller_lines(profile)), ("Bill to", client or ["-"]), (label, facts), widths=[64, 64, 52])
    cur = inv.currency
    lines = lines_of(session, inv.id)
    rows: list[list[str]] = []
    sections: set[int] = set()
    for ln, section in zip(lines, line_sections(session, inv, lines), strict=True):
        if section:  # an invoice spanning several projects: each project's lines under its name
            sections.add(len(rows))
            rows.append([section, "", "", "", "", ""])
        rows.append(
            [
                ln.description,
                f"{ln.quantity.normalize():f}",
                ln.unit,
                format_money(ln.unit_price_minor, cur),
                tax_label(ln),
                format_money(ln.amount_minor, cur),
            ]
        )
    pdf.table(
        ["Description", "Qty", "Unit", "Unit price", "Tax", "Amount"],
        rows,
        widths=[72, 18, 16, 26, 22, 26],
        aligns="LRLRRR",
        section_rows=sections,
    )
    added, included = tax_split(inv)
    totals = [
        ("Subtotal", format_money(inv.subtotal_minor, cur)),
        ("Tax", format_money(added, cur)),
        ("Total", format_money(inv.total_minor, cur)),
    ]
    if inv.credited_minor:
        totals.append(("Credited (credit notes)", format_money(-inv.credited_minor, cur)))
    if inv.paid_minor:
        totals.append(("Paid", format_money(inv.paid_minor, cur)))
    if inv.written_off_minor:
        totals.append(("Written off", format_money(inv.written_off_minor, cur)))
    if inv.paid_minor or inv.credited_minor or inv.written_off_minor:
        totals.append(("Amount due", format_money(open_amount(session, inv), cur)))
    if included:  # inclusive rates: already inside the amounts, shown after the total, not added
        totals.append(("Tax incl. in total", format_money(included, cur)))
    if pdf.will_page_break(8 * len(totals) + 6):
        pdf.add_page()
    pdf.totals(totals)
    taxes = tax_rows(lines, cur)
    if taxes:
        if pdf.will_page_break(7 * len(taxes) + 14):
            pdf.add_page()
        pdf.heading("Tax by rate", size=10)
        pdf.table(
            ["Rate", "Base", "Tax"],
            [[t["rate"], t["base"], t["tax"]] for t in taxes],
            widths=[40, 40, 40],
            aligns="LRR",
        )
    if inv.notes:
        pdf.paragraph(inv.notes)
    if inv.kind != "credit_note" and inv.status not in ("paid", "void", "written_off"):
        transfer = bank_transfer(session, inv, profile)
        if transfer:
            _bank_transfer_block(pdf, transfer)
        else:
            pdf.paragraph(billing_settings(session)["payment_instructions"] + f" Reference: {inv.number or ''}", size=9)
    if time_appendix:
        _appendix(session, pdf, inv)
    return pdf.output_bytes()


def _bank_transfer_block(pdf: BrandedPDF, transfer: dict[str, str]) -> None:
    """Bank details and the reference; for EUR, the EPC QR code a banking app scans."""
    qr_size = 32 if transfer["epc_payload"] else 0
    if pdf.will_page_break(max(qr_size, 30) + 12):
        pdf.add_page()
    pdf.heading("Pay by bank transfer", size=11)
    top = pdf.get_y()
    text = transfer["lines"] + f"\nAmount: {transfer['amount']}\nReference: {transfer['reference']}"
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(120, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(110, 110, 120)
    pdf.multi_cell(
        120, 4, "Please quote the reference so your payment is matched to this invoice.", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(0, 0, 0)
    bottom = pdf.get_y()
    if transfer["epc_payload"]:
        pdf.qr_code(qr_matrix(transfer["epc_payload"]), x=195 - qr_size, y=top, size=qr_size)
        pdf.set_xy(195 - qr_size, top + qr_size)
        pdf.set_font("DejaVu", "", 7)
        pdf.cell(qr_size, 4, "Scan to pay (SEPA)", align="C")
        bottom = max(bottom, top + qr_size + 5)
    pdf.set_xy(pdf.l_margin, bottom + 3)
    pdf.set_font("DejaVu", "", 10)


def _appendix(session: Session, pdf, inv: Invoice) -> None:
    rows = session.execute(
        sa_select(TimeEntry.day, User.name, BudgetLine.role, TimeEntry.minutes, TimeEntry.note)
        .select_from(BilledSource)
        .join(InvoiceLine, InvoiceLine.id == BilledSource.invoice_line_id)
        .join(TimeEntry, TimeEntry.id == BilledSource.source_id)
        .join(User, User.id == TimeEntry.user_id)
        .outerjoin(BudgetLine, BudgetLine.id == TimeEntry.budget_line_id)
        .where(InvoiceLine.invoice_id == inv.id, BilledSource.source_type == "time")
        .order_by(TimeEntry.day, TimeEntry.id)
    ).all()
    if not rows:
        return
    pdf.add_page()
    pdf.heading("Appendix: time detail")
    pdf.table(
        ["Note", "Day", "Who", "Role", "Hours"],
        [
            [note or "-", formats.day(day, style="short"), name, role or "-", formats.hours(minutes)]
            for day, name, role, minutes, note in rows
        ],
        widths=[70, 24, 36, 32, 18],
        aligns="LLLLR",
    )


def invoice_filename(inv: Invoice) -> str:
    return f"{(inv.number or f'draft-{inv.id}').replace('/', '-')}.pdf"
