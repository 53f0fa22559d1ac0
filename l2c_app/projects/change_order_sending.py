"""Sending a change order: its PDF, the e-mail (merge fields) or a DocuSign envelope."""

from __future__ import annotations

import secrets
from decimal import Decimal

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.config import get_settings
from l2c_app.core.models import Organisation, User
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.ports import signatures
from l2c_app.projects.change_orders import _change_order, change_order_total
from l2c_app.projects.common import DeliveryError, _project
from l2c_app.projects.duration import format_minutes
from l2c_app.projects.models import ChangeOrder, Project


def _recipient(session: Session, project: Project) -> str | None:
    from l2c_app.contracts.models import ContractSigner
    from l2c_app.pipeline.models import Contact, Deal

    if project.contract_id:
        signer = session.exec(
            select(ContractSigner)
            .where(ContractSigner.contract_id == project.contract_id, ContractSigner.kind == "signer")
            .order_by(ContractSigner.routing_order)
        ).first()
        if signer is not None:
            return signer.email
    deal = session.get(Deal, project.deal_id) if project.deal_id else None
    contact = session.get(Contact, deal.contact_id) if deal and deal.contact_id else None
    return contact.email if contact and contact.email else None


def _docusign_signer(session: Session, project: Project):
    """The contract's first client signer when that contract went through DocuSign and DocuSign
    is configured; None means the change order goes out as a public link."""
    from l2c_app.contracts.models import Contract, ContractSigner

    if not project.contract_id or not signatures.available(signatures.DOCUSIGN):
        return None
    contract = session.get(Contract, project.contract_id)
    if contract is None or contract.provider != "docusign":
        return None
    return session.exec(
        select(ContractSigner)
        .where(ContractSigner.contract_id == contract.id, ContractSigner.kind == "signer")
        .order_by(ContractSigner.routing_order)
    ).first()


def change_order_pdf(session: Session, co: ChangeOrder) -> bytes:
    """The change order as a document to sign; the client's signature line carries the white
    anchors `/sig1/` and `/date1/` where DocuSign places its tabs."""
    from l2c_app.core.money import format_money
    from l2c_app.core.pdf import MUTED, BrandedPDF
    from l2c_app.pipeline.models import Account

    project = _project(session, co.project_id)
    org = session.exec(select(Organisation)).first()
    account = session.get(Account, project.account_id) if project.account_id else None
    pdf = BrandedPDF(org.name if org else "l2c", f"Change order #{co.number}", subtitle=project.name)
    pdf.add_page()
    pdf.party_blocks(("From", [org.name if org else ""]), ("For", [account.name if account else ""]))
    pdf.heading(f"Change order #{co.number} to {project.name}")
    pdf.paragraph(co.description)
    if co.kind == "hours":
        pdf.paragraph(
            f"{format_minutes(co.minutes)} h of {co.role or 'work'} at "
            f"{format_money(co.rate_minor, project.currency)} per hour"
        )
    cur = project.currency
    rate = f"{Decimal(co.tax_percent or 0).normalize():f} %" + (" incl." if co.tax_inclusive else "")
    pdf.heading(
        f"Price: {format_money(co.amount_minor, cur)}" + (" (tax included)" if co.tax_inclusive else " excl. tax"),
        size=11,
    )
    pdf.paragraph(f"Tax {rate}: {format_money(co.tax_minor, cur)}. Total: {format_money(change_order_total(co), cur)}")
    pdf.paragraph(
        "By signing, the client approves this change: the project budget rises by this amount "
        "and the change is invoiced under the existing contract."
    )
    pdf.ln(6)
    x0, y = pdf.l_margin, pdf.get_y() + 2
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_xy(x0, y)
    pdf.cell(30, 8, "/sig1/")
    pdf.set_xy(x0 + 120, y)
    pdf.cell(30, 8, "/date1/")
    pdf.set_text_color(0, 0, 0)
    pdf.line(x0, y + 10, x0 + 110, y + 10)
    pdf.line(x0 + 120, y + 10, x0 + 180, y + 10)
    pdf.set_xy(x0, y + 11)
    pdf.set_text_color(*MUTED)
    pdf.cell(120, 4, "Client signature")
    pdf.cell(60, 4, "Date")
    pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())


