"""Delivery use cases: contract -> project, the plan and its budget, time, change orders.

Plain functions `fn(session, ...)`; no Reflex. Each raises `DeliveryError` (a message a
person can act on; `field` names the input) and leaves committing to the caller.

Money of the plan (see `quote_plan_amounts`, the one place that prices a quote line):
each included line's net amount is quantity x unit price x (1 - line discount %) x
(1 - quote discount %), rounded once, half-up, as the quotes stage computes it; the
project's items carry those amounts, so the plan sums exactly to the quote's total
before tax (tax is applied on the invoice, from each item's tax rate).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from l2c_app.events.bus import emit
from l2c_app.events.types import ChangeOrderApproved, ProjectCreated, WeekApproved
from l2c_app.core.lines import hourly_rate, line_tax, minutes_of, split_evenly, time_amount
from l2c_app.quotes.totals import LineInput, compute_totals, recurring_months
from l2c_app.core.textlimits import plausible_token
from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.errors import DomainError, Kind
from l2c_app.core.models import Organisation, User
from l2c_app.core.money import check_amount, round_minor
from l2c_app.core.notify import notify
from l2c_app.core import formats
from l2c_app.core.formats import week_start  # the locale's first day (Sunday for en-US, else Monday)
from l2c_app.core.timeutil import MINUTES_PER_DAY, org_today, utcnow
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.projects.duration import format_minutes, parse_duration
from l2c_app.projects.models import (
    BudgetLine, ChangeOrder, Milestone, Project, ProjectMember, ProjectQuote, Retainer, Task, TimeEntry,
)

BURN_WARNING = 80  # percent
BURN_OVER = 100
APPROVER_ROLES = ("owner", "admin", "billing")  # besides the project's lead


class DeliveryError(DomainError):
    """A user-facing message; `field` names the input it is about; `link` where to go instead."""

    def __init__(self, message: str, field: str | None = None, *, kind: Kind | None = None,
                 link: str | None = None, code: str | None = None):
        super().__init__(message, field, kind=kind, code=code)
        self.link = link


class AlreadyConverted(DeliveryError):
    default_kind = "conflict"

    def __init__(self, project: Project):
        super().__init__(f"This already became the project “{project.name}”.", link=f"/projects/{project.id}")
        self.project_id = project.id

    def error_json(self) -> dict:
        return {**super().error_json(), "project_id": self.project_id, "url": self.link}

    def as_json(self) -> dict:
        # `detail` stays the object API clients already read the existing project from.
        return {"detail": {"message": self.message, "project_id": self.project_id, "url": self.link},
                "error": self.error_json()}


class NotFound(DeliveryError):
    default_kind = "not_found"

    def __init__(self, what: str, field: str | None = None):
        super().__init__(f"{what} not found.", field=field)


# --- settings ---------------------------------------------------------------------------------

DEFAULT_SETTINGS = {"time_approval_required": True, "auto_project_on_signature": False,
                    # Time rules: future days are locked unless allowed; a person never approves
                    # their own week, unless they are the project's only approver and this allows it.
                    "allow_future_time": False, "sole_approver_self_approval": True}


def delivery_settings_of(stored: dict | None) -> dict[str, bool]:
    """Delivery's settings from the organisation's stored settings (defaults filled in)."""
    stored = stored or {}
    return {k: bool(stored.get(k, v)) for k, v in DEFAULT_SETTINGS.items()}


def delivery_settings(session: Session) -> dict[str, bool]:
    org = get_organisation(session)
    return delivery_settings_of(org.settings if org else None)


def save_delivery_settings(session: Session, actor: Actor, *, time_approval_required: bool,
                           auto_project_on_signature: bool) -> dict[str, bool]:
    org = get_organisation(session)
    if org is None:
        raise DeliveryError("Set up the organisation first.")
    before = snapshot(org)
    # A new dict: SQLAlchemy does not see in-place changes of a JSON column.
    org.settings = {**(org.settings or {}), "time_approval_required": bool(time_approval_required),
                    "auto_project_on_signature": bool(auto_project_on_signature)}
    session.add(org)
    record_update(session, actor, org, before)
    return delivery_settings(session)


def save_time_rules(session: Session, actor: Actor, *, allow_future_time: bool,
                    sole_approver_self_approval: bool) -> dict[str, bool]:
    """The time grid's rules (owned here with the rest of delivery's settings)."""
    org = get_organisation(session)
    if org is None:
        raise DeliveryError("Set up the organisation first.")
    before = snapshot(org)
    org.settings = {**(org.settings or {}), "allow_future_time": bool(allow_future_time),
                    "sole_approver_self_approval": bool(sole_approver_self_approval)}
    session.add(org)
    record_update(session, actor, org, before)
    return delivery_settings(session)


FUTURE_LOCK = "a future day (logging future days is off in Settings → Time rules)"


def future_day_refusal(session: Session, day: date, settings: dict[str, bool] | None = None) -> str:
    """Why time cannot be logged on `day` (empty when it can): a day after the organisation's
    today, unless the organisation allows logging future days."""
    settings = settings or delivery_settings(session)
    if settings["allow_future_time"] or day <= org_today(session):
        return ""
    return f"{formats.day(day)} is in the future: time is logged on the day or after it."


# --- quote lines -> the plan -----------------------------------------------------------------

def quote_plan_amounts(quote: Any, lines: list[Any]) -> list[tuple[Any, int]]:
    """THE money of quote lines in this stage: (line, net amount) for each included line
    (optional lines only when ticked), in position order.

    net amount = round_minor(quantity x unit price x (1 - line discount %) x (1 - quote discount %)),
    rounded once per line, half-up: computed by `quotes.totals.compute_totals` (the one
    quote arithmetic), so the plan sums to the quote's subtotal - discount exactly. The only
    place this stage prices a quote line.
    """
    ordered = sorted(lines, key=lambda x: (x.position, x.id or 0))
    totals = compute_totals([LineInput(i, ln.quantity, ln.unit_price_minor, ln.discount_percent,
                                       optional=ln.optional, selected=ln.selected,
                                       kind=getattr(ln, "billing_kind", None) or "fixed")
                             for i, ln in enumerate(ordered)], quote.discount_percent or 0)
    return [(ln, totals.line(i).discounted_minor) for i, ln in enumerate(ordered) if totals.line(i).included]


def quote_net_total(quote: Any, lines: list[Any]) -> int:
    """The accepted quote's total before tax (subtotal less the quote-level discount)."""
    return sum(amount for _, amount in quote_plan_amounts(quote, lines))


def retainer_period_amount(retainer: Retainer, index: int) -> int:
    """Amount of month `index` (0-based): the planned money split evenly, the first
    months taking the remainder, so a fixed term sums to exactly `planned_minor`."""
    if not retainer.months or not retainer.planned_minor:  # open-ended, or a monthly fee without a quoted term
        return retainer.amount_minor
    if index >= retainer.months:
        return 0
    return split_evenly(retainer.planned_minor, retainer.months)[index]  # core/lines: the one split


def set_retainer_email(session: Session, actor: Actor, retainer_id: int, email_invoices: bool) -> Retainer:
    """Whether the monthly invoice the job makes for this retainer is e-mailed to the client."""
    row = session.get(Retainer, retainer_id)
    if row is None:
        raise NotFound("Retainer", "retainer_id")
    before = snapshot(row)
    row.email_invoices = bool(email_invoices)
    session.add(row)
    record_update(session, actor, row, before)
    return row


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1)


