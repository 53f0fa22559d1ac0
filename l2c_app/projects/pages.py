"""Pages of the delivery stage: projects, the weekly time grid, approvals, the client's
change-order page and the delivery settings."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.components import project_panel
from l2c_app.projects.expenses_ui import expenses_card
from l2c_app.projects.state import (
    ApprovalState,
    ChangeOrderPublicState,
    DeliverySettingsState,
    ProjectsState,
    TimeState,
    TimeStatus,
)
from l2c_app.ui.composer import ComposerState, composer_dialog
from l2c_app.ui.layout import PHONE_HIDDEN, PHONE_ONLY, app_page, empty_state, error_callout, field_label, public_page

SELECT_STYLE = {
    "padding": "0.4em",
    "border_radius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
}


def _th(*names: str) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(n) for n in names]))


def section(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"),
        width="100%",
        role="region",
        aria_label=title,
        **props,
    )


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


@app_page("/projects", "Projects", "projects", on_load=ProjectsState.load_list)
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
                    _th("Contract", "Deal", ""), rx.table.body(rx.foreach(ProjectsState.ready, ready_row)), width="100%"
                ),
            ),
        ),
        rx.cond(
            ProjectsState.projects.length() > 0,
            rx.table.root(
                _th("Project", "Client", "Status", "Planned", "Time logged", "Burn"),
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
        _th("Budget line", "Rate", "Budget hours", "Actual hours", "Budget", "Actual", "Burn"),
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


def co_row(c: rx.Var) -> rx.Component:
    color = rx.match(c["status"], ("approved", "green"), ("declined", "red"), ("sent", "blue"), "gray")
    return rx.table.row(
        rx.table.cell(c["number"]),
        rx.table.cell(c["description"]),
        rx.table.cell(c["kind"]),
        rx.table.cell(c["amount"]),
        rx.table.cell(c["tax"]),
        rx.table.cell(c["total"]),
        rx.table.cell(rx.badge(c["status"], color_scheme=color)),
        rx.table.cell(
            rx.cond(
                c["status"] == "approved",
                rx.text("Approved by ", c["approved"], size="1"),
                rx.hstack(
                    rx.cond(
                        c["status"] == "draft",
                        rx.button(
                            "Send to client",
                            size="1",
                            on_click=ComposerState.open_for("changeorder", c["id"]),
                            aria_label=f"Send change order {c['number']} to client",
                        ),
                    ),
                    rx.cond(
                        c["via"] == "docusign",
                        rx.badge("Sent via DocuSign", color_scheme="indigo", variant="soft"),
                        rx.cond(
                            c["status"] != "declined", rx.link("Client link", href=c["url"], size="1", is_external=True)
                        ),
                    ),
                ),
            )
        ),
    )


def change_order_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            error_callout(ProjectsState.co_error),
            field_label("Description of the change", rx.text_area(name="description", required=True, rows="2")),
            rx.radio_group.root(
                rx.hstack(
                    rx.el.label(rx.hstack(rx.radio_group.item(value="fixed"), rx.text("Fixed price", size="2"))),
                    rx.el.label(rx.hstack(rx.radio_group.item(value="hours"), rx.text("Hours x rate", size="2"))),
                    spacing="4",
                ),
                value=ProjectsState.co_kind,
                on_change=ProjectsState.set_co_kind,
                aria_label="Pricing",
            ),
            rx.cond(
                ProjectsState.co_kind == "fixed",
                field_label(
                    "Price",
                    rx.input(name="amount", placeholder="1500.00"),
                    "Excl. tax, in the project's currency. Taxed at the contract's rate for this work "
                    "(else the organisation's default); approved, it is billed as a fixed item.",
                ),
                rx.hstack(
                    field_label("Extra hours", rx.input(name="hours", placeholder="10h")),
                    field_label("Hourly rate", rx.input(name="rate", placeholder="120.00")),
                    field_label("Role", rx.input(name="role", placeholder="Senior developer")),
                    width="100%",
                ),
            ),
            rx.button("Create change order", type="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=ProjectsState.create_change_order,
        reset_on_submit=True,
        width="100%",
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
                    _th("Item", "Kind", "Amount", "Due", "Status", ""),
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
                    _th("Retainer", "Monthly", "Term", "Total", "Starts", "E-mail the monthly invoice"),
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
                _th("Member", "E-mail", "Billing role", "Rate"),
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
                        rx.el.select(
                            rx.foreach(ProjectsState.user_options, lambda u: rx.el.option(u["name"], value=u["id"])),
                            name="user",
                            style=SELECT_STYLE,
                        ),
                    ),
                    field_label(
                        "Billing role",
                        rx.el.select(
                            rx.el.option("–", value=""),
                            rx.foreach(ProjectsState.line_options, lambda b: rx.el.option(b["role"], value=b["id"])),
                            name="budget_line",
                            style=SELECT_STYLE,
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
                    _th("#", "Change", "Pricing", "Amount excl. tax", "Tax", "Total", "Status", ""),
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


@app_page("/projects/[project_id]", "Project", "projects", on_load=ProjectsState.load_detail)
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


# --- /time ------------------------------------------------------------------------------------------

# Spreadsheet keys (issue 22). A focused cell is in "move" mode: its text is selected, typing
# replaces it, and the arrow keys move to the next cell (leaving a cell saves it). Enter on an
# untouched cell, F2 or a double click puts the cell in "edit" mode: Left/Right then move the
# text cursor. Enter after typing (or in edit mode) moves down, Shift+Enter up; Escape puts
# back the value the cell had. Tab is the browser's own. Each view (the week table, the
# phone's day list) moves only among its own cells.
GRID_JS = """
(function () {
  if (window.__l2cTimeGrid) return;
  window.__l2cTimeGrid = true;
  function cell(t) { return t && t.dataset && t.dataset.gridRow !== undefined ? t : null; }
  function mode(t, editing) {
    t.dataset.editing = editing ? '1' : '0';
    if (editing) t.setAttribute('aria-description', 'editing: arrow keys move the text cursor');
    else t.removeAttribute('aria-description');
  }
  document.addEventListener('focusin', function (e) {
    var t = cell(e.target);
    if (!t) return;
    t.dataset.before = t.value; t.dataset.dirty = '0'; mode(t, false);
    if (t.select) t.select();
  });
  /* A click selects the cell (its text, ready to be typed over); a double click edits it. */
  document.addEventListener('mousedown', function (e) {
    var t = cell(e.target);
    if (t && t.dataset.editing !== '1') t.dataset.clicked = '1';
  });
  document.addEventListener('mouseup', function (e) {
    var t = cell(e.target);
    if (t && t.dataset.clicked === '1') { t.dataset.clicked = '0'; e.preventDefault(); t.select(); }
  });
  document.addEventListener('dblclick', function (e) {
    var t = cell(e.target);
    if (t && !t.readOnly) mode(t, true);
  });
  document.addEventListener('input', function (e) {
    var t = cell(e.target);
    if (t) t.dataset.dirty = '1';
  });
  document.addEventListener('keydown', function (e) {
    var t = cell(e.target);
    if (!t) return;
    var editing = t.dataset.editing === '1', dirty = t.dataset.dirty === '1';
    var r = parseInt(t.dataset.gridRow, 10), c = parseInt(t.dataset.gridCol, 10), dr = 0, dc = 0;
    if (e.key === 'F2') {
      e.preventDefault(); mode(t, !editing);
      var end = (t.value || '').length; t.setSelectionRange(end, end); return;
    }
    if (e.key === 'Escape') {
      e.preventDefault(); t.value = t.dataset.before || ''; t.dataset.dirty = '0'; mode(t, false); t.select();
      return;
    }
    if (e.key === 'Enter') {
      if (!editing && !dirty && !t.readOnly && !e.shiftKey) {
        e.preventDefault(); mode(t, true);
        var n = (t.value || '').length; t.setSelectionRange(n, n); return;
      }
      dr = e.shiftKey ? -1 : 1;
    }
    else if (e.key === 'ArrowUp') dr = -1;
    else if (e.key === 'ArrowDown') dr = 1;
    else if (e.key === 'ArrowLeft' && !editing) dc = -1;
    else if (e.key === 'ArrowRight' && !editing) dc = 1;
    else return;
    e.preventDefault();
    var view = t.closest('[data-grid-view]') || document;
    var next = view.querySelector('[data-grid-row="' + (r + dr) + '"][data-grid-col="' + (c + dc) + '"]');
    if (next) next.focus();
    else { t.blur(); t.focus(); }  /* the edge: save what was typed and stay */
  });
})();
"""


def _cell_input(
    key: rx.Var,
    label,
    row_index,
    col: int | rx.Var,
    day,
    stored: rx.Var,
    locked: rx.Var,
    bad: rx.Var,
    view: str,
    **size,
) -> rx.Component:
    """One cell: read-only with the reason when locked; else an input that saves on leaving it.
    A value a save refused stays, marked invalid (the error above names the cell)."""
    common = dict(aria_label=label, data_grid_row=row_index, data_grid_col=col, size="2", text_align="right", **size)
    return rx.cond(
        locked != "",
        rx.tooltip(
            rx.input(value=stored, read_only=True, variant="soft", color_scheme="gray", **common),
            content=f"Locked: {locked}",
        ),
        rx.input(
            default_value=rx.cond(bad != "", bad, stored),
            key=f"{view}-{TimeState.monday}-{key}-{day}-{stored}-{bad}-{TimeState.version}",
            on_blur=lambda v: TimeState.save_cell(key, day, v),
            on_focus=TimeState.focus_cell(key, day),
            placeholder="",
            auto_complete="off",
            aria_invalid=rx.cond(bad != "", "true", "false"),
            color_scheme=rx.cond(bad != "", "red", "gray"),
            variant=rx.cond(bad != "", "soft", "surface"),
            **common,
        ),
    )


def grid_cell(row: rx.Var, i: rx.Var, d: int) -> rx.Component:
    return rx.table.cell(
        _cell_input(
            row["key"],
            f"{row['label']}, {TimeState.day_names[d]}",
            i,
            d,
            d,
            row[f"c{d}"],
            row[f"l{d}"],
            row[f"b{d}"],
            "w",
            width="5.2em",
        ),
        padding="0.25em",
    )


def billable_box(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.checkbox(
            checked=row["billable"] == "yes",
            size="1",
            aria_label=f"Billable: {row['label']}",
            on_change=lambda v: TimeState.toggle_billable(row["key"], v),
        ),
        rx.text("Billable", size="1", color_scheme="gray", aria_hidden="true"),
        spacing="1",
        align="center",
    )


def approved_note(row: rx.Var) -> rx.Component:
    return rx.cond(row["approved"] != "", rx.text(row["approved"], size="1", color_scheme="green"))


def grid_row(row: rx.Var, i: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row["label"], size="2", weight="medium"), billable_box(row), approved_note(row), spacing="1"
            )
        ),
        *[grid_cell(row, i, d) for d in range(7)],
        rx.table.cell(
            rx.text(row["total"], weight="medium"), text_align="right", aria_label=f"Total of {row['label']}"
        ),
    )


def week_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Project · budget line"),
                rx.foreach(TimeState.day_labels, lambda d: rx.table.column_header_cell(d, text_align="right")),
                rx.table.column_header_cell("Total", text_align="right"),
            )
        ),
        rx.table.body(
            rx.foreach(TimeState.rows, grid_row),
            rx.table.row(
                rx.table.row_header_cell("Day total"),
                rx.foreach(TimeState.day_totals, lambda t: rx.table.cell(t, text_align="right", font_weight="bold")),
                rx.table.cell(TimeState.week_total, text_align="right", font_weight="bold", aria_label="Week total"),
            ),
        ),
        width="100%",
        variant="surface",
        aria_label="Weekly time grid",
        data_grid_view="week",
    )


def day_card(row: rx.Var, i: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(row["label"], size="2", weight="medium"),
                billable_box(row),
                rx.text("Week: ", row["total"], size="1", color_scheme="gray"),
                approved_note(row),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            _cell_input(
                row["key"],
                f"{row['label']} on {TimeState.day_heading}",
                i,
                0,
                row["day"],
                row["text"],
                row["locked"],
                row["bad"],
                "d",
                width="6em",
            ),
            align="center",
            width="100%",
            spacing="3",
            class_name="l2c-nowrap",
        ),
        width="100%",
        size="1",
    )


def day_view() -> rx.Component:
    """Phones (below 768 px): one day at a time, the same cells, saves and keys as the week."""
    return rx.vstack(
        rx.hstack(
            rx.icon_button(
                rx.icon("chevron-left", size=16),
                variant="soft",
                on_click=TimeState.shift_day(-1),
                aria_label="Previous day",
            ),
            rx.heading(TimeState.day_heading, size="4", flex="1", text_align="center", aria_live="polite"),
            rx.icon_button(
                rx.icon("chevron-right", size=16),
                variant="soft",
                on_click=TimeState.shift_day(1),
                aria_label="Next day",
            ),
            width="100%",
            align="center",
        ),
        rx.foreach(TimeState.day_rows, day_card),
        rx.hstack(
            rx.text("Day total", weight="bold"),
            rx.spacer(),
            rx.text(TimeState.day_total, weight="bold", aria_label="Day total"),
            width="100%",
            padding_x="0.75em",
        ),
        role="group",
        aria_label="Time of one day",
        data_grid_view="day",
        width="100%",
        spacing="2",
        class_name="l2c-day-view",
    )


def add_row_box() -> rx.Component:
    return rx.vstack(
        field_label(
            "Add a row: find a project",
            rx.input(
                value=TimeState.search,
                on_change=TimeState.find_projects.debounce(250),
                placeholder="Project name…",
                width="22em",
            ),
        ),
        rx.foreach(
            TimeState.results,
            lambda r: rx.button(
                rx.icon("plus", size=14),
                r["label"],
                size="1",
                variant="soft",
                on_click=TimeState.add_row(r["key"]),
                aria_label=f"Add row {r['label']}",
            ),
        ),
        spacing="2",
        align="start",
    )


@app_page("/time", "Time", "time", on_load=TimeState.load)
def time_page() -> rx.Component:
    return rx.vstack(
        rx.script(GRID_JS),
        rx.hstack(
            # On a phone the day view's previous / next day turn the week: no week buttons there.
            rx.button(
                rx.icon("chevron-left", size=14),
                "Previous week",
                variant="soft",
                on_click=TimeState.shift_week(-1),
                display=PHONE_HIDDEN,
            ),
            rx.button(
                rx.text("This week", display=PHONE_HIDDEN),
                rx.text("Today", display=PHONE_ONLY),
                variant="soft",
                on_click=TimeState.shift_week(0),
            ),
            rx.button(
                "Next week",
                rx.icon("chevron-right", size=14),
                variant="soft",
                on_click=TimeState.shift_week(1),
                display=PHONE_HIDDEN,
            ),
            rx.heading("Week of ", TimeState.week_label, size="4"),
            rx.spacer(),
            rx.text(
                TimeStatus.text,
                size="2",
                color_scheme=rx.cond(TimeStatus.text == "Not saved", "red", "green"),
                aria_live="polite",
                role="status",
            ),
            rx.button(rx.icon("copy", size=14), "Copy last week", variant="outline", on_click=TimeState.copy_last_week),
            rx.cond(
                AuthState_allowed("approve_time"),
                rx.link(rx.button("Approvals", variant="outline"), href="/time/approvals"),
            ),
            width="100%",
            align="center",
            spacing="3",
        ),
        rx.hstack(
            rx.badge(
                TimeState.week_state,
                color_scheme=rx.cond(
                    TimeState.week_state == "Approved",
                    "green",
                    rx.cond(TimeState.week_state == "Not submitted", "gray", "blue"),
                ),
                size="2",
                aria_label="Week status",
            ),
            rx.cond(
                (TimeState.week_state == "Not submitted") & (TimeState.week_total != "0:00"),
                rx.button(
                    rx.icon("send", size=14),
                    "Submit week for approval",
                    variant="outline",
                    size="1",
                    on_click=TimeState.submit_week,
                ),
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        error_callout(TimeState.error),
        rx.text(
            "Type 1.5, 1:30, 90m or 2h; arrows, Tab and Enter move between cells. Enter or F2 edits the "
            "text of a cell (arrows then move the cursor), Escape puts it back. Each cell saves when you "
            "leave it. A day holds at most 24 h.",
            size="1",
            color_scheme="gray",
        ),
        rx.cond(
            TimeState.rows.length() > 0,
            rx.fragment(
                rx.box(week_table(), display=PHONE_HIDDEN, width="100%"),
                rx.box(day_view(), display=PHONE_ONLY, width="100%"),
            ),
            empty_state("clock", "No rows this week", "Add a row by finding a project below, or copy last week's."),
        ),
        rx.cond(
            TimeState.note_label != "",
            rx.hstack(
                field_label(
                    f"Note for {TimeState.note_label}",
                    rx.input(
                        default_value=TimeState.note_text,
                        key=TimeState.note_label + TimeState.note_text,
                        on_blur=TimeState.save_note,
                        placeholder="What was done",
                        width="30em",
                    ),
                ),
                align="end",
            ),
        ),
        add_row_box(),
        width="100%",
        spacing="3",
    )


def AuthState_allowed(section_name: str) -> rx.Var:  # noqa: N802 - reads like the condition it is
    return TimeState.allowed_sections.contains(section_name)


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


@app_page("/time/approvals", "Time approvals", "approve_time", on_load=ApprovalState.load)
def approvals_page() -> rx.Component:
    return rx.cond(
        ApprovalState.weeks.length() > 0,
        rx.table.root(
            _th("Person", "Project", "Week of", "Hours", "Status", ""),
            rx.table.body(rx.foreach(ApprovalState.weeks, approval_row)),
            width="100%",
        ),
        empty_state(
            "check-check",
            "Nothing to approve",
            "Weeks of time on projects you lead appear here until you approve them.",
        ),
    )


# --- /co/[token] (public) -----------------------------------------------------------------------------


@public_page("/co/[token]", "Change order", on_load=ChangeOrderPublicState.load, portal_link=True)
def change_order_public_page() -> rx.Component:
    """Threat model: anyone with the link (a 256-bit random token) sees this one change order
    and may approve or decline it once; nothing else of the project is shown, and the
    service refuses a second decision."""
    c = ChangeOrderPublicState.co
    return rx.center(
        rx.card(
            rx.cond(
                ChangeOrderPublicState.missing,
                rx.vstack(
                    rx.heading("This link is not valid", size="5"),
                    rx.text("Ask your contact for a new link.", color_scheme="gray"),
                ),
                rx.vstack(
                    rx.text(c["org"], size="2", color_scheme="gray"),
                    rx.heading("Change order ", c["number"], " · ", c["project"], size="5"),
                    rx.text("For ", c["client"], size="2"),
                    rx.box(
                        rx.text(c["description"], white_space="pre-wrap"),
                        padding="0.75em",
                        background=rx.color("gray", 2),
                        border_radius="var(--radius-3)",
                        width="100%",
                    ),
                    rx.text(c["detail"], size="2"),
                    rx.data_list.root(
                        rx.data_list.item(rx.data_list.label(c["net_label"]), rx.data_list.value(c["price"])),
                        rx.data_list.item(rx.data_list.label(c["tax_label"]), rx.data_list.value(c["tax"])),
                        rx.data_list.item(
                            rx.data_list.label(rx.text("Total", weight="bold")),
                            rx.data_list.value(rx.heading(c["total"], size="5")),
                        ),
                        width="100%",
                    ),
                    rx.separator(),
                    rx.match(
                        c["status"],
                        (
                            "approved",
                            rx.callout(
                                rx.text("Approved by ", c["approved_name"], " on ", c["approved_at"], "."),
                                icon="check",
                                color_scheme="green",
                                role="status",
                            ),
                        ),
                        (
                            "declined",
                            rx.callout("You declined this change order.", icon="x", color_scheme="gray", role="status"),
                        ),
                        rx.cond(
                            c["via"] == "docusign",
                            rx.callout(
                                "This change order is out for signature in DocuSign: "
                                "please sign it from DocuSign's e-mail.",
                                icon="info",
                                color_scheme="blue",
                                role="status",
                            ),
                            rx.form(
                                rx.vstack(
                                    error_callout(ChangeOrderPublicState.error),
                                    field_label(
                                        "Your full name",
                                        rx.input(name="typed_name", required=True, auto_complete="name"),
                                        "Typing your name approves the change and its total.",
                                    ),
                                    rx.hstack(
                                        rx.button(
                                            "Approve change order", type="submit", loading=ChangeOrderPublicState.busy
                                        ),
                                        rx.button(
                                            "Decline",
                                            type="button",
                                            variant="soft",
                                            color_scheme="red",
                                            on_click=ChangeOrderPublicState.decline,
                                        ),
                                    ),
                                    spacing="3",
                                    width="100%",
                                ),
                                on_submit=ChangeOrderPublicState.approve,
                                reset_on_submit=False,
                                width="100%",
                            ),
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            width="36em",
            size="3",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


# --- /settings/delivery -------------------------------------------------------------------------------


def _setting_switch(checked: rx.Var, on_change, title: str, hint: str) -> rx.Component:
    """One on/off setting: the switch, its name and what it means (the label names the switch)."""
    return rx.el.label(
        rx.hstack(
            rx.switch(checked=checked, on_change=on_change),
            rx.vstack(rx.text(title, weight="medium"), rx.text(hint, size="1", color_scheme="gray"), spacing="0"),
            align="center",
        )
    )


@app_page("/settings/delivery", "Delivery settings", "settings", on_load=DeliverySettingsState.load)
def delivery_settings_page() -> rx.Component:
    s = DeliverySettingsState
    return rx.card(
        rx.vstack(
            _setting_switch(
                s.approval_required,
                s.set_approval_required,
                "Time approval required",
                "Only time approved by the project lead (or billing) is invoiced.",
            ),
            _setting_switch(
                s.auto_project,
                s.set_auto_project,
                "Create the project automatically when a contract is signed",
                "Otherwise someone clicks “Create project” on the signed contract.",
            ),
            rx.heading("Time rules", size="3"),
            _setting_switch(
                s.allow_future,
                s.set_allow_future,
                "Allow logging future days",
                "Off: days after today are locked in the time grid (and the API refuses them).",
            ),
            _setting_switch(
                s.sole_self_approval,
                s.set_sole_self_approval,
                "The only approver may approve their own week",
                "Nobody else approves your own time; this lets a project's only approver do it.",
            ),
            rx.button("Save delivery settings", on_click=DeliverySettingsState.save),
            spacing="4",
        ),
        max_width="40em",
    )
