"""Billing use cases: build an invoice from the work record, issue, void, credit, pay.

Money rules (see core/money.py):
- every amount is integer minor units in the project's currency;
- a line is rounded once, half-up (`round_minor`), when it is built; its tax too;
- a grouped time line's amount is round(sum(minutes x rate) / 60); the billed-source
  links of its entries carry floor(minutes x rate / 60) each and the group's last entry
  takes the remainder, so the links of an invoice always add up to its subtotal;
- a source (time entry, milestone, change order, retainer period, expense, deposit
  deduction) is billed at most once: `BilledSource`'s partial unique index
  (source_type, source_id) WHERE released_at IS NULL is the rule in the database.
  Voiding or crediting sets `released_at`, which frees the source.

The invoice is built with set-based SQL: one aggregate SELECT per kind of source and
one INSERT ... SELECT that links every time entry to its line, never a loop over ORM
objects (100,000 entries in well under 2 s).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, case, cast, exists, func, insert, literal, or_, select as sa_select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from l2c_app.events.bus import emit
from l2c_app.events.types import InvoiceEvent, PaymentEvent
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine, NumberSequence, RemovedInvoiceLine
from l2c_app.core.textlimits import plausible_token
from l2c_app.core.audit import SYSTEM, Actor, audit_values, record_action, record_create, record_update, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog, Organisation
from l2c_app.core.lines import PER_RATE, TaxItem, allocate_rate_tax, line_tax, marked_up, tax_convention
from l2c_app.core.money import check_amount, format_money, percent_of, round_minor
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.payments.models import DISPUTE_CLOSED, REFUND_LIVE, ClientCredit, Dispute, Payment, Refund
from l2c_app.projects.service import delivery_settings_of, retainer_period_amount
from l2c_app.projects.models import (BudgetLine, ChangeOrder, Expense, Milestone, Project, ProjectQuote,
                                     Retainer, RetainerPeriod, TimeEntry)
from l2c_app.quotes.models import Quote, TaxRate

DEFAULT_PATTERN = "INV-{year}-{seq:04d}"
DEFAULT_CREDIT_PATTERN = "CN-{year}-{seq:04d}"
TERMS = {"due_on_receipt": 0, "net_15": 15, "net_30": 30, "net_45": 45, "net_60": 60}
MANUAL_METHODS = ("bank_transfer", "check", "cash", "other")
OPEN_STATUSES = ("sent", "partially_paid")


class BillingError(DomainError):
    """A user-facing message; `field` names the input, `kind` gives the API's status."""