def _send_via_docusign(session: Session, actor: Actor, co: ChangeOrder, project: Project, signer) -> ChangeOrder:
    """The envelope is an outbox effect: the worker calls DocuSign after this commit
    (projects/docusign_send.py), never inside the write transaction; a refusal puts the change
    order back to draft there, with DocuSign's reason on the deal and the Outbox page."""
    from l2c_app.outbox.service import enqueue

    before = snapshot(co)
    co.status, co.provider, co.envelope_id = "sent", "docusign", None
    session.add(co)
    session.flush()
    enqueue(
        session,
        "docusign.change_order_send",
        {"change_order_id": co.id, "signer_name": signer.name, "signer_email": signer.email},
        f"docusign-send-co{co.id}-{secrets.token_hex(4)}",
        summary=f"DocuSign envelope for change order #{co.number}",
        related=("changeorder", co.id),
    )
    record_update(session, actor, co, before, action="sent")
    add_deal_event(
        session,
        project.deal_id,
        f"Change order #{co.number} sent via DocuSign to {signer.email}",
        user_id=actor.user_id,
    )
    return co


CO_SUBJECT = "Change order {document_number} for {document_title}: your approval"
CO_BODY = (
    "{org_name} propose a change to {document_title}:\n\n{description}\n\n"
    "Price: {total} (before tax)\n\nReview and approve or decline it here:\n{link}\n"
)


def _co_values(session: Session, co: ChangeOrder, project: Project, actor: Actor) -> dict[str, str]:
    """The merge fields of a change order's e-mail (core.mailmerge)."""
    from l2c_app.core.money import format_money
    from l2c_app.pipeline.models import Account, Deal

    org = session.exec(select(Organisation)).first()
    deal = session.get(Deal, project.deal_id) if project.deal_id else None
    account = session.get(Account, deal.account_id) if deal is not None and deal.account_id else None
    sender = session.get(User, actor.user_id) if actor.user_id else None
    return {
        "client_name": account.name if account else "",
        "contact_name": "",
        "document_number": f"#{co.number}",
        "document_title": project.name,
        "total": format_money(co.amount_minor, project.currency),
        "link": f"{get_settings().app_base_url}/co/{co.public_token}",
        "due_date": "",
        "org_name": org.name if org else "We",
        "sender_name": sender.name if sender else (org.name if org else ""),
        "description": co.description,
    }


def change_order_email_draft(session: Session, actor: Actor, change_order_id: int):
    """What the composer opens with: today's change order e-mail as a template (the change's
    text is the {description} field)."""
    from l2c_app.core.mailmerge import Draft

    co = _change_order(session, change_order_id)
    project = _project(session, co.project_id)
    return Draft(
        to=_recipient(session, project) or "",
        subject=CO_SUBJECT,
        body=CO_BODY,
        values=_co_values(session, co, project, actor),
    )


def send_change_order(
    session: Session, actor: Actor, change_order_id: int, to: str | None = None, message=None
) -> ChangeOrder:
    """E-mail the client the public approval link `/co/<token>` (outbox without SMTP); when the
    project's contract went through DocuSign (and DocuSign is configured), send a DocuSign
    envelope to the contract's client signer instead (`message` then does not apply).
    `message` (core.mailmerge.Message, from the composer): to, cc, subject and body templates."""
    co = _change_order(session, change_order_id)
    if co.status not in ("draft", "sent"):
        raise DeliveryError(f"Change order #{co.number} is {co.status}.", kind="conflict")
    project = _project(session, co.project_id)
    if co.provider == "docusign" and (co.envelope_id or co.status == "sent"):
        raise DeliveryError(f"Change order #{co.number} is already out for signature in DocuSign.", kind="conflict")
    signer = _docusign_signer(session, project)
    if signer is not None:
        return _send_via_docusign(session, actor, co, project, signer)
    from l2c_app.core.mailmerge import Message, parse_addresses, parse_recipient, rendered
    from l2c_app.ports.mailer import send_mail

    to = (message.to if message is not None and message.to else to or "").strip() or _recipient(session, project)
    if not to or "@" not in to:
        raise DeliveryError("Enter the client's e-mail address.", field="to")
    to = parse_recipient(to)
    values = _co_values(session, co, project, actor)
    message = message or Message(subject=CO_SUBJECT, body=CO_BODY)
    cc = parse_addresses(message.cc)
    subject, body = rendered(message, values)
    send_mail(session, to=to, cc=cc, subject=subject, body=body, link=values["link"], related=("changeorder", co.id))  # type: ignore[arg-type]
    before = snapshot(co)
    co.status = "sent"
    session.add(co)
    record_update(session, actor, co, before, action="sent")
    add_deal_event(session, project.deal_id, f"Change order #{co.number} sent to {to}", user_id=actor.user_id)
    return co
