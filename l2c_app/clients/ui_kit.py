"""What the client pages share: the style of their native selects."""

from __future__ import annotations

SELECT_STYLE = {
    "padding": "0.4em",
    "border_radius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "min_height": "2em",
    "width": "100%",
}