def begin_write(session: Session) -> None:
    """SQLite: take the write lock first (BEGIN IMMEDIATE), waiting up to busy_timeout.

    pysqlite opens a transaction lazily, before the first INSERT/UPDATE; a SAVEPOINT
    issued before that would become the outermost transaction, and its RELEASE would
    commit half of the work. A transaction that reads and then writes could also fail at
    once with SQLITE_BUSY when another writer committed in between. Starting with the
    write lock avoids both; PostgreSQL needs nothing here (row locks do the work).
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- settings -------------------------------------------------------------------------------

DEFAULT_SETTINGS: dict[str, Any] = {
    "invoice_number_pattern": DEFAULT_PATTERN,
    "credit_note_number_pattern": DEFAULT_CREDIT_PATTERN,
    "invoice_terms": "net_30",
    "itemise_time": False,
    "reminder_days_before": 3,
    "reminder_days_after": [1, 7, 14],
    "payment_instructions": "Bank transfer: please quote the invoice number as the reference.",
}


def billing_settings(session: Session) -> dict[str, Any]:
    """Billing's own settings, plus `time_approval_required`, which delivery owns (Settings >
    Delivery): billing reads it to bill only approved time, and never stores it."""
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    merged = dict(DEFAULT_SETTINGS)
    if org is not None:
        merged.update({k: v for k, v in (org.settings or {}).items() if k in DEFAULT_SETTINGS})
    merged["time_approval_required"] = delivery_settings_of(org.settings if org else None)["time_approval_required"]
    return merged


def validate_pattern(pattern: str) -> str:
    pattern = pattern.strip()
    if "{seq" not in pattern:
        raise BillingError("The number pattern must contain {seq} (e.g. INV-{year}-{seq:04d})", "invoice_number_pattern")
    try:
        pattern.format(year=2026, seq=1, month=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise BillingError(f"The number pattern is not valid: {exc}", "invoice_number_pattern") from None
    if len(pattern.format(year=2026, seq=999999, month=12)) > 40:
        raise BillingError("Invoice numbers are at most 40 characters", "invoice_number_pattern")
    return pattern


def save_billing_settings(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    begin_write(session)
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    if org is None:
        raise BillingError("The organisation is not set up yet")
    clean: dict[str, Any] = {}
    if "invoice_number_pattern" in values:
        clean["invoice_number_pattern"] = validate_pattern(str(values["invoice_number_pattern"]))
    if "credit_note_number_pattern" in values:
        clean["credit_note_number_pattern"] = validate_pattern(str(values["credit_note_number_pattern"]))
    if "invoice_terms" in values:
        if values["invoice_terms"] not in TERMS:
            raise BillingError(f"Terms must be one of {', '.join(TERMS)}", "invoice_terms")
        clean["invoice_terms"] = values["invoice_terms"]
    if "itemise_time" in values:
        clean["itemise_time"] = bool(values["itemise_time"])
    if "reminder_days_before" in values:
        try:
            clean["reminder_days_before"] = max(0, int(values["reminder_days_before"]))
        except (TypeError, ValueError):
            raise BillingError("Days before the due date must be a whole number", "reminder_days_before") from None
    if "reminder_days_after" in values:
        raw = values["reminder_days_after"]
        items = raw if isinstance(raw, list) else [p for p in str(raw).replace(" ", "").split(",") if p]
        try:
            clean["reminder_days_after"] = sorted({int(p) for p in items if int(p) > 0})
        except (TypeError, ValueError):
            raise BillingError("Days after the due date: whole numbers separated by commas", "reminder_days_after") from None
    if "payment_instructions" in values:
        clean["payment_instructions"] = str(values["payment_instructions"])[:1000]
    before = snapshot(org)
    org.settings = {**(org.settings or {}), **clean}
    record_update(session, actor, org, before, action="billing_settings")
    return billing_settings(session)


# --- what is billable --------------------------------------------------------------------------

def live_link(source_type: str, id_col):
    """EXISTS a live billed-source link for the row (the unbilled test)."""
    return exists().where(BilledSource.source_type == source_type, BilledSource.source_id == id_col,
                          BilledSource.released_at.is_(None))


def _time_filter(project_id: int, up_to: date, approval_required: bool, exclude_ids: set[int] | None = None):
    conds = [TimeEntry.project_id == project_id, TimeEntry.billable.is_(True), TimeEntry.day <= up_to,
             ~live_link("time", TimeEntry.id)]
    if approval_required:
        conds.append(TimeEntry.approved_at.is_not(None))
    if exclude_ids:
        conds.append(TimeEntry.id.not_in(sorted(exclude_ids)))
    return and_(*conds)


def ensure_retainer_periods(session: Session, project_id: int, up_to: date) -> int:
    """Create the RetainerPeriod rows of every month that has started by `up_to`."""
    made = 0
    for ret in session.exec(select(Retainer).where(Retainer.project_id == project_id, Retainer.active.is_(True))):
        have = set(session.exec(select(RetainerPeriod.period_start).where(RetainerPeriod.retainer_id == ret.id)))
        start = ret.start_date
        n = 0
        while True:
            month_start = _add_months(start, n)
            if month_start > up_to or (ret.months is not None and n >= ret.months):
                break
            if month_start not in have:
                # a fixed term's months share the quoted amount exactly (the first take the remainder)
                session.add(RetainerPeriod(retainer_id=ret.id, period_start=month_start,
                                           amount_minor=retainer_period_amount(ret, n)))
                made += 1
            n += 1
    if made:
        session.flush()
    return made


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Candidate:
    """One proposed line (before it is written): what the Create invoice dialog lists."""

    key: str  # "time:bl:3:12000", "time:entry:7", "milestone:4" ...
    source_type: str
    description: str
    quantity: Decimal
    unit: str
    unit_price_minor: int
    amount_minor: int
    tax_percent: Decimal
    tax_rate_id: int | None
    source_ids: list[int]
    tax_inclusive: bool = False  # the rate's tax is inside amount_minor

    def as_json(self) -> dict:
        return {"key": self.key, "source_type": self.source_type, "description": self.description,
                "quantity": str(self.quantity), "unit": self.unit, "unit_price_minor": self.unit_price_minor,
                "amount_minor": self.amount_minor, "tax_percent": str(self.tax_percent),
                "tax_inclusive": self.tax_inclusive, "count": len(self.source_ids)}


def _tax_map(session: Session) -> dict[int, tuple[Decimal, bool]]:
    """tax rate id -> (percent, inclusive)."""
    return {t.id: (Decimal(t.percent), bool(t.inclusive)) for t in session.exec(select(TaxRate))}


NO_TAX = (Decimal(0), False)


def _cand(key: str, source_type: str, description: str, quantity: Decimal, unit: str, unit_price_minor: int,
          amount_minor: int, taxes: dict[int, tuple[Decimal, bool]], tax_id: int | None,
          source_ids: list[int]) -> Candidate:
    percent, inclusive = taxes.get(tax_id, NO_TAX) if tax_id else NO_TAX
    return Candidate(key, source_type, description, quantity, unit, unit_price_minor, amount_minor, percent,
                     tax_id, source_ids, inclusive)


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.001"))


def _grouped_time(session: Session, project_id: int, up_to: date, approval_required: bool,
                  taxes: dict[int, tuple[Decimal, bool]], exclude_keys: set[str]) -> list[Candidate]:
    """Approved time aggregated per budget line (role) and rate: one aggregate SELECT."""
    exact = func.sum(cast(TimeEntry.minutes, BigInteger) * TimeEntry.rate_minor)
    stmt = (sa_select(TimeEntry.budget_line_id, TimeEntry.rate_minor, func.sum(TimeEntry.minutes), exact,
                      func.count(TimeEntry.id), BudgetLine.role, BudgetLine.tax_rate_id)
            .select_from(TimeEntry).outerjoin(BudgetLine, BudgetLine.id == TimeEntry.budget_line_id)
            .where(_time_filter(project_id, up_to, approval_required))
            .group_by(TimeEntry.budget_line_id, TimeEntry.rate_minor, BudgetLine.role, BudgetLine.tax_rate_id)
            .order_by(BudgetLine.role, TimeEntry.rate_minor))
    out = []
    for bl_id, rate, minutes, exact_sum, count, role, tax_id in session.execute(stmt):
        key = f"time:bl:{bl_id or 0}:{rate}"
        if key in exclude_keys:
            continue
        amount = round_minor(Decimal(int(exact_sum)) / Decimal(60))
        out.append(_cand(key, "time", f"{role or 'Time'} ({count} {'entry' if count == 1 else 'entries'})",
                         _hours(int(minutes)), "hour", int(rate), amount, taxes, tax_id, []))
    return out


def _itemised_time(session: Session, project_id: int, up_to: date, approval_required: bool,
                   taxes: dict[int, tuple[Decimal, bool]], exclude_keys: set[str]) -> list[Candidate]:
    stmt = (sa_select(TimeEntry.id, TimeEntry.day, TimeEntry.minutes, TimeEntry.rate_minor, TimeEntry.note,
                      BudgetLine.role, BudgetLine.tax_rate_id)
            .select_from(TimeEntry).outerjoin(BudgetLine, BudgetLine.id == TimeEntry.budget_line_id)
            .where(_time_filter(project_id, up_to, approval_required)).order_by(TimeEntry.day, TimeEntry.id))
    out = []
    for te_id, day, minutes, rate, note, role, tax_id in session.execute(stmt):
        key = f"time:entry:{te_id}"
        if key in exclude_keys:
            continue
        desc = f"{day.isoformat()} {role or 'Time'}" + (f": {note}" if note else "")
        out.append(_cand(key, "time", desc[:500], _hours(minutes), "hour", rate,
                         round_minor(Decimal(minutes) * rate / Decimal(60)), taxes, tax_id, [te_id]))
    return out


def _other_candidates(session: Session, project: Project, up_to: date, taxes: dict[int, tuple[Decimal, bool]],
                      exclude_keys: set[str]) -> list[Candidate]:
    pid = project.id
    out: list[Candidate] = []

    def add(source_type: str, sid: int, desc: str, amount: int, tax_id: int | None, qty=Decimal(1), unit="unit",
            unit_price: int | None = None) -> None:
        key = f"{source_type}:{sid}"
        if key not in exclude_keys:
            out.append(_cand(key, source_type, desc[:500], qty, unit, amount if unit_price is None else unit_price,
                             amount, taxes, tax_id, [sid]))

    ms = select(Milestone).where(Milestone.project_id == pid, ~live_link("milestone", Milestone.id),
                                 or_(Milestone.kind == "fixed",
                                     and_(Milestone.kind == "milestone", Milestone.status == "reached",
                                          or_(Milestone.reached_on.is_(None), Milestone.reached_on <= up_to))))
    for m in session.exec(ms.order_by(Milestone.id)):
        add("milestone", m.id, m.name if m.kind == "fixed" else f"Milestone reached: {m.name}", m.amount_minor,
            m.tax_rate_id)
    # An hours change order is billed through its time (its budget line), never as an item too.
    cos = select(ChangeOrder).where(ChangeOrder.project_id == pid, ChangeOrder.status == "approved",
                                    ChangeOrder.kind == "fixed", ~live_link("change_order", ChangeOrder.id))
    for co in session.exec(cos.order_by(ChangeOrder.number, ChangeOrder.id)):
        first_line = (co.description or "").strip().splitlines()[0] if co.description else ""
        key = f"change_order:{co.id}"
        if key not in exclude_keys:
            # The rate the client approved (kept on the change order), not today's rate row.
            out.append(Candidate(key, "change_order", f"Change order #{co.number}: {first_line}"[:500], Decimal(1),
                                 "unit", co.amount_minor, co.amount_minor, Decimal(co.tax_percent or 0),
                                 co.tax_rate_id, [co.id], bool(co.tax_inclusive)))
    rps = (select(RetainerPeriod, Retainer).join(Retainer, Retainer.id == RetainerPeriod.retainer_id)
           .where(Retainer.project_id == pid, RetainerPeriod.period_start <= up_to,
                  ~live_link("retainer_period", RetainerPeriod.id)))
    for rp, ret in session.exec(rps.order_by(RetainerPeriod.period_start, RetainerPeriod.id)):
        add("retainer_period", rp.id, f"{ret.name}: {rp.period_start:%B %Y}", rp.amount_minor, ret.tax_rate_id,
            unit="month")
    exps = select(Expense).where(Expense.project_id == pid, Expense.billable.is_(True), Expense.day <= up_to,
                                 ~live_link("expense", Expense.id))
    for e in session.exec(exps.order_by(Expense.day, Expense.id)):
        # Billed at its amount plus its markup (core.lines.marked_up: rounded once); taxed by the line rule.
        add("expense", e.id, f"Expense {e.day.isoformat()}: {e.description}",
            marked_up(e.amount_minor, e.markup_percent or 0), e.tax_rate_id)
    return out


def unbilled_candidates(session: Session, project_id: int, up_to: date, itemise: bool | None = None,
                        exclude_keys: set[str] | None = None, create_periods: bool = True,
                        only_types: set[str] | None = None) -> list[Candidate]:
    """Every billable item of the project not yet billed, up to `up_to` (what the dialog proposes)."""
    project = _project(session, project_id)
    cfg = billing_settings(session)
    itemise = cfg["itemise_time"] if itemise is None else itemise
    exclude_keys = exclude_keys or set()
    if create_periods:
        ensure_retainer_periods(session, project_id, up_to)
    taxes = _tax_map(session)
    approval = bool(cfg["time_approval_required"])
    time = (_itemised_time if itemise else _grouped_time)(session, project_id, up_to, approval, taxes, exclude_keys)
    out = time + _other_candidates(session, project, up_to, taxes, exclude_keys)
    # Nothing of zero value is billed: a 0.00 line would only draft an invoice that can
    # never be issued (its sources stay unlinked and are worth nothing).
    return [c for c in out if c.amount_minor != 0 and (only_types is None or c.source_type in only_types)]


def unbilled_total(session: Session, project_id: int, up_to: date | None = None) -> int:
    up_to = up_to or org_today(session)
    return sum(c.amount_minor for c in unbilled_candidates(session, project_id, up_to, itemise=False,
                                                           create_periods=False))


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise BillingError(f"No project {project_id}", "project_id", kind="not_found")
    return project


# --- building a draft -------------------------------------------------------------------------

def _new_invoice(session: Session, project: Project | list[Project], actor: Actor, kind: str = "invoice",
                 notes: str | None = None, terms: str | None = None) -> Invoice:
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
    inv = Invoice(kind=kind, account_id=first.account_id, deal_id=first.deal_id if len(deals) == 1 else None,
                  project_id=first.id if len(projects) == 1 else None,
                  currency=first.currency, terms_days=TERMS[terms], notes=notes,
                  public_token=secrets.token_urlsafe(24), created_by_id=actor.user_id)
    session.add(inv)
    session.flush()
    return inv


def _line_tax(amount: int, percent: Decimal | str, inclusive: bool) -> int:
    """The one rule (core/lines): the rate applied to the line's rounded amount, rounded once;
    inclusive tax is inside the amount, exclusive goes on top. Under the "per_rate"
    convention `_recompute_totals` then shares each rate's document tax over its lines."""
    return line_tax(amount, Decimal(str(percent)), inclusive)


