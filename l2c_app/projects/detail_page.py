"""/projects/[project_id]: the project's head, budget, milestones, retainers, team and timeline."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.components import project_panel
from l2c_app.projects.change_order_card import change_order_form, co_row
from l2c_app.projects.expenses_ui import expenses_card
from l2c_app.projects.page_kit import section, table_header
from l2c_app.projects.state import ProjectsState
from l2c_app.ui.composer import composer_dialog
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import empty_state, error_callout, field_label

# --- /projects/[project_id] -------------------------------------------------------------------------


def budget_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["role"]),
        rx.table.cell(r["rate"]),
        rx.table.cell(r["budget_hours"]),
        rx.table.cell(r["actual_hours"]),
        rx.table.cell(r["budget_money"]),
        rx.table.cell(r["actual_money"]),
        rx.table.cell(rx.badge(r["burn"], color_scheme=r["color"])),
    )


def budget_table() -> rx.Component:
    t = ProjectsState.total
    return rx.table.root(
        table_header("Budget line", "Rate", "Budget hours", "Actual hours", "Budget", "Actual", "Burn"),
        rx.table.body(
            rx.foreach(ProjectsState.lines, budget_row),
            rx.table.row(
                rx.table.row_header_cell("Total"),
                rx.table.cell(""),
                rx.table.cell(t["budget_hours"]),
                rx.table.cell(t["actual_hours"]),
                rx.table.cell(t["budget_money"]),
                rx.table.cell(t["actual_money"]),
                rx.table.cell(rx.badge(t["burn"], color_scheme=t["color"])),
                font_weight="bold",
            ),
        ),
        width="100%",
        aria_label="Budget vs actual",
    )


def milestone_row(m: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m["name"]),
        rx.table.cell(m["kind"]),
        rx.table.cell(m["amount"]),
        rx.table.cell(m["due"]),
        rx.table.cell(rx.badge(m["status"], color_scheme=rx.cond(m["status"] == "reached", "green", "gray"))),
        rx.table.cell(
            rx.cond(
                m["status"] == "reached",
                rx.text(m["reached_on"], size="1", color_scheme="gray"),
                rx.cond(
                    m["kind"] == "Milestone",
                    rx.button(
                        "Mark reached",
                        size="1",
                        variant="soft",
                        on_click=ProjectsState.mark_reached(m["id"]),
                        aria_label=f"Mark {m['name']} reached",
                    ),
                ),
            )
        ),
    )


def detail_body() -> rx.Component:
    h = ProjectsState.head
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading(h["name"], size="6"),
                rx.hstack(
                    rx.select(
                        ["active", "on_hold", "done"],
                        value=h["status"],
                        on_change=ProjectsState.set_status,
                        size="1",
                        custom_attrs={"aria-label": "Project status"},
                    ),
                    rx.text("Client: ", h["account"], size="2"),
                    rx.text("Project lead: ", h["lead"], size="2"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(h["deal_url"] != "", rx.link("Deal: ", h["deal_title"], href=h["deal_url"])),
            rx.cond(h["contract_url"] != "", rx.link("Contract", href=h["contract_url"])),
            rx.cond(
                h["pdf_url"] != "",
                rx.link(
                    rx.hstack(rx.icon("file-check", size=14), "Signed contract (PDF)"),
                    href=h["pdf_url"],
                    is_external=True,
                ),
            ),
            width="100%",
            align="center",
            spacing="4",
        ),
        rx.foreach(
            ProjectsState.warnings,
            lambda w: rx.callout(w["text"], icon="triangle-alert", color_scheme=w["color"], role="alert", width="100%"),
        ),
        rx.grid(
            rx.card(rx.text("Planned (quoted)", size="1", color_scheme="gray"), rx.heading(h["planned"], size="5")),
            rx.card(
                rx.text("Approved change orders", size="1", color_scheme="gray"),
                rx.heading(h["change_orders_total"], size="5"),
            ),
            rx.card(
                rx.text("Budget now", size="1", color_scheme="gray"),
                rx.heading(h["budget"], size="5", aria_label="Budget now"),
            ),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="3",
            width="100%",
        ),
        section(
            "Budget vs actual",
            rx.cond(
                ProjectsState.lines.length() > 0,
                budget_table(),
                rx.text(
                    "No hourly budget lines: the plan is fixed fees and milestones.", color_scheme="gray", size="2"
                ),
            ),
        ),
        section(
            "Milestones and fixed fees",
            rx.cond(
                ProjectsState.milestones.length() > 0,
                rx.table.root(
                    table_header("Item", "Kind", "Amount", "Due", "Status", ""),
                    rx.table.body(rx.foreach(ProjectsState.milestones, milestone_row)),
                    width="100%",
                ),
                rx.text("No milestones.", color_scheme="gray", size="2"),
            ),
        ),
        rx.cond(
            ProjectsState.retainers.length() > 0,
            section(
                "Retainers",
                rx.table.root(
                    table_header("Retainer", "Monthly", "Term", "Total", "Starts", "E-mail the monthly invoice"),
                    rx.table.body(
                        rx.foreach(
                            ProjectsState.retainers,
                            lambda r: rx.table.row(
                                rx.table.cell(r["name"]),
                                rx.table.cell(r["amount"]),
                                rx.table.cell(r["term"]),
                                rx.table.cell(r["planned"]),
                                rx.table.cell(r["start"]),
                                rx.table.cell(
                                    rx.switch(
                                        checked=r["email"] == "1",
                                        on_change=lambda on: ProjectsState.set_retainer_email(r["id"], on),
                                        custom_attrs={"aria-label": "E-mail the monthly invoice of " + r["name"]},
                                    )
                                ),
                            ),
                        )
                    ),
                    width="100%",
                ),
            ),
        ),
        rx.cond(
            ProjectsState.pending_quotes.length() > 0,
            rx.callout(
                rx.vstack(
                    rx.text("Another accepted quote of this deal is not in the plan yet."),
                    rx.foreach(
                        ProjectsState.pending_quotes,
                        lambda q: rx.button(
                            "Add ", q["label"], " to the plan", size="1", on_click=ProjectsState.add_quote(q["id"])
                        ),
                    ),
                ),
                icon="file-plus",
                width="100%",
            ),
        ),
        section(
            "Team",
            rx.table.root(
                table_header("Member", "E-mail", "Billing role", "Rate"),
                rx.table.body(
                    rx.foreach(
                        ProjectsState.team,
                        lambda m: rx.table.row(
                            rx.table.cell(m["name"]),
                            rx.table.cell(m["email"]),
                            rx.table.cell(m["role"]),
                            rx.table.cell(m["rate"]),
                        ),
                    )
                ),
                width="100%",
            ),
            error_callout(ProjectsState.team_error),
            rx.form(
                rx.hstack(
                    field_label(
                        "Member",
                        native_select(name="user", dynamic=ProjectsState.user_options),
                    ),
                    field_label(
                        "Billing role",
                        native_select(
                            [("", "–")], name="budget_line", dynamic=ProjectsState.line_options, option_label="role"
                        ),
                    ),
                    field_label("Own rate per hour", rx.input(name="rate", placeholder="from the role")),
                    rx.button("Save member", type="submit"),
                    align="end",
                    width="100%",
                ),
                on_submit=ProjectsState.save_member,
                reset_on_submit=True,
                width="100%",
            ),
        ),
        section(
            "Change orders",
            rx.cond(
                ProjectsState.change_orders.length() > 0,
                rx.table.root(
                    table_header("#", "Change", "Pricing", "Amount excl. tax", "Tax", "Total", "Status", ""),
                    rx.table.body(rx.foreach(ProjectsState.change_orders, co_row)),
                    width="100%",
                ),
                rx.text("No change orders. Unapproved change orders are never billed.", color_scheme="gray", size="2"),
            ),
            rx.separator(),
            rx.heading("New change order", size="3"),
            change_order_form(),
            composer_dialog(),
        ),
        project_panel(),
        expenses_card(),
        section(
            "Timeline",
            rx.cond(
                ProjectsState.timeline.length() > 0,
                rx.vstack(
                    rx.foreach(
                        ProjectsState.timeline,
                        lambda t: rx.hstack(
                            rx.text(t["at"], size="1", color_scheme="gray", width="9em", flex_shrink="0"),
                            rx.text(t["text"], size="2", min_width="0"),
                            class_name="l2c-nowrap",
                        ),
                    ),
                    spacing="1",
                ),
                rx.text("Nothing yet.", color_scheme="gray", size="2"),
            ),
        ),
        width="100%",
        spacing="4",
    )


def project_page() -> rx.Component:
    return rx.cond(
        ProjectsState.not_found,
        empty_state(
            "folder-x",
            "Project not found",
            "It may have been removed, or the link is wrong.",
            rx.link(rx.button("All projects"), href="/projects"),
        ),
        rx.cond(ProjectsState.loaded_project > 0, detail_body(), rx.center(rx.spinner(size="3"), padding="4em")),
    )
