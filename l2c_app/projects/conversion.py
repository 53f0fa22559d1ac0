"""Contract or deal -> project, and quote lines -> the plan.

Money of the plan (`quote_plan_amounts`, the one place that prices a quote line): each
included line's net amount is quantity x unit price x (1 - line discount %) x
(1 - quote discount %), rounded once, half-up, as the quotes stage computes it; the project's
items carry those amounts, so the plan sums exactly to the quote's total before tax (tax is
applied on the invoice, from each item's tax rate).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.lines import hourly_rate, minutes_of, split_evenly
from l2c_app.core.notify import notify
from l2c_app.core.timeutil import org_today
from l2c_app.events.bus import emit
from l2c_app.events.types import ProjectCreated
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.projects.common import AlreadyConverted, DeliveryError, NotFound, _project
from l2c_app.projects.models import BudgetLine, Milestone, Project, ProjectMember, ProjectQuote, Retainer
from l2c_app.projects.settings import delivery_settings
from l2c_app.quotes.totals import LineInput, compute_totals, recurring_months

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
    totals = compute_totals(
        [
            LineInput(
                i,
                ln.quantity,
                ln.unit_price_minor,
                ln.discount_percent,
                optional=ln.optional,
                selected=ln.selected,
                kind=getattr(ln, "billing_kind", None) or "fixed",
            )
            for i, ln in enumerate(ordered)
        ],
        quote.discount_percent or 0,
    )
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
            row = BudgetLine(
                project_id=project.id,
                quote_line_id=line.id,
                role=(line.role or line.description)[:100],
                budget_minutes=minutes,
                rate_minor=rate,
                amount_minor=amount,
                tax_rate_id=line.tax_rate_id,
            )
        elif kind == "recurring":
            # quantity = months; a part month still is a month to bill, and the periods
            # share the quoted amount exactly (retainer_period_amount)
            months = recurring_months(qty)
            row = Retainer(
                project_id=project.id,
                quote_line_id=line.id,
                name=line.description[:300],
                amount_minor=split_evenly(amount, months)[0],
                months=months,
                planned_minor=amount,
                tax_rate_id=line.tax_rate_id,
                start_date=_add_months(org_today(session), 1),
            )
        else:  # fixed and milestone (an unknown kind is treated as a fixed fee: money is never dropped)
            row = Milestone(
                project_id=project.id,
                quote_line_id=line.id,
                kind="milestone" if kind == "milestone" else "fixed",
                name=line.description[:300],
                amount_minor=amount,
                tax_rate_id=line.tax_rate_id,
                due_date=line.due_date,
            )
        session.add(row)
        record_create(session, actor, row)
    link = ProjectQuote(project_id=project.id, quote_id=quote.id)
    session.add(link)
    record_create(session, actor, link)


def _existing_project_for_quote(session: Session, quote_id: int) -> Project | None:
    return session.exec(
        select(Project)
        .join(ProjectQuote, ProjectQuote.project_id == Project.id)
        .where(ProjectQuote.quote_id == quote_id)
    ).first()


def _accepted_unlinked_quotes(session: Session, deal_id: int) -> list[Any]:
    from l2c_app.quotes.models import Quote

    linked = select(ProjectQuote.quote_id)
    return list(
        session.exec(
            select(Quote)
            .where(Quote.deal_id == deal_id, Quote.status == "accepted", Quote.id.not_in(linked))
            .order_by(Quote.id)
        )
    )  # type: ignore[union-attr]


def _new_project(session: Session, actor: Actor, deal: Any, contract_id: int | None, quotes: list[Any]) -> Project:
    currencies = {q.currency for q in quotes}
    if len(currencies) > 1:
        raise DeliveryError(
            f"The accepted quotes are in several currencies ({', '.join(sorted(currencies))}); "
            "a project has one currency.",
            field="quote",
        )
    lead = actor.user_id or deal.owner_id
    project = Project(
        name=deal.title[:200],
        deal_id=deal.id,
        account_id=deal.account_id,
        contract_id=contract_id,
        currency=quotes[0].currency if quotes else deal.currency,
        lead_user_id=lead,
    )
    session.add(project)
    record_create(session, actor, project)
    if lead:
        member = ProjectMember(project_id=project.id, user_id=lead)
        session.add(member)
        record_create(session, actor, member)
    for quote in quotes:
        _plan_from_quote(session, actor, project, quote)
    session.flush()
    add_deal_event(
        session,
        deal.id,
        f"Project “{project.name}” created",
        f"From {len(quotes)} accepted quote(s)" + (f" and contract #{contract_id}" if contract_id else ""),
        user_id=actor.user_id,
    )
    if lead and lead != actor.user_id:
        notify(
            session, lead, "project_created", f"You lead the new project “{project.name}”.", f"/projects/{project.id}"
        )
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
        raise DeliveryError(
            f"The contract is {contract.status}, not signed: a project starts from a signed contract.",
            field="contract_id",
            kind="conflict",
        )
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
        raise DeliveryError(
            "Mark the deal won first (or create the project from its signed contract).",
            field="deal_id",
            kind="conflict",
        )
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
    return {
        "contract_id": contract_id,
        "status": contract.status,
        "project_id": project.id if project else None,
        "project_name": project.name if project else "",
    }
