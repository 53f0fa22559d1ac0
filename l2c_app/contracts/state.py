"""UI state of the contracts pages: thin; every rule lives in contracts/service.py and merge.py."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from l2c_app.contracts import merge, on_behalf
from l2c_app.contracts import service as svc
from l2c_app.contracts.views import ContractRow
from l2c_app.core.audit import Actor
from l2c_app.core.auth import list_users
from l2c_app.core.db import run_db
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState, route_arg, route_id

# --- settings: templates -----------------------------------------------------------------------


def _templates(session: Session) -> list[dict]:
    return [
        {"id": t.id, "name": t.name, "body": t.body, "default": t.is_default} for t in merge.list_templates(session)
    ]


class TemplateSettingsState(AuthState):
    templates: list[dict] = []
    selected_id: int = 0
    name: str = ""
    body: str = ""
    error: str = ""
    saving: bool = False
    fields: list[list[str]] = [[k, v] for k, v in merge.FIELDS.items()]
    signing: dict[str, str] = {}

    @rx.var
    def unknown(self) -> list[str]:
        """Flagged while typing: merge fields the app cannot fill."""
        return merge.unknown_fields(self.body)

    @rx.event
    @guard("settings")
    async def load(self):
        self.templates = await run_db(_templates)
        if self.templates and not any(t["id"] == self.selected_id for t in self.templates):
            self._pick(self.templates[0])
        await self._signing()
        return None

    async def _signing(self) -> None:
        self.signing = {k: str(v) for k, v in (await run_db(svc.signing_settings)).items()}

    @rx.event
    @guard("settings")
    async def save_link_days(self, form: dict):
        value = str(form.get("link_days", "")).strip()
        try:
            await run_db(svc.set_link_days, self._actor(), int(value) if value.isdigit() else 0)
        except svc.ContractError as exc:
            return rx.toast.error(str(exc).split(": ", 1)[-1])
        await self._signing()
        return rx.toast.success("Signing links now work for " + value + " days.")

    def _pick(self, t: dict) -> None:
        self.selected_id, self.name, self.body, self.error = t["id"], t["name"], t["body"], ""

    @rx.event
    def select_template(self, value: str):
        for t in self.templates:
            if str(t["id"]) == value:
                self._pick(t)

    @rx.event
    def new_template(self):
        self.selected_id, self.name, self.body, self.error = 0, "New template", merge.DEFAULT_TEMPLATE, ""

    @rx.event
    def set_name(self, value: str):
        self.name = value

    @rx.event
    def set_body(self, value: str):
        self.body = value

    @rx.event
    @guard("settings")
    async def save(self, make_default: bool = False):
        self.saving = True
        yield
        try:
            row = await run_db(
                merge.save_template, self._actor(), self.selected_id or None, self.name, self.body, make_default
            )
        except merge.TemplateError as exc:
            self.error, self.saving = str(exc), False
            return
        self.selected_id, self.error, self.saving = row.id, "", False
        self.templates = await run_db(_templates)
        yield rx.toast.success("Template saved." + (" It is now the default." if make_default else ""))

    @rx.event
    @guard("settings")
    async def archive(self):
        if not self.selected_id:
            return None
        await run_db(merge.archive_template, self._actor(), self.selected_id)
        self.selected_id = 0
        self.templates = await run_db(_templates)
        if self.templates:
            self._pick(self.templates[0])
        return rx.toast.success("Template archived.")


# --- list ---------------------------------------------------------------------------------------


class ContractsListState(AuthState):
    rows: list[ContractRow] = []
    quotes: list[dict] = []
    status_filter: str = "all"
    quote_choice: str = ""
    creating: bool = False
    error: str = ""

    @rx.event
    @guard("contracts")
    async def load(self):
        await self._refresh()
        return None

    async def _refresh(self) -> None:
        status = None if self.status_filter == "all" else self.status_filter
        self.rows = await run_db(svc.list_contracts, None, status)
        self.quotes = [q for q in await run_db(svc.acceptable_quotes) if not q["has_contract"]]

    @rx.event
    @guard("contracts")
    async def set_status_filter(self, value: str):
        self.status_filter = value
        await self._refresh()
        return None

    @rx.event
    def set_quote_choice(self, value: str):
        self.quote_choice = value

    @rx.event
    @guard("contracts")
    async def create(self):
        if not self.quote_choice:
            self.error = "quote: choose an accepted quote."
            return
        self.creating = True
        yield
        try:
            contract = await run_db(svc.create_from_quote, self._actor(), int(self.quote_choice))
        except svc.ContractError as exc:
            self.error, self.creating = str(exc), False
            return
        self.creating, self.error, self.quote_choice = False, "", ""
        yield rx.redirect(f"/contracts/{contract.id}")


# --- one contract --------------------------------------------------------------------------------


def _team(session: Session) -> list[dict]:
    return [{"id": str(u.id), "label": f"{u.name} ({u.email})"} for u in list_users(session, active_only=True)]


class ContractState(AuthState):
    c: dict[str, str] = {}
    signers: list[dict[str, str]] = []
    trail: list[dict[str, str]] = []
    title_text: str = ""
    body_text: str = ""
    team: list[dict] = []
    error: str = ""
    not_found: bool = False
    busy: bool = False
    void_reason: str = ""
    counter_choice: str = ""
    # The viewer is a signer whose turn it is (the counter-signer): they sign here, signed in.
    my_signature: bool = False
    sign_consent: bool = False
    sign_name: str = ""

    @rx.var
    def unknown(self) -> list[str]:
        return merge.unknown_fields(self.body_text)

    cid: int = 0

    @rx.var
    def pdf_url(self) -> str:
        return f"/api/v1/contracts/{self.cid}/pdf"

    @rx.var
    def is_draft(self) -> bool:
        return self.c.get("status") == "draft"

    @rx.var
    def is_open(self) -> bool:
        return self.c.get("status") in ("sent", "delivered")

    @rx.event
    @guard("contracts")
    async def load(self):
        self.error, self.void_reason = "", ""
        self.cid = route_id(self, "contracts")
        await self._reload()
        self.team = await run_db(_team)
        return None

    async def _reload(self) -> None:
        try:
            detail = await run_db(svc.contract_detail, self.cid)
        except svc.ContractError:
            self.c, self.signers, self.trail, self.not_found = {}, [], [], True
            return
        text = lambda v: "" if v is None else str(v)  # noqa: E731
        self.signers = [{k: text(v) for k, v in sg.items()} for sg in detail["signers"]]
        self.trail = [{k: text(v) for k, v in e.items()} for e in detail["trail"]]
        self.c = {k: text(v) for k, v in detail.items() if not isinstance(v, list)}
        self.not_found = False
        self.title_text, self.body_text = self.c["title"], self.c["body"]
        viewer = await self._viewer()
        mine = await run_db(on_behalf.my_turn, viewer.id, self.cid) if viewer else None
        self.my_signature = mine is not None
        if mine is not None and not self.sign_name:
            self.sign_name = mine.name

    @rx.event
    def set_title_text(self, value: str):
        self.title_text = value

    @rx.event
    def set_body_text(self, value: str):
        self.body_text = value

    @rx.event
    def set_void_reason(self, value: str):
        self.void_reason = value

    @rx.event
    def set_counter_choice(self, value: str):
        self.counter_choice = value

    async def _do(self, fn, *args, ok: str = "", **kwargs):
        """Run a service call as the viewer; errors land in `error` (named field first)."""
        access = await self._access("contracts")
        if not access.allowed:
            return access.denial()
        from l2c_app.ports.signatures import SignatureRefused

        # A provider's refusal (SignatureRefused, e.g. DocuSign's) is written for people: shown as it is.
        done = await self._call(fn, Actor("user", access.viewer.id), *args, shown=(SignatureRefused,), **kwargs)
        self.error = done.error
        if not done.ok:
            return done.toast()
        await self._reload()
        return rx.toast.success(ok) if ok else None

    @rx.event
    async def save_draft(self):
        return await self._do(svc.update_draft, self.cid, self.title_text, self.body_text, ok="Draft saved.")

    @rx.event
    async def add_signer(self, form: dict):
        return await self._do(
            svc.add_signer,
            self.cid,
            kind=form.get("kind") or "signer",
            name=form.get("name", ""),
            email=form.get("email", ""),
            routing_order=int(form["routing_order"]) if str(form.get("routing_order", "")).isdigit() else None,
            ok="Signer added.",
        )

    @rx.event
    async def add_countersigner(self):
        if not self.counter_choice:
            self.error = "counter-signer: choose a team member."
            return None
        return await self._do(
            svc.add_signer, self.cid, kind="countersigner", user_id=int(self.counter_choice), ok="Counter-signer added."
        )

    @rx.event
    async def remove_signer(self, signer_id: int):
        return await self._do(svc.remove_signer, int(signer_id), ok="Signer removed.")

    @rx.event
    async def change_signer(self, form: dict):
        return await self._do(
            svc.change_signer,
            int(form.get("signer_id") or 0),
            form.get("name", ""),
            form.get("email", ""),
            ok="Signer changed; a new link was sent when it is their turn.",
        )

    @rx.event
    async def resend(self, signer_id: int):
        return await self._do(svc.resend, int(signer_id), ok="A new signing link was sent.")

    @rx.event
    async def send(self):
        self.busy = True
        yield
        try:
            if self.is_draft and (self.title_text != self.c.get("title") or self.body_text != self.c.get("body")):
                result = await self._do(svc.update_draft, self.cid, self.title_text, self.body_text)
                if self.error:
                    yield result
                    return
            # The e-mail composer sends it (ui/composer.py): the invitations' cc, subject and text.
            from l2c_app.ui.composer import ComposerState

            result = ComposerState.open_for("contract", self.cid)
        finally:
            self.busy = False
        yield result

    @rx.event
    def set_sign_consent(self, value: bool):
        self.sign_consent = bool(value)

    @rx.event
    def set_sign_name(self, value: str):
        self.sign_name = value

    @rx.event
    async def sign_here(self):
        """The signed-in counter-signer signs (same rule as the public page: turn, consent, name)."""
        result = await self._do(on_behalf.sign_in_app, self.cid, consent=self.sign_consent, typed_name=self.sign_name)
        if self.error:
            return result
        self.sign_consent = False
        if self.c.get("status") == "completed":
            return rx.toast.success("Signed. Everyone has signed: the signed PDF is ready to download.")
        return rx.toast.success("Signed. The next signer has been asked.")

    @rx.event
    async def void(self):
        return await self._do(svc.void, self.cid, self.void_reason, ok="Contract voided.")


# --- public signing page --------------------------------------------------------------------------


class SignState(rx.State):
    """The public `/sign/<token>` page. No login: the token in the URL is the credential (see
    contracts/service.py for the threat model). Nothing here trusts the browser's own state:
    each action re-checks the token on the server."""

    doc_title: str = ""
    doc_body: str = ""
    org: str = ""
    signer_name: str = ""
    signer_status: str = ""
    others: list[dict] = []
    link_error: str = ""
    form_error: str = ""
    done: str = ""
    loaded: bool = False
    consent: bool = False
    typed_name: str = ""
    decline_reason: str = ""
    busy: bool = False
    signed_ready: bool = False  # this signer completed the contract: the signed copy is offered

    link_token: str = ""

    def _token(self) -> str:
        return self.link_token

    def _who(self) -> tuple[str, str]:
        return self.router.session.client_ip or "", self.router.headers.user_agent or ""

    @rx.var
    def pdf_url(self) -> str:
        return f"/api/sign/{self.link_token}/pdf"

    @rx.var
    def signed_pdf_url(self) -> str:
        return f"/api/sign/{self.link_token}/pdf?version=signed"

    @rx.event
    async def load(self):
        self.link_token = route_arg(self, "sign")
        self.form_error, self.done, self.consent, self.typed_name, self.decline_reason = "", "", False, "", ""
        self.signed_ready = False
        ip, ua = self._who()
        try:
            view = await run_db(svc.open_for_signing, self._token(), ip, ua)
        except svc.ContractError as exc:
            self.link_error, self.loaded = str(exc), True
            return
        self.link_error = ""
        self.doc_title, self.doc_body, self.org = view.title, view.body, view.org_name
        self.signer_name, self.signer_status, self.others = view.signer_name, view.status, view.others
        if view.status == "signed":
            self.done = "You have signed. Once everyone has signed, the signed PDF is e-mailed to you."
        self.loaded = True

    @rx.event
    def set_consent(self, value: bool):
        self.consent = bool(value)

    @rx.event
    def set_typed_name(self, value: str):
        self.typed_name = value

    @rx.event
    def set_decline_reason(self, value: str):
        self.decline_reason = value

    @rx.event
    async def sign(self):
        self.busy, self.form_error = True, ""
        yield
        ip, ua = self._who()
        try:
            contract = await run_db(
                svc.sign, self._token(), consent=self.consent, typed_name=self.typed_name, ip=ip, user_agent=ua
            )
        except svc.SigningLinkError as exc:
            self.link_error, self.busy = str(exc), False
            return
        except svc.ContractError as exc:
            message = str(exc).split(": ", 1)[-1]
            self.form_error, self.busy = message[:1].upper() + message[1:], False
            return
        self.busy, self.signer_status = False, "signed"
        if contract.status == "completed":
            # The last signer: the signed PDF exists now; they get it here (and attached to an e-mail).
            self.signed_ready = True
            self.done = (
                "Thank you, you have signed, and so has everyone: the signed PDF is ready. Download it "
                "below (a copy is also attached to an e-mail to you)."
            )
        else:
            self.done = "Thank you, you have signed. Once everyone has signed, the signed PDF is e-mailed to you."

    @rx.event
    async def decline(self):
        self.busy, self.form_error = True, ""
        yield
        ip, ua = self._who()
        try:
            await run_db(svc.decline, self._token(), reason=self.decline_reason, ip=ip, user_agent=ua)
        except svc.SigningLinkError as exc:
            self.link_error, self.busy = str(exc), False
            return
        except svc.ContractError as exc:
            message = str(exc).split(": ", 1)[-1]
            self.form_error, self.busy = message[:1].upper() + message[1:], False
            return
        self.busy, self.signer_status = False, "declined"
        self.done = "You declined to sign. The sender has been told your reason."


# --- deal panel ------------------------------------------------------------------------------------


class DealContractsState(AuthState):
    deal_rows: list[ContractRow] = []
    deal_quotes: list[dict] = []

    def _deal(self) -> int:
        return route_id(self, "deals")

    @rx.event
    async def load_deal(self):
        access = await self._access("contracts")
        if not access.allowed:
            return None  # the deal page is shown to other roles too: the panel just stays empty
        deal_id = self._deal()
        if not deal_id:
            return None
        self.deal_rows = await run_db(svc.list_contracts, deal_id)
        self.deal_quotes = [q for q in await run_db(svc.acceptable_quotes, deal_id) if not q["has_contract"]]
        return None

    @rx.event
    @guard("contracts")
    async def create_from_quote(self, quote_id: int):
        try:
            contract = await run_db(svc.create_from_quote, self._actor(), int(quote_id))
        except svc.ContractError as exc:
            return rx.toast.error(str(exc))
        return rx.redirect(f"/contracts/{contract.id}")
