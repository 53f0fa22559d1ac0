"""The builder's rows as the page edits them, and the totals as you type.

Plain functions on the service's quote view (no Reflex, no session): `BuilderState` keeps
the rows and calls these. The live totals come from `quotes.totals.compute_totals`, the same
function as the saved quote's, so what is typed adds up exactly as it will be stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from l2c_app.core.errors import DomainError
from l2c_app.core.money import format_money, to_major
from l2c_app.quotes import service as svc
from l2c_app.quotes.totals import LineInput, TotalsInputError, compute_totals

LINE_FIGURES = ("quantity", "unit_price", "discount_percent")  # checked as typed by svc.line_value
NO_TAX = "none"


def flat(view: dict[str, Any]) -> dict[str, Any]:
    """The quote's own fields as one flat dict of plain values (Reflex vars index one level)."""
    out = {k: v for k, v in view.items() if k not in ("lines", "totals", "versions", "account", "contact", "owner")}
    out.update(
        account_name=view["account"]["name"],
        account_address=view["account"]["address"],
        contact_name=view["contact"]["name"],
        contact_email=view["contact"]["email"],
        owner_name=view["owner"]["name"],
    )
    return out


def major(minor: int, currency: str) -> str:
    return f"{to_major(minor, currency):f}"


def builder_rows(view: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The editable rows of the quote view, and the headings after its last line.

    Headings come from the service's outline: each line carries the headings shown above it;
    the ones after the last line (empty sections at the end) are the second list."""
    cur = view["currency"]
    lines: list[dict[str, Any]] = []
    for i, ln in enumerate(view["lines"]):
        lines.append(
            {
                "id": ln["id"],
                "idx": i,
                "num": i + 1,
                "section": ln["section"],
                "headings": [],
                "description": ln["description"],
                "quantity": ln["quantity"],
                "unit": ln["unit"],
                "unit_price": major(ln["unit_price_minor"], cur),
                "discount_percent": ln["discount_percent"],
                "tax_rate_id": str(ln["tax_rate_id"]) if ln["tax_rate_id"] else NO_TAX,
                "billing_kind": ln["billing_kind"],
                "role": ln["role"],
                "due_date": ln["due_date"],
                "optional": ln["optional"],
                "amount": ln["amount"],
                "error": "",
                **{f"err_{f}": "" for f in LINE_FIGURES},
            }
        )
    entries = svc.outline(view["sections"], [ln["section"] or None for ln in view["lines"]])
    pending: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for ln in view["lines"]:
        if ln["section"]:
            counts[ln["section"]] = counts.get(ln["section"], 0) + 1
    for kind, value in entries:
        if kind == "heading":
            pending.append({"name": value, "empty": counts.get(value, 0) == 0})
        else:
            lines[value]["headings"], pending = pending, []
    return lines, pending


@dataclass
class Preview:
    """What the live totals found: `totals` None when the arithmetic refused (keep the shown ones)."""

    totals: dict[str, Any] | None
    discount_error: str
    error: str


def invalid_count(lines: list[dict[str, Any]], discount_error: str) -> int:
    """Fields refused right now (the totals wait until they are fixed)."""
    return sum(1 for ln in lines for f in LINE_FIGURES if ln.get(f"err_{f}")) + (1 if discount_error else 0)


def preview(
    lines: list[dict[str, Any]], taxes: list[dict[str, Any]], cur: str, discount_text: str, convention: str
) -> Preview:
    """Totals of what is typed right now; marks each line's refused figures and its amount in place.

    A figure the rule (svc.line_value) refuses is marked on its field with the reason; its line
    shows no amount and the totals show none either, so nothing on screen adds up a value that
    is not the one shown."""
    rates = {t["id"]: t for t in taxes}
    inputs = []
    for ln in lines:
        for f in LINE_FIGURES:
            ln[f"err_{f}"] = svc.line_value_error(f, ln[f], cur)
        if any(ln[f"err_{f}"] for f in LINE_FIGURES):
            continue
        rate = rates.get(ln["tax_rate_id"])
        inputs.append(
            LineInput(
                ln["id"],
                svc.line_value("quantity", ln["quantity"]),
                svc.line_value("unit_price", ln["unit_price"], cur),  # type: ignore[arg-type]
                svc.line_value("discount_percent", ln["discount_percent"]),
                int(rate["id"]) if rate else None,
                rate["name"] if rate else "",
                rate["percent"] if rate else 0,
                bool(rate["inclusive"]) if rate else False,
                bool(ln["optional"]),
                not ln["optional"],
                ln["billing_kind"] or "fixed",
            )
        )
    discount_error = svc.line_value_error("quote_discount", discount_text)
    discount = "0" if discount_error else svc.line_value("quote_discount", discount_text)
    try:
        totals = compute_totals(inputs, discount, convention)
    except TotalsInputError as exc:
        return Preview(None, discount_error, str(exc))
    by_id = {lt.key: lt for lt in totals.lines}
    for ln in lines:
        lt = by_id.get(ln["id"])
        if lt is None:
            ln["amount"] = "—"
            continue
        try:
            svc.check_line_amount(lt.amount_minor)
        except DomainError as exc:
            ln["err_quantity"] = exc.message
            ln["amount"] = "—"
            continue
        ln["amount"] = format_money(lt.amount_minor, cur)
    if invalid_count(lines, discount_error):
        blank = {"currency": cur, "subtotal": "—", "discount_minor": 0, "discount": "—", "taxes": [], "total": "—"}
        return Preview(blank, discount_error, "")
    return Preview(svc.totals_json(totals, cur), discount_error, "")


def line_fields(ln: dict[str, Any], currency: str) -> dict[str, Any]:
    """A row as the service's line fields (raises QuoteError on a price it refuses)."""
    price = svc.line_value("unit_price", ln["unit_price"], currency)
    return {
        "description": ln["description"],
        "quantity": ln["quantity"],
        "unit": ln["unit"],
        "unit_price_minor": price,
        "discount_percent": ln["discount_percent"] or "0",
        "tax_rate_id": None if ln["tax_rate_id"] == NO_TAX else ln["tax_rate_id"],
        "billing_kind": ln["billing_kind"],
        "role": ln["role"],
        "due_date": ln["due_date"] or None,
        "optional": bool(ln["optional"]),
    }
