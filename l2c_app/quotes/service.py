"""Use cases of the quotes stage: tax rates, the catalog, the builder, sending, versions,
and the client's answer. Plain functions `fn(session, ...)`; no Reflex import.

Every change is validated first and raises `QuoteError` (naming the field) before
anything is written, so bad input changes nothing. Every change is audited in the same
transaction. Totals always come from `quotes.totals.compute_totals`.

Threat model of the public side (`public_view`, `accept_quote`, `decline_quote`): the
caller is anyone holding the link. The token is 256 random bits (unguessable); it opens
this one quote version and nothing else of the organisation. Acceptance is a single
conditional UPDATE (status still 'sent'), so two concurrent clicks cannot both win.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from l2c_app.core import formats, timeutil
from l2c_app.core.audit import Actor, record_action, record_create, record_delete, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.errors import DomainError
from l2c_app.core.lines import tax_convention
from l2c_app.core.models import Organisation, User
from l2c_app.core.money import check_amount, format_money, minor_digits, to_minor
from l2c_app.core.notify import notify
from l2c_app.core.textlimits import plausible_token
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import DealClosed, DealStageChanged, QuoteEvent
from l2c_app.pipeline.models import Account, Contact, Deal, PipelineStage, StageChange
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.quotes.models import CatalogItem, Quote, QuoteLine, QuoteTemplate, TaxRate
from l2c_app.quotes.totals import LineInput, Totals, TotalsInputError, compute_totals

CATALOG_KINDS = {"fixed": "unit", "hourly": "hour", "recurring": "month"}
BILLING_KINDS = ("fixed", "milestone", "hourly", "recurring")
# Catalog kind -> billing kind of a line made from it.
_KIND_TO_BILLING = {"fixed": "fixed", "hourly": "hourly", "recurring": "recurring"}
EDITABLE = ("draft",)
DEFAULT_VALID_DAYS = 30
MAX_LINES = 1000


class QuoteError(DomainError):
    """A message for the person (or API client) who asked; `field` names the bad input."""


class NotFound(QuoteError):
    default_kind = "not_found"

    def __init__(self, what: str, field: str | None = None):
        super().__init__(f"{what} not found.", field)


# --- small parsers (the same for the UI, the API and the tests) ------------------------------

def parse_decimal(value: Any, field: str, label: str, *, places: int, minimum: Decimal | None = Decimal(0),
                  maximum: Decimal | None = None) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    text = str(value).strip().replace(",", ".") if value is not None else ""
    if text == "":
        raise QuoteError(f"{label} is required.", field)
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise QuoteError(f"{label} must be a number (got {value!r}).", field) from None
    if not d.is_finite():
        raise QuoteError(f"{label} must be a number (got {value!r}).", field)
    if minimum is not None and d < minimum:
        raise QuoteError(f"{label} cannot be negative." if minimum == 0 else f"{label} must be at least {minimum}.",
                         field)
    if maximum is not None and d > maximum:
        raise QuoteError(f"{label} must be at most {maximum}.", field)
    if d != d.quantize(Decimal(1).scaleb(-places)):
        raise QuoteError(f"{label} has at most {places} decimals.", field)
    return d


def parse_minor(value: Any, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise QuoteError(f"{label} must be a whole number of minor units (cents).", field) from None
    if value < 0:
        raise QuoteError(f"{label} cannot be negative.", field)
    return check_amount(value, field, label)


def parse_date(value: Any, field: str, label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise QuoteError(f"{label} must be a date like 2026-12-31 (got {value!r}).", field) from None


def _text(value: Any, field: str, label: str, max_len: int, required: bool = False) -> str | None:
    text = str(value).strip() if value is not None else ""
    if required and not text:
        raise QuoteError(f"{label} is required.", field)
    if len(text) > max_len:
        raise QuoteError(f"{label} is too long (at most {max_len} characters).", field)
    return text or None


MAX_QUANTITY = Decimal("99999999999")
LINE_VALUE_FIELDS = ("quantity", "unit_price", "discount_percent", "quote_discount")


def line_value(field: str, value: Any, currency: str = "EUR") -> Decimal | int:
    """THE rule for a figure typed into a quote: the builder checks each keystroke with it
    (a refused value is shown as invalid, with this message) and the service validates
    with it before writing. `unit_price` is typed in major units and returns minor units.
    Raises QuoteError naming the field."""
    if field == "quantity":
        return parse_decimal(value, "quantity", "Quantity", places=3, maximum=MAX_QUANTITY)
    if field == "discount_percent":
        return parse_decimal(value if str(value or "").strip() else "0", "discount_percent", "Line discount",
                             places=4, maximum=Decimal(100))
    if field == "quote_discount":
        return parse_decimal(value if str(value or "").strip() else "0", "discount_percent", "Quote discount",
                             places=4, maximum=Decimal(100))
    if field == "unit_price":
        text = str(value if value is not None else "").strip()
        try:
            minor = to_minor(text or "0", currency)
        except ValueError as exc:
            raise QuoteError(f"Unit price: {exc}", "unit_price") from None
        if minor < 0:
            raise QuoteError("Unit price cannot be negative.", "unit_price")
        try:
            return check_amount(minor, "unit_price", "Unit price")
        except DomainError as exc:
            raise QuoteError(exc.message, "unit_price") from None
    raise QuoteError(f"Unknown figure {field!r}.", field)


def line_value_error(field: str, value: Any, currency: str = "EUR") -> str:
    """The reason `value` is refused for `field`, or "" when `line_value` accepts it."""
    try:
        line_value(field, value, currency)
    except QuoteError as exc:
        return exc.message
    return ""


def qty_str(d: Decimal | int | str) -> str:
    """12.500 -> '12.5', 3.000 -> '3' (how a person writes a quantity)."""
    d = Decimal(d)
    text = format(d.normalize(), "f")
    return text


def pct_str(d: Decimal | int | str) -> str:
    return qty_str(d)


def _org(session: Session) -> Organisation | None:
    return get_organisation(session)


def org_today(session: Session) -> date:
    return timeutil.org_today(session)


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def public_url(quote: Quote) -> str:
    return f"{get_settings().app_base_url}/q/{quote.public_token}"


def quote_label(quote: Quote) -> str:
    return f"Q{quote.deal_id}-{quote.number} v{quote.version}"


# --- tax rates --------------------------------------------------------------------------------

def list_tax_rates(session: Session, include_archived: bool = False) -> list[TaxRate]:
    stmt = select(TaxRate).order_by(TaxRate.name, TaxRate.id)
    if not include_archived:
        stmt = stmt.where(TaxRate.archived_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(stmt))


def _tax_in_use(session: Session, tax_rate_id: int) -> bool:
    used_by_line = session.exec(select(func.count()).select_from(QuoteLine)
                                .where(QuoteLine.tax_rate_id == tax_rate_id)).one()
    used_by_item = session.exec(select(func.count()).select_from(CatalogItem)
                                .where(CatalogItem.tax_rate_id == tax_rate_id)).one()
    return bool(used_by_line or used_by_item)


def _tax_fields(name: Any, percent: Any) -> tuple[str, Decimal]:
    return (_text(name, "name", "Tax name", 100, required=True),  # type: ignore[return-value]
            parse_decimal(percent, "percent", "Tax percent", places=4, maximum=Decimal(100)))


def create_tax_rate(session: Session, actor: Actor, *, name: Any, percent: Any, inclusive: bool = False) -> TaxRate:
    name, pct = _tax_fields(name, percent)
    rate = TaxRate(name=name, percent=pct, inclusive=bool(inclusive))
    session.add(rate)
    record_create(session, actor, rate)
    return rate


def get_tax_rate(session: Session, tax_rate_id: int) -> TaxRate:
    rate = session.get(TaxRate, tax_rate_id)
    if rate is None:
        raise NotFound(f"Tax rate {tax_rate_id}", "tax_rate_id")
    return rate


def update_tax_rate(session: Session, actor: Actor, tax_rate_id: int, *, name: Any, percent: Any,
                    inclusive: bool) -> TaxRate:
    """A rate in use keeps its percent and mode (sent quotes must not change): archive it and add a new one."""
    rate = get_tax_rate(session, tax_rate_id)
    name, pct = _tax_fields(name, percent)
    if (pct != rate.percent or bool(inclusive) != rate.inclusive) and _tax_in_use(session, rate.id):  # type: ignore[arg-type]
        raise QuoteError(f"{rate.name} is used by quotes or catalog items: its percent cannot change. "
                         "Archive it and create a new rate.", "percent")
    before = snapshot(rate)
    rate.name, rate.percent, rate.inclusive = name, pct, bool(inclusive)
    record_update(session, actor, rate, before)
    return rate


def remove_tax_rate(session: Session, actor: Actor, tax_rate_id: int) -> str:
    """Delete an unused rate; archive one that is in use. Returns 'deleted' or 'archived'."""
    rate = get_tax_rate(session, tax_rate_id)
    return _archive_or_delete(session, actor, rate, _tax_in_use(session, tax_rate_id))


def restore_tax_rate(session: Session, actor: Actor, tax_rate_id: int) -> TaxRate:
    return _restore(session, actor, get_tax_rate(session, tax_rate_id))


def _usable_tax(session: Session, tax_rate_id: Any, field: str = "tax_rate_id",
                allow_archived_id: int | None = None) -> int | None:
    if tax_rate_id in (None, "", 0, "0", "none"):
        return None
    try:
        tid = int(tax_rate_id)
    except (TypeError, ValueError):
        raise QuoteError(f"Unknown tax rate {tax_rate_id!r}.", field) from None
    rate = session.get(TaxRate, tid)
    if rate is None:
        raise QuoteError(f"Unknown tax rate {tax_rate_id!r}: define it under Settings > Catalog first.", field)
    if rate.archived_at is not None and tid != allow_archived_id:
        raise QuoteError(f"The tax rate {rate.name} is archived; choose another.", field)
    return tid


# --- catalog ----------------------------------------------------------------------------------

def list_catalog(session: Session, include_archived: bool = False) -> list[CatalogItem]:
    stmt = select(CatalogItem).order_by(CatalogItem.name, CatalogItem.id)
    if not include_archived:
        stmt = stmt.where(CatalogItem.archived_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(stmt))


def get_catalog_item(session: Session, item_id: int) -> CatalogItem:
    item = session.get(CatalogItem, item_id)
    if item is None:
        raise NotFound(f"Catalog item {item_id}", "catalog_item_id")
    return item


def _catalog_fields(session: Session, data: dict[str, Any], current: CatalogItem | None = None) -> dict[str, Any]:
    kind = str(data.get("kind", current.kind if current else "fixed")).strip()
    if kind not in CATALOG_KINDS:
        raise QuoteError(f"Kind must be one of: {', '.join(CATALOG_KINDS)}.", "kind")
    currency = str(data.get("currency", current.currency if current else "")).strip().upper()
    if not currency:
        org = _org(session)
        currency = org.currency if org else "EUR"
    if len(currency) != 3 or not currency.isalpha():
        raise QuoteError("Currency must be an ISO code like EUR.", "currency")
    role = _text(data.get("role", current.role if current else None), "role", "Role", 100)
    if kind == "hourly" and not role:
        raise QuoteError("An hourly item needs a role, e.g. Senior developer.", "role")
    return {
        "name": _text(data.get("name", current.name if current else None), "name", "Name", 200, required=True),
        "description": _text(data.get("description", current.description if current else None), "description",
                             "Description", 5000),
        "kind": kind,
        "unit": _text(data.get("unit") or (current.unit if current and "kind" not in data else CATALOG_KINDS[kind]),
                      "unit", "Unit", 20, required=True),
        "role": role if kind == "hourly" else None,
        "unit_price_minor": parse_minor(data.get("unit_price_minor", current.unit_price_minor if current else None),
                                        "unit_price_minor", "Price"),
        "currency": currency,
        "tax_rate_id": _usable_tax(session, data.get("tax_rate_id", current.tax_rate_id if current else None),
                                   allow_archived_id=current.tax_rate_id if current else None),
    }


def create_catalog_item(session: Session, actor: Actor, **data: Any) -> CatalogItem:
    item = CatalogItem(**_catalog_fields(session, data))
    session.add(item)
    record_create(session, actor, item)
    return item


def update_catalog_item(session: Session, actor: Actor, item_id: int, **data: Any) -> CatalogItem:
    item = get_catalog_item(session, item_id)
    fields = _catalog_fields(session, data, item)
    before = snapshot(item)
    for k, v in fields.items():
        setattr(item, k, v)
    record_update(session, actor, item, before)
    return item


def remove_catalog_item(session: Session, actor: Actor, item_id: int) -> str:
    """Delete an unused item; archive one a quote already uses. Returns 'deleted' or 'archived'."""
    item = get_catalog_item(session, item_id)
    used = session.exec(select(func.count()).select_from(QuoteLine).where(QuoteLine.catalog_item_id == item_id)).one()
    return _archive_or_delete(session, actor, item, bool(used))


def restore_catalog_item(session: Session, actor: Actor, item_id: int) -> CatalogItem:
    return _restore(session, actor, get_catalog_item(session, item_id))


def _archive_or_delete(session: Session, actor: Actor, row, used: bool) -> str:
    """Once used by a quote, a rate or an item is archived (old quotes keep pointing at it);
    never used, it is deleted."""
    if used:
        before = snapshot(row)
        row.archived_at = row.archived_at or utcnow()
        record_update(session, actor, row, before, action="archive")
        return "archived"
    record_delete(session, actor, row)
    session.delete(row)
    return "deleted"


def _restore(session: Session, actor: Actor, row):
    before = snapshot(row)
    row.archived_at = None
    record_update(session, actor, row, before, action="restore")
    return row


# --- quotes: create, read ---------------------------------------------------------------------

def get_quote(session: Session, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(f"Quote {quote_id}", "quote_id")
    return quote


def quote_lines(session: Session, quote_id: int) -> list[QuoteLine]:
    return list(session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote_id)
                             .order_by(QuoteLine.position, QuoteLine.id)))


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


def create_quote_from_deal(session: Session, actor: Actor, deal_id: int, *, title: str | None = None,
                           currency: str | None = None, contact_id: int | None = None,
                           expires_on: Any = None) -> Quote:
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
        deal_id=deal_id, number=(last or 0) + 1, version=1, status="draft",
        title=_text(title, "title", "Title", 200) or deal.title, currency=cur, contact_id=contact,
        owner_id=deal.owner_id or actor.user_id, expires_on=expiry, public_token=_new_token(),
        terms=(org.settings or {}).get("quote_default_terms") if org else None,
    )
    session.add(quote)
    record_create(session, actor, quote)
    add_deal_event(session, deal_id, f"Quote {quote_label(quote)} drafted", user_id=actor.user_id)
    return quote


def list_quotes(session: Session, *, status: str | None = None, deal_id: int | None = None,
                limit: int = 500) -> list[dict]:
    """Quotes across deals for the list page (newest first), with the cached totals."""
    stmt = (select(Quote, Deal, Account).join(Deal, Deal.id == Quote.deal_id)
            .join(Account, Account.id == Deal.account_id, isouter=True))
    if deal_id is not None:
        stmt = stmt.where(Quote.deal_id == deal_id)
    rows = session.exec(stmt.order_by(Quote.updated_at.desc(), Quote.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
    today = org_today(session)
    out = []
    for quote, deal, account in rows:
        eff = effective_status(quote, today)
        if status and eff != status:
            continue
        out.append({"id": quote.id, "label": quote_label(quote), "title": quote.title, "deal_id": deal.id,
                    "deal_title": deal.title, "account": account.name if account else "", "status": eff,
                    "version": quote.version, "total_minor": quote.total_minor, "currency": quote.currency,
                    "total": format_money(quote.total_minor, quote.currency),
                    "expires_on": formats.day(quote.expires_on) if quote.expires_on else "",
                    "updated": formats.day(quote.updated_at) if quote.updated_at else ""})
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
    return LineInput(key if key is not None else get("id"), get("quantity"), get("unit_price_minor"),
                     get("discount_percent"), int(tax_id) if tax_id else None, name, pct, bool(inc),
                     bool(get("optional")), bool(get("selected")), get("billing_kind") or "fixed")


def quote_totals(session: Session, quote: Quote, lines: list[QuoteLine] | None = None,
                 selected: set[int] | None = None) -> Totals:
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


# --- the builder ------------------------------------------------------------------------------

def _editable(session: Session, quote_id: int) -> Quote:
    quote = get_quote(session, quote_id)
    if quote.status not in EDITABLE:
        raise QuoteError(f"This quote is {effective_status(quote, org_today(session))}: only drafts can be edited. "
                         "Use Revise to make a new version.", "status", kind="conflict")
    return quote


LINE_FIELDS = ("description", "quantity", "unit", "unit_price_minor", "discount_percent", "tax_rate_id",
               "billing_kind", "role", "due_date", "section", "optional", "selected", "catalog_item_id")


def _line_fields(session: Session, data: dict[str, Any], current: QuoteLine | None) -> dict[str, Any]:
    """Validate the given line fields (all of them for a new line). Raises before any write."""
    unknown = set(data) - set(LINE_FIELDS)
    if unknown:
        raise QuoteError(f"Unknown line field(s): {', '.join(sorted(unknown))}.", sorted(unknown)[0])
    out: dict[str, Any] = {}
    if "description" in data or current is None:
        out["description"] = _text(data.get("description"), "description", "Description", 500, required=True)
    if "quantity" in data or current is None:
        out["quantity"] = line_value("quantity", data.get("quantity", "1"))
    if "unit" in data:
        out["unit"] = _text(data.get("unit"), "unit", "Unit", 20) or "unit"
    if "unit_price_minor" in data or current is None:
        out["unit_price_minor"] = parse_minor(data.get("unit_price_minor", 0), "unit_price_minor", "Unit price")
    if "discount_percent" in data:
        out["discount_percent"] = line_value("discount_percent", data.get("discount_percent"))
    if "tax_rate_id" in data:
        out["tax_rate_id"] = _usable_tax(session, data.get("tax_rate_id"),
                                         allow_archived_id=current.tax_rate_id if current else None)
    if "billing_kind" in data:
        kind = str(data.get("billing_kind") or "fixed").strip()
        if kind not in BILLING_KINDS:
            raise QuoteError(f"Billing kind must be one of: {', '.join(BILLING_KINDS)}.", "billing_kind")
        out["billing_kind"] = kind
    if "role" in data:
        out["role"] = _text(data.get("role"), "role", "Role", 100)
    if "due_date" in data:
        out["due_date"] = parse_date(data.get("due_date"), "due_date", "Due date")
    if "section" in data:
        out["section"] = _text(data.get("section"), "section", "Section", 200)
    if "optional" in data:
        out["optional"] = bool(data.get("optional"))
    if "selected" in data:
        out["selected"] = bool(data.get("selected"))
    if "catalog_item_id" in data:
        out["catalog_item_id"] = data.get("catalog_item_id") or None
    return out


def add_line(session: Session, actor: Actor, quote_id: int, **data: Any) -> QuoteLine:
    """A line typed freely, or from a catalog item (`catalog_item_id`): the item fills in
    description, unit, price, tax and billing kind; anything given explicitly wins."""
    quote = _editable(session, quote_id)
    count = session.exec(select(func.count()).select_from(QuoteLine).where(QuoteLine.quote_id == quote_id)).one()
    if count >= MAX_LINES:
        raise QuoteError(f"A quote holds at most {MAX_LINES} lines.", "lines")
    item_id = data.get("catalog_item_id")
    if item_id not in (None, "", 0):
        try:
            item = session.get(CatalogItem, int(item_id))
        except (TypeError, ValueError):
            item = None
        if item is None:
            raise QuoteError(f"Unknown catalog item {item_id!r}.", "catalog_item_id")
        if item.archived_at is not None:
            raise QuoteError(f"{item.name} is archived in the catalog.", "catalog_item_id")
        if item.currency != quote.currency:
            raise QuoteError(f"{item.name} is priced in {item.currency}; this quote is in {quote.currency}.",
                             "catalog_item_id")
        defaults = {"description": item.name, "unit": item.unit, "unit_price_minor": item.unit_price_minor,
                    "tax_rate_id": item.tax_rate_id, "billing_kind": _KIND_TO_BILLING[item.kind],
                    "role": item.role, "catalog_item_id": item.id}
        data = {**defaults, **{k: v for k, v in data.items() if v is not None}}
        data["catalog_item_id"] = item.id
    else:
        data = {k: v for k, v in data.items() if k != "catalog_item_id"}
        data.setdefault("tax_rate_id", None)
    position = data.pop("position", None)
    fields = _line_fields(session, data, None)
    if fields.get("optional") and "selected" not in data:
        fields["selected"] = False  # the client ticks optional lines
    last = session.exec(select(func.max(QuoteLine.position)).where(QuoteLine.quote_id == quote_id)).one()
    existing = quote_lines(session, quote_id)
    if "section" not in data:  # a new line lands under the last heading shown (an empty one too)
        fields["section"] = last_heading(quote_sections(quote, existing), [ln.section for ln in existing])
    _remember_sections(quote, existing, fields.get("section"))
    line = QuoteLine(quote_id=quote_id, position=(last if last is not None else -1) + 1, **fields)
    _check_line_totals(session, quote, line)
    session.add(line)
    record_create(session, actor, line)
    if position is not None:
        ids = [ln.id for ln in quote_lines(session, quote_id) if ln.id != line.id]
        ids.insert(max(0, min(int(position), len(ids))), line.id)
        _apply_order(session, ids)
    _refresh(session, quote)
    return line


def _check_line_totals(session: Session, quote: Quote, line: QuoteLine) -> None:
    try:
        totals = compute_totals([line_input(line, _tax_map(session, [line]), key=0)], quote.discount_percent)
    except TotalsInputError as exc:
        raise QuoteError(str(exc), exc.field) from None
    check_line_amount(totals.total_minor)


def check_line_amount(amount_minor: int) -> int:
    """quantity x price can pass what a money column holds even when each figure is in range."""
    return check_amount(amount_minor, "quantity", "The line's amount")


def get_line(session: Session, line_id: int) -> QuoteLine:
    line = session.get(QuoteLine, line_id)
    if line is None:
        raise NotFound(f"Line {line_id}", "line_id")
    return line


def update_line(session: Session, actor: Actor, line_id: int, **data: Any) -> QuoteLine:
    line = get_line(session, line_id)
    quote = _editable(session, line.quote_id)
    fields = _line_fields(session, data, line)
    if fields.get("optional") is True and not line.optional and "selected" not in data:
        fields["selected"] = False
    if fields.get("optional") is False:
        fields["selected"] = True
    if "section" in fields:  # the heading the line leaves stays (an empty section is kept)
        _remember_sections(quote, quote_lines(session, quote.id), fields["section"])
    before = snapshot(line)
    for k, v in fields.items():
        setattr(line, k, v)
    _check_line_totals(session, quote, line)
    record_update(session, actor, line, before)
    _refresh(session, quote)
    return line


def remove_line(session: Session, actor: Actor, line_id: int) -> None:
    line = get_line(session, line_id)
    quote = _editable(session, line.quote_id)
    record_delete(session, actor, line)
    session.delete(line)
    session.flush()
    _apply_order(session, [ln.id for ln in quote_lines(session, quote.id)])
    _refresh(session, quote)


def _apply_order(session: Session, ids: list[int]) -> None:
    for pos, lid in enumerate(ids):
        ln = session.get(QuoteLine, lid)
        if ln is not None and ln.position != pos:
            ln.position = pos
            session.add(ln)
    session.flush()


def reorder_lines(session: Session, actor: Actor, quote_id: int, line_ids: list[int]) -> None:
    """Put the quote's lines in exactly this order (drag and drop, API)."""
    quote = _editable(session, quote_id)
    current = [ln.id for ln in quote_lines(session, quote_id)]
    try:
        wanted = [int(i) for i in line_ids]
    except (TypeError, ValueError):
        raise QuoteError("line_ids must be the ids of this quote's lines.", "line_ids") from None
    if sorted(wanted) != sorted(current):  # type: ignore[type-var]
        raise QuoteError("line_ids must list every line of this quote exactly once.", "line_ids")
    _apply_order(session, wanted)
    record_action(session, actor, "quote", quote.id, "reorder_lines", {"line_ids": wanted})
    quote.updated_at = utcnow()


