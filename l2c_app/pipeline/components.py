"""Components of the pipeline stage shown elsewhere."""

import reflex as rx

from l2c_app.pipeline.state import MyDayState


def my_day_panel() -> rx.Component:
    """Overdue and due-today tasks and stale deals of the signed-in user, on the home page."""
    return rx.grid(
        rx.card(
            rx.vstack(
                rx.heading("Tasks due", size="3"),
                rx.cond(
                    MyDayState.tasks.length() > 0,
                    rx.foreach(
                        MyDayState.tasks,
                        lambda t: rx.hstack(
                            rx.checkbox(on_change=MyDayState.done(t["id"]), aria_label=f"Done: {t['subject']}"),
                            rx.vstack(
                                rx.text(t["subject"], size="2", weight="medium"),
                                rx.hstack(
                                    rx.link(t["deal"], href=f"/deals/{t['deal_id']}", size="1"),
                                    rx.text(t["due"], size="1", color_scheme="gray"),
                                    rx.badge(
                                        t["overdue"],
                                        color_scheme=rx.cond(t["overdue"] == "overdue", "red", "blue"),
                                        size="1",
                                    ),
                                    spacing="2",
                                ),
                                spacing="0",
                            ),
                            align="start",
                            width="100%",
                        ),
                    ),
                    rx.text("Nothing overdue or due today.", size="2", color_scheme="gray"),
                ),
                spacing="2",
                width="100%",
            )
        ),
        rx.card(
            rx.vstack(
                rx.heading("Stale deals", size="3"),
                rx.text(
                    "Open deals with no activity for ", MyDayState.stale_days, " days.", size="1", color_scheme="gray"
                ),
                rx.cond(
                    MyDayState.stale.length() > 0,
                    rx.foreach(
                        MyDayState.stale,
                        lambda d: rx.hstack(
                            rx.link(d["title"], href=f"/deals/{d['id']}", size="2"),
                            rx.spacer(),
                            rx.text(d["idle"], size="1", color_scheme="gray"),
                            width="100%",
                        ),
                    ),
                    rx.cond(
                        MyDayState.open_deals > 0,
                        rx.text("Every open deal moved recently.", size="2", color_scheme="gray"),
                        rx.text(
                            "No deals yet: ",
                            rx.link("convert a lead", href="/leads"),
                            " into a deal, or ",
                            rx.link("import leads", href="/leads/import"),
                            " first.",
                            size="2",
                            color_scheme="gray",
                        ),
                    ),
                ),
                spacing="2",
                width="100%",
            )
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
        on_mount=MyDayState.load,
    )