def _plan_from_quote(session: Session, actor: Actor, project: Project, quote: Any) -> None:
    from l2c_app.quotes.models import QuoteLine

    lines = list(session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote.id)))
    for line, amount in quote_plan_amounts(quote, lines):
        qty = Decimal(line.quantity)
        kind = line.billing_kind
        row: Any
        if kind == "hourly":
            minutes = minutes_of(qty)
            # the billing rate of the role: the unit price after both discounts, rounded once;
            # the quote priced the line as these minutes at this rate (core/lines)
            rate = hourly_rate(line.unit_price_minor, line.discount_percent, quote.discount_percent or 0)
            row = BudgetLine(project_id=project.id, quote_line_id=line.id, role=(line.role or line.description)[:100],
                             budget_minutes=minutes, rate_minor=rate, amount_minor=amount,
                             tax_rate_id=line.tax_rate_id)
        elif kind == "recurring":
            # quantity = months; a part month still is a month to bill, and the periods
            # share the quoted amount exactly (retainer_period_amount)
            months = recurring_months(qty)
            row = Retainer(project_id=project.id, quote_line_id=line.id, name=line.description[:300],
                           amount_minor=split_evenly(amount, months)[0], months=months, planned_minor=amount,
                           tax_rate_id=line.tax_rate_id, start_date=_add_months(org_today(session), 1))
        else:  # fixed and milestone (an unknown kind is treated as a fixed fee: money is never dropped)
            row = Milestone(project_id=project.id, quote_line_id=line.id,
                            kind="milestone" if kind == "milestone" else "fixed", name=line.description[:300],
                            amount_minor=amount, tax_rate_id=line.tax_rate_id, due_date=line.due_date)
        session.add(row)
        record_create(session, actor, row)
    link = ProjectQuote(project_id=project.id, quote_id=quote.id)
    session.add(link)
    record_create(session, actor, link)


def _existing_project_for_quote(session: Session, quote_id: int) -> Project | None:
    return session.exec(select(Project).join(ProjectQuote, ProjectQuote.project_id == Project.id)
                        .where(ProjectQuote.quote_id == quote_id)).first()


def _accepted_unlinked_quotes(session: Session, deal_id: int) -> list[Any]:
    from l2c_app.quotes.models import Quote

    linked = select(ProjectQuote.quote_id)
    return list(session.exec(select(Quote).where(Quote.deal_id == deal_id, Quote.status == "accepted",
                                                 Quote.id.not_in(linked)).order_by(Quote.id)))  # type: ignore[union-attr]


def _new_project(session: Session, actor: Actor, deal: Any, contract_id: int | None, quotes: list[Any]) -> Project:
    currencies = {q.currency for q in quotes}
    if len(currencies) > 1:
        raise DeliveryError(f"The accepted quotes are in several currencies ({', '.join(sorted(currencies))}); "
                            "a project has one currency.", field="quote")
    lead = actor.user_id or deal.owner_id
    project = Project(name=deal.title[:200], deal_id=deal.id, account_id=deal.account_id, contract_id=contract_id,
                      currency=quotes[0].currency if quotes else deal.currency, lead_user_id=lead)
    session.add(project)
    record_create(session, actor, project)
    if lead:
        member = ProjectMember(project_id=project.id, user_id=lead)
        session.add(member)
        record_create(session, actor, member)
    for quote in quotes:
        _plan_from_quote(session, actor, project, quote)
    session.flush()
    add_deal_event(session, deal.id, f"Project “{project.name}” created",
                   f"From {len(quotes)} accepted quote(s)" + (f" and contract #{contract_id}" if contract_id else ""),
                   user_id=actor.user_id)
    if lead and lead != actor.user_id:
        notify(session, lead, "project_created", f"You lead the new project “{project.name}”.",
               f"/projects/{project.id}")
    emit(session, "project.created", ProjectCreated(project_id=project.id, contract_id=contract_id, deal_id=deal.id))
    return project


def create_project_from_contract(session: Session, actor: Actor, contract_id: int) -> Project:
    """One click on a signed contract: the project with the deal's accepted quotes as its plan."""
    from l2c_app.contracts.models import Contract
    from l2c_app.pipeline.models import Deal

    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("Contract", "contract_id")
    existing = session.exec(select(Project).where(Project.contract_id == contract_id)).first()
    if existing is not None:
        raise AlreadyConverted(existing)
    if contract.status != "completed":
        raise DeliveryError(f"The contract is {contract.status}, not signed: a project starts from a signed "
                            "contract.", field="contract_id", kind="conflict")
    if contract.quote_id is not None and (other := _existing_project_for_quote(session, contract.quote_id)):
        raise AlreadyConverted(other)
    deal = session.get(Deal, contract.deal_id)
    if deal is None:  # pragma: no cover - foreign key
        raise NotFound("Deal", "deal_id")
    quotes = _accepted_unlinked_quotes(session, deal.id)
    if contract.quote_id is not None and all(q.id != contract.quote_id for q in quotes):
        from l2c_app.quotes.models import Quote

        signed_quote = session.get(Quote, contract.quote_id)
        if signed_quote is not None:  # the signed quote feeds the plan even if not marked accepted
            quotes.insert(0, signed_quote)
    project = _new_project(session, actor, deal, contract.id, quotes)
    record_action(session, actor, "contract", contract.id, "project_created", {"project_id": project.id})
    return project


def create_project_from_deal(session: Session, actor: Actor, deal_id: int) -> Project:
    """A won deal with accepted quote(s) and no contract: the same one-click conversion."""
    from l2c_app.pipeline.models import Deal

    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound("Deal", "deal_id")
    quotes = _accepted_unlinked_quotes(session, deal.id)
    if not quotes:
        existing = session.exec(select(Project).where(Project.deal_id == deal_id).order_by(Project.id)).first()
        if existing is not None:
            raise AlreadyConverted(existing)
        raise DeliveryError("The deal has no accepted quote to plan a project from.", field="deal_id", kind="conflict")
    if deal.status != "won":
        raise DeliveryError("Mark the deal won first (or create the project from its signed contract).",
                            field="deal_id", kind="conflict")
    return _new_project(session, actor, deal, None, quotes)


def add_quote_to_project(session: Session, actor: Actor, project_id: int, quote_id: int) -> Project:
    """A later accepted quote of the same deal adds its lines to the project's plan."""
    from l2c_app.quotes.models import Quote

    project = _project(session, project_id)
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound("Quote", "quote_id")
    if (other := _existing_project_for_quote(session, quote_id)) is not None:
        raise AlreadyConverted(other)
    if quote.deal_id != project.deal_id or quote.status != "accepted":
        raise DeliveryError("Only an accepted quote of the project's deal can feed it.", field="quote_id")
    if quote.currency != project.currency:
        raise DeliveryError(f"The quote is in {quote.currency}, the project in {project.currency}.", field="quote_id")
    _plan_from_quote(session, actor, project, quote)
    return project


def on_contract_signed(session: Session, contract_id: int) -> Project | None:
    """Called by the contracts stage when a contract completes. Creates the project when
    the organisation asked for it (setting `auto_project_on_signature`); never raises
    for a contract that already has a project."""
    if not delivery_settings(session)["auto_project_on_signature"]:
        return None
    try:
        return create_project_from_contract(session, Actor("system", None, "auto-project"), contract_id)
    except AlreadyConverted:
        return None


def project_for_contract(session: Session, contract_id: int) -> dict | None:
    from l2c_app.contracts.models import Contract

    contract = session.get(Contract, contract_id)
    if contract is None:
        return None
    project = session.exec(select(Project).where(Project.contract_id == contract_id)).first()
    if project is None and contract.quote_id is not None:
        project = _existing_project_for_quote(session, contract.quote_id)
    return {"contract_id": contract_id, "status": contract.status,
            "project_id": project.id if project else None, "project_name": project.name if project else ""}


# --- reading a project -------------------------------------------------------------------------

def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("Project", "project_id")
    return project


