"""Change orders: create, price (the one line rule), PDF, send (e-mail or DocuSign), the
client's answer by token, DocuSign's status and re-poll, and what is billable.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.lines import line_tax
from l2c_app.core.models import Organisation, User
from l2c_app.core.money import check_amount
from l2c_app.core.notify import notify
from l2c_app.core.textlimits import plausible_token
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import ChangeOrderApproved
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.projects.common import DeliveryError, NotFound, _project, _time_money
from l2c_app.projects.duration import format_minutes, parse_duration
from l2c_app.projects.models import BudgetLine, ChangeOrder, Milestone, Project, Retainer

# --- change orders -------------------------------------------------------------------------------


def change_order_json(co: ChangeOrder) -> dict:
    return {
        "id": co.id,
        "project_id": co.project_id,
        "number": co.number,
        "description": co.description,
        "kind": co.kind,
        "amount_minor": co.amount_minor,
        "minutes": co.minutes,
        "rate_minor": co.rate_minor,
        "role": co.role,
        "status": co.status,
        "public_url": f"/co/{co.public_token}",
        "provider": co.provider,
        "envelope_id": co.envelope_id,
        "approved_name": co.approved_name,
        "approved_at": co.approved_at.isoformat() if co.approved_at else None,
        "billable": co.status == "approved" and co.kind == "fixed",
        "tax_rate_id": co.tax_rate_id,
        "tax_percent": f"{Decimal(co.tax_percent or 0).normalize():f}",
        "tax_inclusive": bool(co.tax_inclusive),
        "tax_minor": co.tax_minor,
        "total_minor": change_order_total(co),
    }


def change_order_total(co: ChangeOrder) -> int:
    """What the client pays for the change: net + exclusive tax (inclusive tax is inside)."""
    return co.amount_minor + (0 if co.tax_inclusive else co.tax_minor)


def default_change_order_tax(session: Session, project: Project, kind: str, role: str | None = None) -> int | None:
    """The tax rate of a new change order: the rate the project's contract (its quote lines,
    now the plan) uses for that kind of work, else the organisation's default rate.

    hours: the budget line of the same role, else any budget line; fixed: the fixed fees and
    milestones; then any item of the plan; then `default_tax_rate_id` in the settings."""
    from l2c_app.quotes.models import TaxRate

    def first(model, *conds) -> int | None:
        return session.exec(
            select(model.tax_rate_id)
            .where(model.project_id == project.id, model.tax_rate_id.is_not(None), *conds)
            .order_by(model.id)
        ).first()

    if kind == "hours":
        order = [(BudgetLine, [BudgetLine.role == (role or "")]), (BudgetLine, []), (Milestone, []), (Retainer, [])]
    else:
        order = [(Milestone, []), (Retainer, []), (BudgetLine, [])]
    for model, conds in order:
        found = first(model, *conds)
        if found is not None:
            return found
    org = get_organisation(session)
    default = ((org.settings or {}) if org else {}).get("default_tax_rate_id")
    if default and (rate := session.get(TaxRate, int(default))) is not None and rate.archived_at is None:
        return rate.id
    return None


def create_change_order(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    description: str,
    kind: str = "fixed",
    amount_minor: int | None = None,
    minutes: int | str | None = None,
    rate_minor: int | None = None,
    role: str | None = None,
    tax_rate_id: int | None = None,
) -> ChangeOrder:
    """Added scope: a fixed price, or hours x rate (which, once approved, adds a budget line)."""
    project = _project(session, project_id)
    description = (description or "").strip()
    if not description:
        raise DeliveryError("Describe the change.", field="description")
    if kind == "fixed":
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise DeliveryError("Enter the price of the change (more than 0).", field="amount_minor")
        mins, rate, amount = 0, 0, check_amount(amount_minor, "amount_minor", "The price of the change")
    elif kind == "hours":
        mins = parse_duration(minutes) if isinstance(minutes, str) else minutes
        if not isinstance(mins, int) or mins <= 0:
            raise DeliveryError("Enter the extra hours (more than 0).", field="minutes")
        if not isinstance(rate_minor, int) or isinstance(rate_minor, bool) or rate_minor < 0:
            raise DeliveryError("Enter the hourly rate (0 or more).", field="rate_minor")
        if not (role or "").strip():
            raise DeliveryError("Name the role the hours are for.", field="role")
        rate = check_amount(rate_minor, "rate_minor", "The hourly rate")
        amount = check_amount(_time_money(mins, rate), "minutes", "The price of the change (hours x rate)")
    else:
        raise DeliveryError("kind must be 'fixed' or 'hours'.", field="kind")
    # None: the rate of that kind of work on the contract, else the organisation's default;
    # 0: explicitly no tax.
    if tax_rate_id is None:
        tax_rate_id = default_change_order_tax(session, project, kind, (role or "").strip())
    percent, inclusive = Decimal(0), False
    if tax_rate_id:
        from l2c_app.quotes.models import TaxRate

        tax = session.get(TaxRate, int(tax_rate_id))
        if tax is None:
            raise DeliveryError("Pick a tax rate that exists.", field="tax_rate_id")
        percent, inclusive = Decimal(tax.percent), bool(tax.inclusive)
    number = (
        int(
            session.exec(
                select(func.coalesce(func.max(ChangeOrder.number), 0)).where(ChangeOrder.project_id == project_id)
            ).one()
        )
        + 1
    )
    co = ChangeOrder(
        project_id=project.id,
        number=number,
        description=description,
        kind=kind,
        amount_minor=amount,
        minutes=mins,
        rate_minor=rate,
        role=(role or "").strip()[:100] or None,
        tax_rate_id=int(tax_rate_id) if tax_rate_id else None,
        tax_percent=percent,
        tax_inclusive=inclusive,
        tax_minor=line_tax(amount, percent, inclusive),
        public_token=secrets.token_urlsafe(32),
    )
    session.add(co)
    record_create(session, actor, co)
    return co


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

    if not project.contract_id or not get_settings().docusign_enabled:
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
    from l2c_app.integrations.email import send_mail

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


def _change_order(session: Session, change_order_id: int) -> ChangeOrder:
    co = session.get(ChangeOrder, change_order_id)
    if co is None:
        raise NotFound("Change order", "change_order_id")
    return co


def change_order_by_token(session: Session, token: str) -> ChangeOrder | None:
    if not plausible_token(token, 64):
        return None
    return session.exec(select(ChangeOrder).where(ChangeOrder.public_token == token)).first()


def public_change_order(session: Session, token: str) -> dict | None:
    """What the client sees on /co/<token>: nothing beyond this one change order."""
    from l2c_app.pipeline.models import Account

    co = change_order_by_token(session, token)
    if co is None:
        return None
    project = session.get(Project, co.project_id)
    account = session.get(Account, project.account_id) if project and project.account_id else None
    org = session.exec(select(Organisation)).first()
    return {
        "number": co.number,
        "description": co.description,
        "kind": co.kind,
        "amount_minor": co.amount_minor,
        "tax_percent": f"{Decimal(co.tax_percent or 0).normalize():f}",
        "tax_inclusive": bool(co.tax_inclusive),
        "tax_minor": co.tax_minor,
        "total_minor": change_order_total(co),
        "minutes": co.minutes,
        "rate_minor": co.rate_minor,
        "role": co.role or "",
        "status": co.status,
        "currency": project.currency if project else "EUR",
        "project_name": project.name if project else "",
        "client": account.name if account else "",
        "org_name": org.name if org else "",
        "approved_name": co.approved_name or "",
        "provider": co.provider,
        "approved_at": co.approved_at.isoformat() if co.approved_at else "",
    }


def approve_change_order(
    session: Session, actor: Actor, change_order_id: int, typed_name: str, ip: str | None = None
) -> ChangeOrder:
    """The client's approval (typed name): the budget rises and the change becomes billable."""
    co = _change_order(session, change_order_id)
    name = (typed_name or "").strip()
    if co.status not in ("draft", "sent"):
        raise DeliveryError(f"Change order #{co.number} is already {co.status}.", kind="conflict")
    if len(name) < 2:
        raise DeliveryError("Type your full name to approve.", field="name")
    before = snapshot(co)
    co.status, co.approved_name, co.approved_at, co.approved_ip = "approved", name[:200], utcnow(), ip
    session.add(co)
    record_update(session, actor, co, before, action="approved")
    project = _project(session, co.project_id)
    if co.kind == "hours":
        bl = BudgetLine(
            project_id=project.id,
            change_order_id=co.id,
            role=co.role or f"Change order #{co.number}",
            budget_minutes=co.minutes,
            rate_minor=co.rate_minor,
            amount_minor=co.amount_minor,
            tax_rate_id=co.tax_rate_id,
        )
        session.add(bl)
        record_create(session, actor, bl)
    add_deal_event(session, project.deal_id, f"Change order #{co.number} approved by {name}", user_id=actor.user_id)
    notify(
        session,
        project.lead_user_id,
        "change_order_approved",
        f"Change order #{co.number} on “{project.name}” was approved by {name}.",
        f"/projects/{project.id}",
    )
    emit(
        session,
        "change_order.approved",
        ChangeOrderApproved(
            change_order_id=co.id, project_id=project.id, amount_minor=co.amount_minor, currency=project.currency
        ),
    )
    return co


