"""Components of the leads stage shown elsewhere."""

import reflex as rx


def notification_bell() -> rx.Component:
    """Top-bar badge of unread notifications (new leads assigned ...); filled by the leads issue."""
    return rx.fragment()