def move_line(session: Session, actor: Actor, line_id: int, delta: int) -> None:
    """Up (-1) or down (+1) by one place on the builder's outline; at either end nothing
    changes. Next to a heading the line crosses it (same place, new section): the heading
    stays, even when its section is left empty."""
    line = get_line(session, line_id)
    quote = get_quote(session, line.quote_id)
    lines = quote_lines(session, line.quote_id)
    ids = [ln.id for ln in lines]
    i = ids.index(line_id)
    entries = outline(quote_sections(quote, lines), [ln.section for ln in lines])
    me = entries.index(("line", i))
    n = me + (1 if delta > 0 else -1)
    if not 0 <= n < len(entries):
        return
    kind, value = entries[n]
    if kind == "line":
        other = lines[int(value)]
        if (other.section or None) != (line.section or None):
            update_line(session, actor, line.id, section=other.section)
            return
        j = int(value)
        ids[i], ids[j] = ids[j], ids[i]
        reorder_lines(session, actor, line.quote_id, ids)  # type: ignore[arg-type]
        return
    if value != (line.section or None) or delta > 0:
        target = value  # the next section's heading (or an empty one): the line joins it
    elif n == 0:
        return  # the first heading: nothing above to join
    else:
        above_kind, above = entries[n - 1]
        target = above if above_kind == "heading" else lines[int(above)].section
    update_line(session, actor, line.id, section=target)


