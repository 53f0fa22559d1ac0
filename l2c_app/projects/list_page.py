"""/projects: contracts ready to become projects, and the projects with their burn."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.page_kit import section, table_header
from l2c_app.projects.state import ProjectsState
from l2c_app.ui.layout import empty_state

# --- /projects ------------------------------------------------------------------------------------


def ready_row(c: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(c["title"]),
        rx.table.cell(c["deal"]),
        rx.table.cell(
            rx.button(
                "Create project",
                size="1",
                on_click=ProjectsState.create_from_contract(c["id"]),
                aria_label=f"Create project from {c['title']}",
            )
        ),
    )


def project_row(p: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(p["name"], href=f"/projects/{p['id']}")),
        rx.table.cell(p["account"]),
        rx.table.cell(rx.badge(p["status"])),
        rx.table.cell(p["planned"]),
        rx.table.cell(p["hours"]),
        rx.table.cell(rx.badge(p["burn"], color_scheme=p["color"])),
    )


def projects_page() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ProjectsState.ready.length() > 0,
            section(
                "Signed contracts ready to start",
                rx.text(
                    "One click turns a signed contract into a project: its quote lines become the plan.",
                    color_scheme="gray",
                    size="2",
                ),
                rx.table.root(
                    table_header("Contract", "Deal", ""),
                    rx.table.body(rx.foreach(ProjectsState.ready, ready_row)),
                    width="100%",
                ),
            ),
        ),
        rx.cond(
            ProjectsState.projects.length() > 0,
            rx.table.root(
                table_header("Project", "Client", "Status", "Planned", "Time logged", "Burn"),
                rx.table.body(rx.foreach(ProjectsState.projects, project_row)),
                width="100%",
            ),
            empty_state(
                "folder-kanban",
                "No projects yet",
                "A signed contract becomes a project in one click: its quote lines become the plan.",
            ),
        ),
        width="100%",
        spacing="4",
    )
