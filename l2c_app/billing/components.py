"""Components of the billing stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx


def deal_panel() -> rx.Component:
    """The billing section of the deal page (`/deals/[deal_id]`); empty until the billing issue fills it."""
    return rx.fragment()
