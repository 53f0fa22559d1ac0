"""Components of the delivery stage shown on other stages' pages: the deal page's panel,
the contract page's panel and the top-bar timer."""

import reflex as rx

from l2c_app.projects.state import ContractPanelState, DealPanelState, TimerState
from l2c_app.ui.kit import native_select


def deal_panel() -> rx.Component:
    """The projects section of the deal page (`/deals/[deal_id]`): its projects, or "Create project"."""
    return rx.card(
        rx.vstack(
            rx.heading("Projects", size="3"),
            rx.cond(
                DealPanelState.deal_projects.length() > 0,
                rx.vstack(
                    rx.foreach(
                        DealPanelState.deal_projects,
                        lambda p: rx.hstack(
                            rx.icon("folder-kanban", size=14),
                            rx.link(p["name"], href=f"/projects/{p['id']}"),
                            rx.badge(p["status"], size="1"),
                            align="center",
                        ),
                    ),
                    spacing="1",
                ),
                rx.text(
                    "No project yet. A won deal with an accepted quote becomes one in one click.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.cond(
                DealPanelState.allowed_sections.contains("projects") & (DealPanelState.deal_projects.length() == 0),
                rx.button(
                    "Create project from accepted quotes", size="1", variant="soft", on_click=DealPanelState.create
                ),
            ),
            spacing="2",
            width="100%",
        ),
        on_mount=DealPanelState.load,
        key=DealPanelState.router.page.raw_path,  # re-mount (and re-load) when another deal opens
        width="100%",
    )


def contract_panel() -> rx.Component:
    """On the contract page (`/contracts/[contract_id]`): "Create project" or a link to it."""
    return rx.box(
        rx.cond(
            ContractPanelState.panel_project_id != "",
            rx.callout(
                rx.hstack(
                    rx.text("Project: "),
                    rx.link(
                        ContractPanelState.panel_project_name, href=f"/projects/{ContractPanelState.panel_project_id}"
                    ),
                ),
                icon="folder-kanban",
                color_scheme="green",
                width="100%",
            ),
            rx.cond(
                (ContractPanelState.panel_status == "completed")
                & ContractPanelState.allowed_sections.contains("projects"),
                rx.button(rx.icon("folder-plus", size=14), "Create project", on_click=ContractPanelState.create),
            ),
        ),
        on_mount=ContractPanelState.load,
        key=ContractPanelState.router.page.raw_path,  # re-mount (and re-load) when another contract opens
        width="100%",
    )


def timer_widget() -> rx.Component:
    """Start/stop timer in the top bar that writes into today's cell of the time grid."""
    return rx.cond(
        TimerState.allowed_sections.contains("time"),
        rx.cond(
            TimerState.timer_started > 0,
            rx.hstack(
                rx.icon("timer", size=16, color=rx.color("green", 10)),
                rx.text(TimerState.timer_label, size="1"),
                rx.button(
                    rx.icon("square", size=12),
                    "Stop timer",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    on_click=TimerState.stop,
                ),
                align="center",
                spacing="2",
            ),
            rx.popover.root(
                rx.popover.trigger(
                    rx.button(rx.icon("timer", size=14), "Timer", size="1", variant="ghost", aria_label="Open timer")
                ),
                rx.popover.content(
                    rx.vstack(
                        rx.cond(
                            TimerState.timer_projects.length() > 0,
                            rx.vstack(
                                rx.el.label(
                                    rx.vstack(
                                        rx.text("Project to time", size="2", weight="medium"),
                                        native_select(
                                            dynamic=TimerState.timer_projects,
                                            value=TimerState.timer_project,
                                            on_change=TimerState.pick_project,
                                            min_width="14em",
                                        ),
                                        spacing="1",
                                    )
                                ),
                                rx.popover.close(
                                    rx.button(
                                        rx.icon("play", size=12), "Start timer", size="1", on_click=TimerState.start
                                    )
                                ),
                                spacing="2",
                            ),
                            rx.text("No active project to time yet.", size="2", color_scheme="gray"),
                        ),
                        spacing="2",
                    ),
                ),
                on_open_change=TimerState.open_timer,
            ),
        ),
    )
