"""The quote builder: lines, their order, the quote's own fields and its headings (sections).

Only a draft is editable; every change is audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action, record_create, record_delete, record_update, snapshot
from l2c_app.core.money import check_amount
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Deal
from l2c_app.quotes.catalog import _usable_tax
from l2c_app.quotes.inputs import (
    _KIND_TO_BILLING,
    BILLING_KINDS,
    EDITABLE,
    MAX_LINES,
    NotFound,
    QuoteError,
    _text,
    line_value,
    org_today,
    parse_date,
    parse_minor,
)
from l2c_app.quotes.models import CatalogItem, Quote, QuoteLine
from l2c_app.quotes.records import (
    _contact_of_deal,
    _refresh,
    _tax_map,
    effective_status,
    get_quote,
    line_input,
    quote_lines,
)
from l2c_app.quotes.totals import TotalsInputError, compute_totals

# --- the builder ------------------------------------------------------------------------------


def _editable(session: Session, quote_id: int) -> Quote:
    quote = get_quote(session, quote_id)
    if quote.status not in EDITABLE:
        raise QuoteError(
            f"This quote is {effective_status(quote, org_today(session))}: only drafts can be edited. "
            "Use Revise to make a new version.",
            "status",
            kind="conflict",
        )
    return quote


LINE_FIELDS = (
    "description",
    "quantity",
    "unit",
    "unit_price_minor",
    "discount_percent",
    "tax_rate_id",
    "billing_kind",
    "role",
    "due_date",
    "section",
    "optional",
    "selected",
    "catalog_item_id",
)


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
        out["tax_rate_id"] = _usable_tax(
            session, data.get("tax_rate_id"), allow_archived_id=current.tax_rate_id if current else None
        )
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
            raise QuoteError(
                f"{item.name} is priced in {item.currency}; this quote is in {quote.currency}.", "catalog_item_id"
            )
        defaults = {
            "description": item.name,
            "unit": item.unit,
            "unit_price_minor": item.unit_price_minor,
            "tax_rate_id": item.tax_rate_id,
            "billing_kind": _KIND_TO_BILLING[item.kind],
            "role": item.role,
            "catalog_item_id": item.id,
        }
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
                while n < len(entries) and entries[n][0] == "line" and (line_sections[entries[n][1]] or None) == before:
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
        raise QuoteError(
            f"The section {heading} still has lines: move or remove them first.", "section", kind="conflict"
        )
    before = snapshot(quote)
    quote.sections = [s for s in known if s != heading]
    quote.updated_at = utcnow()
    record_update(session, actor, quote, before, action="remove_section")
    return quote
