"""UI state of the delivery pages: thin, every rule lives in projects.service.

Display data is flattened into `list[dict[str, str]]`, formatted once (project_view,
time_grid_rows) so pages only place strings. Handlers of the project page and the time grid
are in the mixins project_events and time_grid_events (they stay these states' handlers).
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import reflex as rx

from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.db import run_db
from l2c_app.core.formats import week_start  # the organisation locale's first day
from l2c_app.core.timeutil import to_local, today_in, utcnow
from l2c_app.projects import service as svc
from l2c_app.projects import weeks
from l2c_app.projects.duration import format_minutes
from l2c_app.projects.project_events import ProjectEvents
from l2c_app.projects.project_view import ProjectRow, detail_view, list_view, public_change_order_view
from l2c_app.projects.time_grid_events import TimeGridEvents
from l2c_app.projects.time_grid_rows import DAY_NAMES, day_view_rows, grid_rows, index_in_week
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.session import AuthState, route_arg, route_id


def _err(exc: Exception) -> str:
    return str(exc)


class ProjectsState(ProjectEvents, AuthState):
    """/projects and /projects/[project_id]."""

    projects: list[ProjectRow] = []
    ready: list[dict[str, str]] = []
    head: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    total: dict[str, str] = {}
    team: list[dict[str, str]] = []
    milestones: list[dict[str, str]] = []
    retainers: list[dict[str, str]] = []
    change_orders: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    user_options: list[dict[str, str]] = []
    line_options: list[dict[str, str]] = []
    pending_quotes: list[dict[str, str]] = []
    team_error: str = ""
    timeline: list[dict[str, str]] = []
    loaded_project: int = 0
    not_found: bool = False
    co_error: str = ""
    co_kind: str = "fixed"
    busy: bool = False

    def _route_project(self) -> int:
        return route_id(self, "projects")

    @rx.event
    @guard("projects")
    async def load_list(self):
        view = await run_db(list_view)
        self.projects, self.ready = view["projects"], view["ready"]
        return None

    async def _refresh(self, project_id: int) -> None:
        try:
            view = await run_db(detail_view, project_id)
        except svc.NotFound:
            self.not_found, self.loaded_project = True, 0
            return
        self.not_found, self.loaded_project = False, project_id
        for k, v in view.items():
            setattr(self, k, v)

    @rx.event
    @guard("projects")
    async def load_detail(self):
        self.co_error = ""
        await self._refresh(self._route_project())
        return None


class TimeStatus(rx.State):
    """The time grid's save status ("Saving…", "All changes saved", "Not saved"), a state of its
    own: the client re-renders what reads a state when any of its vars changes, so a status in
    TimeState re-rendered the whole grid (280 inputs) twice per save before it showed."""

    text: str = ""


class TimeState(TimeGridEvents, AuthState):
    """/time: the signed-in person's weekly grid. Cells save on blur."""

    monday: str = ""
    rows: list[dict[str, str]] = []
    day_labels: list[str] = []  # column headers in the organisation's locale ("Mon 3/14", "Mo., 14.03.")
    day_names: list[str] = []  # the columns' weekdays (labels of the cells), from the locale's first day
    week_label: str = ""
    day_totals: list[str] = []
    week_total: str = "0:00"
    extra_rows: list[str] = []
    week_state: str = ""  # "Not submitted", "Submitted for approval on 17 Nov", "Approved" (projects/weeks)
    error: str = ""
    version: int = 0  # bumped to re-mount the cells with stored values after a refused save
    search: str = ""
    results: list[dict[str, str]] = []
    note_row: str = ""
    note_day: int = -1
    note_text: str = ""
    note_label: str = ""
    # Values a save refused, by "row key|day": they stay in their cell, marked, until fixed.
    bad: dict[str, str] = {}
    day_index: int = 0  # the day the phone's day-by-day view shows (0 = the week's first day)
    # Rows added to a week but still empty, kept in this browser ({monday: [row keys]}, the
    # last 8 weeks) so a reload or another week and back does not lose them.
    kept_rows: str = rx.LocalStorage("{}", name="l2c_time_rows")

    def _today(self) -> date:
        return today_in(self.org_timezone or "UTC")  # the organisation's today (loaded with the page)

    def _kept(self) -> dict[str, list[str]]:
        try:
            kept = json.loads(self.kept_rows or "{}")
        except ValueError:
            return {}
        return kept if isinstance(kept, dict) else {}

    def _keep_row(self, key: str) -> None:
        kept = self._kept()
        week = [k for k in kept.get(self.monday, []) if isinstance(k, str)]
        if key not in week:
            kept[self.monday] = [*week, key][-50:]
            self.kept_rows = json.dumps(dict(sorted(kept.items())[-8:]))

    async def _reload(self, user_id: int) -> None:
        monday = date.fromisoformat(self.monday) if self.monday else week_start(self._today())
        kept = [k for k in self._kept().get(monday.isoformat(), []) if isinstance(k, str)][:50]  # browser-held
        rows = list(dict.fromkeys([*self.extra_rows, *kept]))
        try:
            grid = await run_db(svc.week_grid, user_id, monday, rows)
        except ValueError:  # a kept key this build cannot read: forget the kept rows
            self.kept_rows = "{}"
            grid = await run_db(svc.week_grid, user_id, monday, list(self.extra_rows))
        if self.monday and grid["monday"] != self.monday:  # the locale's first day changed: keep the day shown
            shown = date.fromisoformat(self.monday) + timedelta(days=self.day_index)
            self.day_index = index_in_week(grid["monday"], shown)
            self.note_row, self.note_label = "", ""  # its day label was in the old locale
        self.monday = grid["monday"]
        self.rows = grid_rows(grid, self.bad)
        days = [date.fromisoformat(d) for d in grid["days"]]
        self.day_labels = [formats.day_short(d) for d in days]
        self.day_names = [DAY_NAMES[d.weekday()] for d in days]
        self.week_label = formats.day(days[0])
        self.day_totals = grid["day_totals_text"]
        self.week_total = grid["total_text"]
        self.week_state = await run_db(weeks.week_status_text, user_id, monday)

    @rx.var
    def day_rows(self) -> list[dict[str, str]]:
        return day_view_rows(self.rows, self.day_index)

    @rx.var
    def day_heading(self) -> str:
        return self.day_labels[self.day_index] if 0 <= self.day_index < len(self.day_labels) else ""

    @rx.var
    def day_total(self) -> str:
        return self.day_totals[self.day_index] if 0 <= self.day_index < len(self.day_totals) else "0:00"

    async def _say(self, status: str) -> None:
        status_state = await self.get_state(TimeStatus)
        if status_state.text != status:
            status_state.text = status

    def _go_to_week(self, monday: date) -> None:
        self.monday = monday.isoformat()
        self.extra_rows, self.error, self.note_row, self.bad = [], "", "", {}

    @rx.event
    @guard("time")
    async def load(self):
        access = current_access()
        self.error, self.results, self.search = "", [], ""
        await self._say("")
        fresh = not self.monday
        if fresh:
            self.monday = week_start(self._today()).isoformat()
        await self._reload(access.viewer.id)  # reads the locale: the week may start on another day now
        if fresh:
            self.day_index = index_in_week(self.monday, self._today())
        return None


