"""What the quotes pages share: the status colours of a quote (the badge and selects are ui.kit's)."""

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
