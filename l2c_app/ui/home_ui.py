"""My day's pieces: the getting-started checklist and one count figure."""

from __future__ import annotations

import reflex as rx

from l2c_app.ui.admin_state import HomeState


def checklist_step(st: rx.Var) -> rx.Component:
    done = st["done"] == "yes"
    return rx.hstack(
        rx.cond(
            done,
            rx.icon("circle-check", size=18, color=rx.color("green", 11), aria_hidden="true", flex_shrink="0"),
            rx.icon("circle", size=18, color=rx.color("gray", 11), aria_hidden="true", flex_shrink="0"),
        ),
        rx.vstack(
            rx.link(
                st["title"],
                href=st["href"],
                weight="medium",
                size="2",
                text_decoration=rx.cond(done, "line-through", "underline"),
            ),
            rx.text(rx.cond(done, "Done. ", ""), st["text"], size="1", color_scheme="gray"),
            spacing="0",
            min_width="0",
        ),
        align="start",
        spacing="2",
        width="100%",
        class_name="l2c-nowrap",
    )


def getting_started() -> rx.Component:
    """Shown to people who may set up, until every step is done."""
    return rx.cond(
        HomeState.steps.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Getting started", size="4"),
                    rx.spacer(),
                    rx.text(
                        HomeState.steps_done, " of ", HomeState.steps.length(), " done", size="2", color_scheme="gray"
                    ),
                    width="100%",
                    align="center",
                ),
                rx.progress(
                    value=HomeState.steps_done
                    * 100
                    // rx.cond(HomeState.steps.length() > 0, HomeState.steps.length(), 1),
                    aria_label="Getting started progress",
                ),
                rx.el.ul(
                    rx.foreach(HomeState.steps, lambda st: rx.el.li(checklist_step(st), list_style="none")),
                    padding="0",
                    margin="0",
                    width="100%",
                    display="grid",
                    gap="0.6em",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            max_width="44em",
            role="region",
            aria_label="Getting started",
        ),
    )


def stat(label: str, value: rx.Var, href: str) -> rx.Component:
    return rx.link(
        rx.card(rx.vstack(rx.text(label, size="2", color_scheme="gray"), rx.heading(value, size="7")), width="12em"),
        href=href,
        underline="none",
    )