class ApprovalState(AuthState):
    """/time/approvals: weeks waiting for the project lead's (or billing's) approval."""

    weeks: list[dict[str, str]] = []

    @rx.event
    @guard("approve_time")
    async def load(self):
        access = current_access()
        self.weeks = [
            {k: str(v) for k, v in w.items()} for w in await run_db(weeks.pending_with_submission, access.viewer.id)
        ]
        return None

    @rx.event
    @guard("approve_time")
    async def approve(self, key: str):
        access = current_access()
        user_id, project_id, monday = key.split(":")
        try:
            n = await run_db(
                svc.approve_week,
                self._actor(),
                access.viewer.id,
                user_id=int(user_id),
                project_id=int(project_id),
                monday=date.fromisoformat(monday),
            )
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        self.weeks = [
            {k: str(v) for k, v in w.items()} for w in await run_db(weeks.pending_with_submission, access.viewer.id)
        ]
        return rx.toast.success(f"Week approved ({n} entries). It can now be invoiced.")


# --- public change order ------------------------------------------------------------------------


class ChangeOrderPublicState(rx.State):
    """/co/[token]: the client's approval page. The token in the URL is the only key."""

    co: dict[str, str] = {}
    missing: bool = False
    error: str = ""
    busy: bool = False

    def _tok(self) -> str:
        return route_arg(self, "co")

    async def _fetch(self) -> None:
        data = await run_db(svc.public_change_order, self._tok())
        if data is None:
            self.missing, self.co = True, {}
            return
        self.missing = False
        self.co = public_change_order_view(data)

    @rx.event
    async def load(self):
        self.error = ""
        await self._fetch()

    @rx.event
    async def approve(self, form: dict):
        self.busy, self.error = True, ""
        yield
        try:
            await run_db(
                svc.approve_change_order_by_token,
                self._tok(),
                form.get("typed_name", ""),
                self.router.session.client_ip or None,
            )
        except svc.DeliveryError as exc:
            self.error = _err(exc)
        self.busy = False
        await self._fetch()

    @rx.event
    async def decline(self):
        try:
            await run_db(svc.decline_change_order_by_token, self._tok(), "")
        except svc.DeliveryError as exc:
            self.error = _err(exc)
        await self._fetch()


# --- settings --------------------------------------------------------------------------------------


