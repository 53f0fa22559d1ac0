"""What the quotes pages share: the status badge and a plain <select>."""

from __future__ import annotations

import reflex as rx

from l2c_app.ui import kit

STATUS_COLORS = {
    "draft": "gray",
    "sent": "blue",
    "accepted": "green",
    "declined": "red",
    "superseded": "orange",
    "expired": "amber",
}


def status_badge(status) -> rx.Component:
    return kit.status_badge(status, STATUS_COLORS)


def native_select(options: list[tuple[str, str]], dynamic: rx.Var | None = None, **props) -> rx.Component:
    """A plain <select>: static (value, label) options, then `dynamic` [{id, name}] ones from the state."""
    style = {
        "padding": "0.35em",
        "border_radius": "var(--radius-2)",
        "border": "1px solid var(--gray-a7)",
        "background": "var(--color-surface)",
        "color": "var(--gray-12)",
        "min_height": "2em",
        "font_size": "0.875rem",
    }
    children = [rx.el.option(label, value=value) for value, label in options]
    if dynamic is not None:
        children.append(rx.foreach(dynamic, lambda o: rx.el.option(o["name"], value=o["id"])))
    return rx.el.select(*children, style=style, **props)
