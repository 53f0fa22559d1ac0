"""What Insights > Margin shows, as display strings and chart points (pages never format money).

The figures come from `insights.margin` (margin per project, client or month; utilisation per
person); this module only formats them. Money is `core.money.format_money` in the organisation's
locale (`core.formats`), one row per currency. Chart bars are whole major units of one currency
(a bar's height, never an amount anyone adds up); the table shows the exact amounts.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.auth import get_organisation
from l2c_app.core.errors import DomainError
from l2c_app.core.money import format_money, minor_digits, round_minor
from l2c_app.core.timeutil import org_today
from l2c_app.insights import margin as svc

GROUP_LABELS = {"project": "Project", "client": "Client", "month": "Month"}


def month_range(today: date) -> tuple[date, date]:
    """The calendar month of `today`: its first and last day."""
    return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])


def default_range(session: Session) -> tuple[str, str]:
    """This month in the organisation's zone, as ISO dates for the date inputs."""
    start, end = month_range(org_today(session))
    return start.isoformat(), end.isoformat()


def parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(f"'{field}' is a date (YYYY-MM-DD)", field) from None


def percent_text(part: int, whole: int) -> str:
    """part / whole as a percent with one decimal, half-up; '-' when there is nothing to divide by."""
    if not whole:
        return "-"
    exact = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{exact}%"


def whole_units(amount_minor: int, currency: str) -> int:
    return round_minor(Decimal(amount_minor) / (10 ** minor_digits(currency)))


def _money(amount: int, currency: str, fmt: formats.Formats) -> str:
    return format_money(amount, currency, fmt.babel)


def margin_rows(rows: list[svc.MarginRow], fmt: formats.Formats) -> list[dict[str, str]]:
    out = []
    for r in rows:
        out.append(
            {
                "key": f"{r.key}:{r.currency}",
                "label": str(r.label),
                "currency": r.currency,
                "billed": _money(r.billed_minor, r.currency, fmt),
                "unbilled": _money(r.unbilled_minor, r.currency, fmt),
                "time_cost": _money(r.time_cost_minor, r.currency, fmt),
                "expenses": _money(r.expense_minor, r.currency, fmt),
                "margin": _money(r.margin_minor, r.currency, fmt),
                "percent": percent_text(r.margin_minor, r.revenue_minor),
                "negative": "1" if r.margin_minor < 0 else "",
                "uncosted": formats.hours(r.uncosted_minutes, fmt) if r.uncosted_minutes else "",
            }
        )
    return out


def chart_currency(rows: list[svc.MarginRow], org_currency: str) -> str:
    """The chart's one currency: the organisation's when it has rows, else the first row's."""
    currencies = [r.currency for r in rows]
    if org_currency in currencies:
        return org_currency
    return currencies[0] if currencies else ""


def chart_points(rows: list[svc.MarginRow], currency: str) -> list[dict[str, Any]]:
    return [
        {"label": str(r.label), "margin": whole_units(r.margin_minor, currency)} for r in rows if r.currency == currency
    ]


def utilisation_rows(rows: list[svc.UtilisationRow], fmt: formats.Formats) -> list[dict[str, str]]:
    return [
        {
            "key": str(r.user_id),
            "name": r.name,
            "billable": formats.hours(r.billable_minutes, fmt),
            "capacity": formats.hours(r.capacity_minutes, fmt),
            "percent": "-" if r.utilisation_percent is None else f"{r.utilisation_percent}%",
        }
        for r in rows
    ]


def margin_page(session: Session, date_from: str, date_to: str, group: str) -> dict[str, Any]:
    """Everything the page shows for one range and grouping (errors are DomainErrors, shown)."""
    start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
    fmt = formats.formats(session)
    rows = svc.margin(session, start, end, group)
    people = svc.utilisation(session, start, end, "person")
    org = get_organisation(session)
    cur = chart_currency(rows, org.currency if org else "EUR")
    uncosted = sum(r.uncosted_minutes for r in rows)
    notes = []
    if uncosted:
        notes.append(
            f"{formats.hours(uncosted, fmt)} of time has no cost rate and costs nothing here: "
            "set cost rates under Team."
        )
    if len({r.currency for r in rows}) > 1:
        notes.append(f"The chart shows {cur} only; each currency has its own rows in the table.")
    return {
        "range": f"{formats.day(start, fmt)} – {formats.day(end, fmt)}",
        "group_label": GROUP_LABELS[group],
        "rows": margin_rows(rows, fmt),
        "chart": chart_points(rows, cur),
        "chart_currency": cur,
        "utilisation": utilisation_rows(people, fmt),
        "capacity": str(svc.capacity_hours(session)),
        "notes": notes,
    }


def save_capacity(session: Session, actor, hours: str) -> int:
    text = (hours or "").strip()
    if not text.isdigit():
        raise DomainError("Capacity is a whole number of hours per week, 1 to 168", svc.CAPACITY_KEY)
    return svc.save_capacity_hours(session, actor, int(text))
