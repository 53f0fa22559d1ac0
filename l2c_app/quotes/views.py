"""Views of a quote: one dict for the page, the PDF and the API."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from l2c_app.core.models import User
from l2c_app.core.money import format_money, minor_digits
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.quotes.builder import quote_sections
from l2c_app.quotes.inputs import _org, org_today, pct_str, public_url, qty_str, quote_label
from l2c_app.quotes.models import CatalogItem, Quote, TaxRate
from l2c_app.quotes.public import _by_token
from l2c_app.quotes.records import _tax_map, effective_status, get_quote, quote_lines, quote_totals
from l2c_app.quotes.totals import Totals

# --- views: one dict for the page, the PDF and the API ----------------------------------------


def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency)


def quote_view(
    session: Session, quote: Quote | int, *, selected: set[int] | None = None, public: bool = False
) -> dict[str, Any]:
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
        line_dicts.append(
            {
                "id": ln.id,
                "position": ln.position,
                "section": ln.section or "",
                "description": ln.description,
                "quantity": qty_str(ln.quantity),
                "unit": ln.unit,
                "unit_price_minor": ln.unit_price_minor,
                "unit_price": _money(ln.unit_price_minor, cur),
                "discount_percent": pct_str(ln.discount_percent),
                "tax_rate_id": ln.tax_rate_id,
                "tax_name": rate.name if rate else "",
                "billing_kind": ln.billing_kind,
                "role": ln.role or "",
                "due_date": ln.due_date.isoformat() if ln.due_date else "",
                "optional": ln.optional,
                "selected": lt.included,
                "included": lt.included,
                "amount_minor": lt.amount_minor,
                "amount": _money(lt.amount_minor, cur),
                "catalog_item_id": ln.catalog_item_id,
            }
        )
    view: dict[str, Any] = {
        "id": quote.id,
        "label": quote_label(quote),
        "title": quote.title,
        "number": quote.number,
        "version": quote.version,
        "status": status,
        "currency": cur,
        "deal_id": quote.deal_id,
        "org_name": org.name if org else "l2c",
        "account": {"name": account.name if account else "", "address": (account.address or "") if account else ""},
        "contact": {
            "id": contact.id if contact else None,
            "name": contact.name if contact else "",
            "email": (contact.email or "") if contact else "",
        },
        "owner": {"name": owner.name if owner else "", "email": owner.email if owner else ""},
        "discount_percent": pct_str(quote.discount_percent),
        "notes": quote.notes or "",
        "terms": quote.terms or "",
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
        versions = session.exec(
            select(Quote).where(Quote.deal_id == quote.deal_id, Quote.number == quote.number).order_by(Quote.version)
        ).all()
        today = org_today(session)
        view.update(
            {
                "deal_title": deal.title if deal else "",
                "public_url": public_url(quote),
                "owner_id": quote.owner_id,
                "accepted_ip": quote.accepted_ip or "",
                "accepted_user_agent": quote.accepted_user_agent or "",
                "versions": [
                    {"id": v.id, "version": v.version, "status": effective_status(v, today), "label": quote_label(v)}
                    for v in versions
                ],
            }
        )
    return view


def totals_json(totals: Totals, currency: str) -> dict[str, Any]:
    return {
        "currency": currency,
        "subtotal_minor": totals.subtotal_minor,
        "subtotal": _money(totals.subtotal_minor, currency),
        "discount_minor": totals.discount_minor,
        "discount": _money(totals.discount_minor, currency),
        "taxes": [
            {
                "name": t.name,
                "percent": pct_str(t.percent),
                "inclusive": t.inclusive,
                "base_minor": t.base_minor,
                "tax_minor": t.tax_minor,
                "tax": _money(t.tax_minor, currency),
            }
            for t in totals.taxes
        ],
        "tax_minor": totals.tax_minor,
        "total_minor": totals.total_minor,
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
    rows = session.exec(
        select(Quote).where(Quote.deal_id == deal_id).order_by(Quote.number.desc(), Quote.version.desc())
    ).all()  # type: ignore[union-attr]
    return [
        {
            "id": q.id,
            "label": quote_label(q),
            "title": q.title,
            "status": effective_status(q, today),
            "version": q.version,
            "total": _money(q.total_minor, q.currency),
            "total_minor": q.total_minor,
            "currency": q.currency,
        }
        for q in rows
    ]


def tax_rate_json(rate: TaxRate) -> dict[str, Any]:
    return {
        "id": rate.id,
        "name": rate.name,
        "percent": pct_str(rate.percent),
        "inclusive": rate.inclusive,
        "archived": rate.archived_at is not None,
    }


def catalog_json(item: CatalogItem, taxes: dict[int, TaxRate] | None = None) -> dict[str, Any]:
    rate = (taxes or {}).get(item.tax_rate_id) if item.tax_rate_id else None  # type: ignore[arg-type]
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description or "",
        "kind": item.kind,
        "unit": item.unit,
        "role": item.role or "",
        "unit_price_minor": item.unit_price_minor,
        "price": _money(item.unit_price_minor, item.currency),
        "currency": item.currency,
        "tax_rate_id": item.tax_rate_id,
        "tax_name": rate.name if rate else "",
        "archived": item.archived_at is not None,
    }


def currency_digits(currency: str) -> int:
    return minor_digits(currency)