def move_line_to(session: Session, actor: Actor, line_id: int, target_line_id: int) -> None:
    """Drag and drop: the dragged line takes the target line's place (and its section)."""
    line = get_line(session, line_id)
    target = get_line(session, target_line_id)
    if line.quote_id != target.quote_id:
        raise QuoteError("Lines belong to different quotes.", "line_id")
    if line.id == target.id:
        return
    ids = [ln.id for ln in quote_lines(session, line.quote_id) if ln.id != line.id]
    ids.insert(ids.index(target.id) + (1 if line.position < target.position else 0), line.id)
    if line.section != target.section:
        update_line(session, actor, line.id, section=target.section)
    reorder_lines(session, actor, line.quote_id, ids)  # type: ignore[arg-type]


QUOTE_FIELDS = ("title", "discount_percent", "notes", "terms", "expires_on", "contact_id")


def update_quote(session: Session, actor: Actor, quote_id: int, **data: Any) -> Quote:
    quote = _editable(session, quote_id)
    unknown = set(data) - set(QUOTE_FIELDS)
    if unknown:
        raise QuoteError(f"Unknown quote field(s): {', '.join(sorted(unknown))}.", sorted(unknown)[0])
    fields: dict[str, Any] = {}
    if "title" in data:
        fields["title"] = _text(data["title"], "title", "Title", 200, required=True)
    if "discount_percent" in data:
        fields["discount_percent"] = line_value("quote_discount", data["discount_percent"])
    if "notes" in data:
        fields["notes"] = _text(data["notes"], "notes", "Notes", 20000)
    if "terms" in data:
        fields["terms"] = _text(data["terms"], "terms", "Terms", 20000)
    if "expires_on" in data:
        fields["expires_on"] = parse_date(data["expires_on"], "expires_on", "Expiry date")
    if "contact_id" in data:
        cid = data["contact_id"] or None
        _contact_of_deal(session, cid, session.get(Deal, quote.deal_id))
        fields["contact_id"] = int(cid) if cid else None
    before = snapshot(quote)
    for k, v in fields.items():
        setattr(quote, k, v)
    record_update(session, actor, quote, before)
    _refresh(session, quote)
    return quote


