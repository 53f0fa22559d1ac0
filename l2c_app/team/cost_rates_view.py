"""What the Cost rates card of the Team page shows and accepts, as display strings.

The rules live in `projects.cost_rates` (a rate per person from a day on; the same day replaces);
this module turns its rows into strings (money with `core.money.format_money` in the organisation's
locale, days with `core.formats.day`) and the form's text into the service's arguments (the amount
with `core.money.to_minor` in the organisation's currency, the day defaulting to the org's today).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.auth import get_organisation, list_users
from l2c_app.core.errors import DomainError
from l2c_app.core.money import format_money, to_minor
from l2c_app.core.timeutil import org_today
from l2c_app.projects import cost_rates
from l2c_app.projects.models import CostRate

EMPTY_TEXT = "No cost rates yet: time costs nothing in margins until a rate is set."
HELP_TEXT = (
    "What an hour of each person costs, from a day on. Cost rates are visible only to owners, "
    "admins and billing, and are used by Insights > Margin."
)


def org_currency(session: Session) -> str:
    org = get_organisation(session)
    return org.currency if org else "EUR"


def rate_text(rate: CostRate, fmt: formats.Formats) -> str:
    return f"{format_money(rate.amount_minor, rate.currency, fmt.babel)} per hour"


def cost_rates_card(session: Session) -> dict[str, Any]:
    """People with a rate (by name), each with the rate in effect today and the others as history
    (newest first; a rate dated after today is listed as upcoming)."""
    fmt = formats.formats(session)
    today = org_today(session)
    users = list_users(session)
    by_user: dict[int, list[CostRate]] = {}
    for r in cost_rates.cost_rates(session):
        by_user.setdefault(r.user_id, []).append(r)
    rows = []
    for u in users:
        rates = by_user.get(u.id or 0)
        if not rates:
            continue
        current = cost_rates.rate_in_effect(session, u.id or 0, today)
        history = []
        for r in sorted(rates, key=lambda r: r.effective_from, reverse=True):
            if current is not None and r.id == current.id:
                continue
            status = "Upcoming" if r.effective_from > today else "Earlier"
            history.append(
                {
                    "key": str(r.id),
                    "from": formats.day(r.effective_from, fmt),
                    "amount": rate_text(r, fmt),
                    "status": status,
                }
            )
        rows.append(
            {
                "user_id": str(u.id),
                "name": u.name,
                "current": rate_text(current, fmt) if current else "No rate in effect",
                "current_from": ("since " + formats.day(current.effective_from, fmt)) if current else "",
                "history": history,
            }
        )
    people = [{"id": str(u.id), "label": f"{u.name} ({u.email})"} for u in users if u.is_active]
    return {"rows": rows, "people": people, "currency": org_currency(session), "today": today.isoformat()}


def set_from_form(session: Session, actor: Actor, form: dict[str, Any]) -> CostRate:
    """The form's text as `cost_rates.set_cost_rate`'s arguments; every refusal is a DomainError."""
    person = str(form.get("user_id") or "").strip()
    if not person.isdigit():
        raise DomainError("Choose the person", "user_id")
    raw_day = str(form.get("effective_from") or "").strip()
    try:
        day = date.fromisoformat(raw_day) if raw_day else org_today(session)
    except ValueError:
        raise DomainError("Give the day the rate applies from", "effective_from") from None
    currency = org_currency(session)
    text = str(form.get("amount") or "").strip()
    if not text:
        raise DomainError("Give the cost per hour", "amount_minor")
    try:
        amount = to_minor(text, currency)
    except ValueError as exc:
        raise DomainError(str(exc), "amount_minor") from None
    return cost_rates.set_cost_rate(session, actor, int(person), day, amount, currency)
