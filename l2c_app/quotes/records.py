"""Quotes: create from a deal, read, list and total. Totals always come from
`quotes.totals.compute_totals`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_create
from l2c_app.core.lines import tax_convention
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.quotes.inputs import (
    DEFAULT_VALID_DAYS,
    NotFound,
    QuoteError,
    _new_token,
    _org,
    _text,
    org_today,
    parse_date,
    quote_label,
)
from l2c_app.quotes.models import Quote, QuoteLine, TaxRate
from l2c_app.quotes.totals import LineInput, Totals, compute_totals

# --- quotes: create, read ---------------------------------------------------------------------


def get_quote(session: Session, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(f"Quote {quote_id}", "quote_id")
    return quote


def quote_lines(session: Session, quote_id: int) -> list[QuoteLine]:
    return list(
        session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.position, QuoteLine.id))
    )


def _contact_of_deal(session: Session, contact_id: Any, deal: Deal | None) -> None:
    """A quote is addressed (and e-mailed) only to a contact of the deal's own client."""
    if contact_id in (None, ""):
        return
    contact = session.get(Contact, int(contact_id))
    if contact is None:
        raise QuoteError(f"Unknown contact {contact_id}.", "contact_id")
    account_id = deal.account_id if deal else None
    if account_id is not None and contact.account_id is not None and contact.account_id != account_id:
        raise QuoteError("This contact belongs to another client than the deal's.", "contact_id")


def _default_expiry(session: Session) -> date:
    org = _org(session)
    days = int((org.settings or {}).get("quote_valid_days", DEFAULT_VALID_DAYS)) if org else DEFAULT_VALID_DAYS
    return org_today(session) + timedelta(days=days)


def create_quote_from_deal(
    session: Session,
    actor: Actor,
    deal_id: int,
    *,
    title: str | None = None,
    currency: str | None = None,
    contact_id: int | None = None,
    expires_on: Any = None,
) -> Quote:
    """A new draft pre-filled from the deal: its client contact, currency and owner."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise QuoteError(f"Deal {deal_id} not found.", "deal_id")
    org = _org(session)
    cur = (currency or deal.currency or (org.currency if org else "EUR")).strip().upper()
    if len(cur) != 3 or not cur.isalpha():
        raise QuoteError("Currency must be an ISO code like EUR.", "currency")
    contact = contact_id if contact_id is not None else deal.contact_id
    _contact_of_deal(session, contact, deal)
    expiry = parse_date(expires_on, "expires_on", "Expiry date") or _default_expiry(session)
    last = session.exec(select(func.max(Quote.number)).where(Quote.deal_id == deal_id)).one()
    quote = Quote(
        deal_id=deal_id,
        number=(last or 0) + 1,
        version=1,
        status="draft",
        title=_text(title, "title", "Title", 200) or deal.title,
        currency=cur,
        contact_id=contact,
        owner_id=deal.owner_id or actor.user_id,
        expires_on=expiry,
        public_token=_new_token(),
        terms=(org.settings or {}).get("quote_default_terms") if org else None,
    )
    session.add(quote)
    record_create(session, actor, quote)
    add_deal_event(session, deal_id, f"Quote {quote_label(quote)} drafted", user_id=actor.user_id)
    return quote


@dataclass
class QuoteRow:
    """A quote of /quotes (typed; the page reads `q["label"]`, which compiles as `q.label` does).
    Fields in the old dict's order and value types: the state's JSON is the same."""

    id: int
    label: str
    title: str
    deal_id: int
    deal_title: str
    account: str
    status: str
    version: int
    total_minor: int
    currency: str
    total: str
    expires_on: str
    updated: str


def list_quotes(
    session: Session, *, status: str | None = None, deal_id: int | None = None, limit: int = 500
) -> list[QuoteRow]:
    """Quotes across deals for the list page (newest first), with the cached totals."""
    stmt = (
        select(Quote, Deal, Account)
        .join(Deal, Deal.id == Quote.deal_id)
        .join(Account, Account.id == Deal.account_id, isouter=True)
    )
    if deal_id is not None:
        stmt = stmt.where(Quote.deal_id == deal_id)
    rows = session.exec(stmt.order_by(Quote.updated_at.desc(), Quote.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
    today = org_today(session)
    out = []
    for quote, deal, account in rows:
        eff = effective_status(quote, today)
        if status and eff != status:
            continue
        out.append(
            QuoteRow(
                id=quote.id,
                label=quote_label(quote),
                title=quote.title,
                deal_id=deal.id,
                deal_title=deal.title,
                account=account.name if account else "",
                status=eff,
                version=quote.version,
                total_minor=quote.total_minor,
                currency=quote.currency,
                total=format_money(quote.total_minor, quote.currency),
                expires_on=formats.day(quote.expires_on) if quote.expires_on else "",
                updated=formats.day(quote.updated_at) if quote.updated_at else "",
            )
        )
    return out


def effective_status(quote: Quote, today: date) -> str:
    """'expired' is derived: a sent quote past its expiry date can no longer be accepted."""
    if quote.status == "sent" and quote.expires_on is not None and quote.expires_on < today:
        return "expired"
    return quote.status


# --- totals -----------------------------------------------------------------------------------


def _tax_map(session: Session, lines: Iterable[QuoteLine]) -> dict[int, TaxRate]:
    ids = {ln.tax_rate_id for ln in lines if ln.tax_rate_id is not None}
    if not ids:
        return {}
    return {r.id: r for r in session.exec(select(TaxRate).where(TaxRate.id.in_(ids)))}  # type: ignore[union-attr,misc]


def line_input(line: QuoteLine | dict, taxes: dict[int, TaxRate] | dict[int, dict], key: Any = None) -> LineInput:
    """The totals input of a stored line (or of a line dict the builder is editing)."""
    get = (lambda k: line.get(k)) if isinstance(line, dict) else (lambda k: getattr(line, k))  # noqa: E731
    tax_id = get("tax_rate_id") or None
    rate = taxes.get(int(tax_id)) if tax_id else None
    if isinstance(rate, dict):
        name, pct, inc = rate["name"], rate["percent"], rate["inclusive"]
    elif rate is not None:
        name, pct, inc = rate.name, rate.percent, rate.inclusive
    else:
        name, pct, inc, tax_id = "", Decimal(0), False, None
    return LineInput(
        key if key is not None else get("id"),
        get("quantity"),
        get("unit_price_minor"),
        get("discount_percent"),
        int(tax_id) if tax_id else None,
        name,
        pct,
        bool(inc),
        bool(get("optional")),
        bool(get("selected")),
        get("billing_kind") or "fixed",
    )


def quote_totals(
    session: Session, quote: Quote, lines: list[QuoteLine] | None = None, selected: set[int] | None = None
) -> Totals:
    """Totals of a stored quote; `selected` overrides which optional lines are ticked."""
    lines = quote_lines(session, quote.id) if lines is None else lines  # type: ignore[arg-type]
    taxes = _tax_map(session, lines)
    inputs = []
    for ln in lines:
        li = line_input(ln, taxes)
        if selected is not None and ln.optional:
            li = LineInput(**{**li.__dict__, "selected": ln.id in selected})
        inputs.append(li)
    return compute_totals(inputs, quote.discount_percent, tax_convention(session))


def _refresh(session: Session, quote: Quote) -> Totals:
    totals = quote_totals(session, quote)
    quote.subtotal_minor, quote.discount_minor = totals.subtotal_minor, totals.discount_minor
    quote.tax_minor, quote.total_minor = totals.tax_minor, totals.total_minor
    quote.updated_at = utcnow()
    session.add(quote)
    return totals