def _insert_lines(session: Session, invoice_id: int, cands: list[Candidate], start_pos: int,
                  project_id: int | None = None) -> list[int]:
    """Bulk insert of lines (all billing `project_id`); returns their ids in order."""
    if not cands:
        return []
    rows = [{"invoice_id": invoice_id, "project_id": project_id, "position": start_pos + i, "description": c.description,
             "quantity": c.quantity, "unit": c.unit, "unit_price_minor": c.unit_price_minor,
             "amount_minor": c.amount_minor, "tax_rate_id": c.tax_rate_id, "tax_percent": c.tax_percent,
             "tax_minor": _line_tax(c.amount_minor, c.tax_percent, c.tax_inclusive),
             "tax_inclusive": c.tax_inclusive, "source_type": c.source_type}
            for i, c in enumerate(cands)]
    ids = list(session.execute(insert(InvoiceLine).returning(InvoiceLine.id, sort_by_parameter_order=True),
                               rows).scalars())
    return ids


def build_invoice(session: Session, project_id: int, up_to: date, actor: Actor = SYSTEM, *,
                  itemise: bool | None = None, exclude_keys: set[str] | None = None,
                  notes: str | None = None, terms: str | None = None, deduct_deposits: bool = True,
                  only_types: set[str] | None = None) -> Invoice:
    """A draft invoice with every unbilled billable item of the project up to `up_to`.

    `exclude_keys` are the candidates the user unticked. Raises BillingError when there
    is nothing to bill, or when another invoice took some items first (the unique index
    refuses the second link; the caller may retry and gets what is left).
    """
    begin_write(session)
    project = _project(session, project_id)
    cfg = billing_settings(session)
    itemise = cfg["itemise_time"] if itemise is None else itemise
    cands = unbilled_candidates(session, project_id, up_to, itemise=itemise, exclude_keys=exclude_keys,
                                only_types=only_types)
    if not cands:
        raise BillingError("Nothing to bill up to this date", "up_to")
    return _write_invoice(session, [(project, cands)], up_to, actor, cfg, notes=notes, terms=terms,
                          deduct_deposits=deduct_deposits)


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
        raise BillingError(f"These projects bill in different currencies ({', '.join(currencies)}): "
                           "create one invoice per currency", "project_ids")
    return projects


def client_candidates(session: Session, account_id: int, project_ids: list[int], up_to: date,
                      itemise: bool | None = None, exclude_keys: set[str] | None = None,
                      create_periods: bool = True) -> list[tuple[Project, list[Candidate]]]:
    """Each project's unbilled candidates (keys as `project_key`), for one client invoice."""
    projects = client_projects_to_bill(session, account_id, project_ids)
    exclude_keys = exclude_keys or set()
    out = []
    for project in projects:
        prefix = project_key(project.id, "")
        mine = {k[len(prefix):] for k in exclude_keys if k.startswith(prefix)}
        out.append((project, unbilled_candidates(session, project.id, up_to, itemise=itemise, exclude_keys=mine,
                                                 create_periods=create_periods)))
    return out


def build_client_invoice(session: Session, account_id: int, project_ids: list[int], up_to: date,
                         actor: Actor = SYSTEM, *, itemise: bool | None = None, exclude_keys: set[str] | None = None,
                         notes: str | None = None, terms: str | None = None,
                         deduct_deposits: bool = True) -> Invoice:
    """ONE draft billing several projects of one client up to `up_to`.

    Per project, the same set-based steps as `build_invoice` (its candidates, one bulk
    insert of its lines, one INSERT ... SELECT of its time links, its deposits); the lines
    carry their project and come grouped by project. `exclude_keys` are `project_key`s.
    Projects with nothing to bill are skipped; nothing at all raises BillingError.
    """
    begin_write(session)
    cfg = billing_settings(session)
    itemise = cfg["itemise_time"] if itemise is None else itemise
    per_project = [(p, c) for p, c in client_candidates(session, account_id, project_ids, up_to, itemise=itemise,
                                                        exclude_keys=exclude_keys) if c]
    if not per_project:
        raise BillingError("Nothing to bill up to this date in these projects", "up_to")
    return _write_invoice(session, per_project, up_to, actor, cfg, notes=notes, terms=terms,
                          deduct_deposits=deduct_deposits)


def _write_invoice(session: Session, per_project: list[tuple[Project, list[Candidate]]], up_to: date, actor: Actor,
                   cfg: dict[str, Any], *, notes: str | None, terms: str | None, deduct_deposits: bool) -> Invoice:
    """Write the draft, its lines and their billed-once links, project after project."""
    now = utcnow()
    approval = bool(cfg["time_approval_required"])
    try:
        with session.begin_nested():
            inv = _new_invoice(session, [p for p, _ in per_project], actor, notes=notes, terms=terms)
            position = 1
            for project, cands in per_project:
                position = _bill_project(session, inv, project, cands, up_to, approval, now, position,
                                         deduct_deposits)
            _recompute_totals(session, inv)
            record_create(session, actor, inv)
            detail: dict[str, Any] = {"up_to": up_to.isoformat(), "lines": sum(len(c) for _, c in per_project),
                                      "total_minor": inv.total_minor}
            if len(per_project) > 1:
                detail["project_ids"] = [p.id for p, _ in per_project]
            record_action(session, actor, "invoice", inv.id, "build", detail)
    except IntegrityError:
        raise BillingError("Some of these items were just billed on another invoice; reload and try again",
                           "sources", kind="conflict") from None
    return inv


def _bill_project(session: Session, inv: Invoice, project: Project, cands: list[Candidate], up_to: date,
                  approval: bool, now, position: int, deduct_deposits: bool) -> int:
    """One project's lines, links and deposit deductions on `inv`; returns the next free position."""
    line_ids = _insert_lines(session, inv.id, cands, position, project.id)
    groups = [(c, lid) for c, lid in zip(cands, line_ids, strict=True) if c.key.startswith("time:bl:")]
    _link_time_groups(session, groups, project.id, up_to, approval, now)
    links = [{"invoice_line_id": line_id, "source_type": c.source_type, "source_id": sid,
              "amount_minor": c.amount_minor, "created_at": now}
             for c, line_id in zip(cands, line_ids, strict=True) if not c.key.startswith("time:bl:")
             for sid in c.source_ids]
    if links:
        session.execute(insert(BilledSource), links)
    position += len(cands)
    if deduct_deposits:
        position = _deduct_deposits(session, inv, project, now, position)
    return position


