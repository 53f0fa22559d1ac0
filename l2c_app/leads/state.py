"""UI state of lead capture: the public contact form, the Leads page, lead settings, the bell.

Thin: every rule lives in `leads.service`; handlers check access first, then call it via `run_db`,
through the plain functions of `leads.page_logic` (session work and the forms' small rules).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import reflex as rx

from l2c_app.core.audit import Actor
from l2c_app.core.auth import SECTION_ROLES
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, ui_message
from l2c_app.leads import imports
from l2c_app.leads import page_logic as logic
from l2c_app.leads import service as svc
from l2c_app.leads.lists import LeadRow
from l2c_app.leads.page_logic import ALL
from l2c_app.pipeline.service import PipelineError, team_options
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.session import AuthState


class ContactState(rx.State):
    """The public contact form (no login).

    Threat model: anyone can post; the same `capture` as the public API runs (validation,
    honeypot, per-IP limit). Nothing a visitor types is shown back except their own errors.
    """

    org_name: str = ""
    consent_text: str = ""
    errors: dict[str, str] = {}
    done: bool = False
    busy: bool = False

    @rx.event
    async def load(self):
        info = await run_db(svc.public_form_info)
        self.org_name, self.consent_text = info["org_name"], info["consent_text"]
        self.done, self.errors = False, {}

    @rx.event
    async def submit(self, form: dict):
        self.busy, self.errors = True, {}
        yield
        ip = self.router.session.client_ip or None
        try:
            await run_db(logic.public_capture, dict(form), ip)
        except svc.LeadError as exc:
            self.errors, self.busy = exc.errors, False
            return
        self.busy, self.done = False, True


class LeadsState(AuthState):
    rows: list[LeadRow] = []
    total: int = 0
    page: int = 1
    per_page: int = 50
    q: str = ""
    status: str = "open"
    owner: str = ALL
    source: str = ALL
    age: str = ALL
    sort: str = "created"
    desc: bool = True
    owners: list[dict] = []
    sources: list[str] = []
    loading: bool = False
    # dialogs
    detail: dict = {}
    detail_open: bool = False
    disq_id: int = 0
    disq_open: bool = False
    conv_id: int = 0
    conv_name: str = ""
    conv_open: bool = False
    error: str = ""

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @rx.var
    def export_url(self) -> str:
        return logic.export_url(*self._filter_values())

    def _filter_values(self) -> tuple[str, str, str, str, str]:
        return self.q, self.status, self.owner, self.source, self.age

    def _filters(self) -> dict:
        return logic.list_filters(*self._filter_values())

    async def _reload(self):
        res = await run_db(
            svc.list_leads,
            **self._filters(),
            sort=self.sort,
            desc=self.desc,
            page=self.page,
            per_page=self.per_page,
            tz=self.org_timezone,
        )
        self.rows, self.total = res["rows"], res["total"]
        if self.page > self.pages:
            self.page = self.pages

    @rx.event
    @guard("leads")
    async def load(self):
        self.owners = [u for u in await run_db(team_options) if u["role"] in SECTION_ROLES["leads"]]
        self.sources = await run_db(svc.sources)
        query = parse_qs(urlparse(str(self.router.url)).query)
        await self._reload()
        lead_id = (query.get("lead") or [""])[0]
        if lead_id.isdigit():
            await self._open_detail(int(lead_id))
        return None

    async def _open_detail(self, lead_id: int):
        try:
            self.detail = await run_db(logic.lead_detail, lead_id, self.org_timezone)
            self.detail_open = True
        except svc.LeadError:
            self.detail, self.detail_open = {}, False

    @rx.event
    @guard("leads")
    async def show(self, lead_id: int):
        await self._open_detail(int(lead_id))
        return None

    @rx.event
    def close_detail(self, _open: bool = False):
        self.detail_open = False

    @rx.event
    @guard("leads")
    async def search(self, form: dict):
        self.q, self.page = (form.get("q") or "").strip(), 1
        await self._reload()
        return None

    @rx.event
    @guard("leads")
    async def set_filter(self, name: str, value: str):
        if name in ("status", "owner", "source", "age"):
            setattr(self, name, value)
        self.page = 1
        await self._reload()
        return None

    @rx.event
    @guard("leads")
    async def sort_by(self, column: str):
        if column == self.sort:
            self.desc = not self.desc
        else:
            self.sort, self.desc = column, column == "created"
        await self._reload()
        return None

    @rx.event
    @guard("leads")
    async def go_page(self, delta: int):
        self.page = min(max(1, self.page + int(delta)), self.pages)
        await self._reload()
        return None

    async def _act(self, fn, *args, ok: str) -> tuple[bool, object]:
        """Run a lead transition; (done, the event to return)."""
        access = await self._access("leads")
        if not access.allowed:
            return False, access.denial()
        done = await self._call(fn, Actor("user", access.viewer.id), *args)
        if not done.ok:
            return False, done.toast()
        await self._reload()
        if self.detail_open and self.detail.get("id"):
            await self._open_detail(int(self.detail["id"]))
        return True, rx.toast.success(ok)

    @rx.event
    async def qualify(self, lead_id: int):
        return (await self._act(logic.qualify, int(lead_id), ok="Lead qualified."))[1]

    @rx.event
    def ask_disqualify(self, lead_id: int):
        self.disq_id, self.disq_open, self.error = int(lead_id), True, ""

    @rx.event
    def set_disq_open(self, value: bool):
        self.disq_open = value

    @rx.event
    async def disqualify(self, form: dict):
        done, event = await self._act(logic.disqualify, self.disq_id, form.get("reason", ""), ok="Lead disqualified.")
        if done:
            self.disq_open = False
        return event

    @rx.event
    def ask_convert(self, lead_id: int, name: str):
        self.conv_id, self.conv_name, self.conv_open, self.error = int(lead_id), name, True, ""

    @rx.event
    def set_conv_open(self, value: bool):
        self.conv_open = value

    @rx.event
    @guard("leads")
    async def convert(self, form: dict):
        currency = await run_db(logic.org_currency)
        try:
            value = logic.deal_value(form.get("value"), currency)
        except (ValueError, ArithmeticError):
            self.error = "Deal value: enter an amount like 1200 or 1,200.50."
            return None
        try:
            deal_id = await run_db(
                logic.convert, self._actor(), self.conv_id, value, (form.get("title") or "").strip() or None
            )
        except (svc.LeadError, PipelineError) as exc:
            self.error = str(exc)
            return None
        self.conv_open, self.detail_open = False, False
        await self._reload()
        return [rx.toast.success("Lead converted: the deal is on the board."), rx.redirect(f"/deals/{deal_id}")]

    @rx.event
    async def assign(self, lead_id: int, owner_id: str):
        return (
            await self._act(
                logic.assign, int(lead_id), int(owner_id), ok="Lead handed over; the new owner is notified."
            )
        )[1]

    @rx.event
    async def merge(self, primary_id: int, dup_id: int):
        return (
            await self._act(logic.merge, int(primary_id), int(dup_id), ok="Duplicate merged into the original lead.")
        )[1]


class LeadSettingsState(AuthState):
    mode: str = "round_robin"
    users: list[str] = []
    rules: list[dict] = []  # [{"source": ..., "user": id-as-str}]
    consent_text: str = ""
    rate_limit: str = "10"
    team: list[dict] = []
    error: str = ""

    @rx.event
    @guard("settings")
    async def load(self):
        self.team = [u for u in await run_db(team_options) if u["role"] in SECTION_ROLES["leads"]]
        s = await run_db(svc.lead_settings)
        self.mode, self.users = s["mode"], [str(u) for u in s["users"]]
        self.rules = logic.rules_from_settings(s["by_source"])
        self.consent_text, self.rate_limit = s["consent_text"], str(s["rate_limit_per_minute"])
        return None

    @rx.event
    def set_mode(self, value: str):
        self.mode = value

    @rx.event
    def toggle_user(self, user_id: str, checked: bool):
        users = [u for u in self.users if u != user_id]
        self.users = users + [user_id] if checked else users

    @rx.event
    def add_rule(self):
        self.rules = self.rules + [{"source": "", "user": self.team[0]["id"] if self.team else ""}]

    @rx.event
    def remove_rule(self, index: int):
        self.rules = [r for i, r in enumerate(self.rules) if i != index]

    @rx.event
    def set_rule(self, index: int, key: str, value: str):
        rules = [dict(r) for r in self.rules]
        rules[index][key] = value
        self.rules = rules

    @rx.event
    @guard("settings")
    async def save(self, form: dict):
        self.error = ""
        try:
            await run_db(
                svc.save_lead_settings,
                self._actor(),
                mode=self.mode,
                users=[int(u) for u in self.users],
                by_source=logic.rules_by_source(self.rules),
                consent_text=form.get("consent_text", ""),
                rate_limit_per_minute=form.get("rate_limit") or None,
            )
        except svc.LeadError as exc:
            self.error = str(exc)
            return None
        return rx.toast.success("Lead settings saved.")


class BellState(AuthState):
    """The top-bar bell: unread count and the latest notifications of the signed-in user."""

    unread: int = 0
    items: list[dict] = []

    @rx.event
    async def refresh(self, _tick: str = ""):
        access = await self._access("home")
        if not access.allowed:
            return None
        data = await run_db(svc.notifications, access.viewer.id)
        self.unread, self.items = data["unread"], data["items"]
        return None

    @rx.event
    @guard("home")
    async def open_item(self, note_id: int, link: str):
        access = current_access()
        await run_db(svc.mark_read, access.viewer.id, int(note_id))
        await self.refresh()
        return rx.redirect(link) if link else None

    @rx.event
    @guard("home")
    async def read_all(self):
        access = current_access()
        await run_db(svc.mark_read, access.viewer.id, None)
        await self.refresh()
        return None


class ImportState(AuthState):
    """CSV import: upload, map columns, preview, then a background task imports in chunks of 500
    rows and reports progress; the UI never waits on it.

    The file's rows are stored in the database on upload (leads/imports.py), and every
    chunk commits its rows with its progress: a restart of the server loses nothing, and
    the page offers to resume an interrupted import from the first row not yet written.
    """

    headers: list[str] = []
    mapping: dict[str, str] = {}
    preview: list[dict] = []
    row_count: int = 0
    filename: str = ""
    error: str = ""
    running: bool = False
    done_rows: int = 0
    imported: int = 0
    duplicates: int = 0
    error_count: int = 0
    finished: bool = False
    kind: str = "leads"  # leads or contacts
    job_id: int = 0
    # An import of this person that stopped before its end (server restart or failure).
    interrupted_id: int = 0
    interrupted_text: str = ""
    _rows: list[list[str]] = []  # the first rows only, for the preview

    @rx.var
    def percent(self) -> int:
        return int(self.done_rows * 100 / self.row_count) if self.row_count else 0

    @rx.var
    def fields(self) -> list[str]:
        return logic.import_fields(self.kind)

    def _guess(self) -> dict[str, str]:
        return logic.guessed_mapping(self.kind, self.headers)

    @rx.event
    def set_kind(self, kind: str):
        if self.running or kind not in ("leads", "contacts"):
            return
        self.kind, self.finished = kind, False
        if self.headers:
            self.mapping = self._guess()
            self._refresh_preview()

    @rx.event
    @guard("leads")
    async def load(self):
        if not self.running:
            self.error = ""
            viewer_id = current_access().viewer.id
            job = await run_db(logic.interrupted_import, viewer_id)
            if job:
                self.interrupted_id, self.interrupted_text = job["id"], logic.interrupted_text(job)
            else:
                self.interrupted_id, self.interrupted_text = 0, ""
        return None

    def _refresh_preview(self):
        self.preview = logic.preview(self.headers, self._rows, self.mapping)

    @rx.event
    @guard("leads")
    async def upload(self, files: list[rx.UploadFile]):
        if self.running:
            return rx.toast.error("An import is running; wait for it to finish.")
        if not files:
            self.error = "Choose a CSV file first."
            return None
        raw = await files[0].read()
        name = files[0].name or "upload.csv"
        try:
            actor, kind = self._actor(), self.kind
            job = await run_db(logic.upload_job, actor, kind, name, raw)
        except svc.LeadError as exc:  # the file is not a CSV we can read
            self.error = str(exc)
            return None
        except DomainError as exc:
            self.error = ui_message(exc)
            return None
        self.job_id, self.filename = job["id"], job["filename"]
        self.headers, self._rows, self.row_count = job["headers"], job["preview_rows"], job["row_count"]
        self.mapping = self._guess()
        self.error, self.finished, self.done_rows = "", False, 0
        self.imported = self.duplicates = self.error_count = 0
        self._refresh_preview()
        return None

    @rx.event
    def set_mapping(self, field_name: str, header: str):
        self.mapping = {**self.mapping, field_name: header}
        self._refresh_preview()

    @rx.event(background=True)
    async def start(self):
        async with self:
            access = await self._access("leads")
            if not access.allowed:
                return access.denial()
            if self.running or not self.job_id:
                return None
            mapping = logic.chosen_mapping(self.mapping)
            actor, job_id, kind = Actor("user", access.viewer.id), self.job_id, self.kind
            try:
                job_id = await run_db(logic.begin_import, job_id, actor, kind, mapping)
            except DomainError as exc:
                self.error = ui_message(exc)
                return None
            self.job_id = job_id
            self.running, self.finished, self.error, self.done_rows = True, False, "", 0
            self.imported = self.duplicates = self.error_count = 0
        await self._drive(job_id, actor)
        return None

    @rx.event(background=True)
    async def resume(self):
        async with self:
            access = await self._access("leads")
            if not access.allowed:
                return access.denial()
            if self.running or not self.interrupted_id:
                return None
            actor, job_id = Actor("user", access.viewer.id), self.interrupted_id
            try:
                job = await run_db(logic.resume_job, job_id, actor)
            except DomainError as exc:
                self.error = ui_message(exc)
                return None
            self.job_id, self.interrupted_id, self.interrupted_text = job_id, 0, ""
            self.kind, self.filename, self.headers = job["kind"], job["filename"], job["headers"]
            self._rows, self.row_count, self.mapping = job["preview_rows"], job["row_count"], job["mapping"]
            self._refresh_preview()
            self.running, self.finished, self.error = True, False, ""
            self.done_rows, self.imported, self.duplicates = job["done_rows"], job["imported"], job["duplicates"]
        await self._drive(job_id, actor)
        return None

    async def _drive(self, job_id: int, actor: Actor) -> None:
        """Run the stored job chunk by chunk (each chunk one transaction with its progress)."""
        try:
            while await run_db(imports.run_chunk, job_id, actor):
                job = await run_db(logic.job_progress, job_id)
                async with self:
                    self.done_rows, self.imported = job["done_rows"], job["imported"]
                    self.duplicates, self.error_count = job["duplicates"], job["error_rows"]
        except Exception as exc:  # reported on the page; the rows already imported stay
            await run_db(imports.fail_job, job_id, ui_message(exc))
            async with self:
                self.error = (
                    f"The import stopped after {self.done_rows:,} rows: {ui_message(exc)} Reload the page to resume it."
                )
                self.running = False
            raise
        async with self:
            self.done_rows = self.row_count
            self.running, self.finished = False, True

    @rx.event
    @guard("leads")
    async def download_errors(self):
        job_id, actor = self.job_id, self._actor()
        errors = await run_db(logic.import_errors, job_id, actor)
        return rx.download(data=svc.errors_csv(errors), filename="import-errors.csv")
