"""The organisation's locale and hours format on invoice PDFs and e-mails (core.formats)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader
from sqlmodel import select

from l2c_app.billing import service
from l2c_app.billing.pdf import render_invoice_pdf
from l2c_app.billing.sending import send_reminders
from l2c_app.core import formats
from l2c_app.core.audit import SYSTEM
from l2c_app.core.models import OutboxMessage


def _text(data: bytes) -> str:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text)


def test_invoice_pdf_and_reminder_in_german_then_english(world, session):
    world.time(855)  # 14:15
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    service.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 4, 1))  # net 30: due 2026-05-01
    formats.save_formats(session, SYSTEM, locale="de-DE", hours_format="decimal")
    german = _text(render_invoice_pdf(session, inv, time_appendix=True))
    assert "01.04.2026" in german and "01.05.2026" in german
    assert re.search(r"\d,\d\d €", german) and "14,25 h" in german
    assert send_reminders(session, inv.due_date - timedelta(days=2)) == 1
    body = session.exec(select(OutboxMessage)).one().body
    assert "01.05.2026" in body

    formats.save_formats(session, SYSTEM, locale="en-US", hours_format="hm")
    english = _text(render_invoice_pdf(session, inv, time_appendix=True))
    assert "Apr 1, 2026" in english and "May 1, 2026" in english and "14:15" in english
    assert re.search(r"€\d[\d,]*\.\d\d", english) and "01.05.2026" not in english


def test_lists_portal_and_statement_in_german_then_english(world, session):
    """A person reads every list row, the client's documents and the statement (screen and PDF)
    in the organisation's locale; the statement's data (the API's) keeps ISO dates."""
    from l2c_app.billing import views
    from l2c_app.clients import service as clients
    from l2c_app.clients.statement import formatted, statement
    from l2c_app.clients.statement_pdf import render_statement_pdf

    world.time(855)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    service.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 4, 1))  # due 2026-05-01
    service.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=100,
        method="bank_transfer",
        received_on=date(2026, 4, 3),
    )
    aid = world.account.id
    start, end = date(2026, 3, 1), date(2026, 4, 30)
    formats.save_formats(session, SYSTEM, locale="de-DE", hours_format="hm")

    row = next(r for r in views.invoice_list(session) if r.id == str(inv.id))
    assert (row.issue_date, row.due_date) == ("01.04.2026", "01.05.2026")
    assert [p.date for p in views.ledger_rows(session)["payments"]] == ["03.04.2026"]
    docs = clients.client_documents(session, aid)
    assert docs["invoices"][0]["date"] == "01.04.2026" and docs["invoices"][0]["due"] == "01.05.2026"
    data = statement(session, aid, start, end)
    assert data["start"] == "2026-03-01" and data["lines"][0]["date"] == "2026-04-01"  # the API's, unchanged
    shown = formatted(data)
    assert (shown["start_text"], shown["end_text"]) == ("01.03.2026", "30.04.2026")
    assert [r["date"] for r in shown["rows"]] == ["01.04.2026", "03.04.2026"]
    german = _text(render_statement_pdf(session, aid, start, end))
    assert "Opening balance on 01.03.2026" in german and "03.04.2026" in german and "2026-04-03" not in german

    formats.save_formats(session, SYSTEM, locale="en-US", hours_format="hm")
    row = next(r for r in views.invoice_list(session) if r.id == str(inv.id))
    assert (row.issue_date, row.due_date) == ("Apr 1, 2026", "May 1, 2026")
    assert "Closing balance on Apr 30, 2026" in _text(render_statement_pdf(session, aid, start, end))
