"""What the quotes pages' states read, each in one session: the catalog settings, the builder's
quote with its tax and catalog choices, the deal panel's templates. The states run no query:
they call these through `run_db`."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from l2c_app.core.audit import Actor
from l2c_app.core.lines import tax_convention
from l2c_app.core.money import format_money
from l2c_app.quotes import service as svc


def catalog_data(session: Session, show_archived: bool) -> dict[str, Any]:
    rates = svc.list_tax_rates(session, include_archived=True)
    by_id = {r.id: r for r in rates}
    return {
        "rates": [svc.tax_rate_json(r) for r in rates if show_archived or r.archived_at is None],
        "active_rates": [{"id": str(r.id), "name": r.name} for r in rates if r.archived_at is None],
        "items": [svc.catalog_json(i, by_id) for i in svc.list_catalog(session, include_archived=show_archived)],
    }


def builder_data(session: Session, quote_id: int) -> dict[str, Any]:
    view = svc.quote_view(session, quote_id)
    rates = svc.list_tax_rates(session, include_archived=True)
    used = {ln["tax_rate_id"] for ln in view["lines"]}
    catalog = [c for c in svc.list_catalog(session) if c.currency == view["currency"]]
    return {
        "view": view,
        "taxes": [
            {"id": str(r.id), "name": r.name, "percent": svc.pct_str(r.percent), "inclusive": r.inclusive}
            for r in rates
            if r.archived_at is None or r.id in used
        ],
        "catalog": [
            {"id": str(c.id), "name": f"{c.name} ({format_money(c.unit_price_minor, c.currency)}/{c.unit})"}
            for c in catalog
        ],
        "tax_convention": tax_convention(session),  # the live preview taxes as the saved quote will
    }


def edit_line(session: Session, actor: Actor, line_id: int, fields: dict[str, Any]) -> None:
    svc.update_line(session, actor, line_id, **fields)


def template_options(session: Session) -> list[dict[str, str]]:
    return [
        {"id": str(t.id), "name": f"{t.name} ({len(t.lines or [])} lines, {t.currency})"}
        for t in svc.list_templates(session)
    ]
