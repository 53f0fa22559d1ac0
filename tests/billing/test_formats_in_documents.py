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
from l2c_app.core.models import OutboxMessage


def _text(data: bytes) -> str:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text)


def test_invoice_pdf_and_reminder_in_german_then_english(world, session):
    world.time(855)  # 14:15
    inv = service.build_invoice(session, world.pid, date(2026, 3, 31))
    service.issue_invoice(session, inv.id, issue_date=date(2026, 4, 1))  # net 30: due 2026-05-01
    formats.save_formats(session, service.SYSTEM, locale="de-DE", hours_format="decimal")
    german = _text(render_invoice_pdf(session, inv, time_appendix=True))
    assert "01.04.2026" in german and "01.05.2026" in german
    assert re.search(r"\d,\d\d €", german) and "14,25 h" in german
    assert send_reminders(session, inv.due_date - timedelta(days=2)) == 1
    body = session.exec(select(OutboxMessage)).one().body
    assert "01.05.2026" in body

    formats.save_formats(session, service.SYSTEM, locale="en-US", hours_format="hm")
    english = _text(render_invoice_pdf(session, inv, time_appendix=True))
    assert "Apr 1, 2026" in english and "May 1, 2026" in english and "14:15" in english
    assert re.search(r"€\d[\d,]*\.\d\d", english) and "01.05.2026" not in english
