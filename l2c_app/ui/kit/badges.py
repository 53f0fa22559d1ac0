"""One status badge for every stage (quotes, contracts, leads, outbox, webhook deliveries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import reflex as rx


def status_badge(
    status: Any,
    colors: Mapping[str, str] | Any,
    labels: Mapping[str, str] | None = None,
    default: str = "gray",
    flags: Any = None,
    **props: Any,
) -> rx.Component:
    """A status as a Radix badge: its colour from `colors`, its text from `labels` (else the
    status as stored). `status` may be a Var (a row's field) or a plain string; `colors` a
    mapping, or the colour itself (a Var the state computed, as billing's rows carry).
    `flags`: an optional second, outlined badge (billing's "overdue", "reminded"), shown when
    its Var is not empty.

    Colours come from the theme's scales; the badge keeps Radix's soft variant and the theme's
    high-contrast setting (ui/layout), which keeps the text at >= 4.5:1 (the axe tests)."""
    badge = _badge(status, colors, labels, default, **props)
    if flags is None:
        return badge
    return rx.hstack(
        badge, rx.cond(flags != "", rx.badge(flags, color_scheme="orange", variant="outline")), spacing="1"
    )


def _badge(status: Any, colors: Any, labels: Mapping[str, str] | None, default: str, **props: Any) -> rx.Component:
    if not isinstance(colors, Mapping):
        return rx.badge(status, color_scheme=colors, **props)
    if isinstance(status, str):
        text = (labels or {}).get(status, status)
        return rx.badge(text, color_scheme=colors.get(status, default), **props)
    text = rx.match(status, *labels.items(), status) if labels else status
    return rx.badge(text, color_scheme=rx.match(status, *colors.items(), default), **props)
