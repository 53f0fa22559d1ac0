"""/time/approvals: the weeks waiting for the viewer's approval."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.page_kit import table_header
from l2c_app.projects.state import ApprovalState
from l2c_app.ui.layout import empty_state


def approval_row(w: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(w["user_name"]),
        rx.table.cell(w["project_name"]),
        rx.table.cell(w["week_label"]),
        rx.table.cell(w["hours"]),
        rx.table.cell(w["submitted"]),
        rx.table.cell(
            rx.cond(
                w["blocked"] != "",
                rx.vstack(
                    rx.button(
                        "Approve week",
                        size="1",
                        disabled=True,
                        aria_label=f"Approve week of {w['monday']} for {w['user_name']} on "
                        f"{w['project_name']} (not allowed: your own week)",
                    ),
                    rx.text(w["blocked"], size="1", color_scheme="gray"),
                    spacing="1",
                ),
                rx.button(
                    "Approve week",
                    size="1",
                    on_click=ApprovalState.approve(w["key"]),
                    aria_label=f"Approve week of {w['monday']} for {w['user_name']} on {w['project_name']}",
                ),
            )
        ),
    )


def approvals_page() -> rx.Component:
    return rx.cond(
        ApprovalState.weeks.length() > 0,
        rx.table.root(
            table_header("Person", "Project", "Week of", "Hours", "Status", ""),
            rx.table.body(rx.foreach(ApprovalState.weeks, approval_row)),
            width="100%",
        ),
        empty_state(
            "check-check",
            "Nothing to approve",
            "Weeks of time on projects you lead appear here until you approve them.",
        ),
    )
