"""`l2c demo load` for billing: invoices built from the demo projects' work, one of them paid."""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.billing import service
from l2c_app.billing.sending import send_invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.timeutil import org_today
from l2c_app.projects.models import Project


def load(session: Session, ctx: dict) -> None:
    made = 0
    for i, project in enumerate(session.exec(select(Project).order_by(Project.id)).all()):
        try:
            inv = service.build_invoice(session, SYSTEM, project.id, org_today(session))
        except service.BillingError:
            continue  # nothing billable on this project yet
        made += 1
        if i % 3 == 2:
            continue  # leave a draft to look at
        try:
            send_invoice(session, SYSTEM, inv.id)
        except service.BillingError:  # no contact e-mail (or Stripe unreachable): issued, not sent
            if inv.number is None:
                service.issue_invoice(session, SYSTEM, inv.id)
        if i % 3 == 0:
            service.record_manual_payment(
                session,
                SYSTEM,
                inv.id,
                amount_minor=inv.total_minor,
                method="bank_transfer",
                reference="Demo transfer",
            )
    ctx.setdefault("counts", {})["invoices"] = made
