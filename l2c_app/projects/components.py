"""Components of the projects stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx


def deal_panel() -> rx.Component:
    """The projects section of the deal page (`/deals/[deal_id]`); empty until the projects issue fills it."""
    return rx.fragment()


def timer_widget() -> rx.Component:
    """Start/stop timer in the top bar that writes into the time grid."""
    return rx.fragment()


def contract_panel() -> rx.Component:
    """On the contract page (`/contracts/[contract_id]`): "Create project" or a link to it."""
    return rx.fragment()