def _link_time_groups(session: Session, groups: list[tuple[Candidate, int]], project_id: int, up_to: date,
                      approval: bool, now) -> None:
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
    sel = (sa_select(line_of, literal("time"), TimeEntry.id, floor_amount, literal(now))
           .where(_time_filter(project_id, up_to, approval), line_of.is_not(None)))
    if session.get_bind().dialect.name == "postgresql":
        # Without fresh statistics the planner may pick a nested-loop anti-join that
        # rescans billedsource while this very statement grows it (quadratic); a hash
        # anti-join reads it once. LOCAL: only for this transaction.
        session.execute(text("SET LOCAL enable_nestloop = off"))
    res = session.execute(insert(BilledSource).from_select(
        ["invoice_line_id", "source_type", "source_id", "amount_minor", "created_at"], sel))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_nestloop = on"))
        if (res.rowcount or 0) >= 2000:
            # Thousands of new links at once: refresh the statistics now, so the next
            # unbilled query probes the partial index instead of scanning (autovacuum lags).
            session.execute(text("ANALYZE billedsource"))
    line_ids = [line_id for _, line_id in groups]
    sums = {lid: (int(total), int(count), last) for lid, total, count, last in session.execute(
        sa_select(BilledSource.invoice_line_id, func.sum(BilledSource.amount_minor), func.count(BilledSource.id),
                  func.max(BilledSource.id))
        .where(BilledSource.invoice_line_id.in_(line_ids)).group_by(BilledSource.invoice_line_id))}
    for c, line_id in groups:
        linked, _count, last_id = sums.get(line_id, (0, 0, None))
        if last_id is None:
            raise IntegrityError("time entries billed concurrently", None, Exception())
        remainder = c.amount_minor - linked
        if remainder:
            session.execute(update(BilledSource).where(BilledSource.id == last_id)
                            .values(amount_minor=BilledSource.amount_minor + remainder))


def _deduct_deposits(session: Session, inv: Invoice, project: Project, now, position: int) -> int:
    """Deposits issued on the project and not yet deducted come off this invoice (once), as
    long as the project's part of it is at least the deposit. Returns the next free position."""
    subtotal = int(session.execute(sa_select(func.coalesce(func.sum(InvoiceLine.amount_minor), 0))
                                   .where(InvoiceLine.invoice_id == inv.id,
                                          InvoiceLine.project_id == project.id)).scalar_one())
    deposits = session.exec(select(Invoice).where(Invoice.project_id == project.id, Invoice.kind == "deposit",
                                                  Invoice.number.is_not(None), Invoice.status != "void",
                                                  ~live_link("deposit", Invoice.id)).order_by(Invoice.id)).all()
    for dep in deposits:
        if dep.subtotal_minor > subtotal:
            continue  # deducted from a later, larger invoice
        dep_line = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == dep.id)).first()
        percent = Decimal(dep_line.tax_percent) if dep_line else Decimal(0)
        line = InvoiceLine(invoice_id=inv.id, project_id=project.id, position=position,
                           description=f"Less deposit {dep.number}",
                           quantity=Decimal(1), unit="unit", unit_price_minor=-dep.subtotal_minor,
                           amount_minor=-dep.subtotal_minor, tax_percent=percent,
                           tax_rate_id=dep_line.tax_rate_id if dep_line else None,
                           tax_minor=-(dep_line.tax_minor if dep_line else 0),
                           tax_inclusive=bool(dep_line and dep_line.tax_inclusive), source_type="deposit")
        session.add(line)
        session.flush()
        session.add(BilledSource(invoice_line_id=line.id, source_type="deposit", source_id=dep.id,
                                 amount_minor=-dep.subtotal_minor, created_at=now))
        subtotal -= dep.subtotal_minor
        position += 1
    session.flush()
    return position


def contract_value(session: Session, project: Project) -> int:
    """The signed amount the project delivers: its accepted quotes' totals (else the deal value)."""
    total = session.execute(sa_select(func.coalesce(func.sum(Quote.subtotal_minor - Quote.discount_minor), 0))
                            .select_from(ProjectQuote).join(Quote, Quote.id == ProjectQuote.quote_id)
                            .where(ProjectQuote.project_id == project.id)).scalar_one()
    if total:
        return int(total)
    if project.deal_id:
        from l2c_app.pipeline.models import Deal

        deal = session.get(Deal, project.deal_id)
        return deal.value_minor if deal else 0
    return 0


def create_deposit_invoice(session: Session, project_id: int, actor: Actor = SYSTEM, *,
                           percent: Decimal | str | None = None, amount_minor: int | None = None,
                           tax_rate_id: int | None = None, terms: str | None = None) -> Invoice:
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
        desc = f"Deposit: {pct.normalize()} % of {format_money(base, project.currency)}"
    else:
        amount = check_amount(amount_minor, "amount_minor", "The deposit")
        if amount <= 0:
            raise BillingError("The amount must be positive", "amount_minor")
        desc = "Deposit"
    taxp, incl = _tax_map(session).get(tax_rate_id, NO_TAX) if tax_rate_id else NO_TAX
    inv = _new_invoice(session, project, actor, kind="deposit", terms=terms)
    session.add(InvoiceLine(invoice_id=inv.id, project_id=project.id, position=1, description=desc, quantity=Decimal(1),
                            unit_price_minor=amount, amount_minor=amount, tax_rate_id=tax_rate_id,
                            tax_percent=taxp, tax_minor=_line_tax(amount, taxp, incl), tax_inclusive=incl,
                            source_type="deposit"))
    session.flush()
    _recompute_totals(session, inv)
    record_create(session, actor, inv)
    return inv


def _apply_rate_tax(session: Session, inv: Invoice) -> None:
    """The "per_rate" convention (core/lines): each rate's tax is round(rate x the sum of its
    lines' amounts), shared over those lines. Deposit deductions keep the tax their deposit
    invoice stated, and a credit note repeats the credited lines' taxes, so the documents
    of one sale add up to its tax. One aggregate per rate; only lines that change are
    written (a grouped invoice has few lines; an itemised one touches at most a few)."""
    if inv.kind == "credit_note":
        return
    # coalesce: a manual or credited line has no source_type, and NULL = "deposit" would drop a
    # negative one from its rate's sharing as if it were a deposit deduction
    fixed = and_(func.coalesce(InvoiceLine.source_type, "") == "deposit", InvoiceLine.amount_minor < 0)
    rows = session.execute(sa_select(InvoiceLine.tax_percent, InvoiceLine.tax_inclusive,
                                     func.sum(InvoiceLine.amount_minor), func.sum(InvoiceLine.tax_minor))
                           .where(InvoiceLine.invoice_id == inv.id, ~fixed, InvoiceLine.tax_percent != 0)
                           .group_by(InvoiceLine.tax_percent, InvoiceLine.tax_inclusive)).all()
    for percent, inclusive, _base, stored in rows:
        per_line = session.execute(sa_select(InvoiceLine.id, InvoiceLine.amount_minor)
                                   .where(InvoiceLine.invoice_id == inv.id, ~fixed,
                                          InvoiceLine.tax_percent == percent,
                                          InvoiceLine.tax_inclusive.is_(bool(inclusive)))
                                   .order_by(InvoiceLine.position, InvoiceLine.id)).all()
        items = [TaxItem(lid, int(amount), Decimal(percent), bool(inclusive)) for lid, amount in per_line]
        target = allocate_rate_tax(items, PER_RATE)
        if sum(target.values()) == int(stored or 0) and len(items) == 1:
            continue
        current = dict(session.execute(sa_select(InvoiceLine.id, InvoiceLine.tax_minor)
                                       .where(InvoiceLine.id.in_(list(target)))).all())
        for lid, tax in target.items():
            if current.get(lid) != tax:
                session.execute(update(InvoiceLine).where(InvoiceLine.id == lid).values(tax_minor=tax))


def _recompute_totals(session: Session, inv: Invoice) -> None:
    """Like a quote: tax_minor reports every tax; the total adds the exclusive ones only."""
    if tax_convention(session) == PER_RATE:
        _apply_rate_tax(session, inv)
    exclusive = case((InvoiceLine.tax_inclusive.is_(False), InvoiceLine.tax_minor), else_=0)
    sub, tax, excl = session.execute(sa_select(func.coalesce(func.sum(InvoiceLine.amount_minor), 0),
                                               func.coalesce(func.sum(InvoiceLine.tax_minor), 0),
                                               func.coalesce(func.sum(exclusive), 0))
                                     .where(InvoiceLine.invoice_id == inv.id)).one()
    inv.subtotal_minor, inv.tax_minor = int(sub), int(tax)
    inv.total_minor = inv.subtotal_minor + int(excl)
    session.add(inv)
    session.flush()


