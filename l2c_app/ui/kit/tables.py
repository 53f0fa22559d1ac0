"""Tables that turn into stacked cards on phones.

Below 768 px every `rx.table.root` inside the app's main area is shown as cards: one card a
row, one line a cell, labelled with its column header (`assets/responsive.css` lays it out,
`assets/a11y.js` copies each header's text into the cells' `data-label`). So a list page
needs nothing but a header row; `list_table` builds one. A table that must stay a grid on
phones takes `class_name=KEEP_TABLE`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

KEEP_TABLE = "l2c-keep-table"


def list_table(headers: Sequence[str], body: rx.Component, **props: Any) -> rx.Component:
    """A full-width table with these column headers (their text labels each cell on phones)."""
    props.setdefault("width", "100%")
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(body),
        **props,
    )


def data_table(
    headers: Sequence[str], rows: Any, row: Callable[[Any], rx.Component], empty: rx.Component, **props: Any
) -> rx.Component:
    """A list: `list_table` of `row(r)` for each r of the `rows` Var, or `empty` (an
    `empty_state`) when there are none."""
    return rx.cond(rows.length() > 0, list_table(headers, rx.foreach(rows, row), **props), empty)