# --- send and revise --------------------------------------------------------------------------

def _problems_before_send(session: Session, quote: Quote, lines: list[QuoteLine]) -> tuple[str, str] | None:
    if not lines:
        return "Add at least one line before sending.", "lines"
    for ln in lines:
        if ln.billing_kind == "milestone" and ln.due_date is None:
            return f"The milestone line '{ln.description}' needs a due date.", "due_date"
        if ln.billing_kind == "hourly" and not ln.role:
            return f"The hourly line '{ln.description}' needs a role.", "role"
    if quote.expires_on is not None and quote.expires_on < org_today(session):
        return "The expiry date is in the past; set a new one before sending.", "expires_on"
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    if contact is None or not contact.email:
        return "The quote needs a contact with an e-mail address to send it to.", "contact_id"
    return None


def _email_values(session: Session, quote: Quote, actor: Actor) -> dict[str, str]:
    """The merge fields of a quote's e-mail (core.mailmerge), from the quote as it is now."""
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    deal = session.get(Deal, quote.deal_id)
    account = session.get(Account, deal.account_id) if deal is not None and deal.account_id else None
    org = _org(session)
    org_name = org.name if org else "l2c"
    sender = session.get(User, actor.user_id) if actor.user_id else None
    total = quote_totals(session, quote).total_minor  # the one money path (quotes/totals), never re-added here
    return {"client_name": account.name if account else (contact.name if contact else ""),
            "contact_name": contact.name if contact else "", "document_number": quote_label(quote),
            "document_title": quote.title, "total": format_money(total, quote.currency), "link": public_url(quote),
            "due_date": formats.day(quote.expires_on) if quote.expires_on else "", "org_name": org_name,
            "sender_name": sender.name if sender else org_name}


