"""Components of the contracts stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx

from l2c_app.contracts.state import DealContractsState


def deal_panel() -> rx.Component:
    """The contracts section of the deal page (`/deals/[deal_id]`): the deal's contracts with
    their status and signed PDF, and "Create contract" for each accepted quote without one."""
    s = DealContractsState
    return rx.card(
        rx.vstack(
            rx.heading("Contracts", size="3"),
            rx.foreach(
                s.deal_rows,
                lambda r: rx.hstack(
                    rx.link(r["title"], href="/contracts/" + r["id"].to(str)),
                    rx.badge(r["status"]),
                    rx.spacer(),
                    rx.cond(
                        r["signed"],
                        rx.link(
                            rx.button(rx.icon("download", size=14), "Signed PDF", size="1", variant="soft"),
                            href="/api/v1/contracts/" + r["id"].to(str) + "/pdf",
                            is_external=True,
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
            ),
            rx.foreach(
                s.deal_quotes,
                lambda q: rx.hstack(
                    rx.text(q["label"], size="2"),
                    rx.spacer(),
                    rx.button("Create contract", size="1", on_click=DealContractsState.create_from_quote(q["id"])),
                    width="100%",
                    align="center",
                ),
            ),
            rx.cond(
                (s.deal_rows.length() == 0) & (s.deal_quotes.length() == 0),
                rx.text(
                    "No contract yet. Once a quote is accepted, create the contract here.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            width="100%",
        ),
        width="100%",
        on_mount=DealContractsState.load_deal,
    )
