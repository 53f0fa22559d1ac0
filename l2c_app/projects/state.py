"""UI state of the delivery pages: thin, every rule lives in projects.service.

Display data is flattened into `list[dict[str, str]]` (formatted here once) so pages
only place strings.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import reflex as rx
from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.db import run_db
from l2c_app.core.formats import week_start  # the organisation locale's first day
from l2c_app.core.money import format_money, to_minor
from l2c_app.core.timeutil import to_local, today_in, utcnow
from l2c_app.projects import service as svc
from l2c_app.projects import weeks
from l2c_app.projects.duration import DurationError, format_hours, format_minutes, parse_duration
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.session import AuthState, route_arg, route_id

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _err(exc: Exception) -> str:
    return str(exc)


def _level_color(level: str) -> str:
    return {"over": "red", "warning": "orange", "ok": "green"}.get(level, "gray")


def _fmt_burn(burn: int | None) -> str:
    return "–" if burn is None else f"{burn}%"


def _detail_view(session: Session, project_id: int) -> dict:
    d = svc.project_detail(session, project_id)
    cur = d["currency"]
    money = lambda m: format_money(m, cur)  # noqa: E731
    b = d["budget"]
    lines = [
        {
            "role": r["role"] + (" (change order)" if r["from_change_order"] else ""),
            "budget_hours": format_hours(r["budget_minutes"]),
            "actual_hours": format_hours(r["actual_minutes"]),
            "budget_money": money(r["budget_minor"]),
            "actual_money": money(r["actual_minor"]),
            "rate": money(r["rate_minor"]) + " / h",
            "burn": _fmt_burn(r["burn"]),
            "color": _level_color(r["level"]),
        }
        for r in b["lines"]
    ]
    if b["unplanned_minutes"]:
        lines.append(
            {
                "role": "Outside the budget lines",
                "budget_hours": "–",
                "actual_hours": format_hours(b["unplanned_minutes"]),
                "budget_money": "–",
                "actual_money": money(b["unplanned_minor"]),
                "rate": "",
                "burn": "–",
                "color": "gray",
            }
        )
    t = b["total"]
    total = {
        "budget_hours": format_hours(t["budget_minutes"]),
        "actual_hours": format_hours(t["actual_minutes"]),
        "budget_money": money(t["budget_minor"]),
        "actual_money": money(t["actual_minor"]),
        "burn": _fmt_burn(t["burn"]),
        "color": _level_color(t["level"]),
    }
    team = [
        {
            "name": m["name"] + (" (lead)" if m["is_lead"] else ""),
            "email": m["email"],
            "role": m["billing_role"] or "–",
            "rate": money(m["rate_minor"]) + " / h" if m["rate_minor"] else "–",
        }
        for m in d["team"]
    ]
    milestones = [
        {
            "id": str(m["id"]),
            "name": m["name"],
            "kind": "Fixed fee" if m["kind"] == "fixed" else "Milestone",
            "amount": money(m["amount_minor"]),
            "due": m["due_date"] or "–",
            "status": m["status"],
            "reached_on": m["reached_on"] or "",
        }
        for m in d["milestones"]
    ]
    retainers = [
        {
            "id": str(r["id"]),
            "email": "1" if r["email_invoices"] else "",
            "name": r["name"],
            "amount": money(r["amount_minor"]) + " / month",
            "term": f"{r['months']} months" if r["months"] else "until stopped",
            "planned": money(r["planned_minor"]),
            "start": r["start_date"],
        }
        for r in d["retainers"]
    ]
    cos = [
        {
            "id": str(c["id"]),
            "number": f"#{c['number']}",
            "description": c["description"],
            "kind": "Fixed price" if c["kind"] == "fixed" else f"{format_hours(c['minutes'])} {c['role'] or ''}",
            "amount": money(c["amount_minor"]),
            "status": c["status"],
            "url": c["public_url"],
            "tax": money(c["tax_minor"]) + f" ({c['tax_percent']} %" + (" incl.)" if c["tax_inclusive"] else ")"),
            "total": money(c["total_minor"]),
            "via": "docusign" if c["provider"] == "docusign" else "link",
            "approved": f"{c['approved_name']}, {c['approved_at'][:10]}" if c["approved_name"] else "",
        }
        for c in d["change_orders"]
    ]
    head = {
        "name": d["name"],
        "status": d["status"],
        "account": d["account_name"] or "–",
        "deal_title": d["deal_title"],
        "deal_url": f"/deals/{d['deal_id']}" if d["deal_id"] else "",
        "contract_url": f"/contracts/{d['contract_id']}" if d["contract_id"] else "",
        "pdf_url": d["signed_pdf_url"] or "",
        "lead": d["lead_name"] or "–",
        "currency": cur,
        "planned": money(d["planned_minor"]),
        "budget": money(d["budget_with_change_orders_minor"]),
        "change_orders_total": money(d["budget_with_change_orders_minor"] - d["planned_minor"]),
    }
    opts = svc.team_options(session, project_id)
    return {
        "head": head,
        "lines": lines,
        "total": total,
        "team": team,
        "milestones": milestones,
        "user_options": opts["users"],
        "line_options": opts["lines"],
        "pending_quotes": [{"id": str(q["id"]), "label": q["label"]} for q in svc.quotes_to_add(session, project_id)],
        "retainers": retainers,
        "change_orders": cos,
        "warnings": [{"text": w["text"], "color": _level_color(w["level"])} for w in b["warnings"]],
        "timeline": svc.project_timeline(session, project_id),
    }


def _list_view(session: Session) -> dict:
    projects = [
        {
            "id": str(p["id"]),
            "name": p["name"],
            "account": p["account"] or "–",
            "status": p["status"],
            "planned": format_money(p["planned_minor"], p["currency"]),
            "burn": _fmt_burn(p["burn"]),
            "color": _level_color(p["level"]),
            "hours": format_hours(p["actual_minutes"]),
        }
        for p in svc.list_projects(session)
    ]
    return {"projects": projects, "ready": svc.ready_contracts(session)}


class ProjectsState(AuthState):
    """/projects and /projects/[project_id]."""

    projects: list[dict[str, str]] = []
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
        view = await run_db(_list_view)
        self.projects, self.ready = view["projects"], view["ready"]
        return None

    async def _refresh(self, project_id: int) -> None:
        try:
            view = await run_db(_detail_view, project_id)
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

    @rx.event
    @guard("projects")
    async def create_from_contract(self, contract_id: str):
        try:
            project = await run_db(svc.create_project_from_contract, self._actor(), int(contract_id))
        except svc.AlreadyConverted as exc:
            return [rx.toast.info(str(exc)), rx.redirect(exc.link)]
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        return [rx.toast.success(f"Project “{project.name}” created."), rx.redirect(f"/projects/{project.id}")]

    @rx.event
    @guard("projects")
    async def mark_reached(self, milestone_id: str):
        try:
            await run_db(svc.mark_milestone_reached, self._actor(), int(milestone_id))
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success("Milestone reached: it can now be invoiced.")

    @rx.event
    @guard("projects")
    async def set_retainer_email(self, retainer_id: str, on: bool):
        try:
            await run_db(svc.set_retainer_email, self._actor(), int(retainer_id), bool(on))
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success(
            "Monthly invoices of this retainer will be e-mailed to the client."
            if on
            else "Monthly invoices of this retainer will be issued, not e-mailed."
        )

    @rx.event
    @guard("projects")
    async def set_status(self, status: str):
        try:
            await run_db(svc.set_project_status, self._actor(), self.loaded_project, status)
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success("Project status saved.")

    @rx.event
    @guard("projects")
    async def add_quote(self, quote_id: str):
        try:
            await run_db(svc.add_quote_to_project, self._actor(), self.loaded_project, int(quote_id))
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success("The quote's lines were added to the plan.")

    @rx.event
    @guard("projects")
    async def save_member(self, form: dict):
        self.team_error = ""
        try:
            rate_text = (form.get("rate") or "").strip()
            rate = to_minor(rate_text, self.head.get("currency", "EUR")) if rate_text else None
            line = int(form["budget_line"]) if form.get("budget_line") else None
            await run_db(svc.add_member, self._actor(), self.loaded_project, int(form.get("user") or 0), line, rate)
        except (svc.DeliveryError, ValueError) as exc:
            self.team_error = _err(exc)
            return None
        await self._refresh(self.loaded_project)
        return rx.toast.success("Team saved.")

    @rx.event
    def set_co_kind(self, kind: str):
        self.co_kind = kind

    @rx.event
    @guard("projects")
    async def create_change_order(self, form: dict):
        self.co_error = ""
        currency = self.head.get("currency", "EUR")
        try:
            if self.co_kind == "hours":
                kw = dict(
                    kind="hours",
                    minutes=form.get("hours") or "",
                    rate_minor=to_minor(form.get("rate") or "", currency),
                    role=form.get("role", ""),
                )
            else:
                kw = dict(kind="fixed", amount_minor=to_minor(form.get("amount") or "", currency))
            await run_db(
                svc.create_change_order,
                self._actor(),
                self.loaded_project,
                description=form.get("description", ""),
                **kw,
            )
        except (svc.DeliveryError, DurationError, ValueError) as exc:
            self.co_error = _err(exc)
            return None
        await self._refresh(self.loaded_project)
        return rx.toast.success("Change order created. Send it to the client for approval.")

    @rx.event
    @guard("projects")
    async def send_change_order(self, change_order_id: str):
        try:
            co = await run_db(svc.send_change_order, self._actor(), int(change_order_id))
        except svc.DeliveryError as exc:
            return rx.toast.error(_err(exc))
        await self._refresh(self.loaded_project)
        how = " as a DocuSign envelope" if co.provider == "docusign" else ": the client approves it from the link"
        return rx.toast.success(f"Change order #{co.number} sent{how}.")


# --- the time grid ------------------------------------------------------------------------------


def _grid_rows(grid: dict, bad: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Cells as c0..c6 (stored text), l0..l6 (why locked), n0..n6 (note) and b0..b6 (a value
    a save refused, shown instead of the stored one)."""
    rows = []
    for r in grid["rows"]:
        row = {
            "key": r["key"],
            "label": r["label"],
            "billable": "yes" if r["billable"] else "no",
            "total": r["total_text"],
            "approved": r.get("approved_text", ""),
        }
        for i, c in enumerate(r["cells"]):
            row[f"c{i}"], row[f"l{i}"], row[f"n{i}"] = c["text"], c["locked"], c["note"]
            row[f"b{i}"] = (bad or {}).get(f"{r['key']}|{i}", "")
        rows.append(row)
    return rows


