"""The weekly time grid as display rows: the week table's cells (text, lock, note, a refused
value), the phone's one-day view of them, and the script that focuses a new row."""

from __future__ import annotations

import json
from datetime import date

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# --- the time grid ------------------------------------------------------------------------------


def grid_rows(grid: dict, bad: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Cells as c0..c6 (stored text), l0..l6 (why locked), n0..n6 (note) and b0..b6 (a value
    a save refused, shown instead of the stored one)."""
    rows = []
    for r in grid["rows"]:
        row = {
            "key": r["key"],
            "label": r["label"],
            "billable": "yes" if r["billable"] else "no",
            "total": r["total_text"],
            "approved": r.get("approved_text", ""),
        }
        for i, c in enumerate(r["cells"]):
            row[f"c{i}"], row[f"l{i}"], row[f"n{i}"] = c["text"], c["locked"], c["note"]
            row[f"b{i}"] = (bad or {}).get(f"{r['key']}|{i}", "")
        rows.append(row)
    return rows


def day_view_rows(rows: list[dict[str, str]], day: int) -> list[dict[str, str]]:
    """The phone's view of one day: each row's cell of that day, under the same keys."""
    return [
        {
            "key": r["key"],
            "label": r["label"],
            "day": str(day),
            "text": r[f"c{day}"],
            "locked": r[f"l{day}"],
            "bad": r[f"b{day}"],
            "total": r["total"],
            "billable": r["billable"],
            "approved": r.get("approved", ""),
        }
        for r in rows
    ]


def index_in_week(first_day: str, day: date) -> int:
    """Column of `day` in the week starting `first_day` (0 when it is another week)."""
    index = (day - date.fromisoformat(first_day)).days
    return index if 0 <= index < 7 else 0


def focus_first_cell_js(row_label: str) -> str:
    """Script that focuses the first visible cell of a row (week table or phone day view)."""
    return (
        "setTimeout(function () { var l = " + json.dumps(row_label) + "; "
        "var c = [].slice.call(document.querySelectorAll('[data-grid-row]')).filter(function (e) { "
        "return e.offsetParent !== null && (e.getAttribute('aria-label') || '').indexOf(l) === 0; }); "
        "if (c.length) c[0].focus(); }, 60)"
    )
