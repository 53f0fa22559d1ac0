"""The Insights area's tab bar: one row of links, one per Insights page.

Each Insights page adds its own line to TABS (label, path) and calls `insights_tabs(path)` at the
top of its body, so pages can be added without touching each other.
"""

from __future__ import annotations

import reflex as rx

TABS: list[tuple[str, str]] = [
    ("Leaks", "/insights"),
    ("Cash", "/insights/cash"),
    ("Cycle times", "/insights/cycle-times"),
    ("Margin", "/insights/margin"),
]


def insights_tabs(current: str) -> rx.Component:
    """Links styled as tabs; the current page is marked for screen readers (aria-current)."""
    return rx.hstack(
        *[
            rx.link(
                rx.button(
                    label,
                    variant="solid" if path == current else "soft",
                    size="2",
                    aria_current="page" if path == current else None,
                ),
                href=path,
            )
            for label, path in TABS
        ],
        spacing="2",
        wrap="wrap",
        width="100%",
        role="navigation",
        aria_label="Insights pages",
    )