def tax_split(inv: Invoice) -> tuple[int, int]:
    """(taxes added on top, taxes included in the amounts) of an invoice."""
    added = inv.total_minor - inv.subtotal_minor
    return added, inv.tax_minor - added


def tax_label(line: InvoiceLine) -> str:
    """A line's rate as shown on pages and the PDF: "20 %" or "20 % incl."."""
    return f"{Decimal(line.tax_percent).normalize():f} %" + (" incl." if line.tax_inclusive else "")


def lines_of(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                             .order_by(InvoiceLine.position, InvoiceLine.id)))


def _get_invoice(session: Session, invoice_id: int, lock: bool = False) -> Invoice:
    stmt = select(Invoice).where(Invoice.id == invoice_id)
    if lock:
        stmt = stmt.with_for_update()
    inv = session.exec(stmt).first()
    if inv is None:
        raise BillingError(f"No invoice {invoice_id}", "invoice_id", kind="not_found")
    if lock:
        session.refresh(inv)
    return inv


def remove_line(session: Session, invoice_id: int, line_id: int, actor: Actor = SYSTEM) -> Invoice:
    """Untick a line of a draft: its sources become unbilled again at once."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft":
        raise BillingError("Only a draft's lines can be removed; void or credit an issued invoice", "status")
    line = session.get(InvoiceLine, line_id)
    if line is None or line.invoice_id != invoice_id:
        raise BillingError(f"No line {line_id} on this invoice", "line_id", kind="not_found")
    sources = [{"source_type": b.source_type, "source_id": b.source_id, "amount_minor": b.amount_minor}
               for b in session.exec(select(BilledSource).where(BilledSource.invoice_line_id == line_id,
                                                                BilledSource.released_at.is_(None)))]  # type: ignore[union-attr]
    kept = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in line.model_dump().items() if k != "id"}
    removed = RemovedInvoiceLine(invoice_id=invoice_id, description=line.description,
                                 amount_minor=line.amount_minor, line=kept, sources=sources)
    session.add(removed)
    session.execute(BilledSource.__table__.delete().where(BilledSource.invoice_line_id == line_id))
    session.delete(line)
    session.flush()
    detail = {"line_id": line_id, "description": line.description, "amount_minor": line.amount_minor,
              "removed_line_id": removed.id}
    _recompute_totals(session, inv)
    record_action(session, actor, "invoice", inv.id, "remove_line", detail)
    return inv


def removed_lines(session: Session, invoice_id: int) -> list[RemovedInvoiceLine]:
    """The draft's unticked lines that can still be put back."""
    _get_invoice(session, invoice_id)
    return list(session.exec(select(RemovedInvoiceLine).where(RemovedInvoiceLine.invoice_id == invoice_id,
                                                             RemovedInvoiceLine.restored_at.is_(None))  # type: ignore[union-attr]
                             .order_by(RemovedInvoiceLine.id)))


def restore_line(session: Session, invoice_id: int, removed_id: int, actor: Actor = SYSTEM) -> Invoice:
    """Put an unticked line back on its draft, as it was: its work is billed by it again.
    409 when another invoice billed that work meanwhile (it cannot be billed twice)."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft":
        raise BillingError("Only a draft's lines can be restored", "status")
    removed = session.get(RemovedInvoiceLine, removed_id)
    if removed is None or removed.invoice_id != invoice_id:
        raise BillingError(f"No removed line {removed_id} on this invoice", "removed_line_id", kind="not_found")
    if removed.restored_at is not None:
        raise BillingError("This line is already back on the invoice", "removed_line_id", kind="conflict")
    for src in removed.sources:
        taken = session.exec(select(BilledSource.id).where(
            BilledSource.source_type == src["source_type"], BilledSource.source_id == src["source_id"],
            BilledSource.released_at.is_(None))).first()  # type: ignore[union-attr]
        if taken is not None:
            raise BillingError("Another invoice bills this work now; it cannot be billed twice.",
                               "removed_line_id", kind="conflict")
    values = dict(removed.line)
    for key in ("quantity", "tax_percent"):
        values[key] = Decimal(str(values[key]))
    values["position"] = len(lines_of(session, invoice_id)) + 1
    line = InvoiceLine(**values)
    session.add(line)
    session.flush()
    for src in removed.sources:
        session.add(BilledSource(invoice_line_id=line.id, source_type=src["source_type"], source_id=src["source_id"],
                                 amount_minor=src["amount_minor"]))
    removed.restored_at, removed.restored_line_id = utcnow(), line.id
    session.add(removed)
    session.flush()
    _recompute_totals(session, inv)
    record_action(session, actor, "invoice", inv.id, "restore_line",
                  {"line_id": line.id, "removed_line_id": removed.id, "amount_minor": line.amount_minor})
    return inv


def removed_line_json(r: RemovedInvoiceLine) -> dict:
    return {"id": r.id, "invoice_id": r.invoice_id, "description": r.description, "amount_minor": r.amount_minor,
            "sources": len(r.sources), "removed_at": r.removed_at, "updated_at": r.updated_at}


def add_manual_line(session: Session, invoice_id: int, actor: Actor, description: str, amount_minor: int,
                    tax_percent: Decimal | str = "0", tax_inclusive: bool = False) -> InvoiceLine:
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft":
        raise BillingError("Lines can be added to drafts only", "status")
    if not description.strip():
        raise BillingError("A line needs a description", "description")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor == 0:
        # a zero line never appears on an invoice (nor a float: amounts are minor units)
        raise BillingError("Enter the line's amount (not 0)", "amount_minor")
    check_amount(amount_minor, "amount_minor", "The line's amount")
    pct = Decimal(str(tax_percent))
    pos = len(lines_of(session, invoice_id)) + 1
    line = InvoiceLine(invoice_id=invoice_id, position=pos, description=description.strip()[:500],
                       unit_price_minor=amount_minor, amount_minor=amount_minor, tax_percent=pct,
                       tax_minor=_line_tax(amount_minor, pct, tax_inclusive), tax_inclusive=tax_inclusive,
                       source_type=None)
    session.add(line)
    session.flush()
    _recompute_totals(session, inv)
    record_action(session, actor, "invoice", inv.id, "add_line", {"description": line.description,
                                                                  "amount_minor": amount_minor})
    return line


# --- issue, numbering ---------------------------------------------------------------------

def next_number(session: Session, name: str) -> int:
    """Take the next value of a gap-free counter under a row lock.

    PostgreSQL: SELECT ... FOR UPDATE holds the row until commit, so concurrent issuers
    queue. SQLite serialises writers; the UPDATE ... RETURNING takes the write lock in
    one statement (a read-then-write would risk SQLITE_BUSY on upgrade). The counter
    moves in the issuing transaction: a rollback gives the number back, so no gaps.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(NumberSequence).values(name=name, next_value=1).on_conflict_do_nothing())
        row = session.execute(sa_select(NumberSequence.next_value).where(NumberSequence.name == name)
                              .with_for_update()).scalar_one()
        session.execute(update(NumberSequence).where(NumberSequence.name == name).values(next_value=row + 1))
        return int(row)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    session.execute(sqlite_insert(NumberSequence).values(name=name, next_value=1).on_conflict_do_nothing())
    value = session.execute(update(NumberSequence).where(NumberSequence.name == name)
                            .values(next_value=NumberSequence.next_value + 1)
                            .returning(NumberSequence.next_value)).scalar_one()
    return int(value) - 1


