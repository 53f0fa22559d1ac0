"""The contract page's Status and audit trail card."""

from __future__ import annotations

import reflex as rx

from l2c_app.contracts.state import ContractState


def trail_card() -> rx.Component:
    s = ContractState
    return rx.card(
        rx.vstack(
            rx.heading("Status and audit trail", size="3"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(h) for h in ("When (UTC)", "Event", "By", "Detail")])
                ),
                rx.table.body(
                    rx.foreach(
                        s.trail,
                        lambda e: rx.table.row(
                            rx.table.cell(e["at"]),
                            rx.table.cell(e["event"]),
                            rx.table.cell(e["who"]),
                            rx.table.cell(e["detail"]),
                        ),
                    )
                ),
                width="100%",
                size="1",
            ),
            width="100%",
        ),
        width="100%",
    )
