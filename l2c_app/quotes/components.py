"""Components of the quotes stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx


def deal_panel() -> rx.Component:
    """The quotes section of the deal page (`/deals/[deal_id]`); empty until the quotes issue fills it."""
    return rx.fragment()
