"""Duplicating a quote and quote templates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action, record_create
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.quotes.builder import LINE_FIELDS, _check_line_totals, _line_fields, quote_sections
from l2c_app.quotes.inputs import NotFound, QuoteError, _new_token, _text, line_value, pct_str, qty_str, quote_label
from l2c_app.quotes.models import CatalogItem, Quote, QuoteLine, QuoteTemplate, TaxRate
from l2c_app.quotes.records import _default_expiry, _refresh, create_quote_from_deal, get_quote, quote_lines

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
    new = Quote(
        **{
            k: getattr(old, k)
            for k in ("deal_id", "title", "currency", "contact_id", "discount_percent", "notes", "terms")
        },
        owner_id=old.owner_id or actor.user_id,
        number=(last or 0) + 1,
        version=1,
        status="draft",
        sections=quote_sections(old, lines),
        public_token=_new_token(),
        expires_on=_default_expiry(session),
    )
    session.add(new)
    record_create(session, actor, new)
    for ln in lines:
        session.add(QuoteLine(**_line_copy(ln), quote_id=new.id, position=ln.position, selected=not ln.optional))
    session.flush()
    _refresh(session, new)
    record_action(session, actor, "quote", new.id, "duplicate_of", {"quote_id": old.id})  # type: ignore[arg-type]
    add_deal_event(
        session, old.deal_id, f"Quote {quote_label(old)} duplicated as {quote_label(new)}", user_id=actor.user_id
    )
    return new


def list_templates(session: Session) -> list[QuoteTemplate]:
    return list(session.exec(select(QuoteTemplate).order_by(QuoteTemplate.name, QuoteTemplate.id)))


def template_json(t: QuoteTemplate) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "title": t.title,
        "currency": t.currency,
        "line_count": len(t.lines or []),
        "sections": list(t.sections or []),
        "created_at": t.created_at.isoformat() if t.created_at else "",
    }


def save_as_template(session: Session, actor: Actor, quote_id: int, name: Any) -> QuoteTemplate:
    """Keep this quote's headings, lines, discount, notes and terms under a name, to start
    new quotes from (any deal, any client). Prices are kept as they are now."""
    quote = get_quote(session, quote_id)
    label = _text(name, "name", "Template name", 200, required=True)
    if session.exec(select(QuoteTemplate).where(QuoteTemplate.name == label)).first() is not None:
        raise QuoteError(f"A template named {label} already exists.", "name", kind="conflict")
    lines = quote_lines(session, quote_id)
    rows = [
        {
            "description": ln.description,
            "quantity": qty_str(ln.quantity),
            "unit": ln.unit,
            "unit_price_minor": ln.unit_price_minor,
            "discount_percent": pct_str(ln.discount_percent),
            "tax_rate_id": ln.tax_rate_id,
            "billing_kind": ln.billing_kind,
            "role": ln.role,
            "section": ln.section,
            "optional": ln.optional,
            "catalog_item_id": ln.catalog_item_id,
        }
        for ln in lines
    ]
    template = QuoteTemplate(
        name=label,
        title=quote.title,
        currency=quote.currency,  # type: ignore[arg-type]
        discount_percent=quote.discount_percent,
        notes=quote.notes,
        terms=quote.terms,
        sections=quote_sections(quote, lines),
        lines=rows,
        created_by_id=actor.user_id,
    )
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
        data = {
            k: row.get(k)
            for k in (
                "description",
                "quantity",
                "unit",
                "unit_price_minor",
                "discount_percent",
                "billing_kind",
                "role",
                "section",
                "optional",
            )
        }
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
    record_action(
        session,
        actor,
        "quote",
        quote.id,
        "from_template",  # type: ignore[arg-type]
        {"template_id": template.id, "template": template.name},
    )
    return quote