def email_draft(session: Session, actor: Actor, quote_id: int):
    """What the composer opens with: today's quote e-mail as a template, and its values."""
    from l2c_app.core.mailmerge import Draft

    quote = get_quote(session, quote_id)
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    expiry = "\nThis proposal is valid until {due_date}." if quote.expires_on else ""
    body = ("Hello {contact_name},\n\n"
            "Please find our proposal \"{document_title}\" ({document_number}) attached, for a total of {total}.\n\n"
            f"You can review it, choose the optional items and accept it online:\n{{link}}\n{expiry}\n\n"
            "Kind regards,\n{sender_name}\n{org_name}")
    return Draft(to=contact.email if contact and contact.email else "",
                 subject="{org_name}: proposal {document_title} ({document_number})", body=body,
                 values=_email_values(session, quote, actor))


def send_quote(session: Session, actor: Actor, quote_id: int, message=None):
    """E-mail the contact the PDF and the public link; the quote becomes 'sent'. `message`
    (core.mailmerge.Message, from the composer): recipient, cc, subject and body templates;
    without it, today's default e-mail (email_draft)."""
    from l2c_app.core.mailmerge import Message, parse_addresses, parse_recipient, rendered
    from l2c_app.integrations.email import send_mail
    from l2c_app.quotes.pdf import quote_pdf_document

    quote = _editable(session, quote_id)
    lines = quote_lines(session, quote_id)
    problem = _problems_before_send(session, quote, lines)
    if problem:
        raise QuoteError(*problem)
    _refresh(session, quote)
    contact = session.get(Contact, quote.contact_id)  # type: ignore[arg-type]
    # The message is checked (address, cc, merge fields) before anything changes.
    draft = email_draft(session, actor, quote.id)
    message = message or Message(to=draft.to, subject=draft.subject, body=draft.body)
    to = parse_recipient((message.to or "").strip() or contact.email)  # type: ignore[union-attr,arg-type]
    cc = parse_addresses(message.cc)
    subject, body = rendered(message, draft.values)
    before = snapshot(quote)
    # Conditional: of two Send clicks at once, one sends and the other is told.
    sent_at = utcnow()
    if session.execute(update(Quote).where(Quote.id == quote.id, Quote.status == "draft")
                       .values(status="sent", sent_at=sent_at)).rowcount != 1:
        raise QuoteError("This quote has just been sent.", "status", kind="conflict")
    quote.status, quote.sent_at = "sent", sent_at
    doc = quote_pdf_document(session, quote)
    link = public_url(quote)
    mail = send_mail(session, to=to, cc=cc, subject=subject,  # type: ignore[arg-type]
                     body=body, link=link, attachments=[doc], related=("quote", quote.id))  # type: ignore[arg-type]
    record_update(session, actor, quote, before, action="send")
    emit(session, "quote.sent", QuoteEvent(quote_id=quote.id, deal_id=quote.deal_id, total_minor=quote.total_minor,
                                           currency=quote.currency))
    add_deal_event(session, quote.deal_id, f"Quote {quote_label(quote)} sent to {to}",
                   body=f"Total {format_money(quote.total_minor, quote.currency)}", user_id=actor.user_id)
    return mail


def revise_quote(session: Session, actor: Actor, quote_id: int) -> Quote:
    """Copy a sent (or declined, or expired) quote to a new draft version; the old one is
    marked superseded and stays readable (its link shows that a newer version exists)."""
    old = get_quote(session, quote_id)
    if old.status not in ("sent", "declined"):
        msg = {"draft": "This quote is still a draft: edit it directly.",
               "accepted": "An accepted quote cannot be revised; create a new quote instead.",
               "superseded": "A newer version exists: revise the latest version."}.get(old.status, "Cannot revise.")
        raise QuoteError(msg, "status", kind="conflict")
    before = snapshot(old)
    latest = session.exec(select(func.max(Quote.version)).where(Quote.deal_id == old.deal_id,
                                                                Quote.number == old.number)).one()
    new = Quote(**{k: getattr(old, k) for k in ("deal_id", "number", "title", "currency", "contact_id", "owner_id",
                                                "discount_percent", "notes", "terms")},
                sections=quote_sections(old, quote_lines(session, old.id)),
                version=(latest or old.version) + 1, revision_of_id=old.id, status="draft",
                public_token=_new_token(), expires_on=max(old.expires_on or date.min, org_today(session) + timedelta(
                    days=DEFAULT_VALID_DAYS)))
    session.add(new)
    record_create(session, actor, new)
    for ln in quote_lines(session, old.id):
        copy = QuoteLine(**{k: getattr(ln, k) for k in LINE_FIELDS if k != "selected"}, quote_id=new.id,
                         position=ln.position, selected=not ln.optional)
        session.add(copy)
    old.status = "superseded"
    old.updated_at = utcnow()
    record_update(session, actor, old, before, action="supersede")
    session.flush()
    _refresh(session, new)
    add_deal_event(session, old.deal_id, f"Quote {quote_label(old)} revised as {quote_label(new)}",
                   user_id=actor.user_id)
    return new


# --- the client's answer (public, by token) ---------------------------------------------------

def _by_token(session: Session, token: str) -> Quote:
    if not plausible_token(token, 64):
        raise QuoteError("This link is not valid.", "token", kind="not_found")
    quote = session.exec(select(Quote).where(Quote.public_token == token)).first()
    if quote is None or quote.status == "draft":  # drafts are not for the client's eyes yet
        raise QuoteError("This link is not valid.", "token", kind="not_found")
    return quote


def _answerable(session: Session, quote: Quote) -> None:
    """Refuse (changing nothing) unless the client may still answer this quote."""
    status = effective_status(quote, org_today(session))
    if status == "sent":
        return
    messages = {
        "expired": f"This quote expired on {formats.day(quote.expires_on) if quote.expires_on else ''}. "
                   "Please ask us for an updated version.",
        "superseded": "This version has been replaced by a newer one. Please use the link in our latest e-mail.",
        "declined": "This quote was declined. Please ask us for a new version if you changed your mind.",
        "accepted": "This quote has already been accepted. Thank you!",
    }
    raise QuoteError(messages.get(status, "This quote cannot be answered."), "status", kind="conflict")


def _client_actor(name: str) -> Actor:
    return Actor("client", None, name[:60])