def _time_money(minutes: int, rate_minor: int) -> int:
    """Money of one time entry: minutes x hourly rate / 60, rounded once, half-up."""
    return time_amount(minutes, rate_minor)


def _burn(actual: int, budget: int) -> int | None:
    return None if budget <= 0 else int(round_minor(Decimal(actual) * 100 / budget))


def _level(burn: int | None) -> str:
    if burn is None:
        return "none"
    return "over" if burn >= BURN_OVER else "warning" if burn >= BURN_WARNING else "ok"


def budget_report(session: Session, project_id: int) -> dict:
    """Budget vs actual per budget line and in total (hours and money, burn %, level)."""
    project = _project(session, project_id)
    lines = list(session.exec(select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id)))
    used_min: dict[int | None, int] = defaultdict(int)
    used_money: dict[int | None, int] = defaultdict(int)
    for bl_id, minutes, rate in session.exec(select(TimeEntry.budget_line_id, TimeEntry.minutes, TimeEntry.rate_minor)
                                             .where(TimeEntry.project_id == project_id)):
        used_min[bl_id] += minutes
        used_money[bl_id] += _time_money(minutes, rate)
    rows = []
    for bl in lines:
        burn = _burn(used_money[bl.id], bl.amount_minor) if bl.amount_minor else _burn(used_min[bl.id],
                                                                                          bl.budget_minutes)
        rows.append({"id": bl.id, "role": bl.role, "budget_minutes": bl.budget_minutes, "rate_minor": bl.rate_minor,
                     "budget_minor": bl.amount_minor, "actual_minutes": used_min[bl.id],
                     "actual_minor": used_money[bl.id], "burn": burn, "level": _level(burn),
                     "from_change_order": bl.change_order_id is not None})
    budget_minor = sum(r["budget_minor"] for r in rows)
    budget_minutes = sum(r["budget_minutes"] for r in rows)
    actual_minor = sum(used_money.values())
    actual_minutes = sum(used_min.values())
    burn = _burn(actual_minor, budget_minor) if budget_minor else _burn(actual_minutes, budget_minutes)
    def warn(subject: str, pct: int | None, level: str) -> dict:
        tail = " It is over budget." if level == "over" else ""
        return {"text": f"{subject} has used {pct}% of its budget.{tail}", "level": level}

    warnings = [warn(r["role"], r["burn"], r["level"]) for r in rows if r["level"] in ("warning", "over")]
    if _level(burn) in ("warning", "over"):
        warnings.insert(0, warn("The project", burn, _level(burn)))
    return {"currency": project.currency, "lines": rows,
            "unplanned_minutes": used_min[None], "unplanned_minor": used_money[None],
            "total": {"budget_minutes": budget_minutes, "budget_minor": budget_minor, "actual_minutes": actual_minutes,
                      "actual_minor": actual_minor, "burn": burn, "level": _level(burn)},
            "warnings": warnings}


def planned_total(session: Session, project_id: int, include_change_orders: bool = False) -> int:
    """Money of the plan: milestones and fixed items, budget lines, retainers (whole term).
    With `include_change_orders`, approved change orders count too (the raised budget)."""
    cond_ms = Milestone.project_id == project_id
    cond_bl = BudgetLine.project_id == project_id
    if not include_change_orders:
        cond_bl = and_(cond_bl, BudgetLine.change_order_id.is_(None))  # type: ignore[union-attr]
    total = session.exec(select(func.coalesce(func.sum(Milestone.amount_minor), 0)).where(cond_ms)).one()
    total += session.exec(select(func.coalesce(func.sum(BudgetLine.amount_minor), 0)).where(cond_bl)).one()
    total += session.exec(select(func.coalesce(func.sum(Retainer.planned_minor), 0))
                          .where(Retainer.project_id == project_id)).one()
    if include_change_orders:  # hours change orders are already budget lines
        total += session.exec(select(func.coalesce(func.sum(ChangeOrder.amount_minor), 0)).where(
            ChangeOrder.project_id == project_id, ChangeOrder.status == "approved", ChangeOrder.kind == "fixed")).one()
    return int(total)


def project_detail(session: Session, project_id: int) -> dict:
    """Everything the project page and `GET /api/v1/projects/{id}` show."""
    from l2c_app.contracts.models import Contract
    from l2c_app.pipeline.models import Account, Deal

    project = _project(session, project_id)
    deal = session.get(Deal, project.deal_id) if project.deal_id else None
    account = session.get(Account, project.account_id) if project.account_id else None
    contract = session.get(Contract, project.contract_id) if project.contract_id else None
    lead = session.get(User, project.lead_user_id) if project.lead_user_id else None
    lines = {bl.id: bl for bl in session.exec(select(BudgetLine).where(BudgetLine.project_id == project_id))}
    team = []
    for m, u in session.exec(select(ProjectMember, User).join(User, User.id == ProjectMember.user_id)
                             .where(ProjectMember.project_id == project_id).order_by(User.name)):
        bl = lines.get(m.budget_line_id) if m.budget_line_id else None
        team.append({"id": m.id, "user_id": u.id, "name": u.name, "email": u.email,
                     "billing_role": bl.role if bl else "", "budget_line_id": m.budget_line_id,
                     "rate_minor": m.rate_minor if m.rate_minor is not None else (bl.rate_minor if bl else 0),
                     "is_lead": u.id == project.lead_user_id})
    milestones = [{"id": ms.id, "kind": ms.kind, "name": ms.name, "amount_minor": ms.amount_minor,
                   "due_date": ms.due_date.isoformat() if ms.due_date else None, "status": ms.status,
                   "reached_on": ms.reached_on.isoformat() if ms.reached_on else None}
                  for ms in session.exec(select(Milestone).where(Milestone.project_id == project_id)
                                         .order_by(Milestone.due_date, Milestone.id))]
    retainers = [{"id": r.id, "name": r.name, "amount_minor": r.amount_minor, "months": r.months,
                  "planned_minor": r.planned_minor, "start_date": r.start_date.isoformat(), "active": r.active,
                  "email_invoices": r.email_invoices}
                 for r in session.exec(select(Retainer).where(Retainer.project_id == project_id))]
    cos = [change_order_json(co) for co in session.exec(select(ChangeOrder).where(ChangeOrder.project_id == project_id)
                                                         .order_by(ChangeOrder.number))]
    quotes = list(session.exec(select(ProjectQuote.quote_id).where(ProjectQuote.project_id == project_id)))
    return {
        "id": project.id, "name": project.name, "status": project.status, "currency": project.currency,
        "deal_id": project.deal_id, "deal_title": deal.title if deal else "",
        "account_id": project.account_id, "account_name": account.name if account else "",
        "contract_id": project.contract_id,
        "signed_pdf_url": f"/api/v1/contracts/{contract.id}/pdf" if contract and contract.signed_document_id else None,
        "quote_ids": quotes, "lead_user_id": project.lead_user_id, "lead_name": lead.name if lead else "",
        "billable_default": project.billable_default,
        "planned_minor": planned_total(session, project_id),
        "budget_with_change_orders_minor": planned_total(session, project_id, include_change_orders=True),
        "team": team, "milestones": milestones, "retainers": retainers, "change_orders": cos,
        "budget": budget_report(session, project_id),
        "created_at": project.created_at.isoformat(),
    }


def quotes_to_add(session: Session, project_id: int) -> list[dict]:
    """Accepted quotes of the project's deal that have not fed a project yet."""
    project = _project(session, project_id)
    if project.deal_id is None:
        return []
    from l2c_app.quotes.service import quote_label

    return [{"id": q.id, "label": f"Quote {quote_label(q)}: {q.title}"}
            for q in _accepted_unlinked_quotes(session, project.deal_id)]


