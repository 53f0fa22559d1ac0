"""The e-mail composer: a dialog opened by every Send of a quote, contract, change order or
invoice. To (the client contact), Cc, Subject and the message with merge fields, and a live
preview rendered by core.mailmerge (the same function that renders the message sent).
"Send e-mail" sends through the document's send service (ui/compose_service.py): the
Outbox row is written in that transaction; SMTP runs after commit."""

from __future__ import annotations

import reflex as rx

from l2c_app.core import mailmerge
from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError
from l2c_app.ui import compose_service as compose
from l2c_app.ui.guard import call_service
from l2c_app.ui.layout import error_callout, field_label
from l2c_app.ui.session import AuthState

FIELD_HELP = [{"name": "{" + k + "}", "help": v} for k, v in mailmerge.FIELDS.items()]


def _reload_event(kind: str):
    """The page's own reload, so it shows the document as sent."""
    if kind == "quote":
        from l2c_app.quotes.state import BuilderState

        return BuilderState.load
    if kind == "contract":
        from l2c_app.contracts.state import ContractState

        return ContractState.load
    if kind == "invoice":
        from l2c_app.billing.state import InvoiceState

        return InvoiceState.load
    from l2c_app.projects.state import ProjectsState

    return ProjectsState.load_detail


class ComposerState(AuthState):
    is_open: bool = False
    kind: str = ""
    doc_id: int = 0
    to: str = ""
    cc: str = ""
    subject: str = ""
    body: str = ""
    values: dict[str, str] = {}
    to_fixed: bool = False
    note: str = ""
    error: str = ""
    sending: bool = False

    @rx.var
    def kind_label(self) -> str:
        return compose.KINDS.get(self.kind, ("", "document"))[1]

    def _render(self, text: str, field: str) -> tuple[str, str]:
        try:
            return mailmerge.render(text, self.values, field_name=field), ""
        except DomainError as exc:
            return "", exc.message

    @rx.var
    def preview_subject(self) -> str:
        return " ".join(self._render(self.subject, "subject")[0].split())

    @rx.var
    def preview_body(self) -> str:
        return self._render(self.body, "body")[0]

    @rx.var
    def preview_error(self) -> str:
        problems = [p for p in (self._render(self.subject, "subject")[1], self._render(self.body, "body")[1]) if p]
        return problems[0] if problems else ""

    @rx.event
    async def open_for(self, kind: str, doc_id: int):
        section = compose.KINDS.get(kind, ("", ""))[0]
        access = await self._access(section or "none")
        if not access.allowed:
            return access.denial()
        done = await call_service(compose.draft_dict, Actor("user", access.viewer.id), kind, int(doc_id))
        if not done.ok:
            return done.toast()
        d = done.value
        self.kind, self.doc_id, self.error = kind, int(doc_id), ""
        self.to, self.cc, self.subject, self.body = d["to"], d["cc"], d["subject"], d["body"]
        self.values, self.to_fixed, self.note = dict(d["values"]), bool(d["to_fixed"]), d["note"]
        self.is_open = True
        return None

    @rx.event
    def set_open(self, value: bool):
        self.is_open = bool(value)

    @rx.event
    def set_to(self, value: str):
        self.to = value

    @rx.event
    def set_cc(self, value: str):
        self.cc = value

    @rx.event
    def set_subject(self, value: str):
        self.subject = value

    @rx.event
    def set_body(self, value: str):
        self.body = value

    @rx.event
    async def send(self):
        section = compose.KINDS.get(self.kind, ("", ""))[0]
        access = await self._access(section or "none")
        if not access.allowed:
            yield access.denial()
            return
        self.sending, self.error = True, ""
        yield
        message = mailmerge.Message(
            to="" if self.to_fixed else self.to, cc=self.cc, subject=self.subject, body=self.body
        )
        done = await call_service(compose.send, Actor("user", access.viewer.id), self.kind, self.doc_id, message)
        self.sending = False
        if not done.ok:
            self.error = done.error
            yield done.toast()
            return
        self.is_open = False
        yield [rx.toast.success(done.value), _reload_event(self.kind)]


def _wide(text: str, control: rx.Component, hint: str | None = None) -> rx.Component:
    """ui.layout.field_label with the label a block, so the control fills the column."""
    out = field_label(text, control, hint)
    label = out if hint is None else out.children[0]
    label.style.update({"display": "block", "width": "100%"})
    return out


def _field_chip(f) -> rx.Component:
    return rx.tooltip(rx.code(f["name"], size="1"), content=f["help"])


def composer_dialog() -> rx.Component:
    s = ComposerState
    form = rx.vstack(
        error_callout(s.error),
        rx.cond(
            s.to_fixed,
            rx.vstack(
                rx.text("To", size="2", weight="medium"),
                rx.text(s.to, size="2"),
                rx.text(s.note, size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
            ),
            _wide("To", rx.input(value=s.to, on_change=s.set_to, type="email", width="100%")),
        ),
        _wide(
            "Cc",
            rx.input(value=s.cc, on_change=s.set_cc, placeholder="e.g. finance@client.com", width="100%"),
            hint="Several addresses: separate them with commas.",
        ),
        _wide("Subject", rx.input(value=s.subject, on_change=s.set_subject, width="100%")),
        _wide("Message", rx.text_area(value=s.body, on_change=s.set_body, rows="12", width="100%")),
        rx.vstack(
            rx.text("Merge fields (filled from the document):", size="1", color_scheme="gray"),
            rx.flex(rx.foreach(FIELD_HELP, _field_chip), wrap="wrap", spacing="1"),
            spacing="1",
        ),
        width="100%",
        spacing="3",
    )
    preview = rx.card(
        rx.vstack(
            rx.text("Preview", size="2", weight="bold", id="composer-preview-label"),
            rx.cond(
                s.preview_error != "",
                rx.callout(s.preview_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
            ),
            rx.text(rx.text.strong("To: "), rx.cond(s.to_fixed, s.to, s.to), size="2"),
            rx.cond(s.cc != "", rx.text(rx.text.strong("Cc: "), s.cc, size="2")),
            rx.text(rx.text.strong("Subject: "), s.preview_subject, size="2", data_testid="preview-subject"),
            rx.separator(),
            rx.text(
                s.preview_body, size="2", white_space="pre-wrap", word_break="break-word", data_testid="preview-body"
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        role="region",
        aria_labelledby="composer-preview-label",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("E-mail the " + s.kind_label),
            rx.dialog.description("Check the message, then send it. It goes through the Outbox.", size="2"),
            rx.grid(
                form, preview, columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%", margin_top="1em"
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    rx.icon("send", size=14),
                    "Send e-mail",
                    on_click=s.send,
                    loading=s.sending,
                    disabled=s.preview_error != "",
                ),
                justify="end",
                width="100%",
                margin_top="1em",
            ),
            max_width="min(72em, 96vw)",
        ),
        open=s.is_open,
        on_open_change=s.set_open,
    )
