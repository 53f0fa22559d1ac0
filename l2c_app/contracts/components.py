"""Components of the contracts stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx


def deal_panel() -> rx.Component:
    """The contracts section of the deal page (`/deals/[deal_id]`); empty until the contracts issue fills it."""
    return rx.fragment()
