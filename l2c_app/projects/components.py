"""Components of the projects stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx


def deal_panel() -> rx.Component:
    """The projects section of the deal page (`/deals/[deal_id]`); empty until the projects issue fills it."""
    return rx.fragment()
