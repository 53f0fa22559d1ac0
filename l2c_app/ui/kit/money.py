"""Money in a table: right-aligned tabular figures, so the digits of a column line up.

The text comes formatted already (core.formats.money in the state): the kit never formats or
computes a figure, it only lays the given text out."""

from __future__ import annotations

from typing import Any

import reflex as rx

MONEY_STYLE = {"text_align": "right", "white_space": "nowrap", "font_variant_numeric": "tabular-nums"}


def money_cell(text: Any, *children: Any, **props: Any) -> rx.Component:
    """A table cell holding a currency-formatted amount (a Var or a string)."""
    for key, value in MONEY_STYLE.items():
        props.setdefault(key, value)
    return rx.table.cell(text, *children, **props)


def money_text(text: Any, **props: Any) -> rx.Component:
    """The same figures outside a table (a card's total)."""
    props.setdefault("white_space", "nowrap")
    props.setdefault("font_variant_numeric", "tabular-nums")
    return rx.text(text, **props)