def team_options(session: Session, project_id: int) -> dict:
    users = session.exec(select(User).where(User.is_active.is_(True)).order_by(User.name))  # type: ignore[attr-defined]
    lines = session.exec(select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id))
    return {"users": [{"id": str(u.id), "name": u.name} for u in users],
            "lines": [{"id": str(b.id), "role": b.role} for b in lines]}


def ready_contracts(session: Session) -> list[dict]:
    """Signed contracts without a project yet (one click each on /projects)."""
    from l2c_app.contracts.models import Contract
    from l2c_app.pipeline.models import Deal

    has_project = select(Project.contract_id).where(col(Project.contract_id).is_not(None))
    rows = session.exec(select(Contract, Deal.title).join(Deal, col(Deal.id) == Contract.deal_id)
                        .where(Contract.status == "completed", col(Contract.id).not_in(has_project))
                        .order_by(col(Contract.id).desc()).limit(20))
    return [{"id": str(c.id), "title": c.title, "deal": title} for c, title in rows]


def list_projects(session: Session, status: str | None = None) -> list[dict]:
    from l2c_app.pipeline.models import Account

    stmt = select(Project, Account.name).outerjoin(Account, Account.id == Project.account_id).order_by(Project.id.desc())  # type: ignore[union-attr]
    if status:
        stmt = stmt.where(Project.status == status)
    out = []
    for p, account_name in session.exec(stmt):
        rep = budget_report(session, p.id)
        out.append({"id": p.id, "name": p.name, "status": p.status, "account": account_name or "",
                    "currency": p.currency, "planned_minor": planned_total(session, p.id, include_change_orders=True),
                    "burn": rep["total"]["burn"], "level": rep["total"]["level"],
                    "actual_minutes": rep["total"]["actual_minutes"]})
    return out


def projects_of_deal(session: Session, deal_id: int) -> list[dict]:
    return [{"id": p.id, "name": p.name, "status": p.status}
            for p in session.exec(select(Project).where(Project.deal_id == deal_id).order_by(Project.id))]


PROJECT_STATUSES = ("active", "on_hold", "done")


def set_project_status(session: Session, actor: Actor, project_id: int, status: str) -> Project:
    """active, on hold, or done (a done project takes no more time)."""
    if status not in PROJECT_STATUSES:
        raise DeliveryError(f"status must be one of {', '.join(PROJECT_STATUSES)}.", field="status")
    project = _project(session, project_id)
    if project.status != status:
        before = snapshot(project)
        project.status = status
        session.add(project)
        record_update(session, actor, project, before, action="status")
        add_deal_event(session, project.deal_id, f"Project “{project.name}” is now {status.replace('_', ' ')}",
                       user_id=actor.user_id)
    return project


def mark_milestone_reached(session: Session, actor: Actor, milestone_id: int, on: date | None = None) -> Milestone:
    ms = session.get(Milestone, milestone_id)
    if ms is None:
        raise NotFound("Milestone", "milestone_id")
    if ms.status == "reached":
        raise DeliveryError(f"“{ms.name}” was already reached on {ms.reached_on}.", field="milestone_id", kind="conflict")
    before = snapshot(ms)
    ms.status, ms.reached_on = "reached", on or org_today(session)
    session.add(ms)
    record_update(session, actor, ms, before, action="reached")
    project = session.get(Project, ms.project_id)
    add_deal_event(session, project.deal_id if project else None, f"Milestone “{ms.name}” reached",
                   user_id=actor.user_id)
    return ms


def add_member(session: Session, actor: Actor, project_id: int, user_id: int, budget_line_id: int | None = None,
               rate_minor: int | None = None) -> ProjectMember:
    _project(session, project_id)
    if session.get(User, user_id) is None:
        raise NotFound("User", "user_id")
    if budget_line_id is not None:
        bl = session.get(BudgetLine, budget_line_id)
        if bl is None or bl.project_id != project_id:
            raise DeliveryError("Pick a budget line of this project.", field="budget_line_id")
    member = session.exec(select(ProjectMember).where(ProjectMember.project_id == project_id,
                                                      ProjectMember.user_id == user_id)).first()
    if member is None:
        member = ProjectMember(project_id=project_id, user_id=user_id, budget_line_id=budget_line_id,
                               rate_minor=rate_minor)
        session.add(member)
        record_create(session, actor, member)
    else:
        before = snapshot(member)
        member.budget_line_id, member.rate_minor = budget_line_id, rate_minor
        session.add(member)
        record_update(session, actor, member, before)
    return member


# --- time ---------------------------------------------------------------------------------------

def _billed_time_ids(session: Session, ids: list[int]) -> set[int]:
    from l2c_app.billing.models import BilledSource

    if not ids:
        return set()
    return set(session.exec(select(BilledSource.source_id).where(
        BilledSource.source_type == "time", BilledSource.source_id.in_(ids),  # type: ignore[attr-defined]
        BilledSource.released_at.is_(None))))  # type: ignore[union-attr]


def is_locked(session: Session, entry: TimeEntry) -> str | None:
    """Why an entry cannot change any more (billed or approved), or None."""
    if entry.id is not None and _billed_time_ids(session, [entry.id]):
        return "billed"
    if entry.approved_at is not None:
        return "approved"
    return None


def rate_for(session: Session, project_id: int, user_id: int, budget_line_id: int | None) -> int:
    """The hourly rate at the time of entry: the member's own rate, else the budget line's."""
    member = session.exec(select(ProjectMember).where(ProjectMember.project_id == project_id,
                                                      ProjectMember.user_id == user_id)).first()
    if member is not None and member.rate_minor is not None:
        return member.rate_minor
    line_id = budget_line_id or (member.budget_line_id if member else None)
    if line_id:
        bl = session.get(BudgetLine, line_id)
        if bl is not None:
            return bl.rate_minor
    return 0


def day_total(session: Session, user_id: int, day: date, exclude_id: int | None = None) -> int:
    stmt = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(TimeEntry.user_id == user_id,
                                                                        TimeEntry.day == day)
    if exclude_id is not None:
        stmt = stmt.where(TimeEntry.id != exclude_id)
    return int(session.exec(stmt).one())


def _cell(session: Session, user_id: int, project_id: int, budget_line_id: int | None, task_id: int | None,
          day: date) -> TimeEntry | None:
    stmt = select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.project_id == project_id,
                                   TimeEntry.day == day)
    stmt = stmt.where(TimeEntry.budget_line_id == budget_line_id if budget_line_id else
                      TimeEntry.budget_line_id.is_(None))  # type: ignore[union-attr]
    stmt = stmt.where(TimeEntry.task_id == task_id if task_id else TimeEntry.task_id.is_(None))  # type: ignore[union-attr]
    return session.exec(stmt.order_by(TimeEntry.id)).first()


@dataclass
class CellResult:
    entry: TimeEntry | None  # None: the cell was cleared
    day_minutes: int  # the person's total for that day after the change