def day_view_rows(rows: list[dict[str, str]], day: int) -> list[dict[str, str]]:
    """The phone's view of one day: each row's cell of that day, under the same keys."""
    return [
        {
            "key": r["key"],
            "label": r["label"],
            "day": str(day),
            "text": r[f"c{day}"],
            "locked": r[f"l{day}"],
            "bad": r[f"b{day}"],
            "total": r["total"],
            "billable": r["billable"],
            "approved": r.get("approved", ""),
        }
        for r in rows
    ]


def _index_in_week(first_day: str, day: date) -> int:
    """Column of `day` in the week starting `first_day` (0 when it is another week)."""
    index = (day - date.fromisoformat(first_day)).days
    return index if 0 <= index < 7 else 0


def focus_first_cell_js(row_label: str) -> str:
    """Script that focuses the first visible cell of a row (week table or phone day view)."""
    return (
        "setTimeout(function () { var l = " + json.dumps(row_label) + "; "
        "var c = [].slice.call(document.querySelectorAll('[data-grid-row]')).filter(function (e) { "
        "return e.offsetParent !== null && (e.getAttribute('aria-label') || '').indexOf(l) === 0; }); "
        "if (c.length) c[0].focus(); }, 60)"
    )


class TimeStatus(rx.State):
    """The time grid's save status ("Saving…", "All changes saved", "Not saved"), a state of its
    own: the client re-renders what reads a state when any of its vars changes, so a status in
    TimeState re-rendered the whole grid (280 inputs) twice per save before it showed."""

    text: str = ""


