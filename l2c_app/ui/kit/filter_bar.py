"""A list page's filters: a labelled search box, then selects and buttons, in one row that wraps
on phones (each control keeps a minimum width, so a narrow screen stacks them)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from l2c_app.ui.kit.field import field


def search_input(label: str, name: str = "q", **props: Any) -> rx.Component:
    """The search box: a text input labelled `label` (its accessible name)."""
    return rx.box(field(label, rx.input(name=name, **props)), min_width="14em", flex="2")


def filter_item(control: rx.Component, min_width: str = "10em") -> rx.Component:
    """One filter (a labelled select, a checkbox group) sized to wrap."""
    return rx.box(control, min_width=min_width, flex="1")


def filter_bar(*items: rx.Component, **props: Any) -> rx.Component:
    """The row: wraps below the width of its items; ends aligned so labels sit on one line."""
    # Radix Flex's own gap prop is `spacing`: a `gap="3"` would become the invalid CSS `gap: 3`.
    props.setdefault("spacing", "3")
    props.setdefault("align", "end")
    props.setdefault("width", "100%")
    return rx.flex(*items, wrap="wrap", **props)