def issue_invoice(session: Session, invoice_id: int, actor: Actor = SYSTEM, issue_date: date | None = None) -> Invoice:
    """Give the draft its number (gap-free, pattern from settings), issue date and due date."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status != "draft" or inv.number is not None:
        raise BillingError(f"Invoice is already {inv.status}", "status")
    if not lines_of(session, inv.id):
        raise BillingError("An invoice needs at least one line", "lines")
    if inv.kind != "credit_note" and inv.total_minor <= 0:
        raise BillingError("The total must be positive", "total_minor")
    cfg = billing_settings(session)
    day = issue_date or org_today(session)
    before = snapshot(inv)
    if inv.kind == "credit_note":
        pattern, seq_name = cfg["credit_note_number_pattern"], f"credit_note:{day.year}"
    else:
        pattern, seq_name = cfg["invoice_number_pattern"], f"invoice:{day.year}"
    seq = next_number(session, seq_name)
    inv.number = pattern.format(year=day.year, month=day.month, seq=seq)
    inv.issue_date, inv.due_date = day, day + timedelta(days=inv.terms_days)
    inv.status = "sent" if inv.kind != "credit_note" else "paid"
    session.add(inv)
    record_update(session, actor, inv, before, action="issue")
    add_invoice_event(session, inv, f"Invoice {inv.number} issued ({format_money(inv.total_minor, inv.currency)})",
                      user_id=actor.user_id)
    emit_invoice(session, "invoice.issued", inv)
    return inv


def emit_invoice(session: Session, event_type: str, inv: Any, detail: str = "") -> None:
    """An invoice.* domain event (`inv`: the ORM invoice or a locked Core row)."""
    emit(session, event_type, InvoiceEvent(invoice_id=inv.id, number=inv.number, total_minor=inv.total_minor,
                                           currency=inv.currency, detail=detail))


# --- void and credit notes ------------------------------------------------------------------

def _release_sources(session: Session, invoice_id: int) -> int:
    line_ids = sa_select(InvoiceLine.id).where(InvoiceLine.invoice_id == invoice_id)
    res = session.execute(update(BilledSource).where(BilledSource.invoice_line_id.in_(line_ids),
                                                     BilledSource.released_at.is_(None))
                          .values(released_at=utcnow()))
    return res.rowcount or 0


def void_invoice(session: Session, invoice_id: int, actor: Actor = SYSTEM, reason: str = "") -> Invoice:
    """Void a draft or an unpaid issued invoice; its items become unbilled again."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status == "void":
        raise BillingError("The invoice is already void", "status")
    if inv.kind == "credit_note" and inv.number is not None:
        # Voiding it would leave the credited invoice reduced (credited_minor) and its credited
        # work released to unbilled: money lost between the two documents. Correct with an invoice.
        raise BillingError("An issued credit note cannot be voided: invoice the amount again instead", "status",
                           kind="conflict")
    if net_paid(session, inv.id) > 0:
        raise BillingError("Money was received on this invoice: issue a credit note instead", "status")
    before = snapshot(inv)
    released = _release_sources(session, inv.id)
    inv.status, inv.voided_at, inv.void_reason = "void", utcnow(), (reason or "")[:500] or None
    session.add(inv)
    record_update(session, actor, inv, before, action="void")
    record_action(session, actor, "invoice", inv.id, "release_sources", {"released": released, "reason": reason})
    emit_invoice(session, "invoice.voided", inv, detail=inv.void_reason or "")
    if inv.payment_link_id:
        _deactivate_link_quietly(session, inv)
    return inv


def credit_note(session: Session, invoice_id: int, actor: Actor = SYSTEM, reason: str = "") -> Invoice:
    """A credit note for the whole invoice: negative lines, numbered; the sources are released."""
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.number is None or inv.status == "void" or inv.kind == "credit_note":
        raise BillingError("Only an issued invoice can be credited", "status")
    if session.exec(select(Invoice).where(Invoice.credit_for_invoice_id == inv.id, Invoice.status != "void")).first():
        raise BillingError("This invoice already has a credit note: credit its remaining lines with a partial "
                           "credit note", "status")
    cn = Invoice(kind="credit_note", credit_for_invoice_id=inv.id, account_id=inv.account_id, deal_id=inv.deal_id,
                 project_id=inv.project_id, currency=inv.currency, terms_days=0,
                 notes=f"Credit note for {inv.number}" + (f": {reason}" if reason else ""),
                 public_token=secrets.token_urlsafe(24), created_by_id=actor.user_id)
    session.add(cn)
    session.flush()
    for line in lines_of(session, inv.id):
        session.add(InvoiceLine(invoice_id=cn.id, project_id=line.project_id, position=line.position,
                                description=f"Credit: {line.description}"[:500],
                                quantity=line.quantity, unit=line.unit, unit_price_minor=-line.unit_price_minor,
                                amount_minor=-line.amount_minor, tax_rate_id=line.tax_rate_id,
                                tax_percent=line.tax_percent, tax_minor=-line.tax_minor,
                                tax_inclusive=line.tax_inclusive, source_type=None))
    session.flush()
    _recompute_totals(session, cn)
    record_create(session, actor, cn)
    issue_invoice(session, cn.id, actor)
    released = _release_sources(session, inv.id)
    before = snapshot(inv)
    inv.status = "void"
    inv.voided_at, inv.void_reason = utcnow(), f"Credited by {cn.number}" + (f": {reason}" if reason else "")
    session.add(inv)
    record_update(session, actor, inv, before, action="credit")
    emit_invoice(session, "invoice.voided", inv, detail=inv.void_reason or "")
    record_action(session, actor, "invoice", inv.id, "release_sources", {"released": released, "credit_note": cn.number})
    # Money already received stays on the ledger; it becomes the client's credit.
    recompute_status(session, inv.id)
    if inv.payment_link_id:
        _deactivate_link_quietly(session, inv)
    return cn


# --- the ledger --------------------------------------------------------------------------

@dataclass
class Ledger:
    """An invoice's money, read in one query (its payments, each with its refunds and disputes)."""

    net_paid: int
    refunded: bool
    open_dispute: bool
    payment_ids: list[int]
    latest_succeeded_id: int | None


def _per_payment(col, model, where=None):
    cond = model.payment_id == Payment.id
    if where is not None:
        cond = and_(cond, where)
    return sa_select(col).where(cond).scalar_subquery()


# One round trip per recompute (a webhook does one per event): each payment of the
# invoice with the sums of its refunds and lost disputes and the counts that set the flags.
# A failed/canceled refund no longer counts; a dispute subtracts what Stripe holds from us for
# it (withdrawn and not reinstated; a lost dispute keeps it), not only once it is lost.
_LEDGER = (sa_select(Payment.id, Payment.amount_minor, Payment.status,
                     _per_payment(func.coalesce(func.sum(Refund.amount_minor), 0), Refund,
                                  Refund.status.in_(REFUND_LIVE)).label("refunded"),
                     _per_payment(func.count(), Refund, Refund.status.in_(REFUND_LIVE)).label("n_refunds"),
                     _per_payment(func.coalesce(func.sum(Dispute.withdrawn_minor), 0), Dispute).label("lost"),
                     _per_payment(func.count(), Dispute, Dispute.status.not_in(DISPUTE_CLOSED)).label("n_open"))
           .where(Payment.invoice_id == bindparam("invoice_id")).order_by(Payment.id))


def ledger(session: Session, invoice_id: int) -> Ledger:
    rows = session.connection().execute(_LEDGER, {"invoice_id": invoice_id}).all()
    succeeded = [r for r in rows if r.status == "succeeded"]
    paid = sum(r.amount_minor - int(r.refunded) - int(r.lost) for r in succeeded)
    return Ledger(paid, any(r.n_refunds for r in rows), any(r.n_open for r in rows), [r.id for r in rows],
                  max(r.id for r in succeeded) if succeeded else None)


def net_paid(session: Session, invoice_id: int) -> int:
    """Succeeded payments minus refunds minus lost disputes: the money we hold for it."""
    return ledger(session, invoice_id).net_paid


def amount_due(status: str, kind: str, total: int, credited: int = 0) -> int:
    """What the client owes before payments: the total less partial credit notes (0 when void
    or a credit note). Money held above it is the client's credit."""
    if status == "void" or kind == "credit_note":
        return 0
    return total - credited


def open_amount(session: Session, inv: Invoice, paid: int | None = None) -> int:
    """What is still to collect: due - paid - written off; 0 for drafts, voids and credit notes."""
    if inv.status in ("draft", "void") or inv.kind == "credit_note":
        return 0
    paid = net_paid(session, inv.id) if paid is None else paid
    return max(0, amount_due(inv.status, inv.kind, inv.total_minor, inv.credited_minor) - paid
               - (inv.written_off_minor or 0))


def open_minor_sql():
    """`open_amount` of an issued invoice as a column (reports over many invoices): due - the stored
    net paid (`paid_minor`, kept by `recompute_status`: payments - refunds - lost disputes) -
    written off, never below 0. Filter on OPEN_STATUSES and kind != credit_note with it."""
    open_ = Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor - Invoice.written_off_minor
    return case((open_ > 0, open_), else_=0)