def decline_change_order(session: Session, actor: Actor, change_order_id: int, reason: str = "") -> ChangeOrder:
    co = _change_order(session, change_order_id)
    if co.status not in ("draft", "sent"):
        raise DeliveryError(f"Change order #{co.number} is already {co.status}.", kind="conflict")
    before = snapshot(co)
    co.status = "declined"
    session.add(co)
    record_update(session, actor, co, before, action="declined")
    project = _project(session, co.project_id)
    add_deal_event(
        session,
        project.deal_id,
        f"Change order #{co.number} declined",
        (reason or "").strip()[:500] or None,
        user_id=actor.user_id,
    )
    notify(
        session,
        project.lead_user_id,
        "change_order_declined",
        f"Change order #{co.number} on “{project.name}” was declined.",
        f"/projects/{project.id}",
    )
    return co


def change_order_for_envelope(session: Session, envelope_id: str, change_order_id: int | None) -> ChangeOrder | None:
    """The change order a DocuSign envelope belongs to: by envelope id, else (our send crashed
    after DocuSign accepted it) by the signed custom field, adopting the envelope only when that
    change order has none."""
    co = session.exec(select(ChangeOrder).where(ChangeOrder.envelope_id == envelope_id).with_for_update()).first()
    if co is None and change_order_id:
        candidate = session.exec(select(ChangeOrder).where(ChangeOrder.id == change_order_id).with_for_update()).first()
        if candidate is not None and candidate.envelope_id is None and candidate.status in ("draft", "sent"):
            candidate.provider, candidate.envelope_id = "docusign", envelope_id
            co = candidate
    return co


