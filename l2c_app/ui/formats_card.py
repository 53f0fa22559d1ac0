"""Settings > Formats: the organisation's locale and hours format, with a live example.

The example is computed from the two values on screen (never from the process's active
formats), so switching de-DE -> en-US shows en-US again at once; Save stores them
(`core.formats.save_formats`), and every page, PDF and e-mail formats with them.
"""

from __future__ import annotations

import reflex as rx

from l2c_app.core import formats
from l2c_app.core.auth import get_organisation
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, ui_message
from l2c_app.ui.guard import guard
from l2c_app.ui.layout import error_callout, field_label
from l2c_app.ui.session import AuthState


def _load(session) -> tuple[formats.Formats, str]:
    org = get_organisation(session)
    return formats.formats(session), (org.currency if org else "EUR")


class FormatsState(AuthState):
    locale: str = formats.DEFAULT.locale
    hours_format: str = formats.DEFAULT.hours_format
    currency: str = "EUR"
    example: str = formats.example(formats.DEFAULT)
    formats_error: str = ""

    def _refresh_example(self) -> None:
        self.example = formats.example(formats.Formats(self.locale, self.hours_format), self.currency)

    @rx.event
    @guard("settings")
    async def load(self):
        fmt, self.currency = await run_db(_load)
        self.locale, self.hours_format, self.formats_error = fmt.locale, fmt.hours_format, ""
        self._refresh_example()
        return None

    @rx.event
    def set_locale(self, value: str):
        if value in formats.LOCALES:
            self.locale = value
            self._refresh_example()

    @rx.event
    def set_hours_format(self, value: str):
        if value in formats.HOURS_FORMATS:
            self.hours_format = value
            self._refresh_example()

    @rx.event
    @guard("settings")
    async def save(self):
        try:
            await run_db(formats.save_formats, self._actor(), locale=self.locale, hours_format=self.hours_format)
        except DomainError as exc:
            self.formats_error = ui_message(exc)
            return None
        formats.set_active(formats.Formats(self.locale, self.hours_format))
        self.formats_error = ""
        return rx.toast.success(f"Formats saved: {formats.LOCALES[self.locale]}.")


def formats_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Formats", size="3"),
            rx.text(
                "Money, dates, numbers and hours on every page, PDF and e-mail, and the first day of the "
                "week in the time grid.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(FormatsState.formats_error),
            rx.grid(
                field_label(
                    "Locale",
                    rx.select.root(
                        rx.select.trigger(aria_label="Locale"),
                        rx.select.content(
                            *[rx.select.item(f"{name} ({code})", value=code) for code, name in formats.LOCALES.items()]
                        ),
                        value=FormatsState.locale,
                        on_change=FormatsState.set_locale,
                    ),
                ),
                field_label(
                    "Hours",
                    rx.select.root(
                        rx.select.trigger(aria_label="Hours"),
                        rx.select.content(
                            *[rx.select.item(name, value=code) for code, name in formats.HOURS_FORMATS.items()]
                        ),
                        value=FormatsState.hours_format,
                        on_change=FormatsState.set_hours_format,
                    ),
                ),
                columns={"initial": "1", "sm": "2"},
                spacing="3",
                width="100%",
            ),
            rx.hstack(
                rx.text("Example:", size="2", weight="medium"),
                rx.text(FormatsState.example, size="2", aria_label="Formats example", aria_live="polite"),
                spacing="2",
                wrap="wrap",
            ),
            rx.button("Save formats", on_click=FormatsState.save),
            width="100%",
            spacing="3",
        ),
        width="100%",
        on_mount=FormatsState.load,
    )