def upsert_time(session: Session, actor: Actor, *, user_id: int, project_id: int, day: date,
                minutes: int | str, budget_line_id: int | None = None, task_id: int | None = None,
                billable: bool | None = None, note: str | None = None) -> CellResult:
    """Set one cell of the grid (user, project, budget line/task, day) to `minutes`.
    0 clears it. Refused: locked cells (billed or approved), more than 24 h that day."""
    mins = parse_duration(minutes) if isinstance(minutes, str) else minutes
    if isinstance(mins, bool) or not isinstance(mins, int) or mins < 0:
        raise DeliveryError("Minutes must be a whole number, 0 or more.", field="minutes")
    project = _project(session, project_id)
    if project.status == "done":
        raise DeliveryError(f"“{project.name}” is done: time can no longer be logged on it.", field="project_id")
    # Lock the person's row for this transaction: their saves run one at a time, so two
    # racing saves can neither pass the 24 h check together nor create one cell twice
    # (PostgreSQL row lock; SQLite already serialises writers).
    if session.exec(select(User.id).where(User.id == user_id).with_for_update()).first() is None:
        raise NotFound("User", "user_id")
    if budget_line_id is not None:
        bl = session.get(BudgetLine, budget_line_id)
        if bl is None or bl.project_id != project_id:
            raise DeliveryError("That budget line is not part of the project.", field="budget_line_id")
    if task_id is not None:  # an unknown task was a foreign-key violation (500); another project's task a mix-up
        task = session.get(Task, task_id)
        if task is None or task.project_id != project_id:
            raise DeliveryError("That task is not part of the project.", field="task_id")
    if note is not None and len(note) > 1000:
        raise DeliveryError("A note holds at most 1000 characters.", field="note")
    if mins > 0 and (future := future_day_refusal(session, day)):  # clearing a cell stays possible
        raise DeliveryError(future, field="date", code="future_day")  # the API body names it `date`
    entry = _cell(session, user_id, project_id, budget_line_id, task_id, day)
    if entry is not None and (why := is_locked(session, entry)):
        raise DeliveryError(f"This time is {why} and can no longer change.", field="minutes", kind="conflict")
    others = day_total(session, user_id, day, exclude_id=entry.id if entry else None)
    if others + mins > MINUTES_PER_DAY:
        raise DeliveryError(
            f"{formats.weekday_name(day)} {formats.day(day)}: that makes {format_minutes(others + mins)} in one day; a day holds at most 24 h "
            f"(already {format_minutes(others) or '0:00'} logged elsewhere).", field="minutes")
    if mins == 0:
        if entry is not None:
            record_action(session, actor, "timeentry", entry.id, "delete", snapshot(entry))
            session.delete(entry)
            session.flush()
        return CellResult(None, others)
    if entry is None:
        entry = TimeEntry(project_id=project_id, budget_line_id=budget_line_id, task_id=task_id, user_id=user_id,
                          day=day, minutes=mins, billable=project.billable_default if billable is None else billable,
                          rate_minor=rate_for(session, project_id, user_id, budget_line_id), note=note or None)
        session.add(entry)
        record_create(session, actor, entry)
        _ensure_member(session, actor, project_id, user_id, budget_line_id)
    else:
        before = snapshot(entry)
        entry.minutes = mins
        if billable is not None:
            entry.billable = billable
        if note is not None:
            entry.note = note or None
        entry.updated_at = utcnow()
        session.add(entry)
        record_update(session, actor, entry, before)
    _recheck(session, user_id, project_id, budget_line_id, task_id, day)
    return CellResult(entry, others + mins)


def _recheck(session: Session, user_id: int, project_id: int, budget_line_id: int | None, task_id: int | None,
             day: date) -> None:
    """After our write, inside our transaction: a save that raced ours and committed first
    is visible now (SQLite starts the write transaction at the first write), so the rules
    are checked again on what will be committed; the caller rolls back on error."""
    session.flush()
    total = day_total(session, user_id, day)
    if total > MINUTES_PER_DAY:
        raise DeliveryError(f"{formats.weekday_name(day)} {formats.day(day)}: that makes {format_minutes(total)} in one day; a day holds at most "
                            "24 h.", field="minutes")
    stmt = select(func.count()).select_from(TimeEntry).where(
        TimeEntry.user_id == user_id, TimeEntry.project_id == project_id, TimeEntry.day == day,
        TimeEntry.budget_line_id == budget_line_id if budget_line_id else TimeEntry.budget_line_id.is_(None),  # type: ignore[union-attr]
        TimeEntry.task_id == task_id if task_id else TimeEntry.task_id.is_(None))  # type: ignore[union-attr]
    if session.exec(stmt).one() > 1:
        raise DeliveryError("This cell was just saved from elsewhere: reload and try again.", field="minutes",
                            kind="conflict")


def _ensure_member(session: Session, actor: Actor, project_id: int, user_id: int, budget_line_id: int | None) -> None:
    exists = session.exec(select(ProjectMember.id).where(ProjectMember.project_id == project_id,
                                                         ProjectMember.user_id == user_id)).first()
    if exists is None:
        member = ProjectMember(project_id=project_id, user_id=user_id, budget_line_id=budget_line_id)
        session.add(member)
        record_create(session, actor, member)


def set_row_billable(session: Session, actor: Actor, *, user_id: int, project_id: int, budget_line_id: int | None,
                     monday: date, billable: bool) -> int:
    """The billable flag of one grid row for the week (locked entries keep theirs)."""
    changed = 0
    for e in _row_entries(session, user_id, project_id, budget_line_id, monday):
        if e.billable != billable and not is_locked(session, e):
            before = snapshot(e)
            e.billable = billable
            session.add(e)
            record_update(session, actor, e, before)
            changed += 1
    return changed


def _row_entries(session: Session, user_id: int, project_id: int, budget_line_id: int | None,
                 monday: date) -> list[TimeEntry]:
    stmt = select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.project_id == project_id,
                                   TimeEntry.day >= monday, TimeEntry.day < monday + timedelta(days=7))
    stmt = stmt.where(TimeEntry.budget_line_id == budget_line_id if budget_line_id else
                      TimeEntry.budget_line_id.is_(None))  # type: ignore[union-attr]
    return list(session.exec(stmt))


def row_key(project_id: int, budget_line_id: int | None) -> str:
    return f"{project_id}:{budget_line_id or 0}"


def parse_row_key(key: str) -> tuple[int, int | None]:
    p, _, b = key.partition(":")
    return int(p), (int(b) or None) if b else None


def _row_labels(session: Session, keys: list[tuple[int, int | None]]) -> dict[str, dict]:
    pids = {p for p, _ in keys}
    if not pids:
        return {}
    projects = {p.id: p for p in session.exec(select(Project).where(Project.id.in_(pids)))}  # type: ignore[union-attr]
    bls = {b.id: b for b in session.exec(select(BudgetLine).where(BudgetLine.project_id.in_(pids)))}  # type: ignore[attr-defined]
    out = {}
    for p, b in keys:
        if p in projects:
            out[row_key(p, b)] = {"project_name": projects[p].name, "role": bls[b].role if b in bls else "",
                                  "billable": projects[p].billable_default}
    return out


