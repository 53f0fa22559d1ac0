"""Components of the billing stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx


def deal_panel() -> rx.Component:
    """The billing section of the deal page (`/deals/[deal_id]`); empty until the billing issue fills it."""
    return rx.fragment()


def project_panel() -> rx.Component:
    """On the project page (`/projects/[project_id]`): unbilled total, "Create invoice", invoices."""
    return rx.fragment()
