"""Components of the leads stage shown elsewhere."""

import reflex as rx

from l2c_app.leads.state import BellState

POLL_MS = 15_000


def notification_bell() -> rx.Component:
    """Top-bar badge of unread notifications (new leads assigned, deals handed over ...) and their list.

    Refreshed on mount and every 15 s by a client-side tick (stops with the tab)."""
    return rx.fragment(
        rx.popover.root(
            rx.popover.trigger(
                rx.button(
                    rx.icon("bell", size=16),
                    rx.cond(
                        BellState.unread > 0,
                        rx.badge(
                            BellState.unread, color_scheme="red", variant="solid", high_contrast=True, radius="full"
                        ),
                    ),
                    variant="ghost",
                    aria_label=rx.cond(
                        BellState.unread > 0, f"Notifications ({BellState.unread} unread)", "Notifications"
                    ),
                ),
            ),
            rx.popover.content(
                rx.vstack(
                    rx.hstack(
                        rx.text("Notifications", weight="bold"),
                        rx.spacer(),
                        rx.button("Mark all read", size="1", variant="ghost", on_click=BellState.read_all),
                        width="100%",
                    ),
                    rx.cond(
                        BellState.items.length() > 0,
                        rx.vstack(
                            rx.foreach(
                                BellState.items,
                                lambda n: rx.button(
                                    rx.vstack(
                                        rx.text(
                                            n["text"],
                                            size="2",
                                            weight=rx.cond(n["unread"] != "", "bold", "regular"),
                                            text_align="left",
                                        ),
                                        rx.text(n["at"], size="1", color_scheme="gray"),
                                        spacing="0",
                                        align="start",
                                    ),
                                    variant="ghost",
                                    width="100%",
                                    justify="start",
                                    height="auto",
                                    padding_y="0.4em",
                                    on_click=BellState.open_item(n["id"], n["link"]),
                                ),
                            ),
                            spacing="1",
                            width="100%",
                            max_height="24em",
                            overflow_y="auto",
                            data_scroll_region="Notifications",
                        ),
                        rx.text("Nothing new.", size="2", color_scheme="gray"),
                    ),
                    width="22em",
                ),
            ),
        ),
        rx.moment(interval=POLL_MS, on_change=BellState.refresh, display="none"),
    )