def week_grid(session: Session, user_id: int, monday: date, extra_rows: list[str] | None = None) -> dict:
    """The weekly grid of one person: rows project x budget line, cells Mon..Sun.

    One query reads the week (entries joined to their project, budget line and live
    billing link), so the grid costs the same with a year of history behind it.
    """
    from l2c_app.billing.models import BilledSource

    formats.formats(session)  # the organisation's locale (first day of the week) as stored now
    monday = week_start(monday)
    days = [monday + timedelta(days=i) for i in range(7)]
    settings, today = delivery_settings(session), org_today(session)
    future = ["" if settings["allow_future_time"] or d <= today else FUTURE_LOCK for d in days]
    stmt = (select(TimeEntry, Project.name, BudgetLine.role, BilledSource.id, User.name)
            .join(Project, Project.id == TimeEntry.project_id)
            .outerjoin(BudgetLine, BudgetLine.id == TimeEntry.budget_line_id)
            .outerjoin(User, User.id == TimeEntry.approved_by_id)
            .outerjoin(BilledSource, and_(BilledSource.source_type == "time", BilledSource.source_id == TimeEntry.id,
                                          BilledSource.released_at.is_(None)))  # type: ignore[union-attr]
            .where(TimeEntry.user_id == user_id, TimeEntry.day >= monday, TimeEntry.day <= days[-1])
            .order_by(Project.name, TimeEntry.budget_line_id, TimeEntry.day, TimeEntry.id))
    rows: dict[str, dict] = {}

    def blank(key: str, project_id: int, bl_id: int | None, name: str, role: str, billable: bool) -> dict:
        return {"key": key, "project_id": project_id, "budget_line_id": bl_id or 0, "project_name": name,
                "role": role or "", "label": f"{name} · {role}" if role else name, "billable": billable,
                "cells": [{"day": d.isoformat(), "minutes": 0, "text": "", "locked": future[i], "note": "",
                           "entry_id": 0} for i, d in enumerate(days)], "total_minutes": 0, "approved_text": "", "approved_at": None}

    for entry, pname, role, billed_id, approver in session.exec(stmt):
        key = row_key(entry.project_id, entry.budget_line_id)
        row = rows.get(key) or rows.setdefault(key, blank(key, entry.project_id, entry.budget_line_id, pname,
                                                          role or "", entry.billable))
        cell = row["cells"][(entry.day - monday).days]
        if cell["entry_id"]:  # a second entry in one cell (tasks, API): shown summed, edited no more
            cell["locked"] = cell["locked"] or "several entries"
        cell["minutes"] += entry.minutes
        cell["text"] = format_minutes(cell["minutes"])
        cell["note"] = entry.note or cell["note"]
        cell["entry_id"] = cell["entry_id"] or entry.id
        if billed_id is not None:
            cell["locked"] = "billed"
        elif entry.approved_at is not None and not cell["locked"]:
            cell["locked"] = "approved"
        if entry.approved_at is not None and (row["approved_at"] is None or entry.approved_at > row["approved_at"]):
            # "Approved by X on D": the row's latest approval (a week is approved at once).
            row["approved_at"] = entry.approved_at
            row["approved_text"] = (f"Approved by {approver or 'an approver'} on "
                                    f"{formats.day(entry.approved_at)}")
        row["total_minutes"] += entry.minutes
    missing = [parse_row_key(k) for k in extra_rows or [] if k not in rows]
    labels = _row_labels(session, missing)
    for p, b in missing:
        key = row_key(p, b)
        if key in labels:
            lab = labels[key]
            rows[key] = blank(key, p, b, lab["project_name"], lab["role"], lab["billable"])
    ordered = sorted(rows.values(), key=lambda r: (r["project_name"].lower(), r["role"].lower()))
    for r in ordered:
        r["total_text"] = format_minutes(r["total_minutes"]) or "0:00"
        r.pop("approved_at", None)
    day_totals = [sum(r["cells"][i]["minutes"] for r in ordered) for i in range(7)]
    return {"monday": monday.isoformat(), "days": [d.isoformat() for d in days], "rows": ordered,
            "day_totals": day_totals, "day_totals_text": [format_minutes(m) or "0:00" for m in day_totals],
            "total_minutes": sum(day_totals), "total_text": format_minutes(sum(day_totals)) or "0:00"}


def last_week_rows(session: Session, user_id: int, monday: date) -> list[str]:
    """Row keys of the week before `monday` (to copy them into this week)."""
    prev = week_start(monday) - timedelta(days=7)
    stmt = (select(TimeEntry.project_id, TimeEntry.budget_line_id).distinct()
            .join(Project, Project.id == TimeEntry.project_id)
            .where(TimeEntry.user_id == user_id, TimeEntry.day >= prev, TimeEntry.day < prev + timedelta(days=7),
                   Project.status != "done"))
    return [row_key(p, b) for p, b in session.exec(stmt)]


def searchable_rows(session: Session, query: str = "", limit: int = 20) -> list[dict]:
    """Projects (and their budget lines) a person can add as grid rows."""
    stmt = select(Project).where(Project.status != "done")
    if query.strip():
        stmt = stmt.where(func.lower(Project.name).contains(query.strip().lower()))
    projects = list(session.exec(stmt.order_by(Project.name).limit(limit)))
    if not projects:
        return []
    bls: dict[int, list[BudgetLine]] = defaultdict(list)
    for bl in session.exec(select(BudgetLine).where(BudgetLine.project_id.in_([p.id for p in projects]))  # type: ignore[attr-defined]
                           .order_by(BudgetLine.id)):
        bls[bl.project_id].append(bl)
    out = []
    for p in projects:
        if not bls[p.id]:
            out.append({"key": row_key(p.id, None), "label": p.name})
        for bl in bls[p.id]:
            out.append({"key": row_key(p.id, bl.id), "label": f"{p.name} · {bl.role}"})
    return out


def can_approve(session: Session, approver: User, project: Project) -> bool:
    return approver.role in APPROVER_ROLES or project.lead_user_id == approver.id


def approvers_of(session: Session, project: Project) -> set[int]:
    """Active users who may approve time on `project`: the approver roles and its lead."""
    ids = set(session.exec(select(User.id).where(User.is_active, col(User.role).in_(APPROVER_ROLES))))
    if project.lead_user_id is not None:
        lead = session.get(User, project.lead_user_id)
        if lead is not None and lead.is_active:
            ids.add(lead.id)
    return {i for i in ids if i is not None}


def self_approval_refusal(session: Session, approver_id: int, user_id: int, project: Project,
                          settings: dict[str, bool] | None = None) -> str:
    """Why `approver_id` may not approve `user_id`'s week (empty when they may): nobody approves
    their own time, unless they are the project's only approver and the organisation allows it."""
    if approver_id != user_id:
        return ""
    settings = settings or delivery_settings(session)
    if settings["sole_approver_self_approval"] and approvers_of(session, project) <= {approver_id}:
        return ""
    if settings["sole_approver_self_approval"]:
        return "You cannot approve your own week: another approver of this project does."
    return "You cannot approve your own week: the organisation requires another approver."


def approve_week(session: Session, actor: Actor, approver_id: int, *, user_id: int, project_id: int,
                 monday: date) -> int:
    """The project lead (or the billing role) approves one person's week on a project."""
    approver = session.get(User, approver_id)
    project = _project(session, project_id)
    if approver is None or not can_approve(session, approver, project):
        raise DeliveryError("Only the project lead or the billing role approves time.", kind="forbidden")
    if why := self_approval_refusal(session, approver_id, user_id, project):
        raise DeliveryError(why, field="user_id", kind="forbidden", code="own_week")
    monday = week_start(monday)
    entries = list(session.exec(select(TimeEntry).where(
        TimeEntry.user_id == user_id, TimeEntry.project_id == project_id, TimeEntry.day >= monday,
        TimeEntry.day < monday + timedelta(days=7), TimeEntry.approved_at.is_(None))))  # type: ignore[union-attr]
    if not entries:
        raise DeliveryError("Nothing left to approve for that week.", kind="conflict")
    now = utcnow()
    for e in entries:
        e.approved_at, e.approved_by_id = now, approver_id
        session.add(e)
    record_action(session, actor, "project", project_id, "time_approved",
                  {"user_id": user_id, "week": monday.isoformat(), "entries": [e.id for e in entries],
                   "minutes": sum(e.minutes for e in entries)})
    notify(session, user_id, "time_approved",
           f"Your time on “{project.name}” for the week of {formats.day(monday)} was approved.", "/time", email=False)
    emit(session, "time.week_approved", WeekApproved(project_id=project_id, user_id=user_id,
                                                     week_start=monday.isoformat(),
                                                     minutes=sum(e.minutes for e in entries)))
    return len(entries)


def pending_approvals(session: Session, approver_id: int) -> list[dict]:
    """Weeks with unapproved time, per person and project, that this approver may approve."""
    approver = session.get(User, approver_id)
    if approver is None:
        return []
    stmt = (select(TimeEntry.user_id, User.name, TimeEntry.project_id, Project.name, TimeEntry.day, TimeEntry.minutes)
            .join(User, User.id == TimeEntry.user_id).join(Project, Project.id == TimeEntry.project_id)
            .where(TimeEntry.approved_at.is_(None)))  # type: ignore[union-attr]
    if approver.role not in APPROVER_ROLES:
        stmt = stmt.where(Project.lead_user_id == approver_id)
    weeks: dict[tuple, dict] = {}
    for uid, uname, pid, pname, day, minutes in session.exec(stmt):
        monday = week_start(day)
        key = (uid, pid, monday)
        w = weeks.setdefault(key, {"key": f"{uid}:{pid}:{monday.isoformat()}", "user_id": uid, "user_name": uname,
                                   "project_id": pid, "project_name": pname, "monday": monday.isoformat(),
                                   "minutes": 0})
        w["minutes"] += minutes
    out = sorted(weeks.values(), key=lambda w: (w["monday"], w["project_name"], w["user_name"]))
    settings = delivery_settings(session)
    for w in out:
        w["hours"] = formats.hours(w["minutes"])
        w["week_label"] = formats.day(date.fromisoformat(w["monday"]))
        # Why this approver may not approve it (their own week), shown next to a disabled button.
        w["blocked"] = (self_approval_refusal(session, approver_id, w["user_id"], _project(session, w["project_id"]),
                                              settings) if w["user_id"] == approver_id else "")
    return out


def billable_time(session: Session, project_id: int) -> list[TimeEntry]:
    """Time the billing stage may invoice: billable, not billed yet, approved when the
    organisation requires approval."""
    from l2c_app.billing.models import BilledSource

    billed = select(BilledSource.source_id).where(BilledSource.source_type == "time",
                                                  BilledSource.released_at.is_(None))  # type: ignore[union-attr]
    stmt = select(TimeEntry).where(TimeEntry.project_id == project_id, TimeEntry.billable.is_(True),  # type: ignore[attr-defined]
                                   TimeEntry.id.not_in(billed))  # type: ignore[union-attr]
    if delivery_settings(session)["time_approval_required"]:
        stmt = stmt.where(TimeEntry.approved_at.is_not(None))  # type: ignore[union-attr]
    return list(session.exec(stmt.order_by(TimeEntry.day, TimeEntry.id)))


def time_entry_json(e: TimeEntry, locked: str | None = None) -> dict:
    return {"id": e.id, "project_id": e.project_id, "budget_line_id": e.budget_line_id, "task_id": e.task_id,
            "user_id": e.user_id, "date": e.day.isoformat(), "minutes": e.minutes, "billable": e.billable,
            "rate_minor": e.rate_minor, "note": e.note, "approved_at": e.approved_at.isoformat() if e.approved_at
            else None, "approved_by_id": e.approved_by_id, "locked": locked}


# --- change orders -------------------------------------------------------------------------------

def change_order_json(co: ChangeOrder) -> dict:
    return {"id": co.id, "project_id": co.project_id, "number": co.number, "description": co.description,
            "kind": co.kind, "amount_minor": co.amount_minor, "minutes": co.minutes, "rate_minor": co.rate_minor,
            "role": co.role, "status": co.status, "public_url": f"/co/{co.public_token}",
            "provider": co.provider, "envelope_id": co.envelope_id,
            "approved_name": co.approved_name, "approved_at": co.approved_at.isoformat() if co.approved_at else None,
            "billable": co.status == "approved" and co.kind == "fixed", "tax_rate_id": co.tax_rate_id,
            "tax_percent": f"{Decimal(co.tax_percent or 0).normalize():f}", "tax_inclusive": bool(co.tax_inclusive),
            "tax_minor": co.tax_minor, "total_minor": change_order_total(co)}


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
        return session.exec(select(model.tax_rate_id).where(model.project_id == project.id,
                                                            model.tax_rate_id.is_not(None), *conds)
                            .order_by(model.id)).first()

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


def create_change_order(session: Session, actor: Actor, project_id: int, *, description: str, kind: str = "fixed",
                        amount_minor: int | None = None, minutes: int | str | None = None,
                        rate_minor: int | None = None, role: str | None = None,
                        tax_rate_id: int | None = None) -> ChangeOrder:
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
    number = int(session.exec(select(func.coalesce(func.max(ChangeOrder.number), 0))
                              .where(ChangeOrder.project_id == project_id)).one()) + 1
    co = ChangeOrder(project_id=project.id, number=number, description=description, kind=kind, amount_minor=amount,
                     minutes=mins, rate_minor=rate, role=(role or "").strip()[:100] or None,
                     tax_rate_id=int(tax_rate_id) if tax_rate_id else None, tax_percent=percent,
                     tax_inclusive=inclusive, tax_minor=line_tax(amount, percent, inclusive),
                     public_token=secrets.token_urlsafe(32))
    session.add(co)
    record_create(session, actor, co)
    return co


def _recipient(session: Session, project: Project) -> str | None:
    from l2c_app.contracts.models import ContractSigner
    from l2c_app.pipeline.models import Contact, Deal

    if project.contract_id:
        signer = session.exec(select(ContractSigner).where(ContractSigner.contract_id == project.contract_id,
                                                           ContractSigner.kind == "signer")
                              .order_by(ContractSigner.routing_order)).first()
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
    return session.exec(select(ContractSigner).where(ContractSigner.contract_id == contract.id,
                                                     ContractSigner.kind == "signer")
                        .order_by(ContractSigner.routing_order)).first()


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
        pdf.paragraph(f"{format_minutes(co.minutes)} h of {co.role or 'work'} at "
                      f"{format_money(co.rate_minor, project.currency)} per hour")
    cur = project.currency
    rate = f"{Decimal(co.tax_percent or 0).normalize():f} %" + (" incl." if co.tax_inclusive else "")
    pdf.heading(f"Price: {format_money(co.amount_minor, cur)}" + (" (tax included)" if co.tax_inclusive else
                                                                  " excl. tax"), size=11)
    pdf.paragraph(f"Tax {rate}: {format_money(co.tax_minor, cur)}. "
                  f"Total: {format_money(change_order_total(co), cur)}")
    pdf.paragraph("By signing, the client approves this change: the project budget rises by this amount "
                  "and the change is invoiced under the existing contract.")
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
    enqueue(session, "docusign.change_order_send", {"change_order_id": co.id, "signer_name": signer.name,
                                                    "signer_email": signer.email},
            f"docusign-send-co{co.id}-{secrets.token_hex(4)}",
            summary=f"DocuSign envelope for change order #{co.number}", related=("changeorder", co.id))
    record_update(session, actor, co, before, action="sent")
    add_deal_event(session, project.deal_id, f"Change order #{co.number} sent via DocuSign to {signer.email}",
                   user_id=actor.user_id)
    return co


CO_SUBJECT = "Change order {document_number} for {document_title}: your approval"
CO_BODY = ("{org_name} propose a change to {document_title}:\n\n{description}\n\n"
           "Price: {total} (before tax)\n\nReview and approve or decline it here:\n{link}\n")


def _co_values(session: Session, co: ChangeOrder, project: Project, actor: Actor) -> dict[str, str]:
    """The merge fields of a change order's e-mail (core.mailmerge)."""
    from l2c_app.core.money import format_money
    from l2c_app.pipeline.models import Account, Deal

    org = session.exec(select(Organisation)).first()
    deal = session.get(Deal, project.deal_id) if project.deal_id else None
    account = session.get(Account, deal.account_id) if deal is not None and deal.account_id else None
    sender = session.get(User, actor.user_id) if actor.user_id else None
    return {"client_name": account.name if account else "", "contact_name": "",
            "document_number": f"#{co.number}", "document_title": project.name,
            "total": format_money(co.amount_minor, project.currency),
            "link": f"{get_settings().app_base_url}/co/{co.public_token}", "due_date": "",
            "org_name": org.name if org else "We", "sender_name": sender.name if sender else (org.name if org else ""),
            "description": co.description}


