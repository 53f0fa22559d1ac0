"""Building a draft invoice from the work record, for one project or one client's projects, and
deposit invoices.

Set-based SQL: one aggregate SELECT per kind of source and one INSERT ... SELECT that links
every time entry to its line, never a loop over ORM objects (100,000 entries in well under 2 s).
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, func, insert, literal, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from l2c_app.billing.billable import NO_TAX, Candidate, _project, _tax_map, _time_filter, live_link, unbilled_candidates
from l2c_app.billing.common import TERMS, BillingError, begin_write, billing_settings
from l2c_app.billing.invoice_totals import _recompute_totals
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
from l2c_app.core.audit import Actor, record_action, record_create
from l2c_app.core.lines import line_tax
from l2c_app.core.money import check_amount, format_money, percent_of, round_minor
from l2c_app.core.timeutil import utcnow
from l2c_app.projects.models import (
    Project,
    ProjectQuote,
    TimeEntry,
)
from l2c_app.quotes.models import Quote

# --- building a draft -------------------------------------------------------------------------


def _new_invoice(
    session: Session,
    project: Project | list[Project],
    actor: Actor,
    kind: str = "invoice",
    notes: str | None = None,
    terms: str | None = None,
) -> Invoice:
    """The invoice row. Spanning one project it points at that project and its deal; spanning
    several (one client's), project_id is NULL (the lines know their projects) and deal_id is
    the deal they share, else NULL."""
    projects = project if isinstance(project, list) else [project]
    first = projects[0]
    deals = {p.deal_id for p in projects}
    cfg = billing_settings(session)
    terms = terms or cfg["invoice_terms"]
    if terms not in TERMS:
        raise BillingError(f"Terms must be one of {', '.join(TERMS)}", "terms")
    inv = Invoice(
        kind=kind,
        account_id=first.account_id,
        deal_id=first.deal_id if len(deals) == 1 else None,
        project_id=first.id if len(projects) == 1 else None,
        currency=first.currency,
        terms_days=TERMS[terms],
        notes=notes,
        public_token=secrets.token_urlsafe(24),
        created_by_id=actor.user_id,
    )
    session.add(inv)
    session.flush()
    return inv


def _line_tax(amount: int, percent: Decimal | str, inclusive: bool) -> int:
    """The one rule (core/lines): the rate applied to the line's rounded amount, rounded once;
    inclusive tax is inside the amount, exclusive goes on top. Under the "per_rate"
    convention `_recompute_totals` then shares each rate's document tax over its lines."""
    return line_tax(amount, Decimal(str(percent)), inclusive)


def _insert_lines(
    session: Session, invoice_id: int, cands: list[Candidate], start_pos: int, project_id: int | None = None
) -> list[int]:
    """Bulk insert of lines (all billing `project_id`); returns their ids in order."""
    if not cands:
        return []
    rows = [
        {
            "invoice_id": invoice_id,
            "project_id": project_id,
            "position": start_pos + i,
            "description": c.description,
            "quantity": c.quantity,
            "unit": c.unit,
            "unit_price_minor": c.unit_price_minor,
            "amount_minor": c.amount_minor,
            "tax_rate_id": c.tax_rate_id,
            "tax_percent": c.tax_percent,
            "tax_minor": _line_tax(c.amount_minor, c.tax_percent, c.tax_inclusive),
            "tax_inclusive": c.tax_inclusive,
            "source_type": c.source_type,
        }
        for i, c in enumerate(cands)
    ]
    ids = list(
        session.execute(insert(InvoiceLine).returning(InvoiceLine.id, sort_by_parameter_order=True), rows).scalars()
    )
    return ids


def build_invoice(
    session: Session,
    actor: Actor,
    project_id: int,
    up_to: date,
    *,
    itemise: bool | None = None,
    exclude_keys: set[str] | None = None,
    notes: str | None = None,
    terms: str | None = None,
    deduct_deposits: bool = True,
    only_types: set[str] | None = None,
) -> Invoice:
    """A draft invoice with every unbilled billable item of the project up to `up_to`.

    `exclude_keys` are the candidates the user unticked. Raises BillingError when there
    is nothing to bill, or when another invoice took some items first (the unique index
    refuses the second link; the caller may retry and gets what is left).
    """
    begin_write(session)
    project = _project(session, project_id)
    cfg = billing_settings(session)
    itemise = cfg["itemise_time"] if itemise is None else itemise
    cands = unbilled_candidates(
        session, project_id, up_to, itemise=itemise, exclude_keys=exclude_keys, only_types=only_types
    )
    if not cands:
        raise BillingError("Nothing to bill up to this date", "up_to")
    return _write_invoice(
        session, [(project, cands)], up_to, actor, cfg, notes=notes, terms=terms, deduct_deposits=deduct_deposits
    )


def project_key(project_id: int, key: str) -> str:
    """A candidate key unique across projects ("p12:time:bl:0:9500"): what a client invoice's
    `exclude_keys` hold (a budget line 0 or a rate repeats across projects)."""
    return f"p{project_id}:{key}"


def client_projects_to_bill(session: Session, account_id: int, project_ids: list[int]) -> list[Project]:
    """The projects of one client invoice, checked: they exist, belong to the account, share a currency."""
    from l2c_app.pipeline.models import Account

    if session.get(Account, account_id) is None:
        raise BillingError(f"No account {account_id}", "account_id", kind="not_found")
    try:
        ids = list(dict.fromkeys(int(p) for p in project_ids))
    except (TypeError, ValueError):
        raise BillingError("Project ids must be whole numbers", "project_ids") from None
    if not ids:
        raise BillingError("Pick at least one project", "project_ids")
    found = {p.id: p for p in session.exec(select(Project).where(Project.id.in_(ids)))}
    for pid in ids:
        if pid not in found:
            raise BillingError(f"No project {pid}", "project_id", kind="not_found")
    projects = sorted(found.values(), key=lambda p: (p.name.lower(), p.id))
    foreign = [p.name for p in projects if p.account_id != account_id]
    if foreign:
        raise BillingError(f"Not a project of this client: {', '.join(foreign)}", "project_ids")
    currencies = sorted({p.currency for p in projects})
    if len(currencies) > 1:
        raise BillingError(
            f"These projects bill in different currencies ({', '.join(currencies)}): create one invoice per currency",
            "project_ids",
        )
    return projects


def client_candidates(
    session: Session,
    account_id: int,
    project_ids: list[int],
    up_to: date,
    itemise: bool | None = None,
    exclude_keys: set[str] | None = None,
    create_periods: bool = True,
) -> list[tuple[Project, list[Candidate]]]:
    """Each project's unbilled candidates (keys as `project_key`), for one client invoice."""
    projects = client_projects_to_bill(session, account_id, project_ids)
    exclude_keys = exclude_keys or set()
    out = []
    for project in projects:
        prefix = project_key(project.id, "")
        mine = {k[len(prefix) :] for k in exclude_keys if k.startswith(prefix)}
        out.append(
            (
                project,
                unbilled_candidates(
                    session, project.id, up_to, itemise=itemise, exclude_keys=mine, create_periods=create_periods
                ),
            )
        )
    return out


def build_client_invoice(
    session: Session,
    actor: Actor,
    account_id: int,
    project_ids: list[int],
    up_to: date,
    *,
    itemise: bool | None = None,
    exclude_keys: set[str] | None = None,
    notes: str | None = None,
    terms: str | None = None,
    deduct_deposits: bool = True,
) -> Invoice:
    """ONE draft billing several projects of one client up to `up_to`.

    Per project, the same set-based steps as `build_invoice` (its candidates, one bulk
    insert of its lines, one INSERT ... SELECT of its time links, its deposits); the lines
    carry their project and come grouped by project. `exclude_keys` are `project_key`s.
    Projects with nothing to bill are skipped; nothing at all raises BillingError.
    """
    begin_write(session)
    cfg = billing_settings(session)
    itemise = cfg["itemise_time"] if itemise is None else itemise
    per_project = [
        (p, c)
        for p, c in client_candidates(
            session, account_id, project_ids, up_to, itemise=itemise, exclude_keys=exclude_keys
        )
        if c
    ]
    if not per_project:
        raise BillingError("Nothing to bill up to this date in these projects", "up_to")
    return _write_invoice(
        session, per_project, up_to, actor, cfg, notes=notes, terms=terms, deduct_deposits=deduct_deposits
    )


def _write_invoice(
    session: Session,
    per_project: list[tuple[Project, list[Candidate]]],
    up_to: date,
    actor: Actor,
    cfg: dict[str, Any],
    *,
    notes: str | None,
    terms: str | None,
    deduct_deposits: bool,
) -> Invoice:
    """Write the draft, its lines and their billed-once links, project after project."""
    now = utcnow()
    approval = bool(cfg["time_approval_required"])
    try:
        with session.begin_nested():
            inv = _new_invoice(session, [p for p, _ in per_project], actor, notes=notes, terms=terms)
            position = 1
            for project, cands in per_project:
                position = _bill_project(session, inv, project, cands, up_to, approval, now, position, deduct_deposits)
            _recompute_totals(session, inv)
            record_create(session, actor, inv)
            detail: dict[str, Any] = {
                "up_to": up_to.isoformat(),
                "lines": sum(len(c) for _, c in per_project),
                "total_minor": inv.total_minor,
            }
            if len(per_project) > 1:
                detail["project_ids"] = [p.id for p, _ in per_project]
            record_action(session, actor, "invoice", inv.id, "build", detail)
    except IntegrityError:
        raise BillingError(
            "Some of these items were just billed on another invoice; reload and try again", "sources", kind="conflict"
        ) from None
    return inv


def _bill_project(
    session: Session,
    inv: Invoice,
    project: Project,
    cands: list[Candidate],
    up_to: date,
    approval: bool,
    now,
    position: int,
    deduct_deposits: bool,
) -> int:
    """One project's lines, links and deposit deductions on `inv`; returns the next free position."""
    line_ids = _insert_lines(session, inv.id, cands, position, project.id)
    groups = [(c, lid) for c, lid in zip(cands, line_ids, strict=True) if c.key.startswith("time:bl:")]
    _link_time_groups(session, groups, project.id, up_to, approval, now)
    links = [
        {
            "invoice_line_id": line_id,
            "source_type": c.source_type,
            "source_id": sid,
            "amount_minor": c.amount_minor,
            "created_at": now,
        }
        for c, line_id in zip(cands, line_ids, strict=True)
        if not c.key.startswith("time:bl:")
        for sid in c.source_ids
    ]
    if links:
        session.execute(insert(BilledSource), links)
    position += len(cands)
    if deduct_deposits:
        position = _deduct_deposits(session, inv, project, now, position)
    return position


def _link_time_groups(
    session: Session, groups: list[tuple[Candidate, int]], project_id: int, up_to: date, approval: bool, now
) -> None:
    """ONE INSERT ... SELECT links every entry of every group to its line (a CASE maps
    (budget line, rate) to the line); one UPDATE per group then gives its last entry the
    rounding remainder, so each line's links add up to the line's amount exactly.

    A single statement matters on PostgreSQL: the anti-join against billedsource is
    planned and evaluated once, not re-run against the links the previous group added.
    """
    if not groups:
        return
    whens = []
    for c, line_id in groups:
        _, _, bl, rate = c.key.split(":")
        bl_cond = TimeEntry.budget_line_id.is_(None) if int(bl) == 0 else TimeEntry.budget_line_id == int(bl)
        whens.append((and_(bl_cond, TimeEntry.rate_minor == int(rate)), line_id))
    line_of = case(*whens, else_=None)
    floor_amount = (cast(TimeEntry.minutes, BigInteger) * TimeEntry.rate_minor) // 60
    sel = sa_select(line_of, literal("time"), TimeEntry.id, floor_amount, literal(now)).where(
        _time_filter(project_id, up_to, approval), line_of.is_not(None)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Without fresh statistics the planner may pick a nested-loop anti-join that
        # rescans billedsource while this very statement grows it (quadratic); a hash
        # anti-join reads it once. LOCAL: only for this transaction.
        session.execute(text("SET LOCAL enable_nestloop = off"))
    res = session.execute(
        insert(BilledSource).from_select(
            ["invoice_line_id", "source_type", "source_id", "amount_minor", "created_at"], sel
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_nestloop = on"))
        if (res.rowcount or 0) >= 2000:
            # Thousands of new links at once: refresh the statistics now, so the next
            # unbilled query probes the partial index instead of scanning (autovacuum lags).
            session.execute(text("ANALYZE billedsource"))
    line_ids = [line_id for _, line_id in groups]
    sums = {
        lid: (int(total), int(count), last)
        for lid, total, count, last in session.execute(
            sa_select(
                BilledSource.invoice_line_id,
                func.sum(BilledSource.amount_minor),
                func.count(BilledSource.id),
                func.max(BilledSource.id),
            )
            .where(BilledSource.invoice_line_id.in_(line_ids))
            .group_by(BilledSource.invoice_line_id)
        )
    }
    for c, line_id in groups:
        linked, _count, last_id = sums.get(line_id, (0, 0, None))
        if last_id is None:
            raise IntegrityError("time entries billed concurrently", None, Exception())
        remainder = c.amount_minor - linked
        if remainder:
            session.execute(
                update(BilledSource)
                .where(BilledSource.id == last_id)
                .values(amount_minor=BilledSource.amount_minor + remainder)
            )


def _deduct_deposits(session: Session, inv: Invoice, project: Project, now, position: int) -> int:
    """Deposits issued on the project and not yet deducted come off this invoice (once), as
    long as the project's part of it is at least the deposit. Returns the next free position."""
    subtotal = int(
        session.execute(
            sa_select(func.coalesce(func.sum(InvoiceLine.amount_minor), 0)).where(
                InvoiceLine.invoice_id == inv.id, InvoiceLine.project_id == project.id
            )
        ).scalar_one()
    )
    deposits = session.exec(
        select(Invoice)
        .where(
            Invoice.project_id == project.id,
            Invoice.kind == "deposit",
            Invoice.number.is_not(None),
            Invoice.status != "void",
            ~live_link("deposit", Invoice.id),
        )
        .order_by(Invoice.id)
    ).all()
    for dep in deposits:
        if dep.subtotal_minor > subtotal:
            continue  # deducted from a later, larger invoice
        dep_line = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == dep.id)).first()
        percent = Decimal(dep_line.tax_percent) if dep_line else Decimal(0)
        line = InvoiceLine(
            invoice_id=inv.id,
            project_id=project.id,
            position=position,
            description=f"Less deposit {dep.number}",
            quantity=Decimal(1),
            unit="unit",
            unit_price_minor=-dep.subtotal_minor,
            amount_minor=-dep.subtotal_minor,
            tax_percent=percent,
            tax_rate_id=dep_line.tax_rate_id if dep_line else None,
            tax_minor=-(dep_line.tax_minor if dep_line else 0),
            tax_inclusive=bool(dep_line and dep_line.tax_inclusive),
            source_type="deposit",
        )
        session.add(line)
        session.flush()
        session.add(
            BilledSource(
                invoice_line_id=line.id,
                source_type="deposit",
                source_id=dep.id,
                amount_minor=-dep.subtotal_minor,
                created_at=now,
            )
        )
        subtotal -= dep.subtotal_minor
        position += 1
    session.flush()
    return position


def contract_value(session: Session, project: Project) -> int:
    """The signed amount the project delivers: its accepted quotes' totals (else the deal value)."""
    total = session.execute(
        sa_select(func.coalesce(func.sum(Quote.subtotal_minor - Quote.discount_minor), 0))
        .select_from(ProjectQuote)
        .join(Quote, Quote.id == ProjectQuote.quote_id)
        .where(ProjectQuote.project_id == project.id)
    ).scalar_one()
    if total:
        return int(total)
    if project.deal_id:
        from l2c_app.pipeline.models import Deal

        deal = session.get(Deal, project.deal_id)
        return deal.value_minor if deal else 0
    return 0


def create_deposit_invoice(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    percent: Decimal | str | None = None,
    amount_minor: int | None = None,
    tax_rate_id: int | None = None,
    terms: str | None = None,
) -> Invoice:
    """A deposit: a percent or an amount of the contract, deducted from the next invoices."""
    begin_write(session)
    project = _project(session, project_id)
    if (percent is None) == (amount_minor is None):
        raise BillingError("Give either a percent or an amount", "percent")
    base = contract_value(session, project)
    if percent is not None:
        try:
            pct = Decimal(str(percent).strip().rstrip("%"))
        except ArithmeticError:
            raise BillingError("The percent must be a number, e.g. 30", "percent") from None
        if not pct.is_finite() or not Decimal(0) < pct <= Decimal(100):
            raise BillingError("The percent must be between 0 and 100", "percent")
        if base <= 0:
            raise BillingError("The project has no contract value to take a percent of", "percent")
        amount = round_minor(percent_of(base, pct))
        if amount <= 0:  # e.g. 10 % of ¥5: nothing to take, and a draft of 0 could never be issued
            raise BillingError(
                f"The deposit must be positive: {pct.normalize()} % of {format_money(base, project.currency)} "
                "rounds to nothing",
                "percent",
            )
        desc = f"Deposit: {pct.normalize()} % of {format_money(base, project.currency)}"
    else:
        amount = check_amount(amount_minor, "amount_minor", "The deposit")
        if amount <= 0:
            raise BillingError("The amount must be positive", "amount_minor")
        desc = "Deposit"
    taxp, incl = _tax_map(session).get(tax_rate_id, NO_TAX) if tax_rate_id else NO_TAX
    inv = _new_invoice(session, project, actor, kind="deposit", terms=terms)
    session.add(
        InvoiceLine(
            invoice_id=inv.id,
            project_id=project.id,
            position=1,
            description=desc,
            quantity=Decimal(1),
            unit_price_minor=amount,
            amount_minor=amount,
            tax_rate_id=tax_rate_id,
            tax_percent=taxp,
            tax_minor=_line_tax(amount, taxp, incl),
            tax_inclusive=incl,
            source_type="deposit",
        )
    )
    session.flush()
    _recompute_totals(session, inv)
    record_create(session, actor, inv)
    return inv