class DeliverySettingsState(AuthState):
    approval_required: bool = True
    auto_project: bool = False
    allow_future: bool = False
    sole_self_approval: bool = True

    @rx.event
    @guard("settings")
    async def load(self):
        s = await run_db(svc.delivery_settings)
        self.approval_required, self.auto_project = s["time_approval_required"], s["auto_project_on_signature"]
        self.allow_future, self.sole_self_approval = s["allow_future_time"], s["sole_approver_self_approval"]
        return None

    @rx.event
    def set_allow_future(self, value: bool):
        self.allow_future = bool(value)

    @rx.event
    def set_sole_self_approval(self, value: bool):
        self.sole_self_approval = bool(value)

    @rx.event
    def set_approval_required(self, value: bool):
        self.approval_required = bool(value)

    @rx.event
    def set_auto_project(self, value: bool):
        self.auto_project = bool(value)

    @rx.event
    @guard("settings")
    async def save(self):
        await run_db(
            svc.save_delivery_settings,
            self._actor(),
            time_approval_required=self.approval_required,
            auto_project_on_signature=self.auto_project,
        )
        await run_db(
            svc.save_time_rules,
            self._actor(),
            allow_future_time=self.allow_future,
            sole_approver_self_approval=self.sole_self_approval,
        )
        return rx.toast.success("Delivery settings saved.")


# --- panels on other pages and the top-bar timer ----------------------------------------------------


async def _create_project(access, create, source_id: int):
    """One click from a signed contract or a won deal (access already checked): open the new
    project, or the existing one when it was converted already."""
    try:
        project = await run_db(create, Actor("user", access.viewer.id), source_id)
    except svc.AlreadyConverted as exc:
        return [rx.toast.info(str(exc)), rx.redirect(exc.link)]
    except svc.DeliveryError as exc:
        return rx.toast.error(_err(exc))
    return rx.redirect(f"/projects/{project.id}")


class ContractPanelState(AuthState):
    """On /contracts/[contract_id]: "Create project" or the link to it."""

    panel_status: str = ""
    panel_project_id: str = ""
    panel_project_name: str = ""

    def _contract(self) -> int:
        return route_id(self, "contracts")

    @rx.event
    async def load(self):
        access = await self._access("contracts")
        if not access.allowed:
            return None
        info = await run_db(svc.project_for_contract, self._contract())
        self.panel_status = info["status"] if info else ""
        self.panel_project_id = str(info["project_id"] or "") if info else ""
        self.panel_project_name = info["project_name"] if info else ""
        return None

    @rx.event
    @guard("projects")
    async def create(self):
        access = current_access()
        return await _create_project(access, svc.create_project_from_contract, self._contract())


class DealPanelState(AuthState):
    """On /deals/[deal_id]: the deal's projects, and "Create project" for a won deal."""

    deal_projects: list[dict[str, str]] = []

    def _deal(self) -> int:
        return route_id(self, "deals")

    @rx.event
    async def load(self):
        access = await self._access("pipeline")
        if not access.allowed:
            return None
        self.deal_projects = [
            {k: str(v) for k, v in p.items()} for p in await run_db(svc.projects_of_deal, self._deal())
        ]
        return None

    @rx.event
    @guard("projects")
    async def create(self):
        access = current_access()
        return await _create_project(access, svc.create_project_from_deal, self._deal())


class TimerState(AuthState):
    """The top-bar timer: start on a project, stop to add the minutes to today's cell."""

    timer_projects: list[dict[str, str]] = []
    timer_project: str = ""
    timer_started: float = 0.0  # epoch seconds; 0 = not running
    timer_label: str = ""

    @rx.event
    async def open_timer(self, is_open: bool):
        if not is_open:
            return None
        access = await self._access("time")
        if not access.allowed:
            return None
        self.timer_projects = await run_db(svc.user_projects_for_timer, access.viewer.id)
        if not self.timer_project and self.timer_projects:
            self.timer_project = self.timer_projects[0]["id"]
        return None

    @rx.event
    def pick_project(self, project_id: str):
        self.timer_project = project_id

    @rx.event
    @guard("time")
    async def start(self):
        if not self.timer_project:
            return rx.toast.error("Pick a project to time.")
        name = next((p["name"] for p in self.timer_projects if p["id"] == self.timer_project), "")
        self.timer_started = time.time()
        local = to_local(utcnow(), self.org_timezone or "UTC")
        self.timer_label = f"{name} since {local:%H:%M}" if local else name
        return None

    @rx.event
    @guard("time")
    async def stop(self):
        access = current_access()
        if not self.timer_started:
            return None
        minutes = max(1, round((time.time() - self.timer_started) / 60))
        local = to_local(utcnow(), self.org_timezone or "UTC")
        try:
            await run_db(
                svc.add_timer_minutes,
                self._actor(),
                access.viewer.id,
                int(self.timer_project),
                minutes,
                local.date() if local else None,
            )
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        self.timer_started, self.timer_label = 0.0, ""
        done = rx.toast.success(f"{format_minutes(minutes)} added to today's time.")
        # On the grid itself, show the new minutes at once.
        return [done, TimeState.load] if self.router.page.path.startswith("/time") else done