def change_order_email_draft(session: Session, actor: Actor, change_order_id: int):
    """What the composer opens with: today's change order e-mail as a template (the change's
    text is the {description} field)."""
    from l2c_app.core.mailmerge import Draft

    co = _change_order(session, change_order_id)
    project = _project(session, co.project_id)
    return Draft(to=_recipient(session, project) or "", subject=CO_SUBJECT, body=CO_BODY,
                 values=_co_values(session, co, project, actor))


def send_change_order(session: Session, actor: Actor, change_order_id: int, to: str | None = None,
                      message=None) -> ChangeOrder:
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
    send_mail(session, to=to, cc=cc, subject=subject, body=body, link=values["link"],
              related=("changeorder", co.id))  # type: ignore[arg-type]
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
    return {"number": co.number, "description": co.description, "kind": co.kind, "amount_minor": co.amount_minor,
            "tax_percent": f"{Decimal(co.tax_percent or 0).normalize():f}", "tax_inclusive": bool(co.tax_inclusive),
            "tax_minor": co.tax_minor, "total_minor": change_order_total(co),
            "minutes": co.minutes, "rate_minor": co.rate_minor, "role": co.role or "", "status": co.status,
            "currency": project.currency if project else "EUR", "project_name": project.name if project else "",
            "client": account.name if account else "", "org_name": org.name if org else "",
            "approved_name": co.approved_name or "", "provider": co.provider,
            "approved_at": co.approved_at.isoformat() if co.approved_at else ""}


def approve_change_order(session: Session, actor: Actor, change_order_id: int, typed_name: str,
                         ip: str | None = None) -> ChangeOrder:
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
        bl = BudgetLine(project_id=project.id, change_order_id=co.id, role=co.role or f"Change order #{co.number}",
                        budget_minutes=co.minutes, rate_minor=co.rate_minor, amount_minor=co.amount_minor,
                        tax_rate_id=co.tax_rate_id)
        session.add(bl)
        record_create(session, actor, bl)
    add_deal_event(session, project.deal_id, f"Change order #{co.number} approved by {name}",
                   user_id=actor.user_id)
    notify(session, project.lead_user_id, "change_order_approved",
           f"Change order #{co.number} on “{project.name}” was approved by {name}.", f"/projects/{project.id}")
    emit(session, "change_order.approved", ChangeOrderApproved(change_order_id=co.id, project_id=project.id,
                                                               amount_minor=co.amount_minor, currency=project.currency))
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
    add_deal_event(session, project.deal_id, f"Change order #{co.number} declined",
                   (reason or "").strip()[:500] or None, user_id=actor.user_id)
    notify(session, project.lead_user_id, "change_order_declined",
           f"Change order #{co.number} on “{project.name}” was declined.", f"/projects/{project.id}")
    return co


def change_order_for_envelope(session: Session, envelope_id: str, change_order_id: int | None) -> ChangeOrder | None:
    """The change order a DocuSign envelope belongs to: by envelope id, else (our send crashed
    after DocuSign accepted it) by the signed custom field, adopting the envelope only when that
    change order has none."""
    co = session.exec(select(ChangeOrder).where(ChangeOrder.envelope_id == envelope_id).with_for_update()).first()
    if co is None and change_order_id:
        candidate = session.exec(select(ChangeOrder).where(ChangeOrder.id == change_order_id)
                                 .with_for_update()).first()
        if candidate is not None and candidate.envelope_id is None and candidate.status in ("draft", "sent"):
            candidate.provider, candidate.envelope_id = "docusign", envelope_id
            co = candidate
    return co


def apply_envelope_status(session: Session, co: ChangeOrder, status: str, signer_name: str | None = None,
                          source: str = "docusign", reason: str = "") -> bool:
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
    rows = session.exec(select(ChangeOrder).where(ChangeOrder.provider == "docusign", ChangeOrder.status == "sent",
                                                  ChangeOrder.envelope_id.is_not(None))).all()  # type: ignore[union-attr]
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
        raise DeliveryError("This change order is out for signature in DocuSign: please use DocuSign's e-mail.",
                            kind="conflict")
    return approve_change_order(session, Actor("client", None, f"co:{co.id}"), co.id, typed_name, ip)


def decline_change_order_by_token(session: Session, token: str, reason: str = "") -> ChangeOrder:
    co = change_order_by_token(session, token)
    if co is None:
        raise NotFound("Change order")
    if co.provider == "docusign" and co.status == "sent":  # one way to decide: DocuSign's envelope
        raise DeliveryError("This change order is out for signature in DocuSign: please use DocuSign's e-mail.",
                            kind="conflict")
    return decline_change_order(session, Actor("client", None, f"co:{co.id}"), co.id, reason)


def billable_change_orders(session: Session, project_id: int) -> list[ChangeOrder]:
    """Approved fixed-price change orders not billed yet (hours ones bill through time).
    Draft, sent or declined change orders are never billable."""
    from l2c_app.billing.models import BilledSource

    billed = select(BilledSource.source_id).where(BilledSource.source_type == "change_order",
                                                  BilledSource.released_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(select(ChangeOrder).where(
        ChangeOrder.project_id == project_id, ChangeOrder.status == "approved", ChangeOrder.kind == "fixed",
        ChangeOrder.id.not_in(billed)).order_by(ChangeOrder.number)))  # type: ignore[union-attr]


def project_timeline(session: Session, project_id: int, limit: int = 30) -> list[dict]:
    """The project's audit trail and its deal's events, newest first."""
    from l2c_app.core.models import AuditLog
    from l2c_app.pipeline.models import Activity

    project = _project(session, project_id)
    items = []
    for a in session.exec(select(AuditLog).where(AuditLog.entity == "project", AuditLog.entity_id == project_id)
                          .order_by(AuditLog.id.desc()).limit(limit)):  # type: ignore[union-attr]
        if a.action in ("create", "update"):
            continue  # the deal events below tell those in words
        items.append({"at": a.at, "text": a.action.replace("_", " ").capitalize(), "who": a.actor})
    if project.deal_id:
        for act in session.exec(select(Activity).where(Activity.deal_id == project.deal_id)
                                .order_by(Activity.created_at.desc()).limit(limit)):  # type: ignore[attr-defined]
            items.append({"at": act.created_at, "text": act.subject, "who": ""})
    items.sort(key=lambda i: i["at"], reverse=True)
    tz = formats.org_zone(session)
    return [{"at": formats.moment(i["at"], tz), "text": i["text"], "who": i["who"]} for i in items[:limit]]


def user_projects_for_timer(session: Session, user_id: int) -> list[dict]:
    """Projects the timer offers: those the person is a member of, else every active one."""
    mine = list(session.exec(select(Project).join(ProjectMember, ProjectMember.project_id == Project.id)
                             .where(ProjectMember.user_id == user_id, Project.status == "active")
                             .order_by(Project.name)))
    if not mine:
        mine = list(session.exec(select(Project).where(Project.status == "active").order_by(Project.name).limit(50)))
    return [{"id": str(p.id), "name": p.name} for p in mine]


def add_timer_minutes(session: Session, actor: Actor, user_id: int, project_id: int, minutes: int,
                      day: date | None = None) -> CellResult:
    """The top-bar timer stopped: add its minutes to today's cell of the project."""
    day = day or org_today(session)
    minutes = max(1, minutes)
    entry = _cell(session, user_id, project_id, None, None, day)
    current = entry.minutes if entry else 0
    return upsert_time(session, actor, user_id=user_id, project_id=project_id, day=day, minutes=current + minutes)