def recompute_status(session: Session, invoice_id: int | Invoice, actor: Actor = SYSTEM) -> Invoice:
    """Status and flags from the ledger, never incremented: any order of events gives the same answer.

    The caller holds the invoice's row lock when money moved. Money above the total is
    kept as ClientCredit on the payment that brought it (one credit row per payment).
    """
    inv = invoice_id if isinstance(invoice_id, Invoice) else _get_invoice(session, invoice_id)
    before = snapshot(inv)
    led = ledger(session, inv.id)
    paid = led.net_paid
    inv.paid_minor, inv.refunded, inv.disputed = paid, led.refunded, led.open_dispute
    inv.status = _status_for(inv.status, inv.kind, inv.total_minor, paid, inv.credited_minor, inv.written_off_minor)
    excess = max(0, paid - amount_due(inv.status, inv.kind, inv.total_minor, inv.credited_minor)) \
        if inv.kind != "credit_note" else 0
    # Credits exist only if the invoice was overpaid before; skip the query otherwise.
    was_over = int(before.get("paid_minor") or 0) > amount_due(before.get("status") or "", inv.kind,
                                                               int(before["total_minor"]),
                                                               int(before.get("credited_minor") or 0))
    if led.payment_ids and (excess > 0 or was_over):
        _sync_credit(session, inv, excess, led)
    session.add(inv)
    record_update(session, actor, inv, before, action="status_from_ledger")
    if before.get("status") != inv.status and inv.status == "paid":
        add_invoice_event(session, inv, f"Invoice {inv.number} paid ({format_money(inv.total_minor, inv.currency)})")
        if inv.kind != "credit_note":
            emit_invoice(session, "invoice.paid", inv)
    return inv


def _status_for(status: str, kind: str, total: int, paid: int, credited: int = 0, written_off: int = 0) -> str:
    """The status rule: drafts, voids and credit notes keep theirs; else paid / written off /
    partially paid / sent, from what is due (total - partial credit notes), paid and written off."""
    if status in ("draft", "void") or kind == "credit_note":
        return status
    due = total - credited
    if paid >= due and due > 0:
        return "paid"
    if written_off > 0 and paid + written_off >= due:
        return "written_off"
    return "partially_paid" if paid > 0 else "sent"


# The invoice columns the webhook path needs, read (and locked) without loading the ORM object.
INVOICE_ROW = (Invoice.id, Invoice.status, Invoice.kind, Invoice.total_minor, Invoice.paid_minor, Invoice.refunded,
               Invoice.disputed, Invoice.currency, Invoice.account_id, Invoice.deal_id, Invoice.number,
               Invoice.payment_link_id, Invoice.credited_minor, Invoice.written_off_minor)


# Statements built once: executing them with a dict of values skips SQLAlchemy's per-call
# construction and cache-key work, which on this path costs more than SQLite itself.
_LOCK_INVOICE = sa_select(*INVOICE_ROW).where(Invoice.id == bindparam("invoice_id")).with_for_update()
_UPDATE_INVOICE = update(Invoice).where(Invoice.id == bindparam("invoice_id_"))
AUDIT_INSERT = insert(AuditLog)


def lock_invoice_row(session: Session, invoice_id: int) -> Any:
    """The invoice's row (INVOICE_ROW columns) under SELECT ... FOR UPDATE on PostgreSQL, or None."""
    return session.connection().execute(_LOCK_INVOICE, {"invoice_id": invoice_id}).first()


def recompute_status_row(session: Session, row: Any, actor: Actor = SYSTEM) -> str:
    """`recompute_status` for the webhook hot path: the same rule and audit, in Core statements.

    `row` comes from `lock_invoice_row` (the caller holds the lock). An invoice that is or
    was overpaid goes through `recompute_status` (client credit rows). Returns the new status.
    """
    session.flush()  # Core statements below do not autoflush pending ORM rows
    led = ledger(session, row.id)
    paid = led.net_paid
    due = amount_due(row.status, row.kind, row.total_minor, row.credited_minor)
    was_over = row.paid_minor > due
    excess = max(0, paid - due) if row.kind != "credit_note" else 0
    if led.payment_ids and (excess > 0 or was_over):
        inv = _get_invoice(session, row.id, lock=True)  # fresh ORM object (refresh), credits need it
        status = recompute_status(session, inv, actor).status
        after_payment(session, inv)  # as the reference path does (tests/billing/test_fast_path_twins.py)
        return status
    after = {"status": _status_for(row.status, row.kind, row.total_minor, paid, row.credited_minor,
                                   row.written_off_minor), "paid_minor": paid,
             "refunded": led.refunded, "disputed": led.open_dispute}
    changed = {k: v for k, v in after.items() if getattr(row, k) != v}
    conn = session.connection()
    if changed:
        conn.execute(_UPDATE_INVOICE, {**changed, "invoice_id_": row.id})
    # Same audit row as record_update(action="status_from_ledger"): written even when nothing moved.
    conn.execute(AUDIT_INSERT, audit_values(actor, "status_from_ledger", "invoice", row.id,
                                         {k: getattr(row, k) for k in changed}, changed))
    if row.status != after["status"] and after["status"] == "paid":  # every deal it bills (one query if none set)
        add_invoice_event(session, row, f"Invoice {row.number} paid ({format_money(row.total_minor, row.currency)})")
        emit_invoice(session, "invoice.paid", row)
    if row.payment_link_id:  # deactivating calls Stripe; the ORM object costs nothing next to that
        after_payment(session, _get_invoice(session, row.id, lock=True))
    return after["status"]


def _sync_credit(session: Session, inv: Invoice, excess: int, led: Ledger) -> None:
    credits = list(session.exec(select(ClientCredit).where(ClientCredit.payment_id.in_(led.payment_ids))))
    if excess <= 0:
        for c in credits:
            session.delete(c)
        return
    keep = next((c for c in credits if c.payment_id == led.latest_succeeded_id), credits[0] if credits else None)
    for c in credits:
        if c is not keep:
            session.delete(c)
    session.flush()  # the deletes first: payment_id is unique
    if keep is not None and led.latest_succeeded_id and keep.payment_id != led.latest_succeeded_id:
        keep.payment_id = led.latest_succeeded_id  # its payment was reversed: the credit moves to one that stands
    if keep is None:
        keep = ClientCredit(account_id=inv.account_id, payment_id=led.latest_succeeded_id, amount_minor=excess,
                            currency=inv.currency, note=f"Overpayment of {inv.number}")
    keep.amount_minor = excess
    session.add(keep)
    session.flush()


def record_manual_payment(session: Session, invoice_id: int, actor: Actor, *, amount_minor: int, method: str,
                          received_on: date | None = None, reference: str | None = None,
                          confirm_overpayment: bool = False) -> Payment:
    """A bank transfer, check or cash payment typed by the billing role.

    A payment above the open amount is refused unless `confirm_overpayment` is set: a typo
    (999,999.00 for 1,530.90) must not become a million of "collected" money. The refusal
    names the client credit the payment would create (`billing.ledger.overpayment_error`).
    """
    from l2c_app.billing import ledger as ledger_rules
    from l2c_app.core.timeutil import org_today

    begin_write(session)
    if method not in MANUAL_METHODS:
        raise BillingError(f"Method must be one of {', '.join(MANUAL_METHODS)}", "method")
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise BillingError("The amount must be more than zero", "amount_minor")
    check_amount(amount_minor, "amount_minor", "The payment")
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status in ("draft", "void") or inv.kind == "credit_note":
        raise BillingError(f"Payments are recorded on issued invoices (this one is {inv.status})", "status")
    if not confirm_overpayment:
        ledger_rules.refuse_unconfirmed_overpayment(session, inv, amount_minor)
    pay = Payment(invoice_id=inv.id, account_id=inv.account_id, amount_minor=amount_minor, currency=inv.currency,
                  method=method, status="succeeded", received_on=received_on or org_today(session),
                  reference=(reference or "").strip()[:200] or None, recorded_by_id=actor.user_id)
    session.add(pay)
    record_create(session, actor, pay)
    recompute_status(session, inv.id, actor)
    after_payment(session, inv)
    emit(session, "payment.received", PaymentEvent(payment_id=pay.id, invoice_id=inv.id, amount_minor=amount_minor,
                                                   currency=inv.currency))
    return pay


