"""What the billing pages share: an invoice's status badge (the state gives its colour and flags)."""

from __future__ import annotations

import reflex as rx

from l2c_app.ui import kit


def invoice_badge(row) -> rx.Component:
    """The invoice's status, and its flags ("overdue", "reminded") as a second badge."""
    return kit.status_badge(row["status_label"], row["color"], flags=row["flags"])