def apply_envelope_status(
    session: Session,
    co: ChangeOrder,
    status: str,
    signer_name: str | None = None,
    source: str = "docusign",
    reason: str = "",
) -> bool:
    """A DocuSign envelope status reaching a change order, forward-only: `completed` approves it
    (the same approval as the public link), `declined`/`voided` decline it; anything else, or a
    change order already decided, changes nothing. Returns whether it changed."""
    if co.status not in ("draft", "sent"):
        return False
    actor = Actor("webhook" if source == "docusign" else "system", None, source)
    if status == "completed":
        name = (signer_name or "").strip()
        if len(name) < 2:  # the payload lacks the signer: the contract's signer signed it
            signer = _docusign_signer(session, _project(session, co.project_id))
            name = signer.name if signer is not None else "DocuSign signer"
        approve_change_order(session, actor, co.id, name)
        return True
    if status in ("declined", "voided"):
        decline_change_order(session, actor, co.id, reason or f"{status} in DocuSign")
        return True
    return False


def stalled_change_orders(session: Session, hours: int = 24) -> list[ChangeOrder]:
    """DocuSign change orders still out for signature `hours` after they were created."""
    cutoff = utcnow() - timedelta(hours=hours)
    rows = session.exec(
        select(ChangeOrder).where(
            ChangeOrder.provider == "docusign", ChangeOrder.status == "sent", ChangeOrder.envelope_id.is_not(None)
        )
    ).all()  # type: ignore[union-attr]
    return [c for c in rows if _utc(c.created_at) <= cutoff]


def _utc(value):
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def repoll_change_orders(session: Session, client, hours: int = 24) -> list[tuple[int, str]]:
    """Ask DocuSign about change-order envelopes (a lost Connect message leaves nothing stuck)."""
    out = []
    for co in stalled_change_orders(session, hours):
        status = client.envelope_status(co.envelope_id)
        changed = apply_envelope_status(session, co, status, source="docusign:repoll")
        out.append((co.id, status if changed else f"{status} (unchanged)"))
    return out


def approve_change_order_by_token(session: Session, token: str, typed_name: str, ip: str | None = None) -> ChangeOrder:
    co = change_order_by_token(session, token)
    if co is None:
        raise NotFound("Change order")
    if co.provider == "docusign" and co.status == "sent":  # one way to decide: DocuSign's envelope
        raise DeliveryError(
            "This change order is out for signature in DocuSign: please use DocuSign's e-mail.", kind="conflict"
        )
    return approve_change_order(session, Actor("client", None, f"co:{co.id}"), co.id, typed_name, ip)


def decline_change_order_by_token(session: Session, token: str, reason: str = "") -> ChangeOrder:
    co = change_order_by_token(session, token)
    if co is None:
        raise NotFound("Change order")
    if co.provider == "docusign" and co.status == "sent":  # one way to decide: DocuSign's envelope
        raise DeliveryError(
            "This change order is out for signature in DocuSign: please use DocuSign's e-mail.", kind="conflict"
        )
    return decline_change_order(session, Actor("client", None, f"co:{co.id}"), co.id, reason)


def billable_change_orders(session: Session, project_id: int) -> list[ChangeOrder]:
    """Approved fixed-price change orders not billed yet (hours ones bill through time).
    Draft, sent or declined change orders are never billable."""
    from l2c_app.billing.models import BilledSource

    billed = select(BilledSource.source_id).where(
        BilledSource.source_type == "change_order", BilledSource.released_at.is_(None)
    )  # type: ignore[union-attr]
    return list(
        session.exec(
            select(ChangeOrder)
            .where(
                ChangeOrder.project_id == project_id,
                ChangeOrder.status == "approved",
                ChangeOrder.kind == "fixed",
                ChangeOrder.id.not_in(billed),
            )
            .order_by(ChangeOrder.number)
        )
    )  # type: ignore[union-attr]
