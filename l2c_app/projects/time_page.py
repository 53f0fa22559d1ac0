"""/time: the weekly grid (a table on wide screens, one day at a time on a phone)."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.page_kit import AuthState_allowed
from l2c_app.projects.state import TimeState, TimeStatus
from l2c_app.ui.layout import PHONE_HIDDEN, PHONE_ONLY, empty_state, error_callout, field_label

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