def accept_quote(session: Session, token: str, *, name: Any, agreed: bool, ip: str | None = None,
                 user_agent: str | None = None, selected_line_ids: Iterable[int] = ()) -> Quote:
    quote = _by_token(session, token)
    _answerable(session, quote)
    typed = " ".join(str(name or "").split())
    if len(typed) < 2 or not any(ch.isalpha() for ch in typed):
        raise QuoteError("Type your full name to accept.", "name")
    if len(typed) > 200:
        raise QuoteError("The name is too long (at most 200 characters).", "name")
    if not agreed:
        raise QuoteError("Tick the box to confirm that you accept this quote.", "agreed")
    lines = quote_lines(session, quote.id)
    optional_ids = {ln.id for ln in lines if ln.optional}
    try:
        chosen = {int(i) for i in selected_line_ids}
    except (TypeError, ValueError):
        raise QuoteError("Unknown optional line.", "selected_line_ids") from None
    if not chosen <= optional_ids:
        raise QuoteError("Only optional lines of this quote can be chosen.", "selected_line_ids")
    # One conditional UPDATE decides who wins when two answers arrive at once.
    now = utcnow()
    won = session.execute(update(Quote).where(Quote.id == quote.id, Quote.status == "sent")
                          .values(status="accepted")).rowcount
    if won != 1:
        raise QuoteError("This quote has just been answered.", "status", kind="conflict")
    session.refresh(quote)
    before = {**snapshot(quote), "status": "sent"}
    actor = _client_actor(typed)
    for ln in lines:
        if ln.optional:
            ln.selected = ln.id in chosen
            session.add(ln)
    quote.accepted_at, quote.accepted_name = now, typed
    quote.accepted_ip = (ip or "")[:64] or None
    quote.accepted_user_agent = (user_agent or "")[:400] or None
    totals = _refresh(session, quote)
    record_update(session, actor, quote, before, action="accept")
    emit(session, "quote.accepted", QuoteEvent(quote_id=quote.id, deal_id=quote.deal_id,
                                               total_minor=totals.total_minor, currency=quote.currency))
    picked = [ln.description for ln in lines if ln.optional and ln.id in chosen]
    add_deal_event(session, quote.deal_id, f"Quote {quote_label(quote)} accepted by {typed}",
                   body=f"Total {format_money(totals.total_minor, quote.currency)}"
                        + (f"; options chosen: {', '.join(picked)}" if picked else "")
                        + f". IP {quote.accepted_ip or '?'}")
    deal = session.get(Deal, quote.deal_id)
    org = _org(session)
    if deal is not None and (org is None or (org.settings or {}).get("quote_accept_wins_deal") is not False):
        _win_deal(session, actor, deal, quote)
    owner = quote.owner_id or (deal.owner_id if deal else None)
    notify(session, owner, "quote_accepted",
           f"{typed} accepted {quote_label(quote)} ({format_money(totals.total_minor, quote.currency)})"
           + (f" on {deal.title}" if deal else ""), link=f"/quotes/{quote.id}")
    return quote


def _won_stage(session: Session) -> PipelineStage:
    stage = session.exec(select(PipelineStage).where(PipelineStage.kind == "won")
                         .order_by(PipelineStage.position, PipelineStage.id)).first()
    if stage is None:
        last = session.exec(select(func.max(PipelineStage.position))).one()
        stage = PipelineStage(name="Won", position=(last or 0) + 1, probability=100, kind="won")
        session.add(stage)
        record_create(session, Actor("system", None, "quotes"), stage)
    return stage


def _win_deal(session: Session, actor: Actor, deal: Deal, quote: Quote) -> None:
    """Mark the deal won (stage, status, close date, value = the accepted total net of tax), audited."""
    if deal.status == "won":
        return
    stage = _won_stage(session)
    before = snapshot(deal)
    now = utcnow()
    from_stage = deal.stage_id
    deal.stage_id, deal.status, deal.closed_at = stage.id, "won", now  # type: ignore[assignment]
    deal.stage_entered_at = deal.updated_at = now
    if quote.currency == deal.currency:
        # Deal values are net of tax everywhere (pipeline, won this month, contract value):
        # the total less every tax, inclusive ones too.
        deal.value_minor = quote.total_minor - quote.tax_minor
    session.add(StageChange(deal_id=deal.id, from_stage_id=from_stage, to_stage_id=stage.id,  # type: ignore[arg-type]
                            via="system", at=now))
    record_update(session, actor, deal, before, action="won")
    add_deal_event(session, deal.id, f"Deal won: quote {quote_label(quote)} accepted")
    emit(session, "deal.stage_changed", DealStageChanged(deal_id=deal.id, stage_id=stage.id,
                                                         previous_stage_id=from_stage))
    emit(session, "deal.won", DealClosed(deal_id=deal.id, amount_minor=deal.value_minor, currency=deal.currency))


def decline_quote(session: Session, token: str, *, reason: Any, ip: str | None = None,
                  user_agent: str | None = None) -> Quote:
    quote = _by_token(session, token)
    _answerable(session, quote)
    text = _text(reason, "reason", "Reason", 500)
    if not text:
        raise QuoteError("Tell us in a few words why you decline, so we can do better.", "reason")
    won = session.execute(update(Quote).where(Quote.id == quote.id, Quote.status == "sent")
                          .values(status="declined")).rowcount
    if won != 1:
        raise QuoteError("This quote has just been answered.", "status", kind="conflict")
    session.refresh(quote)
    before = {**snapshot(quote), "status": "sent"}
    quote.declined_at, quote.decline_reason = utcnow(), text
    quote.updated_at = utcnow()
    record_update(session, _client_actor("quote link"), quote, before, action="decline")
    emit(session, "quote.declined", QuoteEvent(quote_id=quote.id, deal_id=quote.deal_id,
                                               total_minor=quote.total_minor, currency=quote.currency))
    record_action(session, _client_actor("quote link"), "quote", quote.id, "decline_context",
                  {"ip": (ip or "")[:64], "user_agent": (user_agent or "")[:400]})
    add_deal_event(session, quote.deal_id, f"Quote {quote_label(quote)} declined", body=text)
    deal = session.get(Deal, quote.deal_id)
    notify(session, quote.owner_id or (deal.owner_id if deal else None), "quote_declined",
           f"{quote_label(quote)} was declined: {text}", link=f"/quotes/{quote.id}")
    return quote


# --- views: one dict for the page, the PDF and the API ----------------------------------------

def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency)


