"""Components of the pipeline stage shown elsewhere."""

import reflex as rx


def my_day_panel() -> rx.Component:
    """Overdue and due-today tasks and stale deals of the signed-in user, on the home page."""
    return rx.fragment()
