"""Change orders: create, price (the one line rule) and what is billable. Sending is in
`change_order_sending`, the client's answer and DocuSign's status in `change_order_answers`.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create
from l2c_app.core.auth import get_organisation
from l2c_app.core.lines import line_tax
from l2c_app.core.money import check_amount
from l2c_app.projects.common import DeliveryError, NotFound, _project, _time_money
from l2c_app.projects.duration import parse_duration
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


def _change_order(session: Session, change_order_id: int) -> ChangeOrder:
    co = session.get(ChangeOrder, change_order_id)
    if co is None:
        raise NotFound("Change order", "change_order_id")
    return co


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