def quote_view(session: Session, quote: Quote | int, *, selected: set[int] | None = None,
               public: bool = False) -> dict[str, Any]:
    """Everything shown about one quote version. `public` leaves out internal fields."""
    if isinstance(quote, int):
        quote = get_quote(session, quote)
    lines = quote_lines(session, quote.id)  # type: ignore[arg-type]
    taxes = _tax_map(session, lines)
    totals = quote_totals(session, quote, lines, selected)
    cur = quote.currency
    deal = session.get(Deal, quote.deal_id)
    account = session.get(Account, deal.account_id) if deal and deal.account_id else None
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    owner = session.get(User, quote.owner_id) if quote.owner_id else None
    org = _org(session)
    status = effective_status(quote, org_today(session))
    line_dicts = []
    for ln in lines:
        lt = totals.line(ln.id)
        rate = taxes.get(ln.tax_rate_id) if ln.tax_rate_id else None  # type: ignore[arg-type]
        line_dicts.append({
            "id": ln.id, "position": ln.position, "section": ln.section or "", "description": ln.description,
            "quantity": qty_str(ln.quantity), "unit": ln.unit, "unit_price_minor": ln.unit_price_minor,
            "unit_price": _money(ln.unit_price_minor, cur), "discount_percent": pct_str(ln.discount_percent),
            "tax_rate_id": ln.tax_rate_id, "tax_name": rate.name if rate else "",
            "billing_kind": ln.billing_kind, "role": ln.role or "",
            "due_date": ln.due_date.isoformat() if ln.due_date else "", "optional": ln.optional,
            "selected": lt.included, "included": lt.included, "amount_minor": lt.amount_minor,
            "amount": _money(lt.amount_minor, cur), "catalog_item_id": ln.catalog_item_id,
        })
    view: dict[str, Any] = {
        "id": quote.id, "label": quote_label(quote), "title": quote.title, "number": quote.number,
        "version": quote.version, "status": status, "currency": cur, "deal_id": quote.deal_id,
        "org_name": org.name if org else "l2c",
        "account": {"name": account.name if account else "", "address": (account.address or "") if account else ""},
        "contact": {"id": contact.id if contact else None, "name": contact.name if contact else "",
                    "email": (contact.email or "") if contact else ""},
        "owner": {"name": owner.name if owner else "", "email": owner.email if owner else ""},
        "discount_percent": pct_str(quote.discount_percent), "notes": quote.notes or "", "terms": quote.terms or "",
        "expires_on": quote.expires_on.isoformat() if quote.expires_on else "",
        "sent_at": quote.sent_at.isoformat() if quote.sent_at else "",
        "accepted_at": quote.accepted_at.isoformat() if quote.accepted_at else "",
        "accepted_name": quote.accepted_name or "",
        "declined_at": quote.declined_at.isoformat() if quote.declined_at else "",
        "decline_reason": quote.decline_reason or "",
        "lines": line_dicts,
        "sections": quote_sections(quote, lines),
        "totals": totals_json(totals, cur),
    }
    if not public:
        versions = session.exec(select(Quote).where(Quote.deal_id == quote.deal_id, Quote.number == quote.number)
                                .order_by(Quote.version)).all()
        today = org_today(session)
        view.update({
            "deal_title": deal.title if deal else "", "public_url": public_url(quote),
            "owner_id": quote.owner_id, "accepted_ip": quote.accepted_ip or "",
            "accepted_user_agent": quote.accepted_user_agent or "",
            "versions": [{"id": v.id, "version": v.version, "status": effective_status(v, today),
                          "label": quote_label(v)} for v in versions],
        })
    return view


def totals_json(totals: Totals, currency: str) -> dict[str, Any]:
    return {
        "currency": currency,
        "subtotal_minor": totals.subtotal_minor, "subtotal": _money(totals.subtotal_minor, currency),
        "discount_minor": totals.discount_minor, "discount": _money(totals.discount_minor, currency),
        "taxes": [{"name": t.name, "percent": pct_str(t.percent), "inclusive": t.inclusive,
                   "base_minor": t.base_minor, "tax_minor": t.tax_minor, "tax": _money(t.tax_minor, currency)}
                  for t in totals.taxes],
        "tax_minor": totals.tax_minor, "total_minor": totals.total_minor,
        "total": _money(totals.total_minor, currency),
    }


def public_view(session: Session, token: str, selected: set[int] | None = None) -> dict[str, Any]:
    quote = _by_token(session, token)
    view = quote_view(session, quote, selected=selected, public=True)
    if quote.status == "superseded":
        view["notice"] = "This version has been replaced by a newer one."
    return view


def deal_quotes(session: Session, deal_id: int) -> list[dict]:
    """The deal page's panel: every quote version of the deal, newest first."""
    today = org_today(session)
    rows = session.exec(select(Quote).where(Quote.deal_id == deal_id)
                        .order_by(Quote.number.desc(), Quote.version.desc())).all()  # type: ignore[union-attr]
    return [{"id": q.id, "label": quote_label(q), "title": q.title, "status": effective_status(q, today),
             "version": q.version, "total": _money(q.total_minor, q.currency), "total_minor": q.total_minor,
             "currency": q.currency} for q in rows]


def tax_rate_json(rate: TaxRate) -> dict[str, Any]:
    return {"id": rate.id, "name": rate.name, "percent": pct_str(rate.percent), "inclusive": rate.inclusive,
            "archived": rate.archived_at is not None}


def catalog_json(item: CatalogItem, taxes: dict[int, TaxRate] | None = None) -> dict[str, Any]:
    rate = (taxes or {}).get(item.tax_rate_id) if item.tax_rate_id else None  # type: ignore[arg-type]
    return {"id": item.id, "name": item.name, "description": item.description or "", "kind": item.kind,
            "unit": item.unit, "role": item.role or "", "unit_price_minor": item.unit_price_minor,
            "price": _money(item.unit_price_minor, item.currency), "currency": item.currency,
            "tax_rate_id": item.tax_rate_id, "tax_name": rate.name if rate else "",
            "archived": item.archived_at is not None}


def currency_digits(currency: str) -> int:
    return minor_digits(currency)


# --- headings (sections) ----------------------------------------------------------------------

def quote_sections(quote: Quote, lines: Iterable[QuoteLine]) -> list[str]:
    """The quote's headings in order: the ones it keeps (an empty one too), then any a line
    names that it does not keep yet (quotes made before headings were kept)."""
    out = [name for name in (quote.sections or []) if name]
    for ln in lines:
        if ln.section and ln.section not in out:
            out.append(ln.section)
    return out


def _remember_sections(quote: Quote, lines: Iterable[QuoteLine], new: str | None = None) -> None:
    known = quote_sections(quote, lines)
    if new and new not in known:
        known.append(new)
    if known != (quote.sections or []):
        quote.sections = known  # a new list: JSON columns miss in-place edits


def outline(sections: list[str], line_sections: list[str | None]) -> list[tuple[str, Any]]:
    """What the builder shows, in order: ("heading", name) and ("line", index) entries.
    Lines keep their order and a heading opens each run of lines of one section; a heading
    with no line (an empty section) comes after the lines of the heading kept before it
    (or before the first heading when none is)."""
    entries: list[tuple[str, Any]] = []
    previous: str | None = None
    for i, sec in enumerate(line_sections):
        sec = sec or None
        if sec is not None and sec != previous:
            entries.append(("heading", sec))
        entries.append(("line", i))
        previous = sec
    used = {sec for sec in line_sections if sec}
    for k, name in enumerate(sections):
        if name in used:
            continue
        at = None
        for before in reversed(sections[:k]):
            found = [n for n, e in enumerate(entries) if e == ("heading", before)]
            if found:
                n = found[-1] + 1
                while n < len(entries) and entries[n][0] == "line" and \
                        (line_sections[entries[n][1]] or None) == before:
                    n += 1
                at = n
                break
        if at is None:
            at = next((n for n, e in enumerate(entries) if e[0] == "heading"), len(entries))
        entries.insert(at, ("heading", name))
    return entries


def last_heading(sections: list[str], line_sections: list[str | None]) -> str | None:
    """The section a new line lands in: the last heading shown, or the last line's."""
    entries = outline(sections, line_sections)
    if not entries:
        return None
    kind, value = entries[-1]
    return value if kind == "heading" else (line_sections[value] or None)


