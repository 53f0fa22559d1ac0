"""The Outbox page's card for one message: status, recipients, subject, body and link."""

from __future__ import annotations

import reflex as rx


def message_card(m: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(
                    rx.cond(m["status"] == "outbox", "Not sent (no SMTP configured)", m["status"]),
                    color_scheme=rx.cond(m["status"] == "sent", "green", "amber"),
                ),
                rx.text("To ", m["to"], size="2", weight="medium"),
                rx.cond(m["cc"] != "", rx.text("Cc ", m["cc"], size="2", color_scheme="gray")),
                rx.spacer(),
                rx.text(m["created"], size="1", color_scheme="gray"),
                width="100%",
            ),
            rx.text(m["subject"], weight="bold"),
            rx.text(m["body"], size="2", white_space="pre-wrap"),
            rx.cond(
                m["link"] != "",
                rx.hstack(
                    rx.code(m["link"]),
                    rx.button("Copy link", size="1", variant="soft", on_click=rx.set_clipboard(m["link"])),
                    align="center",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )
