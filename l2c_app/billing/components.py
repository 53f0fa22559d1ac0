"""Components of the billing stage shown on other stages' pages."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.state import DealBillingState, ProjectBillingState


def _invoice_rows(rows) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            rows,
            lambda r: rx.hstack(
                rx.link(r["number"], href=r["href"]),
                rx.badge(r["status_label"], color_scheme=r["color"]),
                rx.spacer(),
                rx.text(r["total"], size="2"),
                rx.text("open ", r["open"], size="1", color_scheme="gray"),
                width="100%",
                align="center",
            ),
        ),
        width="100%",
        spacing="1",
    )


def deal_panel() -> rx.Component:
    """The billing section of the deal page (`/deals/[deal_id]`): invoices and money collected."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Billing", size="3"),
                rx.spacer(),
                rx.text("Invoiced ", DealBillingState.deal_invoiced, size="2"),
                rx.text("Collected ", DealBillingState.deal_collected, size="2", weight="bold"),
                rx.text("Open ", DealBillingState.deal_open, size="2"),
                width="100%",
                align="center",
            ),
            rx.cond(
                DealBillingState.deal_invoices.length() > 0,
                _invoice_rows(DealBillingState.deal_invoices),
                rx.text("No invoice yet.", size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        width="100%",
        on_mount=DealBillingState.load_panel,
    )


def project_panel() -> rx.Component:
    """On the project page (`/projects/[project_id]`): unbilled total, "Create invoice", invoices."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Invoices", size="3"),
                rx.spacer(),
                rx.text("Unbilled: ", ProjectBillingState.panel_unbilled, size="2", weight="bold"),
                width="100%",
                align="center",
            ),
            rx.hstack(
                rx.el.label(
                    rx.vstack(
                        rx.text("Bill work up to", size="2", weight="medium"),
                        rx.input(
                            type="date",
                            value=ProjectBillingState.panel_up_to,
                            on_change=ProjectBillingState.set_panel_up_to,
                        ),
                        spacing="1",
                    )
                ),
                rx.button("Create invoice", on_click=ProjectBillingState.create),
                rx.form(
                    rx.hstack(
                        rx.el.label(
                            rx.vstack(
                                rx.text("Deposit (% of contract)", size="2", weight="medium"),
                                rx.input(name="deposit_percent", placeholder="30", width="6em"),
                                spacing="1",
                            )
                        ),
                        rx.button("Create deposit invoice", type="submit", variant="soft"),
                        align="end",
                    ),
                    on_submit=ProjectBillingState.create_deposit,
                    reset_on_submit=True,
                ),
                align="end",
                spacing="4",
            ),
            rx.cond(
                ProjectBillingState.panel_invoices.length() > 0,
                _invoice_rows(ProjectBillingState.panel_invoices),
                rx.text("No invoice yet.", size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        width="100%",
        on_mount=ProjectBillingState.load_panel,
    )