class TimeState(AuthState):
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
            self.day_index = _index_in_week(grid["monday"], shown)
            self.note_row, self.note_label = "", ""  # its day label was in the old locale
        self.monday = grid["monday"]
        self.rows = _grid_rows(grid, self.bad)
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
            self.day_index = _index_in_week(self.monday, self._today())
        return None

    @rx.event
    @guard("time")
    async def shift_week(self, weeks: int):
        access = current_access()
        base = date.fromisoformat(self.monday) if self.monday else week_start(self._today())
        self._go_to_week(base + timedelta(weeks=weeks) if weeks else week_start(self._today()))
        await self._say("")
        await self._reload(access.viewer.id)
        if not weeks:
            self.day_index = _index_in_week(self.monday, self._today())
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
            self.error = f"{row['label']}, {DAY_NAMES[day.weekday()]} {formats.day(day)}: {_err(exc)}"
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
            self.error = _err(exc)
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
            return rx.toast.error(_err(exc))
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
        cur = data["currency"]
        self.missing = False
        self.co = {
            "number": f"#{data['number']}",
            "description": data["description"],
            "price": format_money(data["amount_minor"], cur),
            "tax_label": f"Tax {data['tax_percent']} %" + (" (included)" if data["tax_inclusive"] else ""),
            "tax": format_money(data["tax_minor"], cur),
            "total": format_money(data["total_minor"], cur),
            "net_label": "Price (tax included)" if data["tax_inclusive"] else "Price excl. tax",
            "detail": (
                f"{format_hours(data['minutes'])} of {data['role']} at {format_money(data['rate_minor'], cur)} / h"
                if data["kind"] == "hours"
                else "Fixed price"
            ),
            "status": data["status"],
            "project": data["project_name"],
            "client": data["client"],
            "org": data["org_name"],
            "approved_name": data["approved_name"],
            "approved_at": data["approved_at"][:10],
            "via": "docusign" if data["provider"] == "docusign" else "link",
        }

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
