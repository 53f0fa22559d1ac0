"""The client page's Timeline card: the activities of every deal of the client, newest first."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientState


def timeline_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Timeline", size="3"),
            rx.cond(
                ClientState.timeline.length() > 0,
                # the when above the event on a phone, in its own column from sm up (locale date and time)
                rx.vstack(
                    rx.foreach(
                        ClientState.timeline,
                        lambda e: rx.flex(
                            rx.text(
                                e["when"],
                                size="1",
                                color_scheme="gray",
                                white_space="nowrap",
                                min_width="11em",
                                flex_shrink="0",
                            ),
                            rx.vstack(
                                rx.text(e["subject"], size="2"),
                                rx.link(e["deal"], href=e["href"], size="1", color_scheme="gray"),
                                spacing="0",
                            ),
                            direction=rx.breakpoints(initial="column", sm="row"),
                            gap=rx.breakpoints(initial="0", sm="3"),
                            align="start",
                            width="100%",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.text("Nothing happened yet.", size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )
