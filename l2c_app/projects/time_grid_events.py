"""The time grid's events: turn the week or the day, save a cell (a refused value stays in its
cell, marked), its note, billable, submit the week, copy last week, find and add a row.

A Reflex mixin of `state.TimeState`: Reflex copies its handlers onto that state, so the
frontend still addresses them as TimeState's (`TimeState.save_cell`)."""

from __future__ import annotations

from datetime import date, timedelta

import reflex as rx

from l2c_app.core import formats
from l2c_app.core.db import run_db
from l2c_app.core.formats import week_start  # the organisation locale's first day
from l2c_app.projects import service as svc
from l2c_app.projects import weeks
from l2c_app.projects.duration import DurationError, parse_duration
from l2c_app.projects.time_grid_rows import DAY_NAMES, focus_first_cell_js, index_in_week
from l2c_app.ui.guard import current_access, guard


class TimeGridEvents(rx.State, mixin=True):
    """Handlers only: the vars and helpers they use (`self.rows`, `self._reload`, ...) are TimeState's."""

    @rx.event
    @guard("time")
    async def shift_week(self, weeks: int):
        access = current_access()
        base = date.fromisoformat(self.monday) if self.monday else week_start(self._today())
        self._go_to_week(base + timedelta(weeks=weeks) if weeks else week_start(self._today()))
        await self._say("")
        await self._reload(access.viewer.id)
        if not weeks:
            self.day_index = index_in_week(self.monday, self._today())
        return None

    @rx.event
    @guard("time")
    async def shift_day(self, days: int):
        """The phone's previous / next day; past Sunday or before Monday it turns the week."""
        access = current_access()
        target = date.fromisoformat(self.monday) + timedelta(days=self.day_index + int(days))
        if week_start(target).isoformat() != self.monday:
            self._go_to_week(week_start(target))
            await self._say("")
        self.day_index = (target - week_start(target)).days
        await self._reload(access.viewer.id)
        return None

    @rx.event
    @guard("time")
    async def save_cell(self, key: str, day_index: int, value: str):
        access = current_access()
        day_index = int(day_index)
        row = next((r for r in self.rows if r["key"] == key), None)
        if row is None or row[f"l{day_index}"]:
            return
        text, spot = (value or "").strip(), f"{key}|{day_index}"
        if spot in self.bad:
            if text == self.bad[spot]:
                return  # the refused value, unchanged: still marked
            if text == row[f"c{day_index}"]:  # put back as stored: nothing to save
                self.bad = {k: v for k, v in self.bad.items() if k != spot}
                self.error = ""
                await self._say("" if self.bad else "All changes saved")
                await self._reload(access.viewer.id)
                return
        elif text == row[f"c{day_index}"]:
            return  # nothing changed: no save, no flicker
        await self._say("Saving…")
        yield
        project_id, budget_line_id = svc.parse_row_key(key)
        day = date.fromisoformat(self.monday) + timedelta(days=int(day_index))
        try:
            minutes = parse_duration(value)
            await run_db(
                svc.upsert_time,
                self._actor(),
                user_id=access.viewer.id,
                project_id=project_id,
                budget_line_id=budget_line_id,
                day=day,
                minutes=minutes,
                billable=row["billable"] == "yes",
            )
        except (svc.DeliveryError, DurationError) as exc:
            # The typed value stays in its cell, marked, and the message names the cell.
            self.bad = {**self.bad, spot: text}
            self.error = f"{row['label']}, {DAY_NAMES[day.weekday()]} {formats.day(day)}: {str(exc)}"
            await self._say("Not saved")
            await self._reload(access.viewer.id)
            return
        if key not in self.extra_rows:  # keep the row even if the cell was cleared
            self.extra_rows = [*self.extra_rows, key]
        self.bad = {k: v for k, v in self.bad.items() if k != spot}
        self.error = ""
        await self._say("Not saved" if self.bad else "All changes saved")
        # The write is committed (run_db): say so now, in a small delta of its own; the re-read
        # totals follow (the whole grid's rows: the browser's larger render comes after).
        yield
        await self._reload(access.viewer.id)

    @rx.event
    def focus_cell(self, key: str, day_index: int):
        row = next((r for r in self.rows if r["key"] == key), None)
        if row is None:
            return
        self.note_row, self.note_day = key, int(day_index)
        self.note_text = row[f"n{day_index}"]
        self.note_label = f"{row['label']}, {self.day_labels[int(day_index)]}"

    @rx.event
    @guard("time")
    async def save_note(self, value: str):
        access = current_access()
        row = next((r for r in self.rows if r["key"] == self.note_row), None)
        if row is None or self.note_day < 0 or (value or "") == row[f"n{self.note_day}"]:
            return None
        if not row[f"c{self.note_day}"]:
            self.error = "Enter time in the cell first, then its note."
            return None
        project_id, budget_line_id = svc.parse_row_key(self.note_row)
        day = date.fromisoformat(self.monday) + timedelta(days=self.note_day)
        try:
            await run_db(
                svc.upsert_time,
                self._actor(),
                user_id=access.viewer.id,
                project_id=project_id,
                budget_line_id=budget_line_id,
                day=day,
                minutes=parse_duration(row[f"c{self.note_day}"]),
                note=value or "",
            )
        except (svc.DeliveryError, DurationError) as exc:
            self.error = str(exc)
            return None
        self.error = ""
        await self._say("All changes saved")
        await self._reload(access.viewer.id)
        return None

    @rx.event
    @guard("time")
    async def toggle_billable(self, key: str, billable: bool):
        access = current_access()
        project_id, budget_line_id = svc.parse_row_key(key)
        await run_db(
            svc.set_row_billable,
            self._actor(),
            user_id=access.viewer.id,
            project_id=project_id,
            budget_line_id=budget_line_id,
            monday=date.fromisoformat(self.monday),
            billable=bool(billable),
        )
        self.rows = [{**r, "billable": "yes" if billable else "no"} if r["key"] == key else r for r in self.rows]
        await self._say("All changes saved")
        return None

    @rx.event
    @guard("time")
    async def submit_week(self):
        access = current_access()
        try:
            await run_db(weeks.submit_week, self._actor(), access.viewer.id, date.fromisoformat(self.monday))
        except svc.DeliveryError as exc:
            return rx.toast.error(str(exc))
        await self._reload(access.viewer.id)
        return rx.toast.success("Week submitted for approval.")

    @rx.event
    @guard("time")
    async def copy_last_week(self):
        access = current_access()
        keys = await run_db(svc.last_week_rows, access.viewer.id, date.fromisoformat(self.monday))
        if not keys:
            return rx.toast.info("Nothing was logged last week.")
        self.extra_rows = list(dict.fromkeys([*self.extra_rows, *keys]))
        await self._reload(access.viewer.id)
        return rx.toast.success(f"{len(keys)} row(s) copied from last week.")

    @rx.event
    @guard("time")
    async def find_projects(self, text: str):
        self.search = text
        self.results = await run_db(svc.searchable_rows, text) if text.strip() else []
        return None

    @rx.event
    @guard("time")
    async def add_row(self, key: str):
        access = current_access()
        label = next((r["label"] for r in self.results if r["key"] == key), "")
        if key not in self.extra_rows:
            self.extra_rows = [*self.extra_rows, key]
        self._keep_row(key)
        self.results, self.search = [], ""
        await self._reload(access.viewer.id)
        # Focus goes to the new row's first cell (not to the page body).
        return rx.call_script(focus_first_cell_js(label)) if label else None