def add_section(session: Session, actor: Actor, quote_id: int, heading: Any) -> Quote:
    """A new heading at the end, with no line under it yet (lines added next land in it)."""
    quote = _editable(session, quote_id)
    name = _text(heading, "section", "Section heading", 200, required=True)
    known = quote_sections(quote, quote_lines(session, quote_id))
    if name in known:
        raise QuoteError(f"This quote already has a section {name}.", "section", kind="conflict")
    before = snapshot(quote)
    quote.sections = [*known, name]
    quote.updated_at = utcnow()
    record_update(session, actor, quote, before, action="add_section")
    return quote


def rename_section(session: Session, actor: Actor, quote_id: int, old: str, new: Any) -> Quote:
    """Rename a heading and the section of its lines, keeping its place."""
    quote = _editable(session, quote_id)
    name = _text(new, "section", "Section heading", 200, required=True)
    lines = quote_lines(session, quote_id)
    known = quote_sections(quote, lines)
    if old not in known:
        raise NotFound(f"Section {old}", "section")
    if name == old:
        return quote
    if name in known:
        raise QuoteError(f"This quote already has a section {name}.", "section", kind="conflict")
    before = snapshot(quote)
    quote.sections = [name if s == old else s for s in known]
    for ln in lines:
        if ln.section == old:
            line_before = snapshot(ln)
            ln.section = name
            session.add(ln)
            record_update(session, actor, ln, line_before)
    quote.updated_at = utcnow()
    record_update(session, actor, quote, before, action="rename_section")
    return quote


def remove_section(session: Session, actor: Actor, quote_id: int, heading: str) -> Quote:
    """Remove an empty heading (one with lines is refused: move or remove its lines first)."""
    quote = _editable(session, quote_id)
    lines = quote_lines(session, quote_id)
    known = quote_sections(quote, lines)
    if heading not in known:
        raise NotFound(f"Section {heading}", "section")
    if any(ln.section == heading for ln in lines):
        raise QuoteError(f"The section {heading} still has lines: move or remove them first.", "section",
                         kind="conflict")
    before = snapshot(quote)
    quote.sections = [s for s in known if s != heading]
    quote.updated_at = utcnow()
    record_update(session, actor, quote, before, action="remove_section")
    return quote


# --- duplicate and templates ------------------------------------------------------------------

def _line_copy(ln: QuoteLine) -> dict[str, Any]:
    return {k: getattr(ln, k) for k in LINE_FIELDS if k != "selected"}


def duplicate_quote(session: Session, actor: Actor, quote_id: int) -> Quote:
    """A new draft quote (next number on the same deal, version 1) for the same client and
    contact, with the same headings, lines, discount, notes and terms. Any status may be
    duplicated; the original is not changed."""
    old = get_quote(session, quote_id)
    lines = quote_lines(session, old.id)  # type: ignore[arg-type]
    last = session.exec(select(func.max(Quote.number)).where(Quote.deal_id == old.deal_id)).one()
    new = Quote(**{k: getattr(old, k) for k in ("deal_id", "title", "currency", "contact_id", "discount_percent",
                                                "notes", "terms")},
                owner_id=old.owner_id or actor.user_id, number=(last or 0) + 1, version=1, status="draft",
                sections=quote_sections(old, lines), public_token=_new_token(), expires_on=_default_expiry(session))
    session.add(new)
    record_create(session, actor, new)
    for ln in lines:
        session.add(QuoteLine(**_line_copy(ln), quote_id=new.id, position=ln.position, selected=not ln.optional))
    session.flush()
    _refresh(session, new)
    record_action(session, actor, "quote", new.id, "duplicate_of", {"quote_id": old.id})  # type: ignore[arg-type]
    add_deal_event(session, old.deal_id, f"Quote {quote_label(old)} duplicated as {quote_label(new)}",
                   user_id=actor.user_id)
    return new


def list_templates(session: Session) -> list[QuoteTemplate]:
    return list(session.exec(select(QuoteTemplate).order_by(QuoteTemplate.name, QuoteTemplate.id)))


def template_json(t: QuoteTemplate) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "title": t.title, "currency": t.currency,
            "line_count": len(t.lines or []), "sections": list(t.sections or []),
            "created_at": t.created_at.isoformat() if t.created_at else ""}


def save_as_template(session: Session, actor: Actor, quote_id: int, name: Any) -> QuoteTemplate:
    """Keep this quote's headings, lines, discount, notes and terms under a name, to start
    new quotes from (any deal, any client). Prices are kept as they are now."""
    quote = get_quote(session, quote_id)
    label = _text(name, "name", "Template name", 200, required=True)
    if session.exec(select(QuoteTemplate).where(QuoteTemplate.name == label)).first() is not None:
        raise QuoteError(f"A template named {label} already exists.", "name", kind="conflict")
    lines = quote_lines(session, quote_id)
    rows = [{"description": ln.description, "quantity": qty_str(ln.quantity), "unit": ln.unit,
             "unit_price_minor": ln.unit_price_minor, "discount_percent": pct_str(ln.discount_percent),
             "tax_rate_id": ln.tax_rate_id, "billing_kind": ln.billing_kind, "role": ln.role,
             "section": ln.section, "optional": ln.optional, "catalog_item_id": ln.catalog_item_id}
            for ln in lines]
    template = QuoteTemplate(name=label, title=quote.title, currency=quote.currency,  # type: ignore[arg-type]
                             discount_percent=quote.discount_percent, notes=quote.notes, terms=quote.terms,
                             sections=quote_sections(quote, lines), lines=rows, created_by_id=actor.user_id)
    session.add(template)
    record_create(session, actor, template)
    return template


def get_template(session: Session, template_id: int) -> QuoteTemplate:
    try:
        template = session.get(QuoteTemplate, int(template_id))
    except (TypeError, ValueError):
        template = None
    if template is None:
        raise NotFound(f"Template {template_id}", "template_id")
    return template


def create_quote_from_template(session: Session, actor: Actor, deal_id: int, template_id: int) -> Quote:
    """A new draft for the deal (its client and contact) with the template's title, headings,
    lines, discount, notes and terms. A tax rate archived since is left off its lines, an
    item removed from the catalog is no longer linked; every line is validated again."""
    template = get_template(session, template_id)
    quote = create_quote_from_deal(session, actor, deal_id, title=template.title, currency=template.currency)
    quote.discount_percent = line_value("quote_discount", template.discount_percent)  # type: ignore[assignment]
    quote.notes = template.notes
    quote.terms = template.terms or quote.terms
    quote.sections = list(template.sections or [])
    session.add(quote)
    session.flush()
    for pos, row in enumerate(template.lines or []):
        data = {k: row.get(k) for k in ("description", "quantity", "unit", "unit_price_minor", "discount_percent",
                                        "billing_kind", "role", "section", "optional")}
        rate = session.get(TaxRate, row["tax_rate_id"]) if row.get("tax_rate_id") else None
        data["tax_rate_id"] = rate.id if rate is not None and rate.archived_at is None else None
        item = session.get(CatalogItem, row["catalog_item_id"]) if row.get("catalog_item_id") else None
        data["catalog_item_id"] = item.id if item is not None else None
        fields = _line_fields(session, data, None)
        line = QuoteLine(quote_id=quote.id, position=pos, selected=not fields.get("optional"), **fields)
        _check_line_totals(session, quote, line)
        session.add(line)
    session.flush()
    _refresh(session, quote)
    record_action(session, actor, "quote", quote.id, "from_template",  # type: ignore[arg-type]
                  {"template_id": template.id, "template": template.name})
    return quote