def match_payment(session: Session, payment_id: int, invoice_id: int, actor: Actor = SYSTEM) -> Payment:
    """Attach an unmatched payment to an invoice (manual match on the Payments page)."""
    begin_write(session)
    pay = session.exec(select(Payment).where(Payment.id == payment_id).with_for_update()).first()
    if pay is None:
        raise BillingError(f"No payment {payment_id}", "payment_id", kind="not_found")
    if pay.invoice_id is not None:
        raise BillingError("This payment is already matched", "payment_id", kind="conflict")
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.currency != pay.currency:
        raise BillingError(f"The payment is in {pay.currency}, the invoice in {inv.currency}", "invoice_id", kind="conflict")
    if inv.status in ("draft", "void"):
        raise BillingError("Match payments to issued invoices only", "invoice_id", kind="conflict")
    before = snapshot(pay)
    pay.invoice_id, pay.account_id, pay.updated_at = inv.id, inv.account_id, utcnow()
    session.add(pay)
    record_update(session, actor, pay, before, action="match")
    recompute_status(session, inv.id, actor)
    after_payment(session, inv)
    return pay


def after_payment(session: Session, inv: Invoice) -> None:
    """Once nothing is open, the payment link goes (a second payment through it would be an overpayment)."""
    if inv.payment_link_id and open_amount(session, inv, inv.paid_minor) == 0:
        _deactivate_link_quietly(session, inv)


def _deactivate_link_quietly(session: Session, inv: Invoice) -> None:
    from l2c_app.billing.payment_links import deactivate_invoice_link

    deactivate_invoice_link(session, inv)


# --- queries for pages and API --------------------------------------------------------------

def bills_project(project_id: int):
    """WHERE clause: the invoice bills this project, as its own or (spanning several of the
    client's projects, project_id NULL) through one of its lines."""
    through_lines = exists().where(InvoiceLine.invoice_id == Invoice.id, InvoiceLine.project_id == project_id)
    return or_(Invoice.project_id == project_id, and_(Invoice.project_id.is_(None), through_lines))


def invoice_project_ids(session: Session, inv: Invoice) -> list[int]:
    """The projects an invoice bills: its own, or (spanning several) those of its lines."""
    if inv.project_id is not None:
        return [inv.project_id]
    return sorted(int(pid) for pid in session.execute(
        sa_select(InvoiceLine.project_id).where(InvoiceLine.invoice_id == inv.id, InvoiceLine.project_id.is_not(None))
        .distinct()).scalars())


def invoice_deal_ids(session: Session, inv: Invoice | Any) -> list[int]:
    """The deals an invoice belongs to: its own deal, or the deals of the projects its lines bill."""
    known = getattr(inv, "deal_ids", None)  # read with the webhook's row lock (payments/webhook_writes)
    if known is not None:
        return list(known)
    if inv.deal_id is not None:
        return [inv.deal_id]
    return sorted(int(d) for d in session.execute(
        sa_select(Project.deal_id).join(InvoiceLine, InvoiceLine.project_id == Project.id)
        .where(InvoiceLine.invoice_id == inv.id, Project.deal_id.is_not(None)).distinct()).scalars())


def project_names(session: Session, project_ids: list[int]) -> dict[int, str]:
    if not project_ids:
        return {}
    return {int(i): n for i, n in session.execute(sa_select(Project.id, Project.name)
                                                  .where(Project.id.in_(project_ids)))}


def spanned_project_names(session: Session, inv: Invoice) -> list[str]:
    """The names of the projects an invoice without a project of its own bills, by name
    ("Projects: ..." on the page and the PDF); [] for an invoice of one project."""
    if inv.project_id is not None:
        return []
    return sorted(project_names(session, invoice_project_ids(session, inv)).values(), key=str.lower)


def line_sections(session: Session, inv: Invoice, lines: list[InvoiceLine]) -> list[str]:
    """Per line, the project heading to show before it ("" when none): an invoice spanning
    several projects shows its lines grouped under each project's name (manual lines under
    "Other"); an invoice of one project needs no headings."""
    pids = {ln.project_id for ln in lines if ln.project_id is not None}
    if inv.project_id is not None or len(pids) < 2:
        return ["" for _ in lines]
    names = project_names(session, sorted(pids))
    out, current = [], object()
    for ln in lines:
        key = ln.project_id
        out.append("" if key == current else (names.get(key, f"Project {key}") if key is not None else "Other"))
        current = key
    return out


def add_invoice_event(session: Session, inv: Invoice | Any, subject: str, user_id: int | None = None) -> None:
    """A timeline event on every deal the invoice bills (none when its projects have no deal).
    `inv`: an Invoice or an INVOICE_ROW row (both have id and deal_id)."""
    for deal_id in invoice_deal_ids(session, inv):
        add_deal_event(session, deal_id, subject, user_id=user_id)


def invoice_json(session: Session, inv: Invoice, with_lines: bool = True) -> dict:
    from l2c_app.core.config import get_settings

    data = {"id": inv.id, "number": inv.number, "kind": inv.kind, "status": inv.status, "refunded": inv.refunded,
            "disputed": inv.disputed, "currency": inv.currency, "project_id": inv.project_id, "deal_id": inv.deal_id,
            "project_ids": invoice_project_ids(session, inv),
            "account_id": inv.account_id, "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
            "due_date": inv.due_date.isoformat() if inv.due_date else None, "terms_days": inv.terms_days,
            "subtotal_minor": inv.subtotal_minor, "tax_minor": inv.tax_minor, "total_minor": inv.total_minor,
            "tax_added_minor": tax_split(inv)[0], "tax_included_minor": tax_split(inv)[1],
            "paid_minor": inv.paid_minor, "open_minor": open_amount(session, inv), "notes": inv.notes,
            "credited_minor": inv.credited_minor, "written_off_minor": inv.written_off_minor,
            "write_off_reason": inv.write_off_reason, "delivery": inv.delivery, "state_label": state_label(inv),
            "public_url": f"{get_settings().app_base_url}/i/{inv.public_token}",
            "payment_link_url": inv.payment_link_url,
            "credit_for_invoice_id": inv.credit_for_invoice_id}
    if with_lines:
        data["lines"] = [{"id": ln.id, "position": ln.position, "description": ln.description,
                          "quantity": str(ln.quantity), "unit": ln.unit, "unit_price_minor": ln.unit_price_minor,
                          "amount_minor": ln.amount_minor, "tax_percent": str(ln.tax_percent),
                          "tax_minor": ln.tax_minor, "tax_inclusive": ln.tax_inclusive,
                          "source_type": ln.source_type, "project_id": ln.project_id,
                          "credits_line_id": ln.credits_line_id}
                         for ln in lines_of(session, inv.id)]
    return data


def invoice_by_token(session: Session, token: str) -> Invoice | None:
    if not plausible_token(token, 64):
        return None
    return session.exec(select(Invoice).where(Invoice.public_token == token)).first()


def billed_sources_total(session: Session, invoice_id: int) -> int:
    return int(session.execute(sa_select(func.coalesce(func.sum(BilledSource.amount_minor), 0))
                               .join(InvoiceLine, InvoiceLine.id == BilledSource.invoice_line_id)
                               .where(InvoiceLine.invoice_id == invoice_id,
                                      BilledSource.released_at.is_(None))).scalar_one())



DELIVERY_LABEL = {"sent": "Sent", "queued": "Queued in Outbox", "failed": "E-mail failed"}
STATE_LABEL = {"draft": "Draft", "partially_paid": "Partially paid", "paid": "Paid", "written_off": "Written off",
               "void": "Void"}


def state_label(inv: Invoice | Any) -> str:
    """What happened to the invoice, in words (page, list, public page, PDF): "Issued" once it
    has its number, "Sent" only once the e-mail left over SMTP, "Queued in Outbox" when no
    SMTP is set up; then Partially paid / Paid / Written off / Void from the ledger."""
    if inv.status == "void":
        return "Void"
    if inv.kind == "credit_note" or inv.status == "sent":
        return "Draft" if inv.status == "draft" else DELIVERY_LABEL.get(inv.delivery or "", "Issued")
    return STATE_LABEL.get(inv.status, inv.status)
